import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import { DatasourceType, DatasourceUid } from './datasources.js';
import { FLOWS_DATABASE, FlowTables, SITE_ROLLUP_DIMENSIONS, SITE_ROLLUP_VALUES } from '../../constructs/flows/flow-schema.js';

/**
 * Grafana's ClickHouse datasource (grafana-clickhouse-datasource) as the
 * foundation SDK would have it: the SDK ships no builder for this plugin, so the
 * query model is written here once and implements `cog.Dataquery`, which every
 * panel builder's `withTarget` accepts.
 */

/** The datasource every flow panel reads: Helios provisions it under this uid. */
export const CLICKHOUSE_DATASOURCE: common.DataSourceRef = { type: DatasourceType.FLOWS, uid: DatasourceUid.FLOWS };

/** The plugin's result formats (its `Format` enum, from the Grafana plugin SDK's sqlutil): the one place the numbers live. */
export enum ClickHouseFormat {
  TimeSeries = 0,
  Table = 1,
  Logs = 2,
  Trace = 3,
  Multi = 4,
}

/** The plugin's query model, as the raw SQL editor saves it. */
export interface ClickHouseQuery extends cog.Dataquery {
  refId: string;
  hide?: boolean;
  datasource: common.DataSourceRef;
  editorType: 'sql';
  queryType: 'timeseries' | 'table';
  rawSql: string;
  format: ClickHouseFormat;
}

/** Builds a ClickHouse target: `new ClickHouseQueryBuilder('A').timeSeries(sql)` or `.table(sql)`. */
export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(refId = 'A') {
    this.internal = {
      refId,
      datasource: CLICKHOUSE_DATASOURCE,
      editorType: 'sql',
      queryType: 'table',
      rawSql: '',
      format: ClickHouseFormat.Table,
      _implementsDataqueryVariant() {},
    };
  }

  /** Rows of (time, [label,] value...) ordered by time; the plugin turns long rows into one series per label. */
  timeSeries(rawSql: string): this {
    Object.assign(this.internal, { rawSql, queryType: 'timeseries', format: ClickHouseFormat.TimeSeries });
    return this;
  }

  /** Rows as they come. */
  table(rawSql: string): this {
    Object.assign(this.internal, { rawSql, queryType: 'table', format: ClickHouseFormat.Table });
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }

  build(): ClickHouseQuery {
    if (!this.internal.rawSql.trim()) throw new Error(`ClickHouse query ${this.internal.refId}: rawSql is empty; call timeSeries(sql) or table(sql)`);
    return { ...this.internal };
  }
}

// ------------------------------------------------------------------ which table a query reads

/**
 * The flow store keeps every flow 7 days (`flows_raw`), per minute 30 days and
 * per hour 90 days. A dashboard reads the finest table that holds its whole range
 * and stays fast over it: raw flows up to 6 hours, minutes up to 7 days, hours beyond.
 * Read per minute, a query that needs only sites, exporters and protocols reads the
 * per-minute traffic between sites (flows_1m_sites) instead of flows_1m, and totals
 * over the range read its whole hours from flows_1h (flowTotals): the same sums from
 * fewer rows.
 */
export const RAW_MAX_RANGE_SEC = 6 * 3600;
export const PER_MINUTE_MAX_RANGE_SEC = 7 * 86_400;
const RAW_KEPT_SEC = 7 * 86_400;
const PER_MINUTE_KEPT_SEC = 30 * 86_400;

/**
 * A column of the flow source every panel reads: its expression in flows_raw and
 * in the rollups. The raw side scales bytes and packets by the sampling rate as the
 * rollups' materialized views do, so the three tables answer alike.
 */
