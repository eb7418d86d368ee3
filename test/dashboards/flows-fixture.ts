import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The runner's client and protobufjs are services/flow-enricher's dependencies (npm workspace): this fixture drives that code.
// eslint-disable-next-line import/no-extraneous-dependencies
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
// eslint-disable-next-line import/no-extraneous-dependencies
import protobuf from 'protobufjs';
import { CLICKHOUSE_GROUP } from '../../constructs/flows/clickhouse.js';
import { flowStoreMigrations, FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import { GeoIp } from '../../services/flow-enricher/src/enrich/geoip.js';
import { buildInventory, type NetboxData } from '../../services/flow-enricher/src/enrich/inventory.js';
import { migrate, parseMigrations } from '../../services/flow-enricher/src/migrate/index.js';
import { FlowTranscoder } from '../../services/flow-enricher/src/transcode.js';
import { KafkaBroker } from '../peers/harness/kafka.js';
import { peerData } from '../peers/harness/paths.js';
import { freePort, httpOk, PeerProcess, waitFor } from '../peers/harness/process.js';

/**
 * A flow store filled the way production fills it, for the flow dashboards' queries:
 * goflow2 FlowMessages → the Flow Enricher's transcoder (NetBox inventory, the MaxMind
 * test databases) → a real Kafka broker → the committed migrations' Kafka engine →
 * flows_raw → flows_1m and flows_1h, on chdb (ClickHouse) as a server of its own.
 * Every flow is known here, so each panel's answer can be computed independently.
 */

const PROTO_DIR = fileURLToPath(new URL('../../constructs/flows/proto/', import.meta.url));
const flowProto = protobuf.loadSync(join(PROTO_DIR, 'flow.proto')).lookupType('helios.flows.v1.FlowMessage');

const NETBOX: NetboxData = {
  sites: [{ id: 1, slug: 'ams1', region: { id: 1, slug: 'eu-west' } }, { id: 2, slug: 'fra1', region: { id: 1, slug: 'eu-west' } }],
  devices: [
    {
      id: 1,
      name: 'edge-ams1-01',
      display: 'edge-ams1-01',
      device_type: { manufacturer: { id: 1, slug: 'juniper' } },
      role: { id: 1, slug: 'border' },
      tenant: null,
      platform: { id: 1, slug: 'junos' },
      site: { id: 1, slug: 'ams1' },
      primary_ip4: { address: '192.0.2.1/32' },
      custom_fields: { monitoring_tier: 'gold' },
    },
    {
      id: 2,
      name: 'core-fra1-01',
      display: 'core-fra1-01',
      device_type: { manufacturer: { id: 2, slug: 'arista' } },
      role: { id: 2, slug: 'core' },
      tenant: null,
      platform: { id: 2, slug: 'eos' },
      site: { id: 2, slug: 'fra1' },
      primary_ip6: { address: '2001:db8::2/128' },
      custom_fields: {},
    },
  ],
  interfaces: [
    { id: 11, device: { id: 1 }, name: 'et-0/0/1', speed: 100_000_000, custom_fields: { ifindex: 1 } },
    { id: 12, device: { id: 1 }, name: 'et-0/0/2', speed: 10_000_000, custom_fields: { ifindex: 2 } },
    { id: 21, device: { id: 2 }, name: 'Ethernet1', speed: 400_000_000, custom_fields: { ifindex: 1 } },
    { id: 22, device: { id: 2 }, name: 'Ethernet2', speed: 400_000_000, custom_fields: { ifindex: 2 } },
  ],
  prefixes: [
    { id: 1, prefix: '10.1.0.0/16', scope_type: 'dcim.site', scope: { id: 1, slug: 'ams1' } },
    { id: 2, prefix: '10.2.0.0/16', scope_type: 'dcim.site', scope: { id: 2, slug: 'fra1' } },
    { id: 3, prefix: '2001:db8:1::/48', scope_type: 'dcim.site', scope: { id: 2, slug: 'fra1' } },
  ],
};

export interface Exporter {
  readonly address: string;
  readonly name: string;
  readonly site: string;
  readonly interfaces: Readonly<Record<number, string>>;
}
export const EXPORTERS: readonly Exporter[] = [
  { address: '192.0.2.1', name: 'edge-ams1-01', site: 'ams1', interfaces: { 1: 'et-0/0/1', 2: 'et-0/0/2' } },
  { address: '2001:db8::2', name: 'core-fra1-01', site: 'fra1', interfaces: { 1: 'Ethernet1', 2: 'Ethernet2' } },
  // Not in NetBox: no name, no site, no interface names.
  { address: '198.51.100.9', name: '', site: '', interfaces: {} },
];

/** What NetBox and the MaxMind test databases (GeoIP2-City-Test, GeoLite2-ASN-Test) say about each address. */
export interface Place { readonly site: string; readonly country: string; readonly as: number; readonly asName: string }
export const PLACES: Readonly<Record<string, Place>> = {
  '89.160.20.128': { site: '', country: 'SE', as: 29518, asName: 'Bredband2 AB' },
  '81.2.69.142': { site: '', country: 'GB', as: 0, asName: '' },
  '216.160.83.56': { site: '', country: 'US', as: 209, asName: '' },
  '10.1.2.3': { site: 'ams1', country: '', as: 0, asName: '' },
  '10.2.0.9': { site: 'fra1', country: '', as: 0, asName: '' },
  '2600:7000::1': { site: '', country: '', as: 6939, asName: 'Hurricane Electric, Inc.' },
  '2001:db8:1::5': { site: 'fra1', country: '', as: 0, asName: '' },
};
const V4 = Object.keys(PLACES).filter((a) => !a.includes(':'));
const V6 = Object.keys(PLACES).filter((a) => a.includes(':'));

export interface Flow {
  readonly exporter: Exporter;
  readonly timeSec: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly proto: number;
  readonly tcpFlags: number;
  readonly inIf: number;
  readonly outIf: number;
  readonly bytes: number;
  readonly packets: number;
  readonly samplingRate: number;
}

/** Estimated traffic, as the dashboards count it: exported × sampling rate (0 counts as 1). */
export const scaledBytes = (f: Flow): bigint => BigInt(f.bytes) * BigInt(Math.max(f.samplingRate, 1));
export const scaledPackets = (f: Flow): bigint => BigInt(f.packets) * BigInt(Math.max(f.samplingRate, 1));

function addressBytes(address: string): Buffer {
  if (!address.includes(':')) return Buffer.from(address.split('.').map(Number));
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.map((g) => g.padStart(4, '0')).join(''), 'hex');
}

