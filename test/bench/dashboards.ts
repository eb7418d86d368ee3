/**
 * `npm run bench:dashboards`: every ClickHouse panel of the flow dashboards over a
 * 24-hour range at Large-tier volume (500k flows/s), in chdb on this machine.
 *
 * 24 hours read the per-minute rollup (dashboards/shared/clickhouse.ts). Its rows are
 * generated directly (INSERT ... SELECT FROM numbers()) into the committed schema's
 * flows_1m, ROWS_PER_MINUTE rows a minute: 500k flows/s is 30M flows a minute, which
 * the rollup's key (exporter, interfaces, sites, AS pair, countries, protocol, service
 * port) folds into that many rows, drawn with the skew real traffic has (a few AS,
 * ports and sites carry most flows). Each minute's rows are drawn afresh, so few keys
 * repeat from minute to minute: 24 hours hold millions of AS pairs (printed), which is
 * what the AS panels must group. The panels that read flows_raw (addresses, TCP
 * flags: always the last hour) run on RAW_ROWS raw flows of the last hour: they are
 * not at Large volume and are printed apart. Those raw flows are inserted first and the
 * rollups their materialized views filled are then emptied, so the rollups hold only
 * the generated Large-tier rows; flows_1h stays empty (no 24-hour panel reads it).
 *
 * Prints the machine's cores, every table's rows, and per panel p50 and p95 of RUNS
 * timed runs (after one warm-up), the rows it read and the rows it returned; exits 1
 * if a rollup panel's p95 is 0.5 s or more. BENCH_ROWS_PER_MINUTE, BENCH_RAW_ROWS and
 * BENCH_RUNS change the volume and the runs: the time of the panels that group by AS
 * pairs grows with the rows read and the pairs they hold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Session } from 'chdb';
import { flowStoreMigrations, FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { flowDashboards } from '../../dashboards/flows/index.js';
import { ALL_VALUE, CLICKHOUSE_DATASOURCE, FLOW_TABLE } from '../../dashboards/shared/clickhouse.js';
import { parseMigrations, renderMigration, splitStatements } from '../../services/flow-enricher/src/migrate/index.js';
import { grafanaSql, type TimeRange } from '../dashboards/flows-grafana-sql.js';

const ROWS_PER_MINUTE = Number(process.env.BENCH_ROWS_PER_MINUTE ?? 10_000);
const RAW_ROWS = Number(process.env.BENCH_RAW_ROWS ?? 5_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const LIMIT_SEC = 0.5;
const MINUTES = 24 * 60;
const FLOWS_PER_SECOND = 500_000;

// The world of a Large-tier network: exporters at sites, the Internet beyond.
const EXPORTERS = 200;
const SITES = 40;
const AUTONOMOUS_SYSTEMS = 20_000;
const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'NL', 'SE', 'JP', 'CN', 'BR', 'IN', 'CA', 'AU', 'IT', 'ES', 'PL', 'RU', 'KR', 'SG', 'ZA', 'MX'];

const dir = mkdtempSync(join(tmpdir(), 'helios-bench-dashboards-'));
const session = new Session(join(dir, 'db'));
const query = (sql: string) => session.query(sql, 'JSONCompact');
const first = (sql: string) => JSON.parse(session.query(sql, 'JSONEachRow').toString().split('\n')[0]) as Record<string, string>;

function createSchema(): void {
  // The flow store without its Kafka consumers (0003): nothing here reads Kafka.
  const migrations = parseMigrations(flowStoreMigrations().map((m) => ({ fileName: m.fileName, text: m.sql })))
    .filter((m) => !m.name.endsWith('_kafka_ingest'));
  for (const m of migrations) {
    for (const statement of splitStatements(renderMigration(m, { database: FLOWS_DATABASE, variables: {} }))) query(statement);
  }
}

/** A skewed pick in [0, n): a few values get most rows (a uniform u raised to a power). */
const skewed = (n: number, salt: number, power = 3) => `toUInt32(floor(pow(cityHash64(number, ${salt}) / 18446744073709551615.0, ${power}) * ${n}))`;

