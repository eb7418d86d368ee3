import { EXPORTERS, FlowStore, generateFlows, PLACES, scaledBytes, scaledPackets, type Flow } from './flows-fixture.js';
import { grafanaInterval, grafanaSql, type Selection, type TimeRange } from './flows-grafana-sql.js';
import { FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { flowDashboards } from '../../dashboards/flows/index.js';
import { bitsPerSecondSql, FLOW_VARIABLE_SQL } from '../../dashboards/flows/shared.js';
import { ALL_VALUE, CLICKHOUSE_DATASOURCE, FLOW_TABLE } from '../../dashboards/shared/clickhouse.js';

/**
 * Every ClickHouse query of the six flow dashboards, and every variable query, run as
 * Grafana and the ClickHouse plugin would send it (variables and macros expanded as
 * they expand them) against the committed schema, filled through the real path:
 * enricher output → Kafka → flows_raw → the rollups' materialized views. The answers
 * are computed independently from the flows sent, for a range read from each table.
 */

interface Target { datasource?: { uid?: string }; rawSql?: string; format?: number }
interface Panel { title: string; type: string; timeFrom?: string; targets?: Target[] }
interface Variable { name: string; datasource?: { uid?: string }; query?: { rawSql?: string } }
interface Dashboard { uid: string; panels: Panel[]; templating?: { list?: Variable[] } }

const dashboards = flowDashboards() as unknown as Dashboard[];
const now = Math.floor(Date.now() / 1000);
const FLOWS = generateFlows(900, 20_261_207, (i) => now - 120 - ((i * 7_919) % 9_000));

// ---------------------------------------------------------------- the answers, from the flows sent

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };
const place = (address: string) => PLACES[address];
const ifName = (f: Flow, index: number) => f.exporter.interfaces[index] ?? '';
const v4 = (f: Flow) => !f.src.includes(':');
const servicePort = (f: Flow) => Math.min(f.srcPort, f.dstPort);
const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
const flagNames = (flags: number) => FLAG_NAMES.filter((_, bit) => flags & (1 << bit)).join(' ');

type Key = Record<string, string | number>;
type Values = 'bytes, packets, flows' | 'bytes' | 'packets';

/** What a panel should answer for the flows of its range. */
type Expected =
  | { readonly kind: 'series'; readonly series: (f: Flow) => readonly string[]; readonly where?: (f: Flow) => boolean }
  | {
    readonly kind: 'top';
    readonly key: (f: Flow) => Key;
    readonly where?: (f: Flow) => boolean;
    readonly values?: Values;
    /** @default - by bytes (packets when only packets are shown) */
    readonly by?: 'flows';
    readonly limit?: number;
  }
  | { readonly kind: 'countries'; readonly limit?: number };

const outside = (site: string) => site || '(outside)';
const transit = (f: Flow) => place(f.src).site === '' && place(f.dst).site === '';
const crossBorder = (f: Flow) => place(f.src).country !== '' && place(f.dst).country !== '' && place(f.src).country !== place(f.dst).country;
const DEVICE = 'edge-ams1-01';
const INTERFACE = 'et-0/0/1';
const through = (f: Flow) => f.exporter.name === DEVICE && (ifName(f, f.inIf) === INTERFACE || ifName(f, f.outIf) === INTERFACE);

