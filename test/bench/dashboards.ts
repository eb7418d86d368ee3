/**
 * `npm run bench:dashboards`: every ClickHouse panel of the flow dashboards over a
 * 24-hour range at Large-tier volume (500k flows/s), in chdb on this machine.
 *
 * 24 hours are read per minute (dashboards/shared/clickhouse.ts): from flows_1m_sites
 * when a query needs only sites, exporters and protocols, else from flows_1m, where
 * totals over the range read the whole hours from flows_1h. flows_1m's rows are generated directly
 * (INSERT ... SELECT FROM numbers()) into the committed schema's flows_1m,
 * ROWS_PER_MINUTE rows a minute: 500k flows/s is 30M flows a minute, which the
 * rollup's key (exporter, interfaces, sites, AS pair, countries, protocol, service
 * port) folds into that many rows. flows_1h and flows_1m_sites are then filled from
 * them with their materialized views' GROUP BY: the rows those views would have made
 * of the same flows.
 *
 * What the panels cost is how many distinct groups 24 hours hold, so the rows model how
 * a network's flows look rather than drawing every column afresh each minute:
 * - Every flow has one end in the operator's own address space: its site is the
 *   exporter's site and its AS one of LOCAL_AS (the organisation's own AS, a second one
 *   it acquired, and 0 for private space, which GeoIP knows no AS for). Only the other
 *   end is on the Internet, one of AUTONOMOUS_SYSTEMS with a few (CDNs, clouds) carrying
 *   most traffic. The direction decides which end is which: inbound flows come from the
 *   Internet (source site empty), outbound go to it; INTERNAL_PERCENT are east-west
 *   between two sites, TRANSIT_PERCENT cross the network between two Internet AS
 *   (the transit panels need some).
 * - Rollup keys recur: the same exporters, interfaces, sites, AS and ports carry traffic
 *   all day. Each key is a fixed combination (a number k hashed into its columns), from
 *   a population of about 220k keys: a Large network's 200 exporters with about 8 busy
 *   interfaces each, seeing their sites talk to a few hundred remote AS over a handful
 *   of protocols and service ports (200 x 8 x ~140 = ~220k). Each minute's rows are
 *   distinct keys drawn with skew: HEAVY_KEYS heavy hitters every minute, WARM_KEYS keys
 *   that each show up every WARM_EVERY minutes, and the long tail of COLD_KEYS that each
 *   show up every COLD_EVERY minutes. Heavy rows carry HEAVY_WEIGHT times a cold row's
 *   traffic (about three quarters of all bytes), warm rows WARM_WEIGHT times.
 * The distinct keys, AS pairs and (AS pair, exporter site) groups of 24 hours are
 * printed: the AS panels' cost grows with them. Two keys can hash to the same columns
 * and then fold into one row, so a minute holds slightly under ROWS_PER_MINUTE rows.
 *
 * The panels that read flows_raw (addresses, TCP flags: always the last hour) run on
 * RAW_ROWS raw flows of the last hour: they are not at Large volume and are printed
 * apart. Those raw flows are inserted first and the rollups their materialized views
 * filled are then emptied, so the rollups hold only the generated Large-tier rows.
 *
 * Prints the machine's cores and load average (2 cores shared with other work: the
 * timings move with it), every table's rows, and per panel p50 and p95 of RUNS timed
 * runs (after one warm-up), the rows it read and the rows it returned; exits 1 if a
 * rollup panel's p95 is 0.5 s or more. BENCH_ROWS_PER_MINUTE (the key population scales
 * with it), BENCH_RAW_ROWS and BENCH_RUNS change the volume and the runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
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
// The local end's AS, repeated by share: private space (no AS) half, the own AS (a
// documentation number) most of the rest, an acquired subsidiary's AS the remainder.
const LOCAL_AS = [0, 0, 0, 0, 0, 64500, 64500, 64500, 64500, 64501];
// Directions in percent; inbound and outbound take the rest, half each.
const INTERNAL_PERCENT = 7;
const TRANSIT_PERCENT = 3;

// The rollup key population and each minute's draw from it (see the header).
const HEAVY_KEYS = Math.round(ROWS_PER_MINUTE * 0.2);
const WARM_PER_MINUTE = Math.round(ROWS_PER_MINUTE * 0.4);
const WARM_EVERY = 6;
const WARM_KEYS = WARM_PER_MINUTE * WARM_EVERY;
const COLD_PER_MINUTE = ROWS_PER_MINUTE - HEAVY_KEYS - WARM_PER_MINUTE;
const COLD_EVERY = 48;
const COLD_KEYS = COLD_PER_MINUTE * COLD_EVERY;
const HEAVY_WEIGHT = 25;
const WARM_WEIGHT = 3;

const dir = mkdtempSync(join(tmpdir(), 'helios-bench-dashboards-'));
const session = new Session(join(dir, 'db'));
const query = (sql: string) => session.query(sql, 'JSONCompact');
const first = (sql: string) => JSON.parse(session.query(sql, 'JSONEachRow').toString().split('\n')[0]) as Record<string, string>;

/** The Kafka consumers' table, which 0004 stops and starts around its backfill. */
const CONSUMERS = /^(DETACH|ATTACH) TABLE IF (NOT )?EXISTS helios\.flows_kafka\b/;