function fillPerMinute(end: number): number {
  const start = end - MINUTES * 60;
  const exporter = skewed(EXPORTERS, 1, 2);
  const srcSite = `if(cityHash64(number, 2) % 2 = 0, '', concat('site-', toString(${skewed(SITES, 3, 2)})))`;
  const dstSite = `if(cityHash64(number, 4) % 2 = 0, '', concat('site-', toString(${skewed(SITES, 5, 2)})))`;
  const countryOf = (as: string) => `[${COUNTRIES.map((c) => `'${c}'`).join(', ')}][${as} % ${COUNTRIES.length} + 1]`;
  query(`INSERT INTO ${FLOWS_DATABASE}.flows_1m
    SELECT
      toDateTime(${start} + 60 * intDiv(number, ${ROWS_PER_MINUTE}), 'UTC') AS time,
      concat('site-', toString(e % ${SITES})) AS exporter_site,
      concat('edge-', toString(e)) AS exporter_name,
      concat('region-', toString(e % ${SITES} % 5)) AS exporter_region,
      ['border', 'edge', 'core'][e % 3 + 1] AS exporter_role,
      concat('et-0/0/', toString(cityHash64(number, 6) % 8)) AS in_if_name,
      concat('et-0/0/', toString(cityHash64(number, 7) % 8)) AS out_if_name,
      toUInt64(100000000000) AS in_if_speed, toUInt64(100000000000) AS out_if_speed,
      s AS src_site, d AS dst_site,
      if(s = '', 1 + ${skewed(AUTONOMOUS_SYSTEMS, 8)}, 0) AS src_as,
      if(d = '', 1 + ${skewed(AUTONOMOUS_SYSTEMS, 9)}, 0) AS dst_as,
      if(src_as = 0, '', concat('AS ', toString(src_as), ' Networks')) AS src_as_name,
      if(dst_as = 0, '', concat('AS ', toString(dst_as), ' Networks')) AS dst_as_name,
      if(src_as = 0, '', ${countryOf('src_as')}) AS src_country,
      if(dst_as = 0, '', ${countryOf('dst_as')}) AS dst_country,
      if(cityHash64(number, 10) % 10 = 0, 34525, 2048) AS etype,
      [6, 6, 6, 6, 6, 6, 6, 17, 17, 1][cityHash64(number, 11) % 10 + 1] AS proto,
      if(proto = 1, 0, if(cityHash64(number, 12) % 5 = 0, 1024 + cityHash64(number, 13) % 64000,
        [443, 443, 443, 80, 53, 22, 123, 25, 993, 8080][${skewed(10, 14, 2)} + 1])) AS service_port,
      toUInt64(${Math.round((FLOWS_PER_SECOND * 60 * 800) / ROWS_PER_MINUTE)} * (1 + cityHash64(number, 15) % 200) / 100) AS bytes,
      intDiv(bytes, 800) AS packets,
      toUInt64(${Math.round((FLOWS_PER_SECOND * 60) / ROWS_PER_MINUTE)} * (1 + cityHash64(number, 16) % 200) / 100) AS flows
    FROM (SELECT number, ${exporter} AS e, ${srcSite} AS s, ${dstSite} AS d FROM numbers(${MINUTES * ROWS_PER_MINUTE}))`);
  query(`OPTIMIZE TABLE ${FLOWS_DATABASE}.flows_1m FINAL`);
  return Number(first(`SELECT count() AS n FROM ${FLOWS_DATABASE}.flows_1m`).n);
}

function fillRaw(end: number): void {
  query(`INSERT INTO ${FLOWS_DATABASE}.flows_raw (time_received, sampling_rate, bytes, packets, exporter_name, exporter_site,
      in_if_name, out_if_name, src_addr, dst_addr, etype, proto, src_port, dst_port, tcp_flags)
    SELECT toDateTime(${end - 3600} + intDiv(number * 3600, ${RAW_ROWS}), 'UTC'), 1000, 64 + cityHash64(number, 1) % 1400000,
      1 + cityHash64(number, 2) % 1000, concat('edge-', toString(${skewed(EXPORTERS, 3, 2)})),
      concat('site-', toString(${skewed(EXPORTERS, 3, 2)} % ${SITES})),
      concat('et-0/0/', toString(cityHash64(number, 4) % 8)), concat('et-0/0/', toString(cityHash64(number, 5) % 8)),
      toIPv6(IPv4NumToString(toUInt32(167772160 + ${skewed(1_000_000, 6)}))), toIPv6(IPv4NumToString(toUInt32(3_000_000_000 + ${skewed(5_000_000, 7)}))),
      2048, [6, 6, 6, 17, 1][cityHash64(number, 8) % 5 + 1], 1024 + cityHash64(number, 9) % 64000, [443, 80, 53, 22][cityHash64(number, 10) % 4 + 1],
      [2, 18, 16, 24, 17, 4][cityHash64(number, 11) % 6 + 1]
    FROM numbers(${RAW_ROWS})`);
}

interface BuiltDashboard {
  uid: string;
  panels: Array<{ title: string; timeFrom?: string; targets?: Array<{ datasource?: { uid?: string }; rawSql?: string }> }>;
}

