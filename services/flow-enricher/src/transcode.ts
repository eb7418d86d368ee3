import { TwoGenerationCache } from './enrich/address-cache.js';
import type { GeoAnswer, GeoLookup } from './enrich/geoip.js';
import { emptyInventory, type Exporter, type Host, type Inventory, type PrefixFacts } from './enrich/inventory.js';
import { addressKey } from './enrich/ip.js';
import { SegmentBuilder, WireError } from './flow/wire.js';

/**
 * The enricher's pure core: Kafka message values holding goflow2 FlowMessages
 * (constructs/flows/proto/flow.proto, varint length-delimited) in, Kafka message
 * values holding EnrichedFlows (enriched_flow.proto, varint length-delimited,
 * `flowsPerMessage` per message) out.
 *
 * Why it looks like this: at 250k flows/s a core has 4 µs per flow, so nothing is
 * allocated per flow. Fields are read where they lie; 64-bit counters (bytes,
 * packets, nanosecond times) are copied as their varint bytes, so they pass through
 * exactly without BigInt; everything that repeats across flows (an exporter's
 * taxonomy, an interface, an address's NetBox and GeoIP answers) is encoded once into
 * a segment and copied. Fields are written in field-number order.
 */

/** flow.proto's FlowType values → EnrichedFlow.flow_type. */
const FLOW_TYPES = ['', 'SFLOW_5', 'NETFLOW_V5', 'NETFLOW_V9', 'IPFIX'];

/** Counts since the last `takeCounters()`; misses are counted per flow (addresses: per address looked up). */
export interface TranscodeCounters {
  flowsIn: number;
  flowsOut: number;
  /** Kafka messages dropped because they did not decode. */
  malformedMessages: number;
  missExporter: number;
  missInterface: number;
  missGeoipCity: number;
  missGeoipAsn: number;
  missPrefix: number;
  missHost: number;
  addressCacheHits: number;
  addressCacheMisses: number;
}

function zeroCounters(): TranscodeCounters {
  return {
    flowsIn: 0, flowsOut: 0, malformedMessages: 0, missExporter: 0, missInterface: 0,
    missGeoipCity: 0, missGeoipAsn: 0, missPrefix: 0, missHost: 0, addressCacheHits: 0, addressCacheMisses: 0,
  };
}

export interface TranscoderOptions {
  /** EnrichedFlows per output Kafka message. */
  readonly flowsPerMessage: number;
  /** @default - no GeoIP fields */
  readonly geo?: GeoLookup;
  /** Addresses whose answers are kept (between this and twice this many). @default 65536 */
  readonly addressCacheSize?: number;
}

/** An exporter address as seen in flows, with its encoded fields. */
interface ExporterEntry {
  /** exporter_address (10). */
  readonly address: Buffer;
  readonly exporter: Exporter | undefined;
  /** exporter_name..exporter_tier (11-18). */
  readonly taxonomy: Buffer;
  /** ifIndex → encoded in_if_name, in_if_speed (21, 22) and out_if_name, out_if_speed (24, 25); null: unknown. */
  readonly interfaces: Map<number, InterfaceSegments | null>;
}

interface InterfaceSegments {
  readonly asIn: Buffer;
  readonly asOut: Buffer;
}

const MISS_CITY = 1;
const MISS_ASN = 2;
const MISS_PREFIX = 4;
const MISS_HOST = 8;

/**
 * One address's answers, encoded for either side of a flow, in one buffer (one
 * object instead of six per cached address: see bench/inventory-memory.ts):
 * src_site (50) | dst_site (51) | src_as..src_city (52-55) | dst_as..dst_city
 * (56-59) | src_device..src_vlan (60-67) | dst_device..dst_vlan (70-77), each
 * part ending where the next begins.
 */
interface AddressEntry {
  readonly bytes: Buffer;
  readonly srcSiteEnd: number;
  readonly dstSiteEnd: number;
  readonly asSourceEnd: number;
  readonly asDestinationEnd: number;
  readonly netboxSourceEnd: number;
  /** GeoIP had an AS for it (else the exporter's src_as/dst_as is written). */
  readonly hasAs: boolean;
  readonly misses: number;
}

