import * as common from '@grafana/grafana-foundation-sdk/common';
import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as PieChartBuilder, PieChartLegendOptionsBuilder, PieChartLegendValues } from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { FLOWS_DATABASE, FlowTables } from '../../constructs/flows/flow-schema.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import {
  ALL_VALUE, CLICKHOUSE_DATASOURCE, ClickHouseQueryBuilder, columnsOf, FLOW_BUCKET, FLOW_BUCKET_SEC, flowsInRange, flowTotals, variableFilter,
  type FlowColumn,
} from '../shared/clickhouse.js';
import { DashboardTag } from '../shared/links.js';
import { heliosDashboard, type DashboardSpec } from '../shared/panels.js';
import { Unit } from '../shared/units.js';

/** How many rows a top-N table shows. */
export const TOP_N = 20;

// ------------------------------------------------------------------ variables (ClickHouse)

/**
 * Variables are read from the hourly rollup: it is the smallest table and it holds every
 * exporter and interface of the range (the hour the range starts in included).
 */
const HOURS_OF_RANGE = 'time >= toStartOfHour($__fromTime) AND time <= $__toTime';
const PER_HOUR = `${FLOWS_DATABASE}.${FlowTables.PER_HOUR}`;

/** The variables' SQL: the dashboards use them and the tests run them. */
export const FLOW_VARIABLE_SQL = {
  /** Every exporter of the range (Interface Correlation: one device, no site to narrow by). */
  anyDevice: `SELECT DISTINCT exporter_name FROM ${PER_HOUR} WHERE ${HOURS_OF_RANGE} AND exporter_name != '' ORDER BY exporter_name`,
  site: `SELECT DISTINCT exporter_site FROM ${PER_HOUR} WHERE ${HOURS_OF_RANGE} AND exporter_site != '' ORDER BY exporter_site`,
  /** The exporters of the chosen sites. */
  device: `SELECT DISTINCT exporter_name FROM ${PER_HOUR} WHERE ${HOURS_OF_RANGE} AND exporter_name != ''`
    + ` AND ${variableFilter('exporter_site', 'site')} ORDER BY exporter_name`,
  /** The interfaces flows entered or left the chosen device by. */
  interface: `SELECT DISTINCT arrayJoin([in_if_name, out_if_name]) AS interface FROM ${PER_HOUR} WHERE ${HOURS_OF_RANGE}`
    + " AND exporter_name = ${device:singlequote} AND interface != '' ORDER BY interface",
} as const;

function clickHouseVariable(name: string, label: string, sql: string, multi: boolean): QueryVariableBuilder {
  const variable = new QueryVariableBuilder(name)
    .label(label)
    .datasource(CLICKHOUSE_DATASOURCE)
    .query(new ClickHouseQueryBuilder(`${name}-values`).table(sql).build() as unknown as Record<string, unknown>)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
  return multi ? variable.multi(true).includeAll(true).allValue(ALL_VALUE) : variable;
}

/** The exporter's site and the exporter: filter every panel of a flow dashboard (Interface Correlation excepted). */
export function exporterVariables(): QueryVariableBuilder[] {
  return [
    clickHouseVariable('site', 'Exporter site', FLOW_VARIABLE_SQL.site, true),
    clickHouseVariable('device', 'Exporter', FLOW_VARIABLE_SQL.device, true),
  ];
}

/** One device and one of its interfaces (Interface Correlation; network dashboards link with var-device, var-interface). */
export function interfaceVariables(): QueryVariableBuilder[] {
  return [
    clickHouseVariable('device', 'Device', FLOW_VARIABLE_SQL.anyDevice, false),
    clickHouseVariable('interface', 'Interface', FLOW_VARIABLE_SQL.interface, false),
  ];
}

/** The filter of the exporter variables, for flowsInRange's and flowTotals' `where`. */
export const EXPORTER_FILTER = `${variableFilter('exporter_site', 'site')} AND ${variableFilter('exporter_name', 'device')}`;

// ------------------------------------------------------------------ SQL pieces

