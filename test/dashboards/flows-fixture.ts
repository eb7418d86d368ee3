import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The runner's client is services/flow-enricher's dependency (npm workspace): this fixture drives that code.
// eslint-disable-next-line import/no-extraneous-dependencies
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { CLICKHOUSE_GROUP } from '../../constructs/flows/clickhouse.js';
import { flowStoreMigrations, FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import { GeoIp } from '../../services/flow-enricher/src/enrich/geoip.js';
import { buildInventory } from '../../services/flow-enricher/src/enrich/inventory.js';
import { migrate, parseMigrations } from '../../services/flow-enricher/src/migrate/index.js';
import { FlowTranscoder } from '../../services/flow-enricher/src/transcode.js';
import { goflow2Message, NETBOX, startChdb, V4, V6, type Goflow2Flow } from '../flows/flow-world.js';
import { KafkaBroker } from '../peers/harness/kafka.js';
import { peerData } from '../peers/harness/paths.js';
import { PeerProcess, waitFor } from '../peers/harness/process.js';

export { PLACES, type Place } from '../flows/flow-world.js';

/**
 * A flow store filled the way production fills it, for the flow dashboards' queries:
 * goflow2 FlowMessages → the Flow Enricher's transcoder (NetBox inventory, the MaxMind
 * test databases) → a real Kafka broker → the committed migrations' Kafka engine →
 * flows_raw → flows_1m and flows_1h, on chdb (ClickHouse) as a server of its own.
 * Every flow is known here, so each panel's answer can be computed independently.
 */

const PROTO_DIR = fileURLToPath(new URL('../../constructs/flows/proto/', import.meta.url));

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

export interface Flow extends Goflow2Flow {
  readonly exporter: Exporter;
  readonly tcpFlags: number;
}

/** Estimated traffic, as the dashboards count it: exported × sampling rate (0 counts as 1). */
export const scaledBytes = (f: Flow): bigint => BigInt(f.bytes) * BigInt(Math.max(f.samplingRate, 1));
export const scaledPackets = (f: Flow): bigint => BigInt(f.packets) * BigInt(Math.max(f.samplingRate, 1));

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