/** Interface lookups an exporter may cache before the cache is reset (exporters send a bounded set of ifIndexes). */
const INTERFACES_PER_EXPORTER_MAX = 65_536;
const EXPORTERS_MAX = 65_536;
/** Bytes an EnrichedFlow takes beyond its segments, at most: 3 times + type + 3 counters + addresses + ports... (see encodeFlow). */
const FIXED_FLOW_BYTES_MAX = 320;

export class FlowTranscoder {
  private inventory: Inventory = emptyInventory();
  private readonly exporters = new Map<number | string, ExporterEntry>();
  private readonly addresses: TwoGenerationCache<number | string, AddressEntry>;
  /**
   * Encoded answers by what they were made of: the addresses outside NetBox's
   * hosts that share a prefix and a GeoIP record (most of them) share one entry,
   * so an address-cache miss costs lookups, not encoding.
   */
  private readonly answers: AnswerMemo;
  private counters = zeroCounters();
  private readonly flowTypes = FLOW_TYPES.map((t) => new SegmentBuilder().string(4, t).build());

  // The flow being read: numbers, and [start, end) positions in the input buffer.
  private type = 0;
  private samplerAt = 0; private samplerLen = 0;
  private srcAt = 0; private srcLen = 0;
  private dstAt = 0; private dstLen = 0;
  private nextHopAt = 0; private nextHopLen = 0;
  private rateAt = 0; private rateEnd = 0;
  private bytesAt = 0; private bytesEnd = 0;
  private packetsAt = 0; private packetsEnd = 0;
  private receivedAt = 0; private receivedEnd = 0;
  private startAt = 0; private startEnd = 0;
  private endAt = 0; private endEnd = 0;
  private inIf = 0; private outIf = 0;
  private srcAs = 0; private dstAs = 0;
  private srcNet = 0; private dstNet = 0;
  private proto = 0; private srcPort = 0; private dstPort = 0;
  private ipTos = 0; private tcpFlags = 0; private etype = 0;
  /** Read cursor shared by the varint readers. */
  private p = 0;

  // The output of the batch being written.
  private out: Buffer = Buffer.alloc(0);
  private pos = 0;

  public constructor(private readonly options: TranscoderOptions) {
    if (!Number.isInteger(options.flowsPerMessage) || options.flowsPerMessage < 1) {
      throw new RangeError(`flowsPerMessage ${options.flowsPerMessage} is not a positive integer`);
    }
    this.addresses = new TwoGenerationCache(options.addressCacheSize ?? 65_536);
    this.answers = new AnswerMemo(Math.max(options.addressCacheSize ?? 65_536, 1024));
  }

  /** Swaps in a new NetBox inventory; answers derived from the old one are dropped. */
  public setInventory(inventory: Inventory): void {
    this.inventory = inventory;
    this.exporters.clear();
    this.addresses.clear();
    this.answers.clear();
  }

  /** Drops cached address answers (the GeoIP databases changed). */
  public clearAddressCache(): void {
    this.addresses.clear();
    this.answers.clear();
  }

  /** The counters since the last call, and zeroes them. */
  public takeCounters(): TranscodeCounters {
    const c = this.counters;
    c.addressCacheHits = this.addresses.hits;
    c.addressCacheMisses = this.addresses.misses;
    this.addresses.hits = 0;
    this.addresses.misses = 0;
    this.counters = zeroCounters();
    return c;
  }