const ROLLUP_COLUMNS = {
  time: { raw: 'time_received', rollup: 'time' },
  exporter_site: { raw: 'exporter_site', rollup: 'exporter_site' },
  exporter_name: { raw: 'exporter_name', rollup: 'exporter_name' },
  exporter_region: { raw: 'exporter_region', rollup: 'exporter_region' },
  exporter_role: { raw: 'exporter_role', rollup: 'exporter_role' },
  in_if_name: { raw: 'in_if_name', rollup: 'in_if_name' },
  out_if_name: { raw: 'out_if_name', rollup: 'out_if_name' },
  in_if_speed: { raw: 'in_if_speed', rollup: 'in_if_speed' },
  out_if_speed: { raw: 'out_if_speed', rollup: 'out_if_speed' },
  src_site: { raw: 'src_site', rollup: 'src_site' },
  dst_site: { raw: 'dst_site', rollup: 'dst_site' },
  src_as: { raw: 'src_as', rollup: 'src_as' },
  dst_as: { raw: 'dst_as', rollup: 'dst_as' },
  // The rollups keep AS names as SimpleAggregateFunction(anyLast, ...): read back as plain strings so UNION ALL agrees.
  src_as_name: { raw: 'toString(src_as_name)', rollup: 'toString(src_as_name)' },
  dst_as_name: { raw: 'toString(dst_as_name)', rollup: 'toString(dst_as_name)' },
  src_country: { raw: 'src_country', rollup: 'src_country' },
  dst_country: { raw: 'dst_country', rollup: 'dst_country' },
  etype: { raw: 'etype', rollup: 'etype' },
  proto: { raw: 'proto', rollup: 'proto' },
  service_port: { raw: 'least(src_port, dst_port)', rollup: 'service_port' },
  bytes: { raw: 'bytes * greatest(sampling_rate, 1)', rollup: 'bytes' },
  packets: { raw: 'packets * greatest(sampling_rate, 1)', rollup: 'packets' },
  flows: { raw: 'toUInt64(1)', rollup: 'flows' },
} as const;

/** A column every flow table has (time, the rollups' dimensions and bytes, packets, flows). */
export type FlowColumn = keyof typeof ROLLUP_COLUMNS;
export const FLOW_COLUMNS = Object.keys(ROLLUP_COLUMNS) as readonly FlowColumn[];

/** Range length and start, as the plugin expands them: seconds, constant for the whole query. */
const RANGE = '($__toTime - $__fromTime)';
const RAW_FITS = `${RANGE} <= ${RAW_MAX_RANGE_SEC} AND $__fromTime >= now() - ${RAW_KEPT_SEC}`;
const PER_MINUTE_FITS = `${RANGE} <= ${PER_MINUTE_MAX_RANGE_SEC} AND $__fromTime >= now() - ${PER_MINUTE_KEPT_SEC}`;

/**
 * The one choice of table, as SQL. Grafana sends one fixed SQL text per panel and the
 * plugin only substitutes macros, so the choice happens in ClickHouse: `flow_table`
 * is a constant (the range and `now()` are constants of the query), each UNION ALL
 * branch of `flowsInRange` and `flowTotals` is guarded by it, and the planner folds a false guard
 * into reading no granules at all (EXPLAIN indexes=1 shows `Parts: 0`). A hidden
 * Grafana variable could not do it: variables do not see the panel's time range
 * as a number at query time.
 */
export const FLOW_TABLE = `multiIf(${RAW_FITS}, 'raw', ${PER_MINUTE_FITS}, '1m', '1h')`;

/** Seconds per row of the chosen table: the coarsest bucket a panel can draw. */
export const FLOW_TABLE_STEP = `multiIf(${RAW_FITS}, 1, ${PER_MINUTE_FITS}, 60, 3600)`;

/**
 * Seconds per point of a time series: Grafana's interval for the panel width, but never
 * finer than the table's rows (hourly rows drawn per minute would be spikes and gaps).
 */
export const FLOW_BUCKET_SEC = `greatest($__interval_s, ${FLOW_TABLE_STEP})`;

/** The time bucket of a time series row, on the source's `time` column. */
export const FLOW_BUCKET = `toStartOfInterval(time, toIntervalSecond(${FLOW_BUCKET_SEC}))`;

/** Every 1m row of an hour from WHOLE_HOURS_START up to WHOLE_HOURS_END lies in the range; hours in UTC, as the rollups'. */
const WHOLE_HOURS_START = "toStartOfHour($__fromTime + 3599, 'UTC')";
const WHOLE_HOURS_END = "toStartOfHour($__toTime + 60, 'UTC')";

function qualified(table: string): string {
  return `${FLOWS_DATABASE}.${table}`;
}

/** One UNION ALL branch: `columns` of `table` where `condition` (guard and time) and the query's `where` hold. */
function branch(table: string, side: 'raw' | 'rollup', columns: readonly FlowColumn[], condition: string, where: string): string {
  const select = columns.map((c) => {
    const expression = ROLLUP_COLUMNS[c][side];
    return expression === c ? c : `${expression} AS ${c}`;
  });
  return `SELECT ${select.join(', ')} FROM ${qualified(table)} WHERE ${condition}${where ? ` AND (${where})` : ''}`;
}

const inRange = (side: 'raw' | 'rollup') => `$__timeFilter(${ROLLUP_COLUMNS.time[side]})`;

/** The flow columns an SQL expression reads. */
export function columnsOf(expression: string): FlowColumn[] {
  return FLOW_COLUMNS.filter((c) => new RegExp(`\\b${c}\\b`).test(expression));
}

