import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaBroker } from '../../../test/peers/harness/kafka.js';
import { sendFlows, startGoflow2 } from '../../../test/peers/harness/network-peers.js';
import { runDir, waitFor, type PeerProcess } from '../../../test/peers/harness/process.js';
import { EXPECTED_EXPORTERS, GEO, GEOIP_FILES, hostFields, netboxFixture } from './fixture.js';
import { createTopics, EnrichedReader, FlowMessage, ipText, kafkaFor, metric, metricsOf, startEnricherProcess, type EnrichedRecord } from './helpers.js';
import { NetboxFake } from './netbox-fake.js';

/**
 * End to end on the real peers: the flow generator sends NetFlow v9, IPFIX and
 * sFlow to a real goflow2 (-format=bin), which writes to a real Kafka broker; the
 * real enricher entrypoint (src/main.ts, as a child process) enriches from the
 * NetBox fake and the MaxMind test databases; the test reads helios-flows-enriched
 * and checks every field of every flow.
 */

const RAW = 'helios-flows-raw';
const ENRICHED = 'helios-flows-enriched';
const NOW_S = Math.floor(Date.now() / 1000);
const START_MS = NOW_S * 1000 - 30_000;
const END_MS = NOW_S * 1000 - 2_000;

/**
 * Counters past 2^53 and 2^32: they must come out exactly as they went in. (The
 * generator's input is JSON from JavaScript, so 2^53+2, the first integer past
 * 2^53 a double holds; the unit tests cover 2^64-1.)
 */
const HUGE_BYTES = '9007199254740994';
const HUGE_PACKETS = '4294967301';