interface Timing { dashboard: string; panel: string; table: string; p50: number; p95: number; read: number; rows: number }

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function main(): void {
  const end = Math.floor(Date.now() / 1000 / 60) * 60;
  const range: TimeRange = { from: end - 24 * 3600, to: end };
  const variables = { site: { all: ALL_VALUE }, device: { all: ALL_VALUE } };
  console.log(`chdb ${first('SELECT version() AS v').v}, ${availableParallelism()} cores`);
  createSchema();
  let t = performance.now();
  fillRaw(end);
  console.log(`flows_raw: ${RAW_ROWS.toLocaleString('en')} flows in the last hour (panels that read raw flows only), generated in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  for (const rollup of ['flows_1m', 'flows_1h']) query(`TRUNCATE TABLE ${FLOWS_DATABASE}.${rollup}`);
  t = performance.now();
  const perMinuteRows = fillPerMinute(end);
  console.log(`flows_1m: ${perMinuteRows.toLocaleString('en')} rows for 24 h (${ROWS_PER_MINUTE.toLocaleString('en')} a minute for ${(FLOWS_PER_SECOND * 60).toLocaleString('en')} flows a minute), generated in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  const groups = first(`SELECT uniqExact(src_as, dst_as) AS pairs, uniqExact(src_as, dst_as, exporter_site) AS by_site, uniqExact(src_site, dst_as) AS site_as
    FROM ${FLOWS_DATABASE}.flows_1m`);
  console.log(`flows_1m holds ${Number(groups.pairs).toLocaleString('en')} AS pairs, ${Number(groups.by_site).toLocaleString('en')} (AS pair, exporter site) and ${Number(groups.site_as).toLocaleString('en')} (source site, destination AS)`);
  const tables = JSON.parse(session.query(`SELECT name, total_rows FROM system.tables WHERE database = '${FLOWS_DATABASE}' AND engine LIKE '%MergeTree' ORDER BY name`, 'JSONCompact').toString()) as { data: Array<[string, string]> };
  console.log(`rows per table: ${tables.data.map(([name, rows]) => `${name} ${Number(rows).toLocaleString('en')}`).join(', ')}`);
  const table = first(`SELECT ${grafanaSql(FLOW_TABLE, range, {})} AS t`).t;
  console.log(`24 h range reads: ${table === '1m' ? 'flows_1m' : table}\n`);

  const timings: Timing[] = [];
  for (const d of flowDashboards() as unknown as BuiltDashboard[]) {
    const deviceVariables = d.uid === 'helios-flow-interface-correlation' ? { device: ['edge-3'], interface: ['et-0/0/1'] } : variables;
    for (const panel of d.panels) {
      const target = panel.targets?.find((x) => x.datasource?.uid === CLICKHOUSE_DATASOURCE.uid);
      if (!target?.rawSql) continue;
      const panelRange = panel.timeFrom ? { from: end - 3600, to: end } : range;
      const sql = grafanaSql(target.rawSql, panelRange, deviceVariables);
      let rows = 0;
      let read = 0;
      const times: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const start = performance.now();
        const result = session.query(sql, 'JSONCompact');
        const elapsed = (performance.now() - start) / 1000;
        const parsed = JSON.parse(result.toString()) as { rows: number; statistics: { rows_read: number } };
        rows = parsed.rows;
        read = parsed.statistics.rows_read;
        if (i > 0) times.push(elapsed);
      }
      times.sort((a, b) => a - b);
      timings.push({ dashboard: d.uid.replace('helios-flow-', ''), panel: panel.title, table: panel.timeFrom ? 'raw (1 h)' : 'flows_1m', p50: percentile(times, 50), p95: percentile(times, 95), read, rows });
    }
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('dashboard', 22)}${pad('panel', 44)}${pad('reads', 12)}${pad('p50 s', 8)}${pad('p95 s', 8)}${pad('rows read', 12)}rows`);
  for (const x of timings) console.log(`${pad(x.dashboard, 22)}${pad(x.panel, 44)}${pad(x.table, 12)}${pad(x.p50.toFixed(3), 8)}${pad(x.p95.toFixed(3), 8)}${pad(x.read.toLocaleString('en'), 12)}${x.rows}`);
  const slow = timings.filter((x) => x.table === 'flows_1m' && x.p95 >= LIMIT_SEC);
  console.log(slow.length ? `\n${slow.length} rollup panel(s) at or above ${LIMIT_SEC} s p95` : `\nevery rollup panel under ${LIMIT_SEC} s p95`);
  session.close();
  rmSync(dir, { recursive: true, force: true });
  if (slow.length) process.exitCode = 1;
}

main();