  /**
   * Enriches the flows in a batch of Kafka message values. A value that does not
   * decode is dropped whole (and counted): one bad message must not stop the
   * partition behind it.
   */
  public transcode(values: ReadonlyArray<Buffer | null>): Buffer[] {
    let inputBytes = 0;
    for (const v of values) if (v) inputBytes += v.length;
    // Enriched flows are about twice goflow2's size with names filled in; growing is the exception.
    this.out = Buffer.allocUnsafe(Math.max(4096, inputBytes * 3));
    this.pos = 0;
    const perMessage = this.options.flowsPerMessage;
    const cuts: number[] = [];
    let inMessage = 0;
    const c = this.counters;
    for (const value of values) {
      if (!value || value.length === 0) continue;
      const markPos = this.pos;
      const markCuts = cuts.length;
      const markInMessage = inMessage;
      const markIn = c.flowsIn;
      const markOut = c.flowsOut;
      try {
        const end = value.length;
        this.p = 0;
        while (this.p < end) {
          const length = this.readVarint32(value, end);
          const msgEnd = this.p + length;
          if (msgEnd > end) throw new WireError(`a FlowMessage of ${length} bytes overruns its Kafka message`);
          c.flowsIn++;
          this.decodeFlow(value, this.p, msgEnd);
          this.encodeFlow(value);
          c.flowsOut++;
          this.p = msgEnd;
          if (++inMessage === perMessage) {
            cuts.push(this.pos);
            inMessage = 0;
          }
        }
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        this.pos = markPos;
        cuts.length = markCuts;
        inMessage = markInMessage;
        c.flowsIn = markIn;
        c.flowsOut = markOut;
        c.malformedMessages++;
      }
    }
    if (inMessage > 0) cuts.push(this.pos);
    const messages: Buffer[] = [];
    let from = 0;
    for (const to of cuts) {
      messages.push(this.out.subarray(from, to));
      from = to;
    }
    this.out = Buffer.alloc(0);
    return messages;
  }

  // ---------------------------------------------------------------- decode

  private readVarint32(b: Buffer, end: number): number {
    let p = this.p;
    if (p >= end) throw new WireError('truncated varint');
    let byte = b[p++];
    let value = byte & 0x7f;
    let shift = 7;
    while (byte & 0x80) {
      if (p >= end || shift > 63) throw new WireError('truncated varint');
      byte = b[p++];
      // Bits past 32 are dropped (uint32 semantics), but the bytes are consumed.
      if (shift < 32) value |= (byte & 0x7f) << shift;
      shift += 7;
    }
    this.p = p;
    return value >>> 0;
  }

  /** Skips a varint and returns where it ended. */
  private skipVarint(b: Buffer, p: number, end: number): number {
    const limit = Math.min(end, p + 10);
    while (p < limit) if ((b[p++] & 0x80) === 0) return p;
    throw new WireError('truncated varint');
  }