function goflow2Message(f: Flow): Buffer {
  const ns = BigInt(f.timeSec) * 1_000_000_000n;
  return Buffer.from(flowProto.encodeDelimited(flowProto.fromObject({
    type: 4,
    timeReceivedNs: String(ns),
    timeFlowStartNs: String(ns - 30_000_000_000n),
    timeFlowEndNs: String(ns - 1_000_000_000n),
    samplingRate: f.samplingRate,
    samplerAddress: addressBytes(f.exporter.address),
    srcAddr: addressBytes(f.src),
    dstAddr: addressBytes(f.dst),
    bytes: String(f.bytes),
    packets: String(f.packets),
    etype: f.src.includes(':') ? 0x86dd : 0x800,
    proto: f.proto,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    tcpFlags: f.tcpFlags,
    inIf: f.inIf,
    outIf: f.outIf,
  })).finish());
}

/** Deterministic flows (a seeded generator, so a failure reproduces) at the times given. */
export function generateFlows(count: number, seed: number, time: (i: number) => number): Flow[] {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    // The high bits: an LCG's low bits repeat with a short period.
    return Math.floor(state / 2 ** 16) % n;
  };
  return Array.from({ length: count }, (_, i) => {
    const pool = next(3) === 0 ? V6 : V4;
    const proto = [6, 6, 17, 1][next(4)];
    return {
      exporter: EXPORTERS[next(EXPORTERS.length)],
      timeSec: time(i),
      src: pool[next(pool.length)],
      dst: pool[next(pool.length)],
      srcPort: proto === 1 ? 0 : [443, 53, 51_234, 8080][next(4)],
      dstPort: proto === 1 ? 0 : [443, 22, 61_000, 123][next(4)],
      proto,
      // SYN, SYN+ACK, ACK+PSH+FIN, RST
      tcpFlags: proto === 6 ? [0x02, 0x12, 0x19, 0x04][next(4)] : 0,
      inIf: 1 + next(2),
      outIf: 1 + next(2),
      bytes: 40 + next(1_500_000),
      packets: 1 + next(1_000),
      samplingRate: [0, 1, 100, 1000][next(4)],
    };
  });
}

