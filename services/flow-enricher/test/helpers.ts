import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import protobuf from 'protobufjs';
import { KafkaBroker } from '../../../test/peers/harness/kafka.js';
import { freePort, httpOk, PeerProcess, sleep, waitFor } from '../../../test/peers/harness/process.js';
// The enricher's kafkajs: reading what the enricher writes needs its LZ4 codec.
import { Kafka, logLevel } from '../src/kafkajs.js';

/**
 * This package's own folder for peer logs and the ledger. The repository's jest
 * run clears every `helios-peers-run-*` folder it did not create and stops the
 * peers listed there (leftovers of interrupted runs), which would include the
 * peers of a service test running at the same time; a different prefix keeps
 * them apart. Set before any peer starts (the harness reads it lazily).
 */
process.env.HELIOS_PEERS_RUN_DIR ??= mkdtempSync(join(tmpdir(), 'helios-flow-enricher-peers-'));

export const SERVICE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PROTO_DIR = join(SERVICE_DIR, '../../constructs/flows/proto');

/** Helios's .proto contracts, read by protobufjs: the independent codec the tests check the enricher's against. */
export function protoType(file: 'flow.proto' | 'enriched_flow.proto', name: string): protobuf.Type {
  const root = new protobuf.Root();
  root.loadSync(join(PROTO_DIR, file), { keepCase: true });
  return root.lookupType(`helios.flows.v1.${name}`);
}

export const FlowMessage = protoType('flow.proto', 'FlowMessage');
export const EnrichedFlow = protoType('enriched_flow.proto', 'EnrichedFlow');

/** Text of a 4- or 16-byte address; IPv4-mapped IPv6 as ::ffff:a.b.c.d. */
export function ipText(bytes: Uint8Array | undefined): string {
  if (!bytes || bytes.length === 0) return '';
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export type EnrichedRecord = Record<string, string | number>;

const ADDRESS_FIELDS = new Set(['exporter_address', 'src_addr', 'dst_addr', 'next_hop']);

/** Every EnrichedFlow in one Kafka message value (varint length-delimited), as plain objects: 64-bit values as strings, addresses as text. */
export function decodeEnriched(value: Uint8Array): EnrichedRecord[] {
  const reader = protobuf.Reader.create(value);
  const out: EnrichedRecord[] = [];
  while (reader.pos < reader.len) {
    const message = EnrichedFlow.decodeDelimited(reader);
    const object = EnrichedFlow.toObject(message, { longs: String, defaults: true }) as Record<string, unknown>;
    for (const f of ADDRESS_FIELDS) object[f] = ipText(object[f] as Uint8Array);
    out.push(object as EnrichedRecord);
  }
  return out;
}

/** One goflow2 FlowMessage, length-delimited, as goflow2 -format=bin writes it to Kafka. */
export function rawFlow(fields: Record<string, unknown>): Buffer {
  const unknown = Object.keys(fields).filter((k) => !(k in FlowMessage.fields));
  if (unknown.length > 0) throw new Error(`bad FlowMessage in a test: no field ${unknown.join(', ')}`);
  // fromObject takes 64-bit values as decimal strings.
  const message = FlowMessage.fromObject(fields);
  const err = FlowMessage.verify(message);
  if (err) throw new Error(`bad FlowMessage in a test: ${err}`);
  return Buffer.from(FlowMessage.encodeDelimited(message).finish());
}

export function ipBytes(text: string): Uint8Array {
  if (!text.includes(':')) return Uint8Array.from(text.split('.').map(Number));
  const [head, tail = ''] = text.split('::');
  const parse = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  const groups = text.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill(0), ...t] : h;
  return Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
}

export function kafkaFor(broker: KafkaBroker, clientId = 'enricher-test'): KafkaClient {
  return new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
}

export async function createTopics(broker: KafkaBroker, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  const admin = kafkaFor(broker).admin();
  await admin.connect();
  await admin.createTopics({ topics, waitForLeaders: true });
  await admin.disconnect();
}