  private decodeFlow(b: Buffer, start: number, end: number): void {
    this.type = 0;
    this.samplerLen = this.srcLen = this.dstLen = this.nextHopLen = 0;
    this.rateAt = this.rateEnd = this.bytesAt = this.bytesEnd = this.packetsAt = this.packetsEnd = 0;
    this.receivedAt = this.receivedEnd = this.startAt = this.startEnd = this.endAt = this.endEnd = 0;
    this.inIf = this.outIf = this.srcAs = this.dstAs = this.srcNet = this.dstNet = 0;
    this.proto = this.srcPort = this.dstPort = this.ipTos = this.tcpFlags = this.etype = 0;
    this.p = start;
    while (this.p < end) {
      const tag = this.readVarint32(b, end);
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire === 0) {
        // Varints: 64-bit counters are kept as their bytes, the others read as uint32.
        const at = this.p;
        switch (field) {
          case 3: this.rateAt = at; this.rateEnd = this.p = this.skipVarint(b, at, end); continue; // sampling_rate
          case 9: this.bytesAt = at; this.bytesEnd = this.p = this.skipVarint(b, at, end); continue; // bytes
          case 10: this.packetsAt = at; this.packetsEnd = this.p = this.skipVarint(b, at, end); continue; // packets
          case 110: this.receivedAt = at; this.receivedEnd = this.p = this.skipVarint(b, at, end); continue; // time_received_ns
          case 111: this.startAt = at; this.startEnd = this.p = this.skipVarint(b, at, end); continue; // time_flow_start_ns
          case 112: this.endAt = at; this.endEnd = this.p = this.skipVarint(b, at, end); continue; // time_flow_end_ns
        }
        const v = this.readVarint32(b, end);
        switch (field) {
          case 1: this.type = v; break; // type
          case 14: this.srcAs = v; break;
          case 15: this.dstAs = v; break;
          case 16: this.srcNet = v; break; // src_net: prefix length
          case 17: this.dstNet = v; break;
          case 18: this.inIf = v; break;
          case 19: this.outIf = v; break;
          case 20: this.proto = v; break;
          case 21: this.srcPort = v; break;
          case 22: this.dstPort = v; break;
          case 23: this.ipTos = v; break;
          case 26: this.tcpFlags = v; break;
          case 30: this.etype = v; break;
          default: break; // a varint Helios does not read
        }
      } else if (wire === 2) {
        const length = this.readVarint32(b, end);
        const at = this.p;
        if (at + length > end) throw new WireError(`field ${field}: ${length} bytes overrun the FlowMessage`);
        this.p = at + length;
        switch (field) {
          case 6: this.srcAt = at; this.srcLen = length; break; // src_addr
          case 7: this.dstAt = at; this.dstLen = length; break; // dst_addr
          case 11: this.samplerAt = at; this.samplerLen = length; break; // sampler_address
          case 12: this.nextHopAt = at; this.nextHopLen = length; break; // next_hop
          default: break; // MACs, AS path, MPLS, layer stack... not read
        }
      } else if (wire === 5) {
        this.p += 4;
      } else if (wire === 1) {
        this.p += 8;
      } else {
        throw new WireError(`field ${field} has wire type ${wire}, which FlowMessage does not use`);
      }
      if (this.p > end) throw new WireError(`field ${field} overruns the FlowMessage`);
    }
  }

  // ---------------------------------------------------------------- enrich

  private exporterEntry(b: Buffer): ExporterEntry | undefined {
    const key = addressKey(b, this.samplerAt, this.samplerLen);
    if (key === undefined) return undefined;
    let entry = this.exporters.get(key);
    if (entry === undefined) {
      if (this.exporters.size >= EXPORTERS_MAX) this.exporters.clear();
      const exporter = this.inventory.exporters.get(key);
      const address = Buffer.alloc(18);
      address[0] = 10 * 8 + 2; // exporter_address
      address[1] = 16;
      writeAddress16(address, 2, b, this.samplerAt, this.samplerLen);
      entry = {
        address,
        exporter,
        taxonomy: exporter ? new SegmentBuilder()
          .string(11, exporter.name).string(12, exporter.site).string(13, exporter.region).string(14, exporter.role)
          .string(15, exporter.tenant).string(16, exporter.platform).string(17, exporter.vendor).string(18, exporter.tier)
          .build() : Buffer.alloc(0),
        interfaces: new Map(),
      };
      this.exporters.set(key, entry);
    }
    return entry;
  }

  private interfaceSegments(entry: ExporterEntry, ifIndex: number): InterfaceSegments | null {
    let segments = entry.interfaces.get(ifIndex);
    if (segments === undefined) {
      const known = this.inventory.interfaces.get(entry.exporter!.deviceId)?.get(ifIndex);
      segments = known ? {
        asIn: new SegmentBuilder().string(21, known.name).uint(22, known.speedBps).build(),
        asOut: new SegmentBuilder().string(24, known.name).uint(25, known.speedBps).build(),
      } : null;
      if (entry.interfaces.size >= INTERFACES_PER_EXPORTER_MAX) entry.interfaces.clear();
      entry.interfaces.set(ifIndex, segments);
    }
    return segments;
  }

  private addressEntry(key: number | string): AddressEntry {
    let entry = this.addresses.get(key);
    if (entry === undefined) {
      const prefix = this.inventory.prefixes.lookup(key);
      const host = this.inventory.hosts.get(key);
      const answer = this.options.geo?.lookup(key);
      entry = this.answers.get(prefix, host, answer);
      if (entry === undefined) {
        entry = encodeAddress(prefix, host, answer, this.options.geo);
        this.answers.set(prefix, host, answer, entry);
      }
      this.addresses.set(key, entry);
    }
    return entry;
  }

  private countMisses(misses: number): void {
    if (misses === 0) return;
    const c = this.counters;
    if (misses & MISS_PREFIX) c.missPrefix++;
    if (misses & MISS_HOST) c.missHost++;
    if (misses & MISS_CITY) c.missGeoipCity++;
    if (misses & MISS_ASN) c.missGeoipAsn++;
  }

  // ---------------------------------------------------------------- encode

  private encodeFlow(b: Buffer): void {
    const c = this.counters;
    const exporter = this.exporterEntry(b);
    let inIf: InterfaceSegments | null = null;
    let outIf: InterfaceSegments | null = null;
    if (exporter?.exporter) {
      if (this.inIf !== 0 && (inIf = this.interfaceSegments(exporter, this.inIf)) === null) c.missInterface++;
      if (this.outIf !== 0 && (outIf = this.interfaceSegments(exporter, this.outIf)) === null) c.missInterface++;
    } else {
      c.missExporter++;
    }
    const srcKey = addressKey(b, this.srcAt, this.srcLen);
    const dstKey = addressKey(b, this.dstAt, this.dstLen);
    const src = srcKey === undefined ? undefined : this.addressEntry(srcKey);
    const dst = dstKey === undefined ? undefined : this.addressEntry(dstKey);
    if (src) this.countMisses(src.misses);
    if (dst) this.countMisses(dst.misses);

    const bound = FIXED_FLOW_BYTES_MAX + 2 + (exporter ? exporter.address.length + exporter.taxonomy.length : 0)
      + (inIf ? inIf.asIn.length : 0) + (outIf ? outIf.asOut.length : 0)
      + (src ? src.bytes.length : 0) + (dst ? dst.bytes.length : 0);
    this.ensure(bound);
    const o = this.out;
    const start = this.pos;
    // Two bytes for the length: a flow is 128 to 16383 bytes unless it is nearly empty (see below).
    let q = start + 2;

    if (this.receivedEnd > this.receivedAt) { o[q++] = 0x08; q = copy(b, this.receivedAt, this.receivedEnd, o, q); } // 1
    if (this.startEnd > this.startAt) { o[q++] = 0x10; q = copy(b, this.startAt, this.startEnd, o, q); } // 2
    if (this.endEnd > this.endAt) { o[q++] = 0x18; q = copy(b, this.endAt, this.endEnd, o, q); } // 3
    if (this.type < FLOW_TYPES.length) q = copyAll(this.flowTypes[this.type], o, q); // 4
    if (nonZero(b, this.rateAt, this.rateEnd)) { o[q++] = 0x28; q = copy(b, this.rateAt, this.rateEnd, o, q); } // 5
    if (nonZero(b, this.bytesAt, this.bytesEnd)) { o[q++] = 0x30; q = copy(b, this.bytesAt, this.bytesEnd, o, q); } // 6
    if (nonZero(b, this.packetsAt, this.packetsEnd)) { o[q++] = 0x38; q = copy(b, this.packetsAt, this.packetsEnd, o, q); } // 7
    if (exporter) {
      q = copyAll(exporter.address, o, q); // 10
      q = copyAll(exporter.taxonomy, o, q); // 11-18
    }
    if (this.inIf !== 0) { o[q++] = 0xa0; o[q++] = 0x01; q = varint(this.inIf, o, q); } // 20
    if (inIf) q = copyAll(inIf.asIn, o, q); // 21, 22
    if (this.outIf !== 0) { o[q++] = 0xb8; o[q++] = 0x01; q = varint(this.outIf, o, q); } // 23
    if (outIf) q = copyAll(outIf.asOut, o, q); // 24, 25
    if (this.srcLen === 4 || this.srcLen === 16) { o[q++] = 0xf2; o[q++] = 0x01; o[q++] = 16; writeAddress16(o, q, b, this.srcAt, this.srcLen); q += 16; } // 30
    if (this.dstLen === 4 || this.dstLen === 16) { o[q++] = 0xfa; o[q++] = 0x01; o[q++] = 16; writeAddress16(o, q, b, this.dstAt, this.dstLen); q += 16; } // 31
    if (this.srcNet !== 0) { o[q++] = 0x80; o[q++] = 0x02; q = varint(this.srcNet, o, q); } // 32
    if (this.dstNet !== 0) { o[q++] = 0x88; o[q++] = 0x02; q = varint(this.dstNet, o, q); } // 33
    if (this.etype !== 0) { o[q++] = 0x90; o[q++] = 0x02; q = varint(this.etype, o, q); } // 34
    if (this.proto !== 0) { o[q++] = 0x98; o[q++] = 0x02; q = varint(this.proto, o, q); } // 35
    if (this.srcPort !== 0) { o[q++] = 0xa0; o[q++] = 0x02; q = varint(this.srcPort, o, q); } // 36
    if (this.dstPort !== 0) { o[q++] = 0xa8; o[q++] = 0x02; q = varint(this.dstPort, o, q); } // 37
    if (this.tcpFlags !== 0) { o[q++] = 0xb0; o[q++] = 0x02; q = varint(this.tcpFlags, o, q); } // 38
    if (this.ipTos !== 0) { o[q++] = 0xb8; o[q++] = 0x02; q = varint(this.ipTos, o, q); } // 39
    if (this.nextHopLen === 4 || this.nextHopLen === 16) { o[q++] = 0xc2; o[q++] = 0x02; o[q++] = 16; writeAddress16(o, q, b, this.nextHopAt, this.nextHopLen); q += 16; } // 40
    if (src) q = copyRange(src.bytes, 0, src.srcSiteEnd, o, q); // 50
    if (dst) q = copyRange(dst.bytes, dst.srcSiteEnd, dst.dstSiteEnd, o, q); // 51
    // src_as/dst_as: GeoIP's AS, else the AS the exporter reported (from its BGP table), without a name.
    if (!src?.hasAs && this.srcAs !== 0) { o[q++] = 0xa0; o[q++] = 0x03; q = varint(this.srcAs, o, q); } // 52
    if (src) q = copyRange(src.bytes, src.dstSiteEnd, src.asSourceEnd, o, q); // 52-55
    if (!dst?.hasAs && this.dstAs !== 0) { o[q++] = 0xc0; o[q++] = 0x03; q = varint(this.dstAs, o, q); } // 56
    if (dst) q = copyRange(dst.bytes, dst.asSourceEnd, dst.asDestinationEnd, o, q); // 56-59
    if (src) q = copyRange(src.bytes, src.asDestinationEnd, src.netboxSourceEnd, o, q); // 60-67
    if (dst) q = copyRange(dst.bytes, dst.netboxSourceEnd, dst.bytes.length, o, q); // 70-77

    const length = q - start - 2;
    if (length >= 128 && length < 16384) {
      o[start] = (length & 0x7f) | 0x80;
      o[start + 1] = length >>> 7;
    } else {
      // A flow without names (under 128 bytes) or with huge ones: move the body to fit the length's varint.
      const lengthBytes = length < 128 ? 1 : length < 2_097_152 ? 3 : 4;
      o.copyWithin(start + lengthBytes, start + 2, q);
      q = q - 2 + lengthBytes;
      varint(length, o, start);
    }
    this.pos = q;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + bytes));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }
}

