import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The runner's client is services/flow-enricher's dependency (npm workspace): this test drives that code.
// eslint-disable-next-line import/no-extraneous-dependencies
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import { flowStoreOptions, goflow2Message, HOST_FACTS, NETBOX, NO_HOST_FACTS, PLACES, startChdb, V4, V6, type Goflow2Flow } from './flow-world.js';
import {
  FlowTables, flowStoreMigrations, FLOWS_DATABASE, ROLLUP_DIMENSIONS, ROLLUP_VALUES, SITE_ROLLUP_DIMENSIONS, SITE_ROLLUP_VALUES,
} from '../../constructs/flows/flow-schema.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import { GeoIp } from '../../services/flow-enricher/src/enrich/geoip.js';
import { buildInventory } from '../../services/flow-enricher/src/enrich/inventory.js';
// The enricher's kafkajs: native CRC-32C and its LZ4 codec, so the Kafka engine (librdkafka) reads what the enricher writes.
import { CompressionTypes, Kafka, logLevel, Partitioners } from '../../services/flow-enricher/src/kafkajs.js';
import { migrate, parseMigrations, renderMigration, splitStatements, type MigrateOptions } from '../../services/flow-enricher/src/migrate/index.js';
import { FlowTranscoder } from '../../services/flow-enricher/src/transcode.js';
import { KafkaBroker } from '../peers/harness/kafka.js';
import { peerData } from '../peers/harness/paths.js';
import { PeerProcess, waitFor } from '../peers/harness/process.js';

/**
 * The flow store on the real engine, fed the way production feeds it: goflow2
 * FlowMessages → the Flow Enricher's own transcoder (NetBox inventory, the MaxMind
 * test databases) → many length-delimited EnrichedFlows per message → a real Kafka
 * broker → the Kafka engine table of the committed migrations (format Protobuf,
 * the committed enriched_flow.proto) → flows_raw → flows_1m and flows_1h, and
 * flows_1m_sites, whose migration (0004) is applied to a store already holding flows.
 *
 * The ClickHouse is chdb (ClickHouse 26.x) in a process of its own behind the
 * HTTP interface (chdb-http-server.ts): single server, no Keeper,
 * so the migrations render with plain MergeTree engines and Merge in place of
 * Distributed; everything else (types, codecs, TTLs, views, the Kafka engine)
 * is the production SQL.
 */

// ---------------------------------------------------------------- the world the flows come from

interface Exporter { address: string; name: string; site: string; interfaces: Record<number, { name: string; speed: number }> }
const EXPORTERS: Exporter[] = [
  { address: '192.0.2.1', name: 'edge-ams1-01', site: 'ams1', interfaces: { 1: { name: 'et-0/0/1', speed: 100e9 }, 2: { name: 'et-0/0/2', speed: 10e9 } } },
  { address: '2001:db8::2', name: 'core-fra1-01', site: 'fra1', interfaces: { 1: { name: 'Ethernet1', speed: 400e9 }, 2: { name: 'Ethernet2', speed: 400e9 } } },
  // Not in NetBox: its flows keep their numbers and carry no names.
  { address: '198.51.100.9', name: '', site: '', interfaces: {} },
];

interface Flow extends Goflow2Flow {
  readonly exporter: Exporter;
  readonly type: 3 | 4;
}

/** Deterministic flows: a seeded generator, so a failure reproduces. */
function generateFlows(count: number, seed: number, times: () => number): Flow[] {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % n;
  };
  return Array.from({ length: count }, () => {
    const v6 = next(3) === 0;
    const pool = v6 ? V6 : V4;
    const tcp = next(4) !== 0;
    return {
      exporter: EXPORTERS[next(EXPORTERS.length)],
      type: next(2) === 0 ? 3 : 4,
      timeSec: times(),
      src: pool[next(pool.length)],
      dst: pool[next(pool.length)],
      srcPort: [443, 53, 51_234, 8080][next(4)],
      dstPort: [443, 22, 61_000, 123][next(4)],
      proto: tcp ? 6 : 17,
      inIf: 1 + next(2),
      outIf: 1 + next(2),
      bytes: 40 + next(1_500_000),
      packets: 1 + next(1_000),
      samplingRate: [0, 1, 100, 1000][next(4)],
    };
  });
}

