import protobuf from 'protobufjs';
import { GeoIp, type GeoLookup } from '../src/enrich/geoip.js';
import { buildInventory, type NetboxData } from '../src/enrich/inventory.js';
import { FlowTranscoder } from '../src/transcode.js';
import { EXPECTED_EXPORTERS, GEO, GEOIP_FILES, hostFields, netboxFixture } from './fixture.js';
import { decodeEnriched, EnrichedFlow, FlowMessage, ipBytes, rawFlow, type EnrichedRecord } from './helpers.js';

/**
 * The pure core against an independent codec: goflow2 FlowMessages are written by
 * protobufjs from constructs/flows/proto/flow.proto, and what the enricher writes
 * is read back by protobufjs from enriched_flow.proto. The tests also fail when
 * either .proto gains a field the enricher does not handle (drift).
 */

const inventory = () => buildInventory(netboxFixture() as unknown as NetboxData);

let geo: GeoIp;
beforeAll(async () => { geo = await GeoIp.open(GEOIP_FILES); });
afterAll(() => geo.close());

/** `geoLookup` null: no GeoIP databases. */
function transcoder(flowsPerMessage = 1000, geoLookup?: GeoLookup | null): FlowTranscoder {
  const t = new FlowTranscoder({ flowsPerMessage, geo: geoLookup === null ? undefined : geoLookup ?? geo });
  t.setInventory(inventory());
  return t;
}

const FULL = {
  type: 3, time_received_ns: '1767607200123456789', time_flow_start_ns: '1767607170000000000', time_flow_end_ns: '1767607198000000000',
  sampling_rate: 1000, sequence_num: 77, sampler_address: ipBytes('127.0.0.21'),
  src_addr: ipBytes('89.160.20.128'), dst_addr: ipBytes('89.160.20.200'), next_hop: ipBytes('10.1.0.1'),
  bytes: '123456789012', packets: 4321, src_as: 64500, dst_as: 64501, src_net: 25, dst_net: 26,
  in_if: 10, out_if: 20, proto: 6, src_port: 40000, dst_port: 443, ip_tos: 0x28, forwarding_status: 64, tcp_flags: 0x1b,
  vlan_id: 100, etype: 0x800, icmp_type: 0, icmp_code: 0, as_path: [64500, 64510, 64501],
};

const ENRICHED_FULL: EnrichedRecord = {
  time_received_ns: '1767607200123456789', time_flow_start_ns: '1767607170000000000', time_flow_end_ns: '1767607198000000000',
  flow_type: 'NETFLOW_V9', sampling_rate: '1000', bytes: '123456789012', packets: '4321',
  exporter_address: '::ffff:127.0.0.21', ...EXPECTED_EXPORTERS['127.0.0.21'],
  in_if_index: 10, in_if_name: 'Ethernet1', in_if_speed: '10000000000',
  out_if_index: 20, out_if_name: 'Ethernet2', out_if_speed: '100000000000',
  src_addr: '::ffff:89.160.20.128', dst_addr: '::ffff:89.160.20.200', src_prefix_len: 25, dst_prefix_len: 26,
  etype: 0x800, proto: 6, src_port: 40000, dst_port: 443, tcp_flags: 0x1b, ip_tos: 0x28, next_hop: '::ffff:10.1.0.1',
  src_site: 'sto1', dst_site: 'sto1',
  src_as: 29518, src_as_name: 'Bredband2 AB', src_country: 'SE', src_city: 'Linköping',
  dst_as: 29518, dst_as_name: 'Bredband2 AB', dst_country: 'SE', dst_city: 'Linköping',
  ...hostFields('src', '89.160.20.128'), ...hostFields('dst', '89.160.20.200'),
};

function run(t: FlowTranscoder, values: Array<Buffer | null>): EnrichedRecord[] {
  return t.transcode(values).flatMap((m) => decodeEnriched(m));
}