/** What an address's entry is made of; `undefined` where NetBox or GeoIP has nothing. */
type Prefix = PrefixFacts | undefined;
type HostAnswer = Host | undefined;
type Geo = GeoAnswer | undefined;

/**
 * AddressEntries by the identity of their prefix, host and GeoIP answer (GeoIp
 * returns one answer object per pair of MaxMind records). Holds up to `capacity`
 * entries, then starts again empty.
 */
class AnswerMemo {
  private readonly byPrefix = new Map<Prefix, Map<HostAnswer, Map<Geo, AddressEntry>>>();
  private size = 0;

  public constructor(private readonly capacity: number) {}

  public get(prefix: Prefix, host: HostAnswer, geo: Geo): AddressEntry | undefined {
    return this.byPrefix.get(prefix)?.get(host)?.get(geo);
  }

  public set(prefix: Prefix, host: HostAnswer, geo: Geo, entry: AddressEntry): void {
    if (this.size >= this.capacity) this.clear();
    let byHost = this.byPrefix.get(prefix);
    if (byHost === undefined) this.byPrefix.set(prefix, (byHost = new Map()));
    let byGeo = byHost.get(host);
    if (byGeo === undefined) byHost.set(host, (byGeo = new Map()));
    byGeo.set(geo, entry);
    this.size++;
  }