/** Reads a topic from the beginning with a group of its own, decoding EnrichedFlows. */
export class EnrichedReader {
  public static async start(broker: KafkaBroker, topic: string): Promise<EnrichedReader> {
    const consumer = kafkaFor(broker, 'enriched-reader').consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
    const reader = new EnrichedReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        // The reader itself may see a message twice (its own offsets after a broker restart): count each once,
        // so duplicates counted are the enricher's.
        const key = `${partition}:${message.offset}`;
        if (reader.seen.has(key)) return;
        reader.seen.add(key);
        reader.messages++;
        reader.flows.push(...decodeEnriched(message.value!));
      },
    });
    return reader;
  }

  public readonly flows: EnrichedRecord[] = [];
  /** Kafka messages read (each holds up to FLOWS_PER_MESSAGE flows). */
  public messages = 0;
  private readonly seen = new Set<string>();

  private constructor(private readonly consumer: Consumer) {}

  public async waitForFlows(count: number, timeoutMs = 60_000): Promise<EnrichedRecord[]> {
    await waitFor(`${count} enriched flows (have ${this.flows.length})`, () => this.flows.length >= count, timeoutMs, 100);
    return this.flows;
  }

  public async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** The flow-enricher entrypoint (src/main.ts) as a child process, run by tsx as `node --import tsx`. */
export async function startEnricherProcess(env: Record<string, string>, name = 'flow-enricher'): Promise<{ process: PeerProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await PeerProcess.start({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(SERVICE_DIR, 'src/main.ts')],
    cwd: SERVICE_DIR,
    env: { HTTP_PORT: String(port), ...env },
    ready: () => httpOk(`${url}/readyz`),
    readyTimeoutMs: 120_000,
  });
  return { process: child, url };
}

/** One sample of a Prometheus text exposition, or undefined. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

export async function metricsOf(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** time_received_ns of flow 0 of the test streams: a flow's id is its offset from it. */
export const BASE_NS = 1_800_000_000_000_000_000n;

/** Flow `id` of a test stream: exporter edge-sto1-01, Ethernet1 → Ethernet2, to 89.160.20.128 (SE); bytes 100+id. */
export function streamFlow(id: number): Buffer {
  return rawFlow({
    type: 3, time_received_ns: (BASE_NS + BigInt(id)).toString(), time_flow_start_ns: (BASE_NS - 1_000_000_000n).toString(),
    time_flow_end_ns: BASE_NS.toString(), sampler_address: ipBytes('127.0.0.21'), src_addr: ipBytes(`10.1.${(id >> 8) & 0xff}.${id & 0xff}`),
    dst_addr: ipBytes('89.160.20.128'), bytes: 100 + id, packets: 1 + (id % 7), in_if: 10, out_if: 20, proto: 6, src_port: 1024 + (id % 60000), dst_port: 443, etype: 0x800,
  });
}

/** Produces stream flows [from, from+count) to a raw topic in chunks, one flow per Kafka message as goflow2 does, retrying each chunk until the broker takes it. */
export async function pump(producer: Producer, topic: string, from: number, count: number, chunk = 2000, gapMs = 25): Promise<void> {
  for (let at = from; at < from + count; at += chunk) {
    const messages = [];
    for (let id = at; id < Math.min(at + chunk, from + count); id++) messages.push({ value: streamFlow(id) });
    for (;;) {
      try {
        await producer.send({ topic, acks: -1, messages });
        break;
      } catch {
        await sleep(500);
      }
    }
    await sleep(gapMs);
  }
}

/** Stream flows [from, from+count) found in the output: how many distinct, how many extra copies, how many not fully enriched. */
export function tally(flows: EnrichedRecord[], from: number, count: number): { unique: number; duplicates: number; unenriched: number } {
  const seen = new Map<number, number>();
  let unenriched = 0;
  for (const f of flows) {
    const id = Number(BigInt(f.time_received_ns) - BASE_NS);
    if (id < from || id >= from + count) continue;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (f.exporter_name !== 'edge-sto1-01' || f.in_if_name !== 'Ethernet1' || f.dst_country !== 'SE' || f.bytes !== String(100 + id)) unenriched++;
  }
  let duplicates = 0;
  for (const n of seen.values()) duplicates += n - 1;
  return { unique: seen.size, duplicates, unenriched };
}