describe('FlowTranscoder', () => {
  it('writes every EnrichedFlow field, as protobufjs reads them, for a fully enriched flow', () => {
    const [out] = run(transcoder(), [rawFlow(FULL)]);
    expect(out).toEqual(ENRICHED_FULL);
  });

  it('fills every field enriched_flow.proto declares (a new field there fails this test until the enricher writes it)', () => {
    const [out] = run(transcoder(), [rawFlow(FULL)]);
    const empty = Object.keys(EnrichedFlow.fields).filter((name) => ['', 0, '0'].includes(out[name] as string | number));
    expect(empty).toEqual([]);
  });

  it('carries every flow.proto field it reads, and only those it documents as not carried', () => {
    const notCarried = ['sequence_num', 'forwarding_status', 'vlan_id', 'icmp_type', 'icmp_code', 'as_path'];
    // Addresses GeoIP knows no AS for, so the exporter's src_as/dst_as are what is written.
    const flow = { ...FULL, src_addr: ipBytes('81.2.69.142'), dst_addr: ipBytes('10.1.5.7') };
    const base = run(transcoder(), [rawFlow(flow)])[0];
    const changed: string[] = [];
    for (const name of Object.keys(FlowMessage.fields)) {
      const field = FlowMessage.fields[name];
      const other = field.repeated ? [1] : field.type === 'bytes' ? ipBytes('216.160.83.56')
        : field.resolvedType ? 2 : field.type === 'uint64' ? '99' : 77;
      const out = run(transcoder(), [rawFlow({ ...flow, [name]: other })])[0];
      if (JSON.stringify(out) !== JSON.stringify(base)) changed.push(name);
    }
    expect(changed.sort()).toEqual(Object.keys(FlowMessage.fields).filter((n) => !notCarried.includes(n)).sort());
  });

  it('copies 64-bit counters and times exactly, up to 2^64-1', () => {
    const [out] = run(transcoder(), [rawFlow({ ...FULL, bytes: '18446744073709551615', packets: '9007199254740993', time_received_ns: '18446744073709551614' })]);
    expect(out).toMatchObject({ bytes: '18446744073709551615', packets: '9007199254740993', time_received_ns: '18446744073709551614' });
  });

  it('names every flow type, and leaves flow_type empty for types goflow2 does not define', () => {
    const types = [1, 2, 3, 4, 0, 9].map((type) => run(transcoder(), [rawFlow({ ...FULL, type })])[0].flow_type);
    expect(types).toEqual(['SFLOW_5', 'NETFLOW_V5', 'NETFLOW_V9', 'IPFIX', '', '']);
  });

  it('reads several FlowMessages from one Kafka message and writes FLOWS_PER_MESSAGE per output message', () => {
    const value = Buffer.concat([0, 1, 2, 3, 4].map((i) => rawFlow({ ...FULL, packets: i + 1 })));
    const messages = transcoder(2).transcode([value, null, Buffer.alloc(0), rawFlow({ ...FULL, packets: 6 })]);
    expect(messages.map((m) => decodeEnriched(m).map((f) => f.packets))).toEqual([['1', '2'], ['3', '4'], ['5', '6']]);
  });

  it('treats IPv4-mapped IPv6 addresses as IPv4 and enriches IPv6 ones', () => {
    const mapped = Uint8Array.from([...new Array(10).fill(0), 0xff, 0xff, 89, 160, 20, 128]);
    const out = run(transcoder(), [
      rawFlow({ ...FULL, src_addr: mapped, sampler_address: Uint8Array.from([...new Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 21]) }),
      rawFlow({ ...FULL, src_addr: ipBytes('2001:db8:1::5'), dst_addr: ipBytes('2600:7000::1'), next_hop: ipBytes('2001:db8::1'), sampler_address: ipBytes('2001:db8:ffff::22') }),
    ]);
    expect(out[0]).toMatchObject({ src_addr: '::ffff:89.160.20.128', src_country: 'SE', src_site: 'sto1', exporter_name: 'edge-sto1-01' });
    expect(out[1]).toMatchObject({
      src_addr: '2001:db8:1::5', dst_addr: '2600:7000::1', next_hop: '2001:db8::1', src_site: 'lon2',
      dst_as: GEO['2600:7000::1'].as, dst_as_name: GEO['2600:7000::1'].as_name,
      exporter_address: '2001:db8:ffff::22', exporter_name: 'edge-lon2-01',
      // edge-lon2-01 has no ifIndex 10 or 20.
      in_if_name: '', out_if_name: '',
    });
  });

  it('leaves out addresses goflow2 left empty, and counts each kind of miss', () => {
    const t = transcoder();
    const out = run(t, [
      rawFlow({ ...FULL, sampler_address: ipBytes('127.0.0.99'), src_addr: new Uint8Array(0), dst_addr: ipBytes('198.18.0.1'), next_hop: new Uint8Array(5) }),
      rawFlow({ ...FULL, in_if: 0, out_if: 99 }),
    ]);
    expect(out[0]).toMatchObject({ exporter_address: '::ffff:127.0.0.99', exporter_name: '', in_if_name: '', src_addr: '', next_hop: '', dst_addr: '::ffff:198.18.0.1', dst_site: '', dst_device: '', dst_vlan: 0, src_as: 64500, dst_as: 64501 });
    expect(out[1]).toMatchObject({ in_if_index: 0, in_if_name: '', out_if_index: 99, out_if_name: '' });
    expect(t.takeCounters()).toEqual({
      flowsIn: 2, flowsOut: 2, malformedMessages: 0,
      missExporter: 1, missInterface: 1,
      // 198.18.0.1: no City, ASN, prefix or device; 89.160.20.x: all found.
      missGeoipCity: 1, missGeoipAsn: 1, missPrefix: 1, missHost: 1,
      addressCacheHits: 0, addressCacheMisses: 3,
    });
    expect(t.takeCounters().flowsIn).toBe(0);
  });

  it('writes the NetBox device interface and the most specific prefix of both addresses, IPv4 and IPv6', () => {
    const t = transcoder();
    const [v4, v6] = run(t, [
      rawFlow({ ...FULL, src_addr: ipBytes('10.1.5.7'), dst_addr: ipBytes('10.2.3.4') }),
      rawFlow({ ...FULL, src_addr: ipBytes('2001:db8:1:5::1'), dst_addr: ipBytes('2001:db8:1::9') }),
    ]);
    expect(v4).toMatchObject({ src_site: 'fra1', dst_site: 'lon2', ...hostFields('src', '10.1.5.7'), ...hostFields('dst', '10.2.3.4') });
    // 2001:db8:1:5::1 is in a NetBox prefix but on no interface.
    expect(v6).toMatchObject({
      src_site: 'lon2', src_device: '', src_device_role: '', src_device_tenant: '', src_device_site: '', src_interface: '',
      src_prefix_tenant: 'transit', src_prefix_role: 'p2p', src_vlan: 600,
      dst_site: 'lon2', ...hostFields('dst', '2001:db8:1::9'),
    });
    expect(t.takeCounters()).toMatchObject({ missPrefix: 0, missHost: 1 });
  });

  it('works without GeoIP databases: AS numbers come from the exporter, GeoIP misses are not counted', () => {
    const t = transcoder(1000, null);
    const [out] = run(t, [rawFlow(FULL)]);
    expect(out).toMatchObject({ src_as: 64500, src_as_name: '', src_country: '', dst_as: 64501, src_site: 'sto1' });
    expect(t.takeCounters()).toMatchObject({ missGeoipCity: 0, missGeoipAsn: 0 });
  });

  it('skips goflow2 fields Helios does not read, whatever their wire type', () => {
    const plain = rawFlow(FULL);
    const body = FlowMessage.encode(FlowMessage.fromObject(FULL)).finish();
    const extra = Buffer.from([
      0xd8, 0x01, 0x81, 0x82, 0x83, 0x04, // field 27 (src_mac), varint
      0xba, 0x06, 0x03, 0x01, 0x02, 0x03, // field 103 (layer_stack), packed
      0xc5, 0x3e, 1, 2, 3, 4, // field 1000, fixed32
      0xc9, 0x3e, 1, 2, 3, 4, 5, 6, 7, 8, // field 1001, fixed64
    ]);
    const withExtra = Buffer.from(protobuf.Writer.create().bytes(Buffer.concat([extra, body])).finish());
    expect(run(transcoder(), [withExtra])).toEqual(run(transcoder(), [plain]));
  });

  it('drops a Kafka message that is not a FlowMessage, keeps the rest of the batch, and counts it', () => {
    const t = transcoder(2);
    const good = (packets: number) => rawFlow({ ...FULL, packets });
    const truncated = rawFlow(FULL).subarray(0, 30);
    const overrun = Buffer.concat([good(2), Buffer.from([0x05, 0x08])]);
    const group = Buffer.from([0x03, 0x0b, 0x00, 0x00]); // field 1 as a start-group
    const badVarint = Buffer.from([0x02, 0x08, 0xff]);
    const badBytes = Buffer.from([0x03, 0x32, 0x09, 0x01]); // src_addr claims 9 bytes, has 1
    const messages = t.transcode([good(1), truncated, overrun, group, badVarint, badBytes, good(3), good(4), good(5)]);
    expect(messages.map((m) => decodeEnriched(m).map((f) => f.packets))).toEqual([['1', '3'], ['4', '5']]);
    expect(t.takeCounters()).toMatchObject({ flowsIn: 4, flowsOut: 4, malformedMessages: 5 });
  });

  it('frames flows of any size: under 128 bytes and over 16 KiB', () => {
    const tiny = rawFlow({ type: 2, bytes: 1, packets: 1 });
    const fixture = netboxFixture();
    fixture.devices[0].custom_fields = { monitoring_tier: 't'.repeat(20_000) };
    const t = new FlowTranscoder({ flowsPerMessage: 10, geo });
    t.setInventory(buildInventory(fixture as unknown as NetboxData));
    const out = run(t, [tiny, rawFlow(FULL), tiny]);
    expect(out.map((f) => [f.flow_type, (f.exporter_tier as string).length])).toEqual([['NETFLOW_V5', 0], ['NETFLOW_V9', 20_000], ['NETFLOW_V5', 0]]);
  });

  it('looks each address up once, until the inventory or the GeoIP data changes', () => {
    let lookups = 0;
    const counting: GeoLookup = { hasCity: true, hasAsn: true, lookup: (k) => { lookups++; return geo.lookup(k); } };
    const t = transcoder(1000, counting);
    run(t, [rawFlow(FULL), rawFlow(FULL)]);
    expect(lookups).toBe(2);
    run(t, [rawFlow(FULL)]);
    expect(lookups).toBe(2);
    t.clearAddressCache();
    run(t, [rawFlow(FULL)]);
    expect(lookups).toBe(4);
    // A new inventory: the renamed exporter and its sites are used from the next flow on.
    const fixture = netboxFixture();
    fixture.devices[0].name = 'renamed';
    t.setInventory(buildInventory(fixture as unknown as NetboxData));
    expect(run(t, [rawFlow(FULL)])[0]).toMatchObject({ exporter_name: 'renamed', src_device: 'renamed', dst_device: 'spine-fra1-01' });
    expect(lookups).toBe(6);
  });

  it('writes the same flows when every address misses the cache: answers made of the same prefix, host and GeoIP record are shared, others not', () => {
    const flows = ['89.160.20.128', '89.160.20.129', '89.160.20.200', '81.2.69.142', '10.1.0.1', '10.1.0.2', '2001:db8::1'].flatMap((a, i, all) => [
      rawFlow({ ...FULL, src_addr: ipBytes(a), dst_addr: ipBytes(all[(i + 1) % all.length]) }),
      rawFlow({ ...FULL, src_addr: ipBytes(all[(i + 2) % all.length]), dst_addr: ipBytes(a) }),
    ]);
    const cached = transcoder().transcode(flows);
    const everyMiss = new FlowTranscoder({ flowsPerMessage: 1000, geo, addressCacheSize: 1 });
    everyMiss.setInventory(inventory());
    expect(Buffer.concat(everyMiss.transcode(flows)).equals(Buffer.concat(cached))).toBe(true);
    const [first] = cached.flatMap((m) => decodeEnriched(m));
    expect(first).toMatchObject({
      src_addr: '::ffff:89.160.20.128', src_site: 'sto1', src_city: 'Linköping', src_as: 29518, src_as_name: 'Bredband2 AB',
      dst_addr: '::ffff:89.160.20.129', dst_site: 'sto1', dst_city: 'Linköping', dst_as: 29518, dst_as_name: 'Bredband2 AB',
    });
    const counters = everyMiss.takeCounters();
    expect(counters.flowsOut).toBe(flows.length);
    expect(counters.addressCacheMisses).toBeGreaterThan(flows.length);
  });

  it('refuses a non-positive FLOWS_PER_MESSAGE', () => {
    expect(() => new FlowTranscoder({ flowsPerMessage: 0 })).toThrow('flowsPerMessage 0 is not a positive integer');
  });
});