  public clear(): void {
    this.byPrefix.clear();
    this.size = 0;
  }
}

function encodeAddress(prefix: Prefix, host: HostAnswer, answer: Geo, geo: GeoLookup | undefined): AddressEntry {
  let misses = (prefix === undefined ? MISS_PREFIX : 0) | (host === undefined ? MISS_HOST : 0);
  if (geo?.hasCity && !answer!.cityFound) misses |= MISS_CITY;
  if (geo?.hasAsn && !answer!.asnFound) misses |= MISS_ASN;
  const out = new SegmentBuilder();
  const site = prefix?.site ?? '';
  const srcSiteEnd = out.string(50, site).length;
  const dstSiteEnd = out.string(51, site).length;
  const asSourceEnd = encodeGeo(out, 52, answer);
  const asDestinationEnd = encodeGeo(out, 56, answer);
  const netboxSourceEnd = encodeNetbox(out, 60, prefix, host);
  encodeNetbox(out, 70, prefix, host);
  return {
    bytes: out.build(), srcSiteEnd, dstSiteEnd, asSourceEnd, asDestinationEnd, netboxSourceEnd,
    hasAs: (answer?.asn ?? 0) !== 0,
    misses,
  };
}

/** x_as, x_as_name, x_country, x_city from `first` on; returns where they end. */
function encodeGeo(out: SegmentBuilder, first: number, answer: Geo): number {
  return out.uint(first, answer?.asn ?? 0).string(first + 1, answer?.asName ?? '')
    .string(first + 2, answer?.country ?? '').string(first + 3, answer?.city ?? '').length;
}