/** chdb behind ClickHouse's HTTP interface (test/flows/chdb-http-server.ts), a process of its own. */
async function startChdb(dataDir: string): Promise<{ process: PeerProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await PeerProcess.start({
    name: 'chdb-http-server',
    command: globalThis.process.execPath,
    args: ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../flows/chdb-http-server.ts', import.meta.url)), String(port), dataDir],
    ready: () => httpOk(`${url}/ping`),
  });
  return { process, url };
}

/** The flow store with `flows` in it, and how to read it. */
export class FlowStore {
  static async start(flows: readonly Flow[]): Promise<FlowStore> {
    const dir = mkdtempSync(join(tmpdir(), 'helios-flow-dashboards-'));
    const store = new FlowStore(dir);
    try {
      await store.fill(flows);
    } catch (e) {
      await store.stop();
      throw e;
    }
    return store;
  }

  private broker?: KafkaBroker;
  private producer?: Producer;
  private chdb?: PeerProcess;
  private geo?: GeoIp;
  client!: ClickHouseClient;

  private constructor(private readonly dir: string) {}

  private async fill(flows: readonly Flow[]): Promise<void> {
    this.broker = await KafkaBroker.start();
    const kafka = new Kafka({ clientId: 'helios-flow-dashboards-test', brokers: [this.broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: FlowTopic.ENRICHED, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    this.producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();

    this.geo = await GeoIp.open({ cityDb: peerData('maxmind', 'GeoIP2-City-Test.mmdb'), asnDb: peerData('maxmind', 'GeoLite2-ASN-Test.mmdb') });
    const transcoder = new FlowTranscoder({ flowsPerMessage: 100, geo: this.geo });
    transcoder.setInventory(buildInventory(NETBOX));

    const server = await startChdb(join(this.dir, 'db'));
    this.chdb = server.process;
    this.client = createClient({ url: server.url, request_timeout: 120_000 });
    await migrate(this.client, parseMigrations(flowStoreMigrations().map((m) => ({ fileName: m.fileName, text: m.sql }))), {
      database: FLOWS_DATABASE,
      variables: {
        kafka_brokers: this.broker.bootstrap,
        kafka_topic: FlowTopic.ENRICHED,
        kafka_group: CLICKHOUSE_GROUP,
        kafka_schema: `${join(PROTO_DIR, 'enriched_flow.proto')}:EnrichedFlow`,
        kafka_consumers: '1',
      },
      log: () => undefined,
    });

    const enriched = transcoder.transcode(flows.map(goflow2Message));
    await this.producer.send({ topic: FlowTopic.ENRICHED, messages: enriched.map((value) => ({ value })) });
    const total = async (query: string) => Number((await this.rows<{ n: string }>(query))[0].n);
    await waitFor(`${flows.length} flows in flows_raw`, async () => (await total(`SELECT count() AS n FROM ${FLOWS_DATABASE}.flows_raw`)) >= flows.length, 90_000, 1000);
    await waitFor(`${flows.length} flows in flows_1h`, async () => (await total(`SELECT sum(flows) AS n FROM ${FLOWS_DATABASE}.flows_1h`)) >= flows.length, 30_000, 500);
  }

  async rows<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }

  /** Rows with the result's column names and ClickHouse types. */
  async result(query: string): Promise<{ meta: Array<{ name: string; type: string }>; data: Array<Record<string, unknown>> }> {
    const json = await (await this.client.query({ query, format: 'JSON' })).json<Record<string, unknown>>();
    return { meta: json.meta ?? [], data: json.data };
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    await this.client?.close();
    await this.chdb?.stop();
    this.geo?.close();
    await this.broker?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