/** IANA protocol numbers in the words engineers use; others as their number. */
export const PROTOCOL_NAME = "transform(proto, [1, 6, 17, 47, 50, 58, 89, 132], ['ICMP', 'TCP', 'UDP', 'GRE', 'ESP', 'ICMPv6', 'OSPF', 'SCTP'], toString(proto))";
/**
 * An empty site, exporter or country: outside Helios's NetBox, unknown to GeoIP. Shown in
 * parentheses, which no NetBox slug has, so the label stays one to one with the column.
 */
export const orUnknown = (column: string, unknown: string): string => `if(${column} = '', '(${unknown})', ${column})`;

/**
 * A time series of bits per second, one series per `label` (an SQL expression), from
 * the table that fits the range. With `top`, the `top` series with the most bytes keep
 * their name and the rest add up to "other": pairs of 40 sites would be 1,600 lines.
 * Rows are first summed per time bucket and the columns the label reads (one to one with
 * it, as in topSql), so the label is built on those sums, not per row; the top series
 * are ranked from the same sums, so the range is read once.
 */
export function bitsPerSecondSql(label: string, columns: readonly FlowColumn[], where: string, top?: number): string {
  const keys = columnsOf(label).join(', ');
  if (!keys) throw new Error(`time series label ${label} reads no flow column`);
  const perBucket = `SELECT ${FLOW_BUCKET} AS time, ${keys}, sum(bytes) AS bytes FROM ${flowsInRange([...columns, 'bytes'], where)}`
    + ` GROUP BY time, ${keys}`;
  const bps = `8 * sum(bytes) / ${FLOW_BUCKET_SEC} AS bps`;
  if (top === undefined) {
    return `SELECT time, ${label} AS series, ${bps} FROM (${perBucket}) GROUP BY time, series ORDER BY time, series`;
  }
  return `SELECT time, if(ranking <= ${top}, ${label}, 'other') AS series, ${bps}`
    + ` FROM (SELECT ${keys}, row_number() OVER (ORDER BY sum(bytes) DESC, ${label}) AS ranking, groupArray(time) AS times, groupArray(bytes) AS volumes`
    + ` FROM (${perBucket}) GROUP BY ${keys}) ARRAY JOIN times AS time, volumes AS bytes`
    + ' GROUP BY time, series ORDER BY time, series';
}

/** How many site pairs a time series names before "other". */
export const TOP_SERIES = 10;

/**
 * Top `TOP_N` rows by bytes of the range: `keys` are `expression AS name`. Rows are
 * grouped by the columns the keys read, not by the keys' texts: LowCardinality columns
 * group faster than the strings made from them (measured: a third less time), so a key
 * must name its columns one to one (`if(src_site = '', '(outside)', src_site)`: no site
 * is "(outside)").
 *
 * `asName` (src_as or dst_as, a column the keys read) adds the AS's name as GeoIP knows
 * it (`as_name`, after the keys; the rollups keep the last one seen). Reading the name
 * column costs more than the whole top query (its dictionaries are large), so it is read
 * for the top rows only: the top rows are found first (a scalar subquery, run once), then
 * one named row of each (0, no AS known, has no name) ends the read of names early.
 */