/** x_device..x_vlan from `first` on; returns where they end. */
function encodeNetbox(out: SegmentBuilder, first: number, prefix: Prefix, host: HostAnswer): number {
  return out.string(first, host?.device ?? '').string(first + 1, host?.role ?? '').string(first + 2, host?.tenant ?? '')
    .string(first + 3, host?.site ?? '').string(first + 4, host?.interface ?? '')
    .string(first + 5, prefix?.tenant ?? '').string(first + 6, prefix?.role ?? '').uint(first + 7, prefix?.vlan ?? 0).length;
}

/** False for an absent or zero varint (proto3 leaves zeros out). */
function nonZero(b: Buffer, at: number, end: number): boolean {
  return end > at && !(end - at === 1 && b[at] === 0);
}

function copy(from: Buffer, at: number, end: number, to: Buffer, q: number): number {
  while (at < end) to[q++] = from[at++];
  return q;
}

function copyRange(from: Buffer, at: number, end: number, to: Buffer, q: number): number {
  if (end - at > 48) return q + from.copy(to, q, at, end);
  while (at < end) to[q++] = from[at++];
  return q;
}

function copyAll(from: Buffer, to: Buffer, q: number): number {
  const n = from.length;
  if (n > 48) return q + from.copy(to, q);
  for (let i = 0; i < n; i++) to[q++] = from[i];
  return q;
}

function varint(v: number, o: Buffer, q: number): number {
  while (v > 0x7f) {
    o[q++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  o[q++] = v;
  return q;
}

/** 16 bytes of an IPv4 (as ::ffff:a.b.c.d, what ClickHouse's IPv6 columns take) or IPv6 address. */
function writeAddress16(o: Buffer, q: number, b: Buffer, at: number, length: number): void {
  if (length === 16) {
    for (let i = 0; i < 16; i++) o[q + i] = b[at + i];
    return;
  }
  for (let i = 0; i < 10; i++) o[q + i] = 0;
  o[q + 10] = 0xff;
  o[q + 11] = 0xff;
  o[q + 12] = b[at]; o[q + 13] = b[at + 1]; o[q + 14] = b[at + 2]; o[q + 15] = b[at + 3];
}