const SITE_COLUMNS: ReadonlySet<string> = new Set([...SITE_ROLLUP_DIMENSIONS, ...SITE_ROLLUP_VALUES]);

/**
 * The per-minute table for these columns and filter: the per-minute traffic between
 * sites when it has every column read (a fifth of flows_1m's rows at Large-tier
 * volume), else flows_1m.
 */
function perMinuteTable(columns: readonly FlowColumn[], where: string): string {
  return [...columns, ...columnsOf(where)].every((c) => SITE_COLUMNS.has(c)) ? FlowTables.SITES_PER_MINUTE : FlowTables.PER_MINUTE;
}

const union = (branches: readonly string[]) => `(\n  ${branches.join('\n  UNION ALL\n  ')}\n)`;

/**
 * The flows of the dashboard's time range as a subquery, from the one table that fits
 * it (raw, per minute or per hour; see FLOW_TABLE), with `columns` and time, for time
 * series. `where` filters each branch and may name only columns that have the same
 * name in every table (the exporter's taxonomy, interfaces, sites, AS numbers,
 * countries, etype, proto). Rows are not yet merged: always aggregate (`sum(bytes)`, `GROUP BY`).
 */
export function flowsInRange(columns: readonly FlowColumn[], where = ''): string {
  const cols = [...new Set<FlowColumn>(['time', ...columns])];
  return union([
    branch(FlowTables.RAW, 'raw', cols, `${FLOW_TABLE} = 'raw' AND ${inRange('raw')}`, where),
    branch(perMinuteTable(cols, where), 'rollup', cols, `${FLOW_TABLE} = '1m' AND ${inRange('rollup')}`, where),
    branch(FlowTables.PER_HOUR, 'rollup', cols, `${FLOW_TABLE} = '1h' AND ${inRange('rollup')}`, where),
  ]);
}

/**
 * The flows of the range for totals over all of it (top tables, shares): as
 * flowsInRange, without time. A range read per minute that flows_1m_sites cannot
 * serve reads its whole hours from flows_1h and only the minutes before the first and
 * after the last whole hour from flows_1m: an hour of flows_1h sums exactly that
 * hour's flows_1m rows (both views read the same flows), in a fraction of the rows.
 */
export function flowTotals(columns: readonly FlowColumn[], where = ''): string {
  const cols = [...new Set(columns)];
  const minutes = perMinuteTable(cols, where);
  const perMinute = minutes === FlowTables.SITES_PER_MINUTE
    ? [branch(minutes, 'rollup', cols, `${FLOW_TABLE} = '1m' AND ${inRange('rollup')}`, where)]
    : [
      branch(minutes, 'rollup', cols, `${FLOW_TABLE} = '1m' AND ${inRange('rollup')} AND (time < ${WHOLE_HOURS_START} OR time >= ${WHOLE_HOURS_END})`, where),
      branch(FlowTables.PER_HOUR, 'rollup', cols, `${FLOW_TABLE} = '1m' AND time >= ${WHOLE_HOURS_START} AND time < ${WHOLE_HOURS_END}`, where),
    ];
  return union([
    branch(FlowTables.RAW, 'raw', cols, `${FLOW_TABLE} = 'raw' AND ${inRange('raw')}`, where),
    ...perMinute,
    branch(FlowTables.PER_HOUR, 'rollup', cols, `${FLOW_TABLE} = '1h' AND ${inRange('rollup')}`, where),
  ]);
}

/**
 * Raw flows of the range, for what only flows_raw keeps (addresses, ports, TCP flags).
 * `columns` are flows_raw's own columns or `expression AS name`; bytes and packets
 * are estimated traffic as in the rollups; time is time_received.
 */
export function rawFlows(columns: readonly string[], where = ''): string {
  const cols = ['time_received AS time', 'bytes * greatest(sampling_rate, 1) AS bytes', 'packets * greatest(sampling_rate, 1) AS packets', ...columns];
  return `(SELECT ${cols.join(', ')} FROM ${qualified(FlowTables.RAW)} WHERE $__timeFilter(time_received)${where ? ` AND (${where})` : ''})`;
}

// ------------------------------------------------------------------ template variables in SQL

/**
 * The `All` value of every multi-value ClickHouse variable. Grafana inserts a custom
 * all value as it is, unformatted, so it is written as the SQL literal it becomes.
 */
export const ALL_VALUE = "'__all'";

/**
 * A filter on a multi-value variable: every value when `All` is chosen (including
 * rows whose column is empty, such as exporters not in NetBox), else the values chosen.
 */
export function variableFilter(column: string, variable: string): string {
  const values = `\${${variable}:singlequote}`;
  return `(${ALL_VALUE} IN (${values}) OR ${column} IN (${values}))`;
}
