/**
 * What happens to a ClickHouse panel's SQL between the dashboard JSON and ClickHouse,
 * done here the way Grafana and grafana-clickhouse-datasource do it, so the tests run
 * exactly the text ClickHouse would receive:
 *
 * 1. Grafana's frontend replaces template variables: `${name:singlequote}` is every
 *    selected value quoted ('a','b', a quote escaped as \'); a custom all value is
 *    inserted as it is, unformatted (templateSrv skips formatting for it).
 * 2. The plugin's backend expands its macros (pkg/macros/macros.go): `$__fromTime` →
 *    `toDateTime(<unix s>)`, `$__timeFilter(c)` → `c >= toDateTime(f) AND c <= toDateTime(t)`,
 *    `$__timeInterval(c)` → `toStartOfInterval(toDateTime(c), INTERVAL <s> second)`,
 *    `$__interval_s` → the interval in whole seconds, at least 1. A macro is matched as
 *    `\$__name(?:\((.*?)\))?` with its arguments split at commas.
 */

export interface TimeRange {
  /** Unix seconds. */
  readonly from: number;
  readonly to: number;
}

/** A variable's selection: values, or All (its custom all value). */
export type Selection = readonly string[] | { readonly all: string };

const singleQuote = (v: string) => `'${v.replace(/'/g, "\\'")}'`;

export function interpolateVariables(sql: string, variables: Readonly<Record<string, Selection>>): string {
  const value = (name: string, format: string | undefined): string => {
    const selection = variables[name];
    if (selection === undefined) throw new Error(`the SQL uses the variable $${name}, which the test did not set`);
    if ('all' in selection) return selection.all;
    if (format === 'singlequote') return selection.map(singleQuote).join(',');
    if (format === undefined || format === 'raw') return selection.join(',');
    throw new Error(`variable format ${format} is not modelled by this test`);
  };
  return sql
    .replace(/\$\{(\w+)(?::(\w+))?\}/g, (_, name: string, format: string | undefined) => value(name, format))
    .replace(/\$(?!__)(\w+)/g, (_, name: string) => value(name, undefined));
}

type Macro = (range: TimeRange, intervalSec: number, args: string[]) => string;
const dateTime = (s: number) => `toDateTime(${s})`;
const oneArg = (name: string, args: string[]): string => {
  if (args.length !== 1) throw new Error(`$__${name}: expected 1 argument, received ${args.length}`);
  return args[0];
};

/** The plugin's macros this project uses, and the rest of macros.go's list with the same names. */
const MACROS: ReadonlyArray<[string, Macro]> = [
  // Longer names first: the plugin's pattern has no word boundary, so $__fromTime would also match $__fromTime_ms.
  ['fromTime_ms', (r) => `fromUnixTimestamp64Milli(${r.from * 1000})`],
  ['toTime_ms', (r) => `fromUnixTimestamp64Milli(${r.to * 1000})`],
  ['timeFilter_ms', (r, _, a) => `${oneArg('timeFilter_ms', a)} >= fromUnixTimestamp64Milli(${r.from * 1000}) AND ${a[0]} <= fromUnixTimestamp64Milli(${r.to * 1000})`],
  ['timeInterval_ms', (_, i, a) => `toStartOfInterval(toDateTime64(${oneArg('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(i * 1000, 1)} millisecond)`],
  ['fromTime', (r) => dateTime(r.from)],
  ['toTime', (r) => dateTime(r.to)],
  ['timeFilter', (r, _, a) => `${oneArg('timeFilter', a)} >= ${dateTime(r.from)} AND ${a[0]} <= ${dateTime(r.to)}`],
  ['timeInterval', (_, i, a) => `toStartOfInterval(toDateTime(${oneArg('timeInterval', a)}), INTERVAL ${Math.max(Math.floor(i), 1)} second)`],
  ['interval_s', (_, i) => String(Math.max(Math.floor(i), 1))],
];

export function expandMacros(sql: string, range: TimeRange, intervalSec: number): string {
  let out = sql;
  for (const [name, macro] of MACROS) {
    out = out.replace(new RegExp(`\\$__${name}(?:\\((.*?)\\))?`, 'g'), (_, args: string | undefined) =>
      macro(range, intervalSec, args === undefined ? [] : args.split(',').map((a) => a.trim())));
  }
  const left = /\$__\w+/.exec(out);
  if (left) throw new Error(`${left[0]} is not a macro grafana-clickhouse-datasource expands`);
  return out;
}

/**
 * Grafana's interval for a range: range / max data points, rounded to its nice steps
 * (a subset of Grafana's rangeutil table, enough for the ranges the tests use).
 */
export function grafanaInterval(range: TimeRange, maxDataPoints = 1000): number {
  const raw = (range.to - range.from) / maxDataPoints;
  const steps = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
  return steps.find((s) => s >= raw) ?? 86_400;
}

/** The SQL ClickHouse receives for a panel or variable query. */
export function grafanaSql(
  rawSql: string, range: TimeRange, variables: Readonly<Record<string, Selection>>, intervalSec = grafanaInterval(range),
): string {
  return expandMacros(interpolateVariables(rawSql, variables), range, intervalSec);
}
