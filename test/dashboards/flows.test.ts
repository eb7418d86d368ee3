import { FlowTables } from '../../constructs/flows/flow-schema.js';
import { flowDashboards } from '../../dashboards/flows/index.js';
import {
  CLICKHOUSE_DATASOURCE, ClickHouseFormat, ClickHouseQueryBuilder, flowsInRange, flowTotals, PER_MINUTE_MAX_RANGE_SEC, RAW_MAX_RANGE_SEC,
  variableFilter,
} from '../../dashboards/shared/clickhouse.js';
import { DashboardUid } from '../../dashboards/shared/links.js';

/** The flow dashboards as Grafana receives them; their queries run in flows-clickhouse.test.ts. */

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  rawSql?: string;
  format?: number;
  queryType?: string;
  editorType?: string;
  expr?: string;
}
interface Panel { title: string; type: string; targets?: Target[]; links?: Array<{ url: string }>; options?: Record<string, unknown> }
interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  panels: Panel[];
  templating: { list: Array<{ name: string; datasource?: { uid: string }; query?: unknown }> };
}

const dashboards = flowDashboards() as unknown as Dashboard[];
const byUid = (uid: string) => dashboards.find((d) => d.uid === uid)!;

describe('the ClickHouse query builder', () => {
  it('builds the plugin\'s target model, pinning the format numbers in one enum', () => {
    const query = new ClickHouseQueryBuilder('B').timeSeries('SELECT 1').build();
    expect(JSON.parse(JSON.stringify(query))).toEqual({
      refId: 'B',
      datasource: { type: 'grafana-clickhouse-datasource', uid: 'clickhouse' },
      editorType: 'sql',
      queryType: 'timeseries',
      rawSql: 'SELECT 1',
      format: 0,
    });
    expect(new ClickHouseQueryBuilder().table('SELECT 2').hide(true).build()).toMatchObject({ refId: 'A', queryType: 'table', format: 1, hide: true });
    const formats = [ClickHouseFormat.TimeSeries, ClickHouseFormat.Table, ClickHouseFormat.Logs, ClickHouseFormat.Trace, ClickHouseFormat.Multi];
    expect(formats).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a query without SQL, naming it', () => {
    expect(() => new ClickHouseQueryBuilder('C').build()).toThrow('ClickHouse query C: rawSql is empty; call timeSeries(sql) or table(sql)');
    expect(() => new ClickHouseQueryBuilder('D').table('  ').build()).toThrow('ClickHouse query D: rawSql is empty');
  });

  it('reads the flows of a range from the distributed tables, one branch per table, raw up to 6 h and minutes up to 7 days', () => {
    const tables = (sql: string) => [...sql.matchAll(/FROM helios\.(\w+) WHERE/g)].map((m) => m[1]);
    const sql = flowsInRange(['src_as', 'bytes'], "src_site = 'ams1'");
    expect(tables(sql)).toEqual([FlowTables.RAW, FlowTables.PER_MINUTE, FlowTables.PER_HOUR]);
    expect(sql.match(/UNION ALL/g)).toHaveLength(2);
    // Only sites, exporters and protocols: per minute from the traffic between sites; a filter's columns count too.
    expect(tables(flowsInRange(['src_site', 'dst_site', 'proto', 'bytes'], "exporter_name = 'x'"))).toEqual([FlowTables.RAW, FlowTables.SITES_PER_MINUTE, FlowTables.PER_HOUR]);
    expect(tables(flowsInRange(['src_site', 'bytes'], "src_country = 'NL'"))).toEqual([FlowTables.RAW, FlowTables.PER_MINUTE, FlowTables.PER_HOUR]);
    // Totals: a per-minute range's whole hours from the hourly rollup, the rest from flows_1m; no time column to bucket by.
    const totals = flowTotals(['src_as', 'bytes'], "src_site = 'ams1'");
    expect(tables(totals)).toEqual([FlowTables.RAW, FlowTables.PER_MINUTE, FlowTables.PER_HOUR, FlowTables.PER_HOUR]);
    expect(totals).not.toMatch(/\btime AS time\b|SELECT time,/);
    expect(totals).toContain("(time < toStartOfHour($__fromTime + 3599, 'UTC') OR time >= toStartOfHour($__toTime + 60, 'UTC'))");
    expect(totals).toContain("time >= toStartOfHour($__fromTime + 3599, 'UTC') AND time < toStartOfHour($__toTime + 60, 'UTC')");
    expect(tables(flowTotals(['src_site', 'bytes']))).toEqual([FlowTables.RAW, FlowTables.SITES_PER_MINUTE, FlowTables.PER_HOUR]);
    expect(sql).toContain(`<= ${RAW_MAX_RANGE_SEC}`);
    expect(sql).toContain(`<= ${PER_MINUTE_MAX_RANGE_SEC}`);
    // Estimated traffic on the raw side, as the rollups count it.
    expect(sql).toContain('bytes * greatest(sampling_rate, 1) AS bytes');
    expect(sql.match(/AND \(src_site = 'ams1'\)/g)).toHaveLength(3);
    expect(variableFilter('exporter_site', 'site')).toBe("('__all' IN (${site:singlequote}) OR exporter_site IN (${site:singlequote}))");
  });
});