// ---------------------------------------------------------------- what the store should hold

/** A row of a rollup, as text: dimensions then bytes, packets, flows. */
function rollupKey(f: Flow, bucketSec: number): string {
  const src = PLACES[f.src];
  const dst = PLACES[f.dst];
  const exporter = f.exporter;
  return [
    Math.floor(f.timeSec / bucketSec) * bucketSec, exporter.site, exporter.name,
    exporter.interfaces[f.inIf]?.name ?? '', exporter.interfaces[f.outIf]?.name ?? '',
    src.site, dst.site, src.as, dst.as, src.country, dst.country,
    f.src.includes(':') ? 0x86dd : 0x800, f.proto, Math.min(f.srcPort, f.dstPort),
  ].join('|');
}

function expectedRollup(flows: readonly Flow[], bucketSec: number): string[] {
  const sums = new Map<string, [bigint, bigint, bigint]>();
  for (const f of flows) {
    const key = rollupKey(f, bucketSec);
    const scale = BigInt(Math.max(f.samplingRate, 1));
    const s = sums.get(key) ?? [0n, 0n, 0n];
    sums.set(key, [s[0] + BigInt(f.bytes) * scale, s[1] + BigInt(f.packets) * scale, s[2] + 1n]);
  }
  return [...sums].map(([k, [b, p, n]]) => `${k}|${b}|${p}|${n}`).sort();
}

/** flows_1m_sites as it should be: per minute, exporter, the addresses' sites and protocol. */
function expectedSiteRollup(flows: readonly Flow[]): string[] {
  const sums = new Map<string, [bigint, bigint, bigint]>();
  for (const f of flows) {
    const key = [Math.floor(f.timeSec / 60) * 60, f.exporter.site, f.exporter.name, PLACES[f.src].site, PLACES[f.dst].site, f.proto].join('|');
    const scale = BigInt(Math.max(f.samplingRate, 1));
    const s = sums.get(key) ?? [0n, 0n, 0n];
    sums.set(key, [s[0] + BigInt(f.bytes) * scale, s[1] + BigInt(f.packets) * scale, s[2] + 1n]);
  }
  return [...sums].map(([k, [b, p, n]]) => `${k}|${b}|${p}|${n}`).sort();
}

// ---------------------------------------------------------------- the test

