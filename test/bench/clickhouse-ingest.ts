/**
 * `npm run bench:clickhouse-ingest`: flows per second per CPU core that one
 * ClickHouse node stores through its Kafka engine, measured on the real engine:
 *
 *   the Flow Enricher's transcoder (the service's code, 500 flows per Kafka message as
 *   it produces them) → helios-flows-enriched on a real Kafka broker (one partition)
 *   → the Kafka engine table of the committed migrations (kafka_num_consumers = 1,
 *   format Protobuf, enriched_flow.proto) → flows_raw and every materialized view the
 *   migrations hang on it (the rollups), in chdb (ClickHouse 26.x) running as a server
 *   of its own (test/flows/chdb-http-server.ts).
 *
 * The enriched messages are made before the clock starts; the migrations are applied
 * to an empty topic and the clock starts once the consumer has joined its group and
 * been assigned the partition; then the flows are produced and the run ends when
 * flows_raw holds all of them. CPU is the chdb process's user + system time (/proc/<pid>/stat) over
 * that window: the consumer thread, Protobuf parsing, the inserts into flows_raw and
 * the rollups, and the merges they cause. The figure recorded is flows stored per CPU
 * second; the wall-clock rate of the one consumer is printed beside it (on a shared
 * machine it is lower, and the Kafka engine's flush interval bounds it for short runs).
 *
 * The workload's timestamps are from 2023, which flows_raw's 7-day TTL would drop as
 * soon as a TTL merge ran: TTL merges are stopped for the run (fresh flows are never
 * TTL-merged on arrival in production either).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The migration runner's client is services/flow-enricher's dependency (npm workspace): this bench drives that code.
// eslint-disable-next-line import/no-extraneous-dependencies
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { loadAverage as load, processCpuSeconds } from './process-cpu.js';
import { CLICKHOUSE_GROUP } from '../../constructs/flows/clickhouse.js';
import { flowStoreMigrations, FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import { benchInventory, goflow2Messages } from '../../services/flow-enricher/bench/workload.js';
import { GeoIp } from '../../services/flow-enricher/src/enrich/geoip.js';
import { migrate, parseMigrations } from '../../services/flow-enricher/src/migrate/index.js';
import { FlowTranscoder } from '../../services/flow-enricher/src/transcode.js';
import { recordMeasuredRate } from '../../src/config/measured-rates.js';
import { startChdb } from '../flows/flow-world.js';
import { KafkaBroker } from '../peers/harness/kafka.js';
import { peerData } from '../peers/harness/paths.js';
import { sleep, waitFor } from '../peers/harness/process.js';

process.env.HELIOS_PEERS_RUN_DIR ??= mkdtempSync(join(tmpdir(), 'helios-clickhouse-ingest-bench-'));

const FLOWS = Number(process.env.BENCH_FLOWS ?? 1_000_000);
const FLOWS_PER_MESSAGE = 500;
const PROTO_DIR = fileURLToPath(new URL('../../constructs/flows/proto/', import.meta.url));

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

console.log(`ClickHouse ingest benchmark — ${availableParallelism()} cores, load average ${load()}; ${fmt(FLOWS)} flows, ${FLOWS_PER_MESSAGE} per Kafka message, one Kafka-engine consumer`);

// The enriched messages, made before anything is timed.
const geo = await GeoIp.open({ cityDb: peerData('maxmind', 'GeoIP2-City-Test.mmdb'), asnDb: peerData('maxmind', 'GeoLite2-ASN-Test.mmdb') });
const transcoder = new FlowTranscoder({ flowsPerMessage: FLOWS_PER_MESSAGE, geo });
transcoder.setInventory(benchInventory());
const enriched: Buffer[] = [];
const raw = goflow2Messages(FLOWS, 11);
for (let i = 0; i < raw.length; i += 10_000) enriched.push(...transcoder.transcode(raw.slice(i, i + 10_000)));
geo.close();

const broker = await KafkaBroker.start();
const dir = mkdtempSync(join(tmpdir(), 'helios-clickhouse-ingest-'));
const server = await startChdb(join(dir, 'db'));
const client = createClient({ url: server.url, request_timeout: 300_000 });
const count = async () => Number((await (await client.query({ query: `SELECT count() AS n FROM ${FLOWS_DATABASE}.flows_raw`, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
try {
  const kafka = new Kafka({ clientId: 'bench-clickhouse-ingest', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: FlowTopic.ENRICHED, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();

  const migrations = parseMigrations(flowStoreMigrations().map((m) => ({ fileName: m.fileName, text: m.sql })));
  await migrate(client, migrations, {
    database: FLOWS_DATABASE,
    variables: {
      kafka_brokers: broker.bootstrap,
      kafka_topic: FlowTopic.ENRICHED,
      kafka_group: CLICKHOUSE_GROUP,
      // chdb resolves format schemas against the process's working directory: give the path whole.
      kafka_schema: `${join(PROTO_DIR, 'enriched_flow.proto')}:EnrichedFlow`,
      kafka_consumers: '1',
    },
  });
  await client.command({ query: 'SYSTEM STOP TTL MERGES' });
  // Joining the consumer group takes tens of seconds on a loaded machine: the clock starts once the partition is assigned.
  const assigned = async () => Number((await (await client.query({
    query: 'SELECT sum(num_rebalance_assignments) AS n FROM system.kafka_consumers', format: 'JSONEachRow',
  })).json<{ n: string }>())[0].n) > 0;
  await waitFor('the Kafka engine consumer to be assigned its partition', assigned, 180_000, 500);

  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const cpu0 = processCpuSeconds(server.process.pid);
  const t0 = Date.now();
  for (let i = 0; i < enriched.length; i += 5) {
    await producer.send({ topic: FlowTopic.ENRICHED, acks: -1, messages: enriched.slice(i, i + 5).map((value) => ({ value })) });
  }
  await producer.disconnect();
  const producedAt = Date.now();
  let stored = 0;
  while ((stored = await count()) < FLOWS) {
    if (Date.now() - producedAt > 600_000) throw new Error(`flows_raw holds ${stored} of ${FLOWS} flows 10 minutes after the last was produced; chdb's log:\n${server.process.tail(30)}`);
    await sleep(250);
  }
  const cpu = processCpuSeconds(server.process.pid) - cpu0;
  const wall = (Date.now() - t0) / 1000;
  if (stored !== FLOWS) throw new Error(`flows_raw holds ${stored} flows, ${FLOWS} were produced`);
  const perCore = FLOWS / cpu;
  console.log(`  one consumer: ${fmt(perCore)} flows/s per core (${fmt(FLOWS)} flows stored, ${cpu.toFixed(1)} CPU s of chdb), ${fmt(FLOWS / wall)} flows/s wall `
    + `(producing took ${((producedAt - t0) / 1000).toFixed(1)} s of ${wall.toFixed(1)} s); load average ${load()}`);
  console.log(`\nClickHouse ingest: ${fmt(perCore)} flows/s per core; ${availableParallelism()} cores, load average ${load()}`);
  recordMeasuredRate('clickhouse', {
    flowsPerSecond: Math.round(perCore),
    unit: 'CPU core',
    command: 'npm run bench:clickhouse-ingest',
    machineCores: availableParallelism(),
    measuredOn: new Date().toISOString().slice(0, 10),
    method: `chdb's Kafka engine (one consumer) reading enriched flows (${FLOWS_PER_MESSAGE} per message) from Kafka into flows_raw and its rollups with the committed migrations; flows stored per CPU second of chdb (/proc/<pid>/stat); load average ${load()}`,
  });
  console.log('recorded in src/config/measured-rates.json (clickhouse)');
} finally {
  await client.close();
  await server.process.stop();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