describe('the flow dashboards', () => {
  it('are the six flow dashboards under their fixed uids, tagged flows', () => {
    expect(dashboards.map((d) => d.uid)).toEqual([
      DashboardUid.FLOW_TOP_TALKERS, DashboardUid.FLOW_TRAFFIC_MATRIX, DashboardUid.FLOW_AS_PATHS,
      DashboardUid.FLOW_PROTOCOLS, DashboardUid.FLOW_GEO, DashboardUid.FLOW_INTERFACE_CORRELATION,
    ]);
    expect(dashboards.map((d) => d.uid)).toEqual([
      'helios-flow-top-talkers', 'helios-flow-traffic-matrix', 'helios-flow-as-paths', 'helios-flow-protocols', 'helios-flow-geo', 'helios-flow-interface-correlation',
    ]);
    for (const d of dashboards) expect(d.tags).toContain('flows');
  });

  it('query ClickHouse through the provisioned datasource, time series as format 0 and the rest as tables, only on the _all tables', () => {
    for (const d of dashboards) {
      for (const p of d.panels) {
        for (const t of p.targets ?? []) {
          if (t.datasource.uid !== CLICKHOUSE_DATASOURCE.uid) continue;
          expect(t.datasource).toEqual(CLICKHOUSE_DATASOURCE);
          expect(t.editorType).toBe('sql');
          expect([p.title, t.format, t.queryType]).toEqual(p.type === 'timeseries' ? [p.title, 0, 'timeseries'] : [p.title, 1, 'table']);
          for (const table of t.rawSql!.match(/helios\.\w+/g) ?? []) expect([p.title, table]).toEqual([p.title, expect.stringMatching(/^helios\.flows_(raw|1m|1h|1m_sites)_all$/)]);
        }
      }
    }
  });

  it('put the interface\'s Thanos counters beside its flows, linking back to Interface Analytics for the same device and interface', () => {
    const d = byUid(DashboardUid.FLOW_INTERFACE_CORRELATION);
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'device', 'interface']);
    const counters = d.panels.find((p) => p.title === 'Interface traffic (counters)')!;
    expect(counters.targets!.map((t) => [t.datasource.uid, t.expr])).toEqual([
      ['${datasource}', 'interface:in_bits:rate5m{device="$device", interface="$interface"}'],
      ['${datasource}', 'interface:out_bits:rate5m{device="$device", interface="$interface"}'],
    ]);
    const flows = d.panels.find((p) => p.title === 'Interface traffic (flows)')!;
    expect(flows.targets![0].rawSql).toContain('exporter_name = ${device:singlequote} AND (in_if_name = ${interface:singlequote} OR out_if_name = ${interface:singlequote})');
    for (const p of [counters, flows]) {
      expect(p.links).toEqual([expect.objectContaining({ url: '/d/helios-interface-analytics?${device:queryparam}&${interface:queryparam}&${__url_time_range}' })]);
    }
  });

  it('place countries on the map by their ISO code with Grafana\'s gazetteer', () => {
    const map = byUid(DashboardUid.FLOW_GEO).panels.find((p) => p.type === 'geomap')!;
    expect(map.options).toMatchObject({
      layers: [{ type: 'markers', location: { mode: 'lookup', lookup: 'country', gazetteer: 'public/gazetteer/countries.json' } }],
    });
    expect(map.targets![0].rawSql).toMatch(/^SELECT country, /);
  });
});