function createSchema(): void {
  // The flow store without its Kafka consumers (0003): nothing here reads Kafka.
  const migrations = parseMigrations(flowStoreMigrations().map((m) => ({ fileName: m.fileName, text: m.sql })))
    .filter((m) => !m.name.endsWith('_kafka_ingest'));
  for (const m of migrations) {
    for (const statement of splitStatements(renderMigration(m, { database: FLOWS_DATABASE, variables: {} }))) {
      if (!CONSUMERS.test(statement)) query(statement);
    }
  }
}

/** A skewed pick in [0, n) by the column `of`: a few values get most rows (a uniform u raised to a power). */
const skewed = (of: string, n: number, salt: number, power = 3) => `toUInt32(floor(pow(cityHash64(${of}, ${salt}) / 18446744073709551615.0, ${power}) * ${n}))`;

function fillPerMinute(end: number): number {
  const start = end - MINUTES * 60;
  // Minute m's row i is key k: the heavy hitters, then a window sliding through the
  // warm and the cold keys, so a minute's keys are distinct and each recurs.
  const minute = `intDiv(number, ${ROWS_PER_MINUTE})`;
  const i = `number % ${ROWS_PER_MINUTE}`;
  const warm = `${i} - ${HEAVY_KEYS}`;
  const cold = `${i} - ${HEAVY_KEYS + WARM_PER_MINUTE}`;
  const key = `multiIf(${i} < ${HEAVY_KEYS}, ${i},
    ${i} < ${HEAVY_KEYS + WARM_PER_MINUTE}, ${HEAVY_KEYS} + (${minute} * ${WARM_PER_MINUTE} + ${warm}) % ${WARM_KEYS},
    ${HEAVY_KEYS + WARM_KEYS} + (${minute} * ${COLD_PER_MINUTE} + ${cold}) % ${COLD_KEYS})`;
  const weight = `multiIf(${i} < ${HEAVY_KEYS}, ${HEAVY_WEIGHT}, ${i} < ${HEAVY_KEYS + WARM_PER_MINUTE}, ${WARM_WEIGHT}, 1)`;
  const totalWeight = HEAVY_KEYS * HEAVY_WEIGHT + WARM_PER_MINUTE * WARM_WEIGHT + COLD_PER_MINUTE;
  const direction = `multiIf(cityHash64(k, 20) % 100 < ${INTERNAL_PERCENT}, 'internal', cityHash64(k, 20) % 100 < ${INTERNAL_PERCENT + TRANSIT_PERCENT}, 'transit',
    cityHash64(k, 21) % 2 = 0, 'in', 'out')`;
  const countryOf = (as: string) => `if(${as} = 0, '', [${COUNTRIES.map((c) => `'${c}'`).join(', ')}][${as} % ${COUNTRIES.length} + 1])`;
  query(`INSERT INTO ${FLOWS_DATABASE}.flows_1m
    SELECT
      toDateTime(${start} + 60 * ${minute}, 'UTC') AS time,
      local_site AS exporter_site,
      concat('edge-', toString(e)) AS exporter_name,
      concat('region-', toString(e % ${SITES} % 5)) AS exporter_region,
      ['border', 'edge', 'core'][e % 3 + 1] AS exporter_role,
      concat('et-0/0/', toString(cityHash64(k, 6) % 8)) AS in_if_name,
      concat('et-0/0/', toString(cityHash64(k, 7) % 8)) AS out_if_name,
      toUInt64(100000000000) AS in_if_speed, toUInt64(100000000000) AS out_if_speed,
      if(dir IN ('in', 'transit'), '', local_site) AS src_site,
      multiIf(dir IN ('out', 'transit'), '', dir = 'internal', concat('site-', toString(${skewed('k', SITES, 5, 2)})), local_site) AS dst_site,
      if(dir IN ('in', 'transit'), remote_as, local_as) AS src_as,
      multiIf(dir = 'out', remote_as, dir = 'transit', 1 + ${skewed('k', AUTONOMOUS_SYSTEMS, 9)}, local_as) AS dst_as,
      if(src_as = 0, '', concat('AS ', toString(src_as), ' Networks')) AS src_as_name,
      if(dst_as = 0, '', concat('AS ', toString(dst_as), ' Networks')) AS dst_as_name,
      ${countryOf('src_as')} AS src_country,
      ${countryOf('dst_as')} AS dst_country,
      if(cityHash64(k, 10) % 10 = 0, 34525, 2048) AS etype,
      [6, 6, 6, 6, 6, 6, 6, 17, 17, 1][cityHash64(k, 11) % 10 + 1] AS proto,
      if(proto = 1, 0, if(cityHash64(k, 12) % 5 = 0, 1024 + cityHash64(k, 13) % 64000,
        [443, 443, 443, 80, 53, 22, 123, 25, 993, 8080][${skewed('k', 10, 14, 2)} + 1])) AS service_port,
      toUInt64(flows * (400 + cityHash64(number, 15) % 801)) AS bytes,
      intDiv(bytes, 800) AS packets,
      toUInt64(${(FLOWS_PER_SECOND * 60) / totalWeight} * w * (50 + cityHash64(number, 16) % 101) / 100) AS flows
    FROM (SELECT number, k, ${weight} AS w, ${skewed('k', EXPORTERS, 1, 2)} AS e, concat('site-', toString(e % ${SITES})) AS local_site,
        ${direction} AS dir, [${LOCAL_AS.join(', ')}][cityHash64(k, 3) % ${LOCAL_AS.length} + 1] AS local_as,
        1 + ${skewed('k', AUTONOMOUS_SYSTEMS, 8)} AS remote_as
      FROM (SELECT number, ${key} AS k FROM numbers(${MINUTES * ROWS_PER_MINUTE})))`);
  query(`OPTIMIZE TABLE ${FLOWS_DATABASE}.flows_1m FINAL`);
  return Number(first(`SELECT count() AS n FROM ${FLOWS_DATABASE}.flows_1m`).n);
}