describe('goflow2 → Kafka → flow-enricher → Kafka, on real goflow2 and Kafka', () => {
  let broker: KafkaBroker;
  let goflow2: Awaited<ReturnType<typeof startGoflow2>>;
  let netbox: NetboxFake;
  let enricher: { process: PeerProcess; url: string };
  let reader: EnrichedReader;
  let flows: EnrichedRecord[];
  let rawFlows: Array<Record<string, unknown>>;

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    await createTopics(broker, [{ topic: RAW, numPartitions: 2 }, { topic: ENRICHED, numPartitions: 2 }]);
    netbox = await NetboxFake.start(netboxFixture(), { token: 'e2e-token' });
    const tokenFile = join(runDir(), `netbox-token-${process.pid}`);
    writeFileSync(tokenFile, 'e2e-token\n');
    goflow2 = await startGoflow2({ brokers: broker.bootstrap, topic: RAW, format: 'bin' });
    enricher = await startEnricherProcess({
      KAFKA_BROKERS: broker.bootstrap,
      NETBOX_URL: netbox.url,
      NETBOX_TOKEN_FILE: tokenFile,
      GEOIP_CITY_DB: GEOIP_FILES.cityDb,
      GEOIP_ASN_DB: GEOIP_FILES.asnDb,
      FLOWS_PER_MESSAGE: '4',
    });
    reader = await EnrichedReader.start(broker, ENRICHED);

    const flow = (f: Record<string, unknown>) => ({ proto: 6, start_ms: START_MS, end_ms: END_MS, ...f });
    sendFlows([
      {
        target: goflow2.netflow, exporter: '127.0.0.21', version: 'v9', export_time: NOW_S, flows: [
          flow({ src_addr: '10.1.5.7', dst_addr: '89.160.20.128', src_port: 40001, dst_port: 443, bytes: Number(HUGE_BYTES), packets: Number(HUGE_PACKETS), in_if: 10, out_if: 20, tcp_flags: 0x18, tos: 0x20, src_mask: 24, dst_mask: 24, next_hop: '10.1.0.1' }),
          flow({ src_addr: '81.2.69.142', dst_addr: '10.2.3.4', src_port: 443, dst_port: 51000, bytes: 1_000_000, packets: 700, in_if: 20, out_if: 99, src_as: 64512, dst_as: 65001, proto: 17 }),
        ],
      },
      {
        target: goflow2.netflow, exporter: '127.0.0.22', version: 'ipfix', export_time: NOW_S, flows: [
          flow({ src_addr: '1.128.0.0', dst_addr: '216.160.83.56', src_port: 33000, dst_port: 53, bytes: 1500, packets: 1, in_if: 5, out_if: 6, proto: 17 }),
          flow({ src_addr: '2001:db8:1::5', dst_addr: '2600:7000::1', src_port: 50000, dst_port: 443, bytes: 4242, packets: 3, in_if: 5, out_if: 5, src_mask: 48, dst_mask: 32 }),
          flow({ src_addr: '2001:218::1', dst_addr: '2001:db8:1::9', src_port: 443, dst_port: 50001, bytes: 8484, packets: 6, in_if: 6, out_if: 5 }),
        ],
      },
      {
        // sFlow: goflow2 reports the agent address (not the UDP source) as the exporter, and packets=1.
        target: goflow2.sflow, exporter: '127.0.0.23', agent: '192.0.2.13', version: 'sflow', sampling_rate: 512, flows: [
          flow({ src_addr: '10.1.9.9', dst_addr: '89.160.20.128', src_port: 40100, dst_port: 443, bytes: 1400, in_if: 1, out_if: 2 }),
        ],
      },
      {
        // An exporter NetBox does not know.
        target: goflow2.netflow, exporter: '127.0.0.99', version: 'v9', export_time: NOW_S, flows: [
          flow({ src_addr: '10.2.0.1', dst_addr: '81.2.69.142', src_port: 1234, dst_port: 22, bytes: 999, packets: 9, in_if: 1, out_if: 2 }),
        ],
      },
    ]);
    flows = await reader.waitForFlows(7, 90_000);
    // The same flows as goflow2 wrote them, to show what passes through is unchanged.
    const raw = kafkaFor(broker, 'raw-reader').consumer({ groupId: `raw-reader-${Date.now()}` });
    rawFlows = [];
    await raw.connect();
    await raw.subscribe({ topic: RAW, fromBeginning: true });
    await raw.run({ eachMessage: async ({ message }) => { rawFlows.push(FlowMessage.toObject(FlowMessage.decodeDelimited(message.value!), { longs: String, defaults: true })); } });
    await waitFor('7 raw flows', () => rawFlows.length >= 7, 60_000);
    await raw.disconnect();
  }, 300_000);

  afterAll(async () => {
    await reader?.stop();
    await enricher?.process.stop();
    await goflow2?.stop();
    await netbox?.stop();
    await broker?.stop();
  });

  const find = (src: string, dst: string) => {
    const found = flows.filter((f) => f.src_addr === src && f.dst_addr === dst);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const noGeo = (side: 'src' | 'dst') => ({ [`${side}_as`]: 0, [`${side}_as_name`]: '', [`${side}_country`]: '', [`${side}_city`]: '' });
  const geo = (side: 'src' | 'dst', address: keyof typeof GEO) => {
    const g = GEO[address];
    return { [`${side}_as`]: g.as, [`${side}_as_name`]: g.as_name, [`${side}_country`]: g.country, [`${side}_city`]: g.city };
  };
  const noNetbox = (side: 'src' | 'dst') => ({
    [`${side}_device`]: '', [`${side}_device_role`]: '', [`${side}_device_tenant`]: '', [`${side}_device_site`]: '', [`${side}_interface`]: '',
    [`${side}_prefix_tenant`]: '', [`${side}_prefix_role`]: '', [`${side}_vlan`]: 0,
  });
  const times = { time_flow_start_ns: `${START_MS}000000`, time_flow_end_ns: `${END_MS}000000` };
  const noExporter = {
    exporter_name: '', exporter_site: '', exporter_region: '', exporter_role: '', exporter_tenant: '', exporter_platform: '', exporter_vendor: '', exporter_tier: '',
  };

  it('produces exactly the flows sent, each once, several per Kafka message', () => {
    expect(flows).toHaveLength(7);
    // FLOWS_PER_MESSAGE=4: 7 flows cannot have taken 7 messages unless batches held a single flow each.
    expect(reader.messages).toBeLessThanOrEqual(7);
  });

  it('NetFlow v9: exporter taxonomy, interfaces, both addresses\' NetBox devices and prefixes, GeoIP, and 64-bit counters exact', () => {
    expect(find('::ffff:10.1.5.7', '::ffff:89.160.20.128')).toEqual({
      ...times,
      time_received_ns: expect.stringMatching(/^\d{19}$/),
      flow_type: 'NETFLOW_V9', sampling_rate: '0', bytes: HUGE_BYTES, packets: HUGE_PACKETS,
      exporter_address: '::ffff:127.0.0.21', ...EXPECTED_EXPORTERS['127.0.0.21'],
      in_if_index: 10, in_if_name: 'Ethernet1', in_if_speed: '10000000000',
      out_if_index: 20, out_if_name: 'Ethernet2', out_if_speed: '100000000000',
      src_addr: '::ffff:10.1.5.7', dst_addr: '::ffff:89.160.20.128', src_prefix_len: 24, dst_prefix_len: 24,
      etype: 0x800, proto: 6, src_port: 40001, dst_port: 443, tcp_flags: 0x18, ip_tos: 0x20, next_hop: '::ffff:10.1.0.1',
      // 10.1.5.0/24 (fra1) is more specific than 10.1.0.0/16 (sto1).
      src_site: 'fra1', dst_site: 'sto1',
      ...noGeo('src'), ...geo('dst', '89.160.20.128'),
      ...hostFields('src', '10.1.5.7'), ...hostFields('dst', '89.160.20.128'),
    });
  });

  it('an unknown ifIndex leaves the interface unnamed; without GeoIP AS the exporter-reported AS is kept', () => {
    expect(find('::ffff:81.2.69.142', '::ffff:10.2.3.4')).toMatchObject({
      flow_type: 'NETFLOW_V9', bytes: '1000000', packets: '700', proto: 17,
      exporter_address: '::ffff:127.0.0.21', ...EXPECTED_EXPORTERS['127.0.0.21'],
      in_if_index: 20, in_if_name: 'Ethernet2', in_if_speed: '100000000000',
      out_if_index: 99, out_if_name: '', out_if_speed: '0',
      src_site: '', dst_site: 'lon2',
      src_as: 64512, src_as_name: '', src_country: 'GB', src_city: 'London',
      dst_as: 65001, dst_as_name: '', dst_country: '', dst_city: '',
      ...noNetbox('src'), ...hostFields('dst', '10.2.3.4'),
    });
  });

  it('IPFIX over IPv4 and IPv6: interface speed from Kbps, NetBox speed unset is 0, IPv6 prefixes and GeoIP', () => {
    expect(find('::ffff:1.128.0.0', '::ffff:216.160.83.56')).toEqual({
      ...times,
      time_received_ns: expect.stringMatching(/^\d{19}$/),
      flow_type: 'IPFIX', sampling_rate: '0', bytes: '1500', packets: '1',
      exporter_address: '::ffff:127.0.0.22', ...EXPECTED_EXPORTERS['127.0.0.22'],
      in_if_index: 5, in_if_name: 'xe-0/0/0', in_if_speed: '10000000000',
      out_if_index: 6, out_if_name: 'xe-0/0/1', out_if_speed: '0',
      src_addr: '::ffff:1.128.0.0', dst_addr: '::ffff:216.160.83.56', src_prefix_len: 0, dst_prefix_len: 0,
      etype: 0x800, proto: 17, src_port: 33000, dst_port: 53, tcp_flags: 0, ip_tos: 0, next_hop: '::ffff:0.0.0.0',
      src_site: '', dst_site: '',
      ...geo('src', '1.128.0.0'), ...geo('dst', '216.160.83.56'),
      ...noNetbox('src'), ...noNetbox('dst'),
    });
    expect(find('2001:db8:1::5', '2600:7000::1')).toMatchObject({
      flow_type: 'IPFIX', bytes: '4242', packets: '3', etype: 0x86dd, src_prefix_len: 48, dst_prefix_len: 32,
      exporter_address: '::ffff:127.0.0.22', exporter_name: 'edge-lon2-01',
      in_if_name: 'xe-0/0/0', out_if_name: 'xe-0/0/0',
      src_site: 'lon2', dst_site: '', ...noGeo('src'), ...geo('dst', '2600:7000::1'),
    });
    expect(find('2001:218::1', '2001:db8:1::9')).toMatchObject({
      bytes: '8484', packets: '6', src_site: '', dst_site: 'lon2', ...geo('src', '2001:218::1'), ...noGeo('dst'),
      ...noNetbox('src'), ...hostFields('dst', '2001:db8:1::9'),
    });
  });

  it('sFlow: the agent address is the exporter; bytes are the sampled frame, packets 1, the sampling rate kept; both hosts\' devices', () => {
    expect(find('::ffff:10.1.9.9', '::ffff:89.160.20.128')).toMatchObject({
      flow_type: 'SFLOW_5', sampling_rate: '512', bytes: '1400', packets: '1',
      exporter_address: '::ffff:192.0.2.13', ...EXPECTED_EXPORTERS['192.0.2.13'],
      in_if_index: 1, in_if_name: 'swp1', in_if_speed: '25000000000',
      out_if_index: 2, out_if_name: 'swp2', out_if_speed: '25000000000',
      src_site: 'sto1', dst_site: 'sto1', src_port: 40100, dst_port: 443, proto: 6,
      ...noGeo('src'), ...geo('dst', '89.160.20.128'),
      ...hostFields('src', '10.1.9.9'), ...hostFields('dst', '89.160.20.128'),
    });
  });

  it('an exporter NetBox does not know: the flow still passes, with its address and no taxonomy', () => {
    expect(find('::ffff:10.2.0.1', '::ffff:81.2.69.142')).toMatchObject({
      exporter_address: '::ffff:127.0.0.99', ...noExporter,
      in_if_index: 1, in_if_name: '', out_if_index: 2, out_if_name: '',
      bytes: '999', packets: '9', src_site: 'lon2', ...geo('dst', '81.2.69.142'),
      // 10.2.0.1 is in NetBox, but on no interface.
      ...noNetbox('src'), src_prefix_tenant: 'netops',
    });
  });

  it('passes goflow2\'s counters, times and sampling rate through unchanged', () => {
    expect(rawFlows).toHaveLength(7);
    for (const raw of rawFlows) {
      const src = ipText(raw.src_addr as Uint8Array);
      const dst = ipText(raw.dst_addr as Uint8Array);
      const out = find(src.includes(':') ? src : `::ffff:${src}`, dst.includes(':') ? dst : `::ffff:${dst}`);
      expect({ bytes: out.bytes, packets: out.packets, t: out.time_received_ns, s: out.time_flow_start_ns, e: out.time_flow_end_ns, r: out.sampling_rate })
        .toEqual({ bytes: raw.bytes, packets: raw.packets, t: raw.time_received_ns, s: raw.time_flow_start_ns, e: raw.time_flow_end_ns, r: raw.sampling_rate });
    }
  });

  it('counts what it could not enrich, and reports itself ready with a loaded inventory', async () => {
    const text = await metricsOf(enricher.url);
    expect(metric(text, 'helios_flow_enricher_flows_in_total')).toBe(7);
    expect(metric(text, 'helios_flow_enricher_flows_out_total')).toBe(7);
    expect(metric(text, 'helios_flow_enricher_enrichment_misses_total', { kind: 'exporter' })).toBe(1);
    // ifIndex 99 on edge-sto1-01; the unknown exporter's interfaces are not looked up.
    expect(metric(text, 'helios_flow_enricher_enrichment_misses_total', { kind: 'interface' })).toBe(1);
    expect(metric(text, 'helios_flow_enricher_netbox_inventory_age_seconds')).toBeLessThan(300);
    expect(metric(text, 'helios_flow_enricher_geoip_database_age_seconds', { database: 'city' })).toBeGreaterThan(0);
    expect((await fetch(`${enricher.url}/readyz`)).status).toBe(200);
    // The NetBox fake saw the token and every list the inventory needs.
    expect(netbox.requests.map((r) => r.split('?')[0].replace(/^GET /, '')).sort()).toEqual(
      ['/api/dcim/devices/', '/api/dcim/interfaces/', '/api/dcim/sites/', '/api/ipam/ip-addresses/', '/api/ipam/prefixes/'],
    );
  });
});