const EXPECTED: Record<string, Record<string, Expected | 'thanos'>> = {
  'helios-flow-top-talkers': {
    'Traffic by source site': { kind: 'series', series: (f) => [outside(place(f.src).site)] },
    'Top source addresses': { kind: 'top', key: (f) => ({ address: f.src }) },
    'Top destination addresses': { kind: 'top', key: (f) => ({ address: f.dst }) },
    'Top conversations': { kind: 'top', key: (f) => ({ source: f.src, destination: f.dst, protocol: PROTOCOLS[f.proto], service_port: servicePort(f) }) },
    'Top protocols by traffic': { kind: 'top', key: (f) => ({ protocol: PROTOCOLS[f.proto] }) },
    'Top source AS': { kind: 'top', key: (f) => ({ source_as: place(f.src).as, as_name: place(f.src).asName }) },
    'Top exporters': { kind: 'top', key: (f) => ({ exporter: f.exporter.name || '(not in NetBox)', site: f.exporter.site || '(unknown)' }) },
  },
  'helios-flow-traffic-matrix': {
    'Site-to-site matrix': { kind: 'top', key: (f) => ({ source_site: outside(place(f.src).site), destination_site: outside(place(f.dst).site) }) },
    'AS-to-AS matrix': { kind: 'top', key: (f) => ({ source_as: place(f.src).as, destination_as: place(f.dst).as }) },
    'Site-to-site traffic': { kind: 'series', series: (f) => [`${outside(place(f.src).site)} → ${outside(place(f.dst).site)}`] },
    'Protocols per path': {
      kind: 'top', key: (f) => ({ source_site: outside(place(f.src).site), destination_site: outside(place(f.dst).site), protocol: PROTOCOLS[f.proto] }),
    },
    'Destination AS per source site': {
      kind: 'top', key: (f) => ({ source_site: outside(place(f.src).site), destination_as: place(f.dst).as, as_name: place(f.dst).asName }),
    },
  },
  'helios-flow-as-paths': {
    'Top source AS': { kind: 'top', key: (f) => ({ source_as: place(f.src).as, as_name: place(f.src).asName }) },
    'Top destination AS': { kind: 'top', key: (f) => ({ destination_as: place(f.dst).as, as_name: place(f.dst).asName }) },
    'AS pairs by exporter site': { kind: 'top', key: (f) => ({ source_as: place(f.src).as, destination_as: place(f.dst).as, site: f.exporter.site || '(unknown)' }) },
    'Transit traffic': { kind: 'series', series: (f) => [f.exporter.site || '(unknown)'], where: transit },
    'Top transit AS pairs': { kind: 'top', key: (f) => ({ source_as: place(f.src).as, destination_as: place(f.dst).as }), where: transit },
  },
  'helios-flow-protocols': {
    'Traffic by protocol': { kind: 'series', series: (f) => [PROTOCOLS[f.proto]] },
    'Bytes by protocol': { kind: 'top', key: (f) => ({ protocol: PROTOCOLS[f.proto] }), values: 'bytes', limit: Infinity },
    'Packets by protocol': { kind: 'top', key: (f) => ({ protocol: PROTOCOLS[f.proto] }), values: 'packets', limit: Infinity },
    'IPv4 and IPv6': { kind: 'top', key: (f) => ({ ip_version: v4(f) ? 'IPv4' : 'IPv6' }), values: 'bytes', limit: Infinity },
    'Top service ports': { kind: 'top', key: (f) => ({ protocol: PROTOCOLS[f.proto], service_port: servicePort(f) }), where: (f) => f.proto !== 1 },
    'TCP flags': { kind: 'top', key: (f) => ({ flags: flagNames(f.tcpFlags) }), where: (f) => f.proto === 6, by: 'flows' },
  },
  'helios-flow-geo': {
    'Traffic by country': { kind: 'countries', limit: Infinity },
    'Top countries': { kind: 'countries' },
    'Cross-border traffic': { kind: 'series', series: (f) => [place(f.src).country], where: crossBorder },
    'Top cross-border country pairs': { kind: 'top', key: (f) => ({ source_country: place(f.src).country, destination_country: place(f.dst).country }), where: crossBorder },
  },
  'helios-flow-interface-correlation': {
    'Interface traffic (counters)': 'thanos',
    'Interface traffic (flows)': {
      kind: 'series',
      series: (f) => [...(ifName(f, f.inIf) === INTERFACE ? ['in'] : []), ...(ifName(f, f.outIf) === INTERFACE ? ['out'] : [])],
      where: through,
    },
    'Top sources through the interface': {
      kind: 'top', key: (f) => ({ source_site: outside(place(f.src).site), source_as: place(f.src).as, as_name: place(f.src).asName }), where: through,
    },
    'Top destinations through the interface': {
      kind: 'top', key: (f) => ({ destination_site: outside(place(f.dst).site), destination_as: place(f.dst).as, as_name: place(f.dst).asName }), where: through,
    },
    'Protocols and ports through the interface': { kind: 'top', key: (f) => ({ protocol: PROTOCOLS[f.proto], service_port: servicePort(f) }), where: through },
  },
};