/** flows_1h and flows_1m_sites as their materialized views would fill them from the flows flows_1m was made of. */
function fillFromPerMinute(): void {
  query(`INSERT INTO ${FLOWS_DATABASE}.flows_1h
    SELECT toStartOfHour(time) AS time, exporter_site, exporter_name, exporter_region, exporter_role, in_if_name, out_if_name,
      max(in_if_speed), max(out_if_speed), src_site, dst_site, src_as, dst_as, anyLast(src_as_name), anyLast(dst_as_name),
      src_country, dst_country, etype, proto, service_port, sum(bytes), sum(packets), sum(flows)
    FROM ${FLOWS_DATABASE}.flows_1m
    GROUP BY time, exporter_site, exporter_name, exporter_region, exporter_role, in_if_name, out_if_name,
      src_site, dst_site, src_as, dst_as, src_country, dst_country, etype, proto, service_port`);
  query(`INSERT INTO ${FLOWS_DATABASE}.flows_1m_sites
    SELECT time, exporter_site, exporter_name, src_site, dst_site, proto, sum(bytes), sum(packets), sum(flows)
    FROM ${FLOWS_DATABASE}.flows_1m GROUP BY time, exporter_site, exporter_name, src_site, dst_site, proto`);
  for (const table of ['flows_1h', 'flows_1m_sites']) query(`OPTIMIZE TABLE ${FLOWS_DATABASE}.${table} FINAL`);
}