export function topSql(keys: readonly string[], columns: readonly FlowColumn[], where: string, asName?: 'src_as' | 'dst_as'): string {
  const names = keys.map((k) => k.split(' AS ').pop()!);
  const groupBy = [...new Set(keys.flatMap((k) => columnsOf(k.includes(' AS ') ? k.slice(0, k.lastIndexOf(' AS ')) : k)))];
  if (groupBy.length === 0) throw new Error(`top query keys ${keys.join(', ')} read no flow column`);
  const values = ['bytes', 'packets', 'flows'] as const;
  const top = (select: readonly string[]) => `SELECT ${[...select, ...values.map((v) => `sum(${v}) AS ${v}`)].join(', ')}`
    + ` FROM ${flowTotals([...columns, ...values], where)}`
    + ` GROUP BY ${groupBy.join(', ')} ORDER BY bytes DESC, ${names.join(', ')} LIMIT ${TOP_N}`;
  if (asName === undefined) return top(keys);
  if (!groupBy.includes(asName)) throw new Error(`top query keys ${keys.join(', ')} do not read ${asName}, whose name was asked for`);
  const nameColumn = `${asName}_name` as const;
  // top_rows: (the grouped columns..., the keys..., bytes, packets, flows); `at` is a row's element, 1-based.
  const rowColumns = [...groupBy, ...names, ...values];
  const at = (name: string) => `row.${rowColumns.indexOf(name) + 1}`;
  const grouped = (row: string) => `tuple(${groupBy.map((c) => `${row}.${rowColumns.indexOf(c) + 1}`).join(', ')})`;
  return `WITH (SELECT groupArray(tuple(${rowColumns.join(', ')})) FROM (${top([...groupBy.map((c) => `${c} AS ${c}`), ...keys])})) AS top_rows,`
    + ` (SELECT groupArray(tuple(${groupBy.join(', ')}, ${nameColumn})) FROM (SELECT ${groupBy.join(', ')}, ${nameColumn}`
    + ` FROM ${flowTotals([...groupBy, nameColumn], where)}`
    + ` WHERE has(arrayMap(row -> ${grouped('row')}, top_rows), tuple(${groupBy.join(', ')})) AND (${asName} = 0 OR ${nameColumn} != '')`
    + ` LIMIT 1 BY ${groupBy.join(', ')} LIMIT ${TOP_N})) AS as_names`
    + ` SELECT ${[...names.map((n) => `${at(n)} AS ${n}`), `arrayFirst(named -> ${grouped('named')} = ${grouped('row')}, as_names).${groupBy.length + 1} AS as_name`,
      ...values.map((v) => `${at(v)} AS ${v}`)].join(', ')}`
    + ` FROM (SELECT arrayJoin(top_rows) AS row) ORDER BY bytes DESC, ${names.join(', ')}`;
}

// ------------------------------------------------------------------ panels

/** Bits per second over time, one series per label; stacked unless the series overlap (in and out). */
export function timeSeriesPanel(title: string, description: string, sql: string, options: { readonly stacked?: boolean } = {}): TimeSeriesBuilder {
  const panel = new TimeSeriesBuilder()
    .title(title)
    .description(description)
    .datasource(CLICKHOUSE_DATASOURCE)
    .withTarget(new ClickHouseQueryBuilder('A').timeSeries(sql))
    .unit(Unit.BITS_PER_SECOND)
    .min(0)
    .fillOpacity(20)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right)
      .showLegend(true).calcs(['mean', 'max']));
  return options.stacked ?? true ? panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)) : panel;
}

export function tablePanel(title: string, description: string, sql: string): TableBuilder {
  return new TableBuilder()
    .title(title)
    .description(description)
    .datasource(CLICKHOUSE_DATASOURCE)
    .withTarget(new ClickHouseQueryBuilder('A').table(sql))
    // Plain numbers by default: AS numbers and ports are names, not quantities.
    .unit(Unit.STATE)
    .overrideByName('bytes', [{ id: 'unit', value: Unit.BYTES }])
    .overrideByName('packets', [{ id: 'unit', value: Unit.COUNT }])
    .overrideByName('flows', [{ id: 'unit', value: Unit.COUNT }]);
}

/** A share of a whole: one slice per row of (label, value). */
export function piePanel(title: string, description: string, sql: string, unit: string): PieChartBuilder {
  return new PieChartBuilder()
    .title(title)
    .description(description)
    .datasource(CLICKHOUSE_DATASOURCE)
    .withTarget(new ClickHouseQueryBuilder('A').table(sql))
    .unit(unit)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs(['lastNotNull']))
    .legend(new PieChartLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right)
      .showLegend(true).values([PieChartLegendValues.Percent]));
}

/** A flow dashboard: Helios's dashboard frame, tagged flows, filtered by the exporter variables unless given others. */
export function flowDashboard(spec: Omit<DashboardSpec, 'tag' | 'variables'> & { readonly variables?: DashboardSpec['variables'] }): DashboardModel {
  return heliosDashboard({ ...spec, tag: DashboardTag.FLOWS, variables: spec.variables ?? exporterVariables() });
}