/** Rows as text, in the panel's column order: 64-bit numbers come back as strings. */
function text(row: Key): string {
  return Object.entries(row).map(([k, v]) => `${k}=${String(v)}`).join(' ');
}

function expectedTop(flows: readonly Flow[], e: Extract<Expected, { kind: 'top' }>): string[] {
  const groups = new Map<string, { key: Key; bytes: bigint; packets: bigint; flows: number }>();
  for (const f of flows.filter(e.where ?? (() => true))) {
    const key = e.key(f);
    const id = text(key);
    const g = groups.get(id) ?? { key, bytes: 0n, packets: 0n, flows: 0 };
    g.bytes += scaledBytes(f);
    g.packets += scaledPackets(f);
    g.flows += 1;
    groups.set(id, g);
  }
  const values = e.values ?? 'bytes, packets, flows';
  const order = e.by === 'flows' ? (g: { flows: number }) => BigInt(g.flows)
    : values === 'packets' ? (g: { packets: bigint }) => g.packets : (g: { bytes: bigint }) => g.bytes;
  return [...groups.values()]
    .sort((a, b) => (order(b) > order(a) ? 1 : order(b) < order(a) ? -1 : 0))
    .slice(0, e.limit ?? 20)
    .map((g) => text({
      ...g.key,
      ...(values === 'bytes, packets, flows' ? { bytes: String(g.bytes), packets: String(g.packets), flows: g.flows } : {}),
      ...(values === 'bytes' ? { bytes: String(g.bytes) } : {}),
      ...(values === 'packets' ? { packets: String(g.packets) } : {}),
    }));
}

function expectedCountries(flows: readonly Flow[], limit = 20): string[] {
  const byCountry = new Map<string, { sent: bigint; received: bigint }>();
  const add = (country: string, side: 'sent' | 'received', bytes: bigint) => {
    if (!country) return;
    const c = byCountry.get(country) ?? { sent: 0n, received: 0n };
    c[side] += bytes;
    byCountry.set(country, c);
  };
  for (const f of flows) {
    add(place(f.src).country, 'sent', scaledBytes(f));
    add(place(f.dst).country, 'received', scaledBytes(f));
  }
  return [...byCountry].sort(([, a], [, b]) => Number((b.sent + b.received) - (a.sent + a.received))).slice(0, limit)
    .map(([country, c]) => text({ country, bytes: String(c.sent + c.received), bytes_sent: String(c.sent), bytes_received: String(c.received) }));
}

function expectedSeries(flows: readonly Flow[], e: Extract<Expected, { kind: 'series' }>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const f of flows.filter(e.where ?? (() => true))) {
    for (const s of e.series(f)) sums[s] = (sums[s] ?? 0) + Number(scaledBytes(f));
  }
  return sums;
}

// ---------------------------------------------------------------- running the dashboards

/** The ranges that pick each table, ending now; every flow of the fixture lies in all three. */
const RANGES: Record<'raw' | '1m' | '1h', TimeRange> = {
  'raw': { from: now - 3 * 3600, to: now + 60 },
  '1m': { from: now - 2 * 86_400, to: now + 60 },
  '1h': { from: now - 10 * 86_400, to: now + 60 },
};
/** The step each table draws at least, and Grafana's interval for each range. */
const STEP = { 'raw': 1, '1m': 60, '1h': 3600 };

const ALL: Selection = { all: ALL_VALUE };
const DEFAULT_VARIABLES: Record<string, Selection> = { site: ALL, device: ALL, interface: [INTERFACE] };
const VARIABLES: Record<string, Record<string, Selection>> = { 'helios-flow-interface-correlation': { device: [DEVICE], interface: [INTERFACE] } };

/** A panel's own time range: a relative override (`1h`) replaces the dashboard's. */
function panelRange(panel: Panel, range: TimeRange): TimeRange {
  if (!panel.timeFrom) return range;
  const hours = /^(\d+)h$/.exec(panel.timeFrom);
  if (!hours) throw new Error(`panel "${panel.title}": timeFrom ${panel.timeFrom} is not modelled here`);
  return { from: range.to - Number(hours[1]) * 3600, to: range.to };
}