function fillRaw(end: number): void {
  query(`INSERT INTO ${FLOWS_DATABASE}.flows_raw (time_received, sampling_rate, bytes, packets, exporter_name, exporter_site,
      in_if_name, out_if_name, src_addr, dst_addr, etype, proto, src_port, dst_port, tcp_flags)
    SELECT toDateTime(${end - 3600} + intDiv(number * 3600, ${RAW_ROWS}), 'UTC'), 1000, 64 + cityHash64(number, 1) % 1400000,
      1 + cityHash64(number, 2) % 1000, concat('edge-', toString(${skewed('number', EXPORTERS, 3, 2)})),
      concat('site-', toString(${skewed('number', EXPORTERS, 3, 2)} % ${SITES})),
      concat('et-0/0/', toString(cityHash64(number, 4) % 8)), concat('et-0/0/', toString(cityHash64(number, 5) % 8)),
      toIPv6(IPv4NumToString(toUInt32(167772160 + ${skewed('number', 1_000_000, 6)}))), toIPv6(IPv4NumToString(toUInt32(3_000_000_000 + ${skewed('number', 5_000_000, 7)}))),
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
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`chdb ${first('SELECT version() AS v').v}, ${availableParallelism()} cores, load average ${load()}`);
  createSchema();
  let t = performance.now();
  fillRaw(end);
  console.log(`flows_raw: ${RAW_ROWS.toLocaleString('en')} flows in the last hour (panels that read raw flows only), generated in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  for (const rollup of ['flows_1m', 'flows_1h', 'flows_1m_sites']) query(`TRUNCATE TABLE ${FLOWS_DATABASE}.${rollup}`);
  t = performance.now();
  const perMinuteRows = fillPerMinute(end);
  console.log(`flows_1m: ${perMinuteRows.toLocaleString('en')} rows for 24 h (${ROWS_PER_MINUTE.toLocaleString('en')} a minute for ${(FLOWS_PER_SECOND * 60).toLocaleString('en')} flows a minute), generated in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  t = performance.now();
  fillFromPerMinute();
  console.log(`flows_1h and flows_1m_sites: filled from flows_1m as their views would, in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  console.log(`key population: ${(HEAVY_KEYS + WARM_KEYS + COLD_KEYS).toLocaleString('en')} keys; each minute ${HEAVY_KEYS.toLocaleString('en')} heavy (every minute), `
    + `${WARM_PER_MINUTE.toLocaleString('en')} of ${WARM_KEYS.toLocaleString('en')} warm (each every ${WARM_EVERY} min), ${COLD_PER_MINUTE.toLocaleString('en')} of ${COLD_KEYS.toLocaleString('en')} cold (each every ${COLD_EVERY} min)`);
  const groups = first(`SELECT uniqExact(exporter_site, exporter_name, in_if_name, out_if_name, src_site, dst_site, src_as, dst_as, src_country, dst_country, etype, proto, service_port) AS keys,
      uniqExact(src_as, dst_as) AS pairs, uniqExact(src_as, dst_as, exporter_site) AS by_site, uniqExact(src_site, dst_as) AS site_as
    FROM ${FLOWS_DATABASE}.flows_1m`);
  console.log(`flows_1m holds ${Number(groups.keys).toLocaleString('en')} distinct keys, ${Number(groups.pairs).toLocaleString('en')} AS pairs, `
    + `${Number(groups.by_site).toLocaleString('en')} (AS pair, exporter site) and ${Number(groups.site_as).toLocaleString('en')} (source site, destination AS)`);
  const tables = JSON.parse(session.query(`SELECT name, total_rows FROM system.tables WHERE database = '${FLOWS_DATABASE}' AND engine LIKE '%MergeTree' ORDER BY name`, 'JSONCompact').toString()) as { data: Array<[string, string]> };
  console.log(`rows per table: ${tables.data.map(([name, rows]) => `${name} ${Number(rows).toLocaleString('en')}`).join(', ')}`);
  const table = first(`SELECT ${grafanaSql(FLOW_TABLE, range, {})} AS t`).t;
  console.log(`24 h range reads: ${table === '1m' ? 'per minute (flows_1m_sites, or flows_1m with whole hours from flows_1h)' : table}`);

  console.log(`load average before the panels ${load()}\n`);
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
      timings.push({ dashboard: d.uid.replace('helios-flow-', ''), panel: panel.title, table: panel.timeFrom ? 'raw (1 h)' : 'rollups', p50: percentile(times, 50), p95: percentile(times, 95), read, rows });
    }
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('dashboard', 22)}${pad('panel', 44)}${pad('reads', 12)}${pad('p50 s', 8)}${pad('p95 s', 8)}${pad('rows read', 12)}rows`);
  for (const x of timings) console.log(`${pad(x.dashboard, 22)}${pad(x.panel, 44)}${pad(x.table, 12)}${pad(x.p50.toFixed(3), 8)}${pad(x.p95.toFixed(3), 8)}${pad(x.read.toLocaleString('en'), 12)}${x.rows}`);
  const slow = timings.filter((x) => x.table === 'rollups' && x.p95 >= LIMIT_SEC);
  console.log(`\nload average after the panels ${load()}`);
  console.log(slow.length ? `${slow.length} rollup panel(s) at or above ${LIMIT_SEC} s p95` : `every rollup panel under ${LIMIT_SEC} s p95`);
  session.close();
  rmSync(dir, { recursive: true, force: true });
  if (slow.length) process.exitCode = 1;
}

main();
