import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
// The runner's client is services/flow-enricher's dependency (npm workspace): the chain drives that code.
// eslint-disable-next-line import/no-extraneous-dependencies
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { flowStoreOptions, startChdb } from './flow-world.js';
import { CLICKHOUSE_GROUP } from '../../constructs/flows/clickhouse.js';
import { flowStoreMigrations, FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import { migrate, parseMigrations } from '../../services/flow-enricher/src/migrate/index.js';
import { EXPECTED_HOSTS, GEOIP_FILES, netboxFixture } from '../../services/flow-enricher/test/fixture.js';
import { createTopics, kafkaFor, metric, metricsOf, startEnricherProcess } from '../../services/flow-enricher/test/helpers.js';
import { NetboxFake } from '../../services/flow-enricher/test/netbox-fake.js';
import { KafkaBroker } from '../peers/harness/kafka.js';
import { startGoflow2 } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { runDir, type PeerProcess } from '../peers/harness/process.js';

/**
 * The whole flow pipeline on its real parts, as one chain: the flow generator sends
 * NetFlow v9 / IPFIX to goflow2 (-format=bin) → Kafka helios-flows-raw → the Flow
 * Enricher's entrypoint as a process (the NetBox fake with the service tests' fixture,
 * the MaxMind test databases) → helios-flows-enriched → the Kafka engine table of the
 * committed migrations in chdb → flows_raw. Shared by the end-to-end test
 * (flow-pipeline-e2e.test.ts) and its benchmark (test/bench/flow-pipeline.ts).
 */

/** Fixture addresses NetBox puts on device interfaces: every flow of the chain runs between two of them. */
export const CHAIN_HOSTS = ['10.1.5.7', '10.2.3.4', '10.1.9.9', '89.160.20.128', '89.160.20.200'] as const;
export type ChainHost = typeof CHAIN_HOSTS[number];

/** One flow the generator cycles through; the k-th flow of an export carries its bytes + k. */
export interface ChainFlow {
  readonly src: ChainHost;
  readonly dst: ChainHost;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly proto: number;
  readonly packets: number;
}

/** Every ordered pair of distinct hosts, with ports, protocol and packets of its own. */
export const CHAIN_FLOWS: readonly ChainFlow[] = CHAIN_HOSTS.flatMap((src, i) => CHAIN_HOSTS.filter((dst) => dst !== src).map((dst, j) => ({
  src, dst, srcPort: 40_000 + i * 10 + j, dstPort: [443, 53, 22, 123][j], proto: j === 1 || j === 3 ? 17 : 6, packets: 1 + i * 4 + j,
})));

/** One exporter's share of the flows: `count` flows whose bytes run from `firstBytes` to firstBytes + count - 1. */
export interface ChainExport {
  /** A fixture exporter (127.0.0.21 edge-sto1-01, 127.0.0.22 edge-lon2-01): the generator's UDP source address. */
  readonly exporter: '127.0.0.21' | '127.0.0.22';
  readonly version: 'v9' | 'ipfix';
  readonly count: number;
  readonly firstBytes: number;
}

/** The exporters' interfaces the flows enter and leave by (ifIndex → the fixture's interface name). */
export const CHAIN_INTERFACES = {
  '127.0.0.21': { name: 'edge-sto1-01', in: [10, 'Ethernet1'], out: [20, 'Ethernet2'] },
  '127.0.0.22': { name: 'edge-lon2-01', in: [5, 'xe-0/0/0'], out: [6, 'xe-0/0/1'] },
} as const;

/** The k-th flow of an export: which template it is and its bytes (its marker). */
export function chainFlow(e: ChainExport, k: number): ChainFlow & { bytes: number } {
  return { ...CHAIN_FLOWS[k % CHAIN_FLOWS.length], bytes: e.firstBytes + k };
}

/** What the NetBox fixture says about a host: device name, role, tenant and site. */
export function hostFacts(address: ChainHost): string {
  const h = EXPECTED_HOSTS[address];
  return `${h.src_device}/${h.src_device_role}/${h.src_device_tenant}/${h.src_device_site}`;
}

/** The flow generator sending the exports at `rate` flows/s (0: as fast as it can), in its own process group. */
export function sendChainFlows(target: string, exports: readonly ChainExport[], rate: number): {
  readonly pid: number;
  /** Flows sent so far (the generator prints each datagram after sending it). */
  readonly sent: () => number;
  readonly done: Promise<{ flows: number; seconds: number }>;
} {
  const started = Date.now();
  const child = spawn(peerBin('flowgen'), ['--rate', String(rate)], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let sent = 0;
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => { sent += (JSON.parse(line) as { flows: number }).flows; });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin!.end(JSON.stringify(exports.map((e) => ({
    target,
    exporter: e.exporter,
    version: e.version,
    count: e.count,
    flows: CHAIN_FLOWS.map((f) => ({
      src_addr: f.src,
      dst_addr: f.dst,
      src_port: f.srcPort,
      dst_port: f.dstPort,
      proto: f.proto,
      bytes: e.firstBytes,
      packets: f.packets,
      in_if: CHAIN_INTERFACES[e.exporter].in[0],
      out_if: CHAIN_INTERFACES[e.exporter].out[0],
    })),
  }))));
  const done = new Promise<{ flows: number; seconds: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve({ flows: sent, seconds: (Date.now() - started) / 1000 }) : reject(new Error(`flowgen exited ${code}: ${stderr}`))));
  });
  return { pid: child.pid!, sent: () => sent, done };
}