const inRange = (r: TimeRange) => (f: Flow) => f.timeSec >= r.from && f.timeSec <= r.to;
const clickHousePanels = (d: Dashboard) => d.panels.filter((p) => p.targets?.some((t) => t.datasource?.uid === CLICKHOUSE_DATASOURCE.uid));

describe('the flow dashboards\' ClickHouse queries on the real schema and data', () => {
  let store: FlowStore;

  beforeAll(async () => {
    store = await FlowStore.start(FLOWS);
  }, 240_000);
  afterAll(async () => {
    await store?.stop();
  });

  it('answers for every panel the dashboards have', () => {
    for (const d of dashboards) {
      expect(Object.keys(EXPECTED[d.uid]).sort()).toEqual(d.panels.map((p) => p.title).sort());
    }
    expect(dashboards.map((d) => d.uid).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('chooses raw flows up to 6 hours, minutes up to 7 days, hours beyond, and hours for a short range older than the raw flows', async () => {
    const choice = async (r: TimeRange) => (await store.rows<{ t: string }>(`SELECT ${grafanaSql(FLOW_TABLE, r, {})} AS t`))[0].t;
    expect(await choice(RANGES.raw)).toBe('raw');
    expect(await choice(RANGES['1m'])).toBe('1m');
    expect(await choice(RANGES['1h'])).toBe('1h');
    expect(await choice({ from: now - 6 * 3600, to: now })).toBe('raw');
    expect(await choice({ from: now - 6 * 3600 - 1, to: now })).toBe('1m');
    expect(await choice({ from: now - 7 * 86_400, to: now })).toBe('1m');
    expect(await choice({ from: now - 7 * 86_400 - 1, to: now })).toBe('1h');
    // Two hours, 20 days ago: flows_raw no longer has them, flows_1m does.
    expect(await choice({ from: now - 20 * 86_400, to: now - 20 * 86_400 + 7200 })).toBe('1m');
    expect(await choice({ from: now - 40 * 86_400, to: now - 40 * 86_400 + 7200 })).toBe('1h');
  });

  for (const table of ['raw', '1m', '1h'] as const) {
    for (const filter of ['every exporter', 'site ams1', 'exporter core-fra1-01'] as const) {
      it(`returns the expected rows and column types for every panel, range read from ${table === 'raw' ? 'flows_raw' : `flows_${table}`}, ${filter}`, async () => {
        const exporterVariables: Record<string, Selection> = filter === 'site ams1' ? { site: ['ams1'], device: ALL }
          : filter === 'exporter core-fra1-01' ? { site: ALL, device: ['core-fra1-01'] } : {};
        const chosen = (f: Flow) => (filter === 'site ams1' ? f.exporter.site === 'ams1' : filter === 'exporter core-fra1-01' ? f.exporter.name === 'core-fra1-01' : true);
        let checked = 0;
        for (const d of dashboards) {
          const variables = { ...DEFAULT_VARIABLES, ...(VARIABLES[d.uid] ?? exporterVariables) };
          const flowsOf = (r: TimeRange) => FLOWS.filter(inRange(r)).filter(d.uid === 'helios-flow-interface-correlation' ? () => true : chosen);
          for (const panel of d.panels) {
            const expected = EXPECTED[d.uid][panel.title];
            if (expected === 'thanos') {
              expect(panel.targets?.every((t) => t.datasource?.uid === '${datasource}')).toBe(true);
              continue;
            }
            const [target] = panel.targets ?? [];
            const range = panelRange(panel, RANGES[table]);
            const sql = grafanaSql(target.rawSql!, range, variables);
            const result = await store.result(sql);
            const where = `${d.uid} / ${panel.title}`;
            const flows = flowsOf(range);
            if (expected.kind === 'series') {
              expect([where, target.format]).toEqual([where, 0]);
              // Time, the series' name (the plugin makes one series per value of a string column), the number.
              expect([where, result.meta.map((m) => m.type.replace(/^LowCardinality\((.*)\)$/, '$1'))]).toEqual([where, ["DateTime('UTC')", 'String', 'Float64']]);
              const step = Math.max(grafanaInterval(range), STEP[table]);
              const sums: Record<string, number> = {};
              for (const row of result.data as Array<{ time: string; series: string; bps: number }>) {
                expect([where, Date.parse(`${row.time}Z`) / 1000 % step]).toEqual([where, 0]);
                sums[row.series] = (sums[row.series] ?? 0) + row.bps * step / 8;
              }
              const want = expectedSeries(flows, expected);
              expect([where, Object.keys(sums).sort()]).toEqual([where, Object.keys(want).sort()]);
              for (const [series, bytes] of Object.entries(want)) expect(sums[series]).toBeCloseTo(bytes, 0);
            } else {
              expect([where, target.format]).toEqual([where, 1]);
              const rows = result.data.map((r) => text(r as Key));
              const want = expected.kind === 'top' ? expectedTop(flows, expected) : expectedCountries(flows, expected.limit);
              expect([where, [...rows].sort()]).toEqual([where, [...want].sort()]);
              // Sorted the way the panel reads: largest first.
              const first = expected.kind === 'top' && expected.by ? expected.by : result.meta.find((m) => m.name === 'bytes' || m.name === 'packets')!.name;
              const numbers = result.data.map((r) => BigInt(String(r[first])));
              expect(numbers).toEqual([...numbers].sort((a, b) => (b > a ? 1 : b < a ? -1 : 0)));
              for (const m of result.meta.filter((c) => ['bytes', 'packets', 'flows', 'bytes_sent', 'bytes_received'].includes(c.name))) {
                expect([where, m.name, m.type]).toEqual([where, m.name, 'UInt64']);
              }
              if (expected.kind === 'countries') {
                expect(result.meta[0]).toEqual({ name: 'country', type: 'LowCardinality(String)' });
                for (const r of result.data) expect(String(r.country)).toMatch(/^[A-Z]{2}$/);
              }
            }
            expect([where, result.data.length > 0]).toEqual([where, true]);
            checked++;
          }
        }
        expect(checked).toBe(Object.values(EXPECTED).flatMap((e) => Object.values(e)).filter((e) => e !== 'thanos').length);
      }, 120_000);
    }
  }

  it('offers the sites, exporters and interfaces that sent flows in the range (variable queries)', async () => {
    const values = async (sql: string, variables: Record<string, Selection>, range = RANGES.raw) =>
      (await store.rows<Record<string, string>>(grafanaSql(sql, range, variables))).map((r) => Object.values(r)[0]);
    const variables = dashboards.flatMap((d) => d.templating?.list ?? []).filter((v) => v.datasource?.uid === CLICKHOUSE_DATASOURCE.uid);
    expect([...new Set(variables.map((v) => v.name))].sort()).toEqual(['device', 'interface', 'site']);
    const sql = new Set(Object.values(FLOW_VARIABLE_SQL));
    for (const v of variables) expect(sql.has(v.query!.rawSql!)).toBe(true);

    expect(await values(FLOW_VARIABLE_SQL.site, {})).toEqual(['ams1', 'fra1']);
    expect(await values(FLOW_VARIABLE_SQL.device, { site: ALL })).toEqual(['core-fra1-01', 'edge-ams1-01']);
    expect(await values(FLOW_VARIABLE_SQL.device, { site: ['ams1'] })).toEqual(['edge-ams1-01']);
    expect(await values(FLOW_VARIABLE_SQL.anyDevice, {})).toEqual(['core-fra1-01', 'edge-ams1-01']);
    expect(await values(FLOW_VARIABLE_SQL.interface, { device: ['core-fra1-01'] })).toEqual(['Ethernet1', 'Ethernet2']);
    expect(await values(FLOW_VARIABLE_SQL.interface, { device: ["it's-not-there"] })).toEqual([]);
    // A range with no flows offers nothing, and a range of 15 minutes still finds the hour's rows.
    expect(await values(FLOW_VARIABLE_SQL.site, {}, { from: now - 40 * 86_400, to: now - 39 * 86_400 })).toEqual([]);
    const last = Math.max(...FLOWS.map((f) => f.timeSec));
    expect(await values(FLOW_VARIABLE_SQL.site, {}, { from: last - 900, to: last + 1 })).toEqual(
      [...new Set(FLOWS.filter((f) => f.timeSec >= Math.floor((last - 900) / 3600) * 3600 && f.exporter.site).map((f) => f.exporter.site))].sort());
    expect(EXPORTERS.filter((e) => e.site).map((e) => e.site).sort()).toEqual(['ams1', 'fra1']);
  });

  it('names the top series of a time series and adds up the rest as "other"', async () => {
    const label = "concat(if(src_site = '', '(outside)', src_site), ' → ', if(dst_site = '', '(outside)', dst_site))";
    const sql = grafanaSql(bitsPerSecondSql(label, ['src_site', 'dst_site'], '', 2), RANGES['1m'], {});
    const step = Math.max(grafanaInterval(RANGES['1m']), STEP['1m']);
    const sums: Record<string, number> = {};
    for (const row of await store.rows<{ series: string; bps: number }>(sql)) sums[row.series] = (sums[row.series] ?? 0) + row.bps * step / 8;
    const all = expectedSeries(FLOWS, { kind: 'series', series: (f) => [`${outside(place(f.src).site)} → ${outside(place(f.dst).site)}`] });
    const ranked = Object.entries(all).sort(([, a], [, b]) => b - a);
    expect(ranked.length).toBeGreaterThan(3);
    expect(Object.keys(sums).sort()).toEqual([ranked[0][0], ranked[1][0], 'other'].sort());
    expect(sums[ranked[0][0]]).toBeCloseTo(ranked[0][1], 0);
    expect(sums.other).toBeCloseTo(ranked.slice(2).reduce((total, [, bytes]) => total + bytes, 0), 0);
  });

  it('reads each range from its own table (rows only one table holds show only in its ranges)', async () => {
    // Marker exporters in one table each. A per-minute range of whole hours and two half hours: totals read the
    // half hours from flows_1m (or flows_1m_sites) and the whole hours from flows_1h.
    const hour = Math.floor(now / 3600) * 3600;
    const perMinute: TimeRange = { from: hour - 2 * 86_400 + 1800, to: hour + 1800 };
    const insert = (table: string, site: string, time: number) => store.client.command({
      query: `INSERT INTO ${FLOWS_DATABASE}.${table} (time, exporter_site, exporter_name, bytes, packets, flows) VALUES (toDateTime(${time}), '${site}', 'marker', 1, 1, 1)`,
    });
    await insert('flows_1m', 'marker-1m-edge', hour + 600);
    await insert('flows_1m', 'marker-1m-whole-hour', hour - 3 * 3600 + 60);
    await insert('flows_1m_sites', 'marker-1m-sites', hour + 600);
    await insert('flows_1h', 'marker-1h-whole-hour', hour - 3 * 3600);
    await insert('flows_1h', 'marker-1h-half-hour', hour);
    const panel = (uid: string, title: string) => dashboards.find((d) => d.uid === uid)!.panels.find((p) => p.title === title)!;
    const sites = async (p: Panel, r: TimeRange) => (await store.rows<{ site: string }>(grafanaSql(p.targets![0].rawSql!.replace(/LIMIT \d+$/, ''), r, DEFAULT_VARIABLES)))
      .map((row) => row.site).filter((s) => s.startsWith('marker')).sort();
    // Exporters and their sites: flows_1m_sites per minute.
    const exporters = panel('helios-flow-top-talkers', 'Top exporters');
    expect(await sites(exporters, RANGES.raw)).toEqual([]);
    expect(await sites(exporters, perMinute)).toEqual(['marker-1m-sites']);
    expect(await sites(exporters, RANGES['1h'])).toEqual(['marker-1h-half-hour', 'marker-1h-whole-hour']);
    // AS pairs need flows_1m: its minutes outside whole hours, flows_1h's whole hours.
    const asPairs = panel('helios-flow-as-paths', 'AS pairs by exporter site');
    expect(await sites(asPairs, RANGES.raw)).toEqual([]);
    expect(await sites(asPairs, perMinute)).toEqual(['marker-1h-whole-hour', 'marker-1m-edge']);
    expect(await sites(asPairs, RANGES['1h'])).toEqual(['marker-1h-half-hour', 'marker-1h-whole-hour']);
    expect(clickHousePanels(dashboards[0]).length).toBeGreaterThan(0);
  });
});