describe('the flow store on ClickHouse (chdb), fed by the enricher through a real Kafka broker', () => {
  let broker: KafkaBroker;
  let producer: Producer;
  let dir: string;
  let chdb: PeerProcess;
  let client: ClickHouseClient;
  let geo: GeoIp;
  let transcoder: FlowTranscoder;
  let migrateOptions: MigrateOptions;
  const now = Math.floor(Date.now() / 1000);
  const migrations = parseMigrations(flowStoreMigrations().map((m) => ({ fileName: m.fileName, text: m.sql })));
  /** Every flow sent so far that reached flows_raw. */
  const sent: Flow[] = [];

  const rows = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();
  /** 64-bit counts arrive as numbers or strings depending on the connection's settings: compare them as text. */
  const text = (row: object) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]));
  const count = async (table: string) => Number((await rows<{ n: string }>(`SELECT count() AS n FROM ${FLOWS_DATABASE}.${table}`))[0].n);

  /** Enriches goflow2 messages as the Flow Enricher does and produces the result to helios-flows-enriched (LZ4, as the enricher does). */
  async function send(flows: readonly Flow[]): Promise<number> {
    const enriched = transcoder.transcode(flows.map(goflow2Message));
    await producer.send({ topic: FlowTopic.ENRICHED, compression: CompressionTypes.LZ4, messages: enriched.map((value) => ({ value })) });
    return enriched.length;
  }

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    const kafka = new Kafka({ clientId: 'helios-flow-store-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: FlowTopic.ENRICHED, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();

    geo = await GeoIp.open({ cityDb: peerData('maxmind', 'GeoIP2-City-Test.mmdb'), asnDb: peerData('maxmind', 'GeoLite2-ASN-Test.mmdb') });
    transcoder = new FlowTranscoder({ flowsPerMessage: 50, geo });
    transcoder.setInventory(buildInventory(NETBOX));

    dir = mkdtempSync(join(tmpdir(), 'helios-flow-store-'));
    const server = await startChdb(join(dir, 'db'));
    chdb = server.process;
    // The runner's own client, over HTTP as in the cluster.
    client = createClient({ url: server.url, request_timeout: 120_000 });
    migrateOptions = flowStoreOptions(broker.bootstrap);
    // The store as it was before the per-minute traffic between sites (0004) and the addresses' NetBox facts (0005),
    // which a later test applies to the flows already stored.
    const report = await migrate(client, migrations.filter((m) => m.version <= 3), migrateOptions);
    expect(report.applied).toEqual(['0001_flows_raw', '0002_flow_rollups', '0003_kafka_ingest']);
  }, 180_000);

  afterAll(async () => {
    await producer?.disconnect();
    await client?.close();
    await chdb?.stop();
    geo?.close();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const flows = generateFlows(600, 42, (() => {
    // Spread over the last two hours and a bit: several hours and many minutes.
    let i = 0;
    return () => now - 60 - ((i++ * 7_919) % 8_000);
  })());

  it('stores every flow with exactly the bytes and packets sent, and both rollups with exactly the expected sums', async () => {
    const messages = await send(flows);
    expect(messages).toBe(12);
    await waitFor('600 flows in flows_raw', async () => (await count('flows_raw')) >= flows.length, 90_000, 1000);
    // Let the materialized views finish with the last block before reading them.
    await waitFor('600 flows in flows_1h', async () => Number((await rows<{ n: string }>(`SELECT sum(flows) AS n FROM ${FLOWS_DATABASE}.flows_1h`))[0].n) >= flows.length, 30_000, 500);

    const [raw] = await rows<{ n: string; bytes: string; packets: string }>(`SELECT count() AS n, sum(bytes) AS bytes, sum(packets) AS packets FROM ${FLOWS_DATABASE}.flows_raw`);
    expect(text(raw)).toEqual({
      n: String(flows.length),
      bytes: String(flows.reduce((s, f) => s + BigInt(f.bytes), 0n)),
      packets: String(flows.reduce((s, f) => s + BigInt(f.packets), 0n)),
    });

    // Nanosecond times from goflow2 become seconds (received) and milliseconds (start, end).
    const [times] = await rows<{ bad: string; span: string }>(
      `SELECT countIf(toUnixTimestamp64Milli(time_flow_start) != toUnixTimestamp(time_received) * 1000 - 30000
                      OR toUnixTimestamp64Milli(time_flow_end) != toUnixTimestamp(time_received) * 1000 - 1000) AS bad,
              max(time_received) - min(time_received) AS span
       FROM ${FLOWS_DATABASE}.flows_raw`);
    expect(text(times)).toEqual({ bad: '0', span: String(Math.max(...flows.map((f) => f.timeSec)) - Math.min(...flows.map((f) => f.timeSec))) });

    // Enrichment as stored: per exporter and address, the NetBox names and the GeoIP answers.
    interface StoredRow {
      exporter: string;
      name: string;
      site: string;
      region: string;
      src: string;
      src_site: string;
      src_country: string;
      src_as: number;
      src_as_name: string;
      n: string;
      bytes: string;
    }
    const stored = await rows<StoredRow>(
      `SELECT toString(exporter_address) AS exporter, exporter_name AS name, exporter_site AS site, exporter_region AS region,
              toString(src_addr) AS src, src_site, src_country, src_as, src_as_name, count() AS n, sum(bytes) AS bytes
       FROM ${FLOWS_DATABASE}.flows_raw GROUP BY ALL ORDER BY exporter, src`);
    const expected = new Map<string, { n: number; bytes: bigint }>();
    for (const f of flows) {
      const key = `${f.exporter.address}|${f.src}`;
      const e = expected.get(key) ?? { n: 0, bytes: 0n };
      expected.set(key, { n: e.n + 1, bytes: e.bytes + BigInt(f.bytes) });
    }
    expect(stored.map((r) => `${r.exporter} ${r.src} ${r.name}/${r.site}/${r.region} ${r.src_site}/${r.src_country}/${r.src_as}/${r.src_as_name} ${r.n} ${r.bytes}`).sort())
      .toEqual([...expected].map(([key, e]) => {
        const [exporterAddress, src] = key.split('|');
        const exporter = EXPORTERS.find((x) => x.address === exporterAddress)!;
        const p = PLACES[src];
        return `${mapped(exporterAddress)} ${mapped(src)} ${exporter.name}/${exporter.site}/${exporter.name ? 'eu-west' : ''} ${p.site}/${p.country}/${p.as}/${p.asName} ${e.n} ${e.bytes}`;
      }).sort());

    const rollup = async (table: string) => (await rows<Record<string, string | number>>(
      `SELECT toUnixTimestamp(time) AS t, exporter_site, exporter_name, in_if_name, out_if_name, src_site, dst_site, src_as, dst_as,
              src_country, dst_country, etype, proto, service_port, sum(bytes) AS b, sum(packets) AS p, sum(flows) AS n
       FROM ${FLOWS_DATABASE}.${table} GROUP BY ALL`))
      .map((r) => [r.t, r.exporter_site, r.exporter_name, r.in_if_name, r.out_if_name, r.src_site, r.dst_site, r.src_as, r.dst_as,
        r.src_country, r.dst_country, r.etype, r.proto, r.service_port, r.b, r.p, r.n].join('|'))
      .sort();
    const perMinute = expectedRollup(flows, 60);
    const perHour = expectedRollup(flows, 3600);
    expect(perHour.length).toBeGreaterThan(2);
    expect(perMinute.length).toBeGreaterThan(perHour.length);
    expect(await rollup('flows_1m')).toEqual(perMinute);
    expect(await rollup('flows_1h')).toEqual(perHour);
    // Readers query the _all tables (every shard); on one server they read the same rows.
    expect(await rollup(FlowTables.PER_MINUTE)).toEqual(perMinute);
    expect(await rollup(FlowTables.PER_HOUR)).toEqual(perHour);
    expect(await count(FlowTables.RAW)).toBe(flows.length);
    sent.push(...flows);

    // Interface speeds and AS names ride along as aggregates.
    const speeds = await rows<{ in_if_name: string; speed: string }>(
      `SELECT in_if_name, max(in_if_speed) AS speed FROM ${FLOWS_DATABASE}.flows_1h WHERE in_if_name != '' GROUP BY in_if_name ORDER BY in_if_name`);
    expect(speeds.map(text)).toEqual([
      { in_if_name: 'Ethernet1', speed: '400000000000' }, { in_if_name: 'Ethernet2', speed: '400000000000' },
      { in_if_name: 'et-0/0/1', speed: '100000000000' }, { in_if_name: 'et-0/0/2', speed: '10000000000' },
    ]);
    const asNames = await rows<{ dst_as: number; name: string }>(
      `SELECT dst_as, any(dst_as_name) AS name FROM ${FLOWS_DATABASE}.flows_1m WHERE dst_as != 0 GROUP BY dst_as ORDER BY dst_as`);
    expect(asNames.map(text)).toEqual([{ dst_as: '209', name: '' }, { dst_as: '6939', name: 'Hurricane Electric, Inc.' }, { dst_as: '29518', name: 'Bredband2 AB' }]);
  }, 180_000);

  const mapped = (a: string) => (a.includes(':') ? a : `::ffff:${a}`);

  const siteRollup = async (table: string) => (await rows<Record<string, string | number>>(
    `SELECT toUnixTimestamp(time) AS t, exporter_site, exporter_name, src_site, dst_site, proto, sum(bytes) AS b, sum(packets) AS p, sum(flows) AS n
     FROM ${FLOWS_DATABASE}.${table} GROUP BY ALL`))
    .map((r) => [r.t, r.exporter_site, r.exporter_name, r.src_site, r.dst_site, r.proto, r.b, r.p, r.n].join('|'))
    .sort();

  it('upgrades a store holding flows: 0004 fills the per-minute traffic between sites exactly once, 0005 stores both addresses\' NetBox facts of every flow after', async () => {
    const report = await migrate(client, migrations, migrateOptions);
    expect(report.applied).toEqual(['0004_site_traffic_rollup', '0005_address_netbox']);
    expect(sent.length).toBeGreaterThan(0);
    const before = expectedSiteRollup(sent);
    expect(before.length).toBeGreaterThan(10);
    expect(await siteRollup('flows_1m_sites')).toEqual(before);
    expect(await siteRollup(FlowTables.SITES_PER_MINUTE)).toEqual(before);
    // The consumers run again, and feed the new table too.
    const [consumers] = await rows<{ views: string[] }>(
      `SELECT dependencies_table AS views FROM system.tables WHERE database = '${FLOWS_DATABASE}' AND name = 'flows_kafka'`);
    expect([...consumers.views].sort()).toEqual(['flows_kafka_errors_mv', 'flows_raw_mv']);
    const more = generateFlows(600, 4_242, (() => {
      let i = 0;
      return () => now - 30 - ((i++ * 611) % 5_000);
    })());
    const stored = await count('flows_raw');
    await send(more);
    // Two rebuilds of the consumers in a row: the group's rebalance may wait out the old members' session (45 s).
    await waitFor('the new flows in flows_raw', async () => (await count('flows_raw')) >= stored + more.length, 180_000, 1000);
    // Both addresses' NetBox device interface and prefix, as stored: every flow after 0005 carries its addresses' facts;
    // the flows stored before it keep the columns' empty defaults.
    const facts = (side: 'src' | 'dst') => `concat(${side}_device, '/', ${side}_device_role, '/', ${side}_device_tenant, '/', ${side}_device_site, '/', ${side}_interface,
      ' ', ${side}_prefix_tenant, '/', ${side}_prefix_role, '/', toString(${side}_vlan))`;
    const storedFacts = await rows<{ a: string; facts: string; n: string }>(
      `SELECT toString(src_addr) AS a, ${facts('src')} AS facts, count() AS n FROM ${FLOWS_DATABASE}.flows_raw GROUP BY ALL
       UNION ALL
       SELECT toString(dst_addr) AS a, ${facts('dst')} AS facts, count() AS n FROM ${FLOWS_DATABASE}.flows_raw GROUP BY ALL`);
    const expectedFacts = new Map<string, number>();
    for (const f of [...sent, ...more]) {
      for (const a of [f.src, f.dst]) {
        const key = `${mapped(a)} ${(more.includes(f) && HOST_FACTS[a]) || NO_HOST_FACTS}`;
        expectedFacts.set(key, (expectedFacts.get(key) ?? 0) + 1);
      }
    }
    const summed = new Map<string, number>();
    for (const r of storedFacts) summed.set(`${r.a} ${r.facts}`, (summed.get(`${r.a} ${r.facts}`) ?? 0) + Number(r.n));
    expect([...summed].sort()).toEqual([...expectedFacts].sort());
    // A flow between two NetBox-known hosts: both devices' name, role, tenant and site.
    const [between] = await rows<{ n: string; src: string; dst: string }>(
      `SELECT count() AS n, any(concat(src_device, '/', src_device_role, '/', src_device_tenant, '/', src_device_site)) AS src,
              any(concat(dst_device, '/', dst_device_role, '/', dst_device_tenant, '/', dst_device_site)) AS dst
       FROM ${FLOWS_DATABASE}.flows_raw WHERE src_addr = toIPv6('10.1.2.3') AND dst_addr = toIPv6('10.2.0.9') AND src_device != ''`);
    expect(text(between)).toEqual({
      n: String(more.filter((f) => f.src === '10.1.2.3' && f.dst === '10.2.0.9').length), src: 'edge-ams1-01/border//ams1', dst: 'core-fra1-01/core/netops/fra1',
    });
    expect(Number(between.n)).toBeGreaterThan(0);

    sent.push(...more);
    await waitFor('the new flows in flows_1m_sites', async () => Number((await rows<{ n: string }>(
      `SELECT sum(flows) AS n FROM ${FLOWS_DATABASE}.flows_1m_sites`))[0].n) >= sent.length, 30_000, 500);
    expect(await siteRollup('flows_1m_sites')).toEqual(expectedSiteRollup(sent));

    // A run cut short is run again whole: the migration's statements once more count nothing twice.
    const sites = migrations.find((m) => m.name === '0004_site_traffic_rollup')!;
    for (const statement of splitStatements(renderMigration(sites, migrateOptions))) await client.command({ query: statement });
    expect(await siteRollup('flows_1m_sites')).toEqual(expectedSiteRollup(sent));
    // And a per-minute row of flows_1m_sites sums the flows_1m rows of its minute, exporter, sites and protocol.
    const fromPerMinute = (await rows<Record<string, string | number>>(
      `SELECT toUnixTimestamp(time) AS t, exporter_site, exporter_name, src_site, dst_site, proto, sum(bytes) AS b, sum(packets) AS p, sum(flows) AS n
       FROM ${FLOWS_DATABASE}.flows_1m GROUP BY ALL`))
      .map((r) => [r.t, r.exporter_site, r.exporter_name, r.src_site, r.dst_site, r.proto, r.b, r.p, r.n].join('|')).sort();
    expect(await siteRollup('flows_1m_sites')).toEqual(fromPerMinute);
  }, 300_000);

  it('sets a message it cannot parse aside in flows_kafka_errors and keeps consuming', async () => {
    const before = await count('flows_raw');
    await producer.send({ topic: FlowTopic.ENRICHED, messages: [{ value: Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]) }] });
    const late = generateFlows(10, 7, () => now - 30);
    await send(late);
    await waitFor('the broken message in flows_kafka_errors', async () => (await count('flows_kafka_errors')) >= 1, 60_000, 1000);
    await waitFor('the flows behind it in flows_raw', async () => (await count('flows_raw')) >= before + late.length, 60_000, 1000);
    const [error] = await rows<{ topic: string; error: string; raw: string }>(`SELECT topic, error, hex(raw_message) AS raw FROM ${FLOWS_DATABASE}.flows_kafka_errors`);
    expect(error.topic).toBe(FlowTopic.ENRICHED);
    expect(error.raw).toBe('0AFFFF0102');
    expect(error.error).not.toBe('');
    expect(await count('flows_raw')).toBe(before + late.length);
    // The counter the ClickHouseKafkaConsumerErrors alert watches (ClickHouseProfileEvents_KafkaMessagesFailed).
    const [failed] = await rows<{ value: string }>("SELECT value FROM system.events WHERE event = 'KafkaMessagesFailed'");
    expect(Number(failed.value)).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('drops flows past their TTL once TTL is materialized: 7 days raw, 30 days per minute, 90 days per hour', async () => {
    const day = 86_400;
    const ages = { 'one day': 1, 'eight days': 8, 'thirty-one days': 31, 'ninety-one days': 91 } as const;
    const aged = Object.values(ages).flatMap((days, i) => generateFlows(5, 100 + i, () => now - days * day - 3_600));
    const ageOf = (f: Flow) => Math.round((now - f.timeSec) / day);
    const tables = ['flows_raw', 'flows_1m', 'flows_1h', 'flows_1m_sites'];
    // Background merges drop expired parts on their own within seconds: hold them, to see the flows arrive first.
    for (const table of tables) await client.command({ query: `SYSTEM STOP TTL MERGES ${FLOWS_DATABASE}.${table}` });
    const before = { raw: await count('flows_raw') };
    await send(aged);
    await waitFor('the aged flows in flows_raw', async () => (await count('flows_raw')) >= before.raw + aged.length, 60_000, 1000);
    await waitFor('the aged flows in flows_1h', async () => Number((await rows<{ n: string }>(
      `SELECT sum(flows) AS n FROM ${FLOWS_DATABASE}.flows_1h WHERE time < now() - INTERVAL 12 HOUR`))[0].n) >= aged.length, 30_000, 500);

    const byAge = async (table: string, time: string, value: string) => Object.fromEntries((await rows<{ days: number; n: string }>(
      `SELECT toUInt32(round((toUnixTimestamp(now()) - toUnixTimestamp(${time})) / 86400)) AS days, ${value} AS n
       FROM ${FLOWS_DATABASE}.${table} WHERE ${time} < now() - INTERVAL 12 HOUR GROUP BY days ORDER BY days`)).map((r) => [r.days, Number(r.n)]));
    const everyAge = { 1: 5, 8: 5, 31: 5, 91: 5 };
    expect(aged.map(ageOf).sort((a, b) => a - b)).toEqual(Object.entries(everyAge).flatMap(([d, n]) => Array(n).fill(Number(d))));
    expect(await byAge('flows_raw', 'time_received', 'count()')).toEqual(everyAge);
    expect(await byAge('flows_1m', 'time', 'sum(flows)')).toEqual(everyAge);
    expect(await byAge('flows_1h', 'time', 'sum(flows)')).toEqual(everyAge);
    expect(await byAge('flows_1m_sites', 'time', 'sum(flows)')).toEqual(everyAge);

    for (const table of tables) {
      await client.command({ query: `SYSTEM START TTL MERGES ${FLOWS_DATABASE}.${table}` });
      await client.command({ query: `ALTER TABLE ${FLOWS_DATABASE}.${table} MATERIALIZE TTL SETTINGS mutations_sync = 2` });
    }
    expect(await byAge('flows_raw', 'time_received', 'count()')).toEqual({ 1: 5 });
    expect(await byAge('flows_1m', 'time', 'sum(flows)')).toEqual({ 1: 5, 8: 5 });
    expect(await byAge('flows_1h', 'time', 'sum(flows)')).toEqual({ 1: 5, 8: 5, 31: 5 });
    expect(await byAge('flows_1m_sites', 'time', 'sum(flows)')).toEqual({ 1: 5, 8: 5 });
    // The recent flows are untouched.
    expect(await count('flows_raw')).toBe(before.raw + 5);
  }, 180_000);

  it('keeps the columns the dashboards are told about (constructs/flows/flow-schema.ts)', async () => {
    const columns = async (table: string) => (await rows<{ name: string }>(
      `SELECT name FROM system.columns WHERE database = '${FLOWS_DATABASE}' AND table = '${table}' ORDER BY position`)).map((c) => c.name);
    for (const table of ['flows_1m', 'flows_1h', FlowTables.PER_MINUTE, FlowTables.PER_HOUR]) {
      expect(new Set(await columns(table))).toEqual(new Set([...ROLLUP_DIMENSIONS, ...ROLLUP_VALUES]));
    }
    for (const table of ['flows_1m_sites', FlowTables.SITES_PER_MINUTE]) {
      expect(await columns(table)).toEqual([...SITE_ROLLUP_DIMENSIONS, ...SITE_ROLLUP_VALUES]);
    }
    expect(await columns(FlowTables.RAW)).toEqual(await columns('flows_raw'));
  });
});