/** What flows_raw holds of the flows whose bytes are in [firstBytes, firstBytes + count). */
export interface Stored {
  /** Rows. */
  readonly rows: number;
  /** Distinct flows (distinct markers). */
  readonly flows: number;
  /** Rows beyond the first of each flow. */
  readonly duplicates: number;
  readonly bytes: bigint;
  readonly packets: bigint;
}

export interface FlowChain {
  readonly broker: KafkaBroker;
  readonly goflow2: Awaited<ReturnType<typeof startGoflow2>>;
  readonly enricher: { process: PeerProcess; url: string };
  readonly chdb: PeerProcess;
  readonly client: ClickHouseClient;
  readonly netbox: NetboxFake;
  /** Process (group) id of each long-running part. */
  readonly pids: Readonly<Record<'goflow2' | 'kafka' | 'enricher' | 'chdb', number>>;
  rows<T>(query: string): Promise<T[]>;
  stored(firstBytes: number, count: number): Promise<Stored>;
  /** Flows the enricher read and wrote (its counters). */
  enricherCounts(): Promise<{ in: number; out: number }>;
  /** Messages in a topic (the sum of its partitions' end offsets) and, for a group, how many it has not committed. */
  topic(topic: string, group?: string): Promise<{ messages: number; lag: number }>;
  stop(): Promise<void>;
}

export async function startFlowChain(): Promise<FlowChain> {
  const dir = mkdtempSync(join(tmpdir(), 'helios-flow-chain-'));
  const broker = await KafkaBroker.start();
  const parts: Array<{ stop(): Promise<void> }> = [broker];
  const stop = async () => {
    for (const p of parts.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await createTopics(broker, [{ topic: FlowTopic.RAW, numPartitions: 2 }, { topic: FlowTopic.ENRICHED, numPartitions: 2 }]);
    const admin = kafkaFor(broker, 'flow-chain').admin();
    await admin.connect();
    parts.push({ stop: () => admin.disconnect() });

    const server = await startChdb(join(dir, 'db'));
    parts.push(server.process);
    const client = createClient({ url: server.url, request_timeout: 120_000 });
    parts.push({ stop: () => client.close() });
    const migrations = parseMigrations(flowStoreMigrations().map((m) => ({ fileName: m.fileName, text: m.sql })));
    await migrate(client, migrations, flowStoreOptions(broker.bootstrap));

    const netbox = await NetboxFake.start(netboxFixture(), { token: 'flow-chain-token' });
    parts.push(netbox);
    const tokenFile = join(runDir(), `flow-chain-netbox-token-${process.pid}`);
    writeFileSync(tokenFile, 'flow-chain-token\n');
    const enricher = await startEnricherProcess({
      KAFKA_BROKERS: broker.bootstrap,
      NETBOX_URL: netbox.url,
      NETBOX_TOKEN_FILE: tokenFile,
      GEOIP_CITY_DB: GEOIP_FILES.cityDb,
      GEOIP_ASN_DB: GEOIP_FILES.asnDb,
    });
    parts.push(enricher.process);
    const goflow2 = await startGoflow2({ brokers: broker.bootstrap, topic: FlowTopic.RAW });
    parts.push(goflow2);

    const rows = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();
    return {
      broker,
      goflow2,
      enricher,
      chdb: server.process,
      client,
      netbox,
      pids: { goflow2: goflow2.process.pid, kafka: broker.pid, enricher: enricher.process.pid, chdb: server.process.pid },
      rows,
      async stored(firstBytes, count) {
        const [r] = await rows<Record<string, string>>(
          `SELECT count() AS n, uniqExact(bytes) AS flows, toString(sum(bytes)) AS b, toString(sum(packets)) AS p
           FROM ${FLOWS_DATABASE}.flows_raw WHERE bytes >= ${firstBytes} AND bytes < ${firstBytes + count}`);
        return { rows: Number(r.n), flows: Number(r.flows), duplicates: Number(r.n) - Number(r.flows), bytes: BigInt(r.b), packets: BigInt(r.p) };
      },
      async enricherCounts() {
        const text = await metricsOf(enricher.url);
        return { in: metric(text, 'helios_flow_enricher_flows_in_total') ?? 0, out: metric(text, 'helios_flow_enricher_flows_out_total') ?? 0 };
      },
      async topic(topic, group) {
        const ends = await admin.fetchTopicOffsets(topic);
        const messages = ends.reduce((s, p) => s + Number(p.high), 0);
        if (!group) return { messages, lag: 0 };
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const done = committed.partitions.reduce((s, p) => s + Math.max(Number(p.offset), 0), 0);
        return { messages, lag: messages - done };
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The consumer groups of the chain's two Kafka readers. */
export const CHAIN_GROUPS = { enricher: 'helios-flow-enricher', clickhouse: CLICKHOUSE_GROUP } as const;
