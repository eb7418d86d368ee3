import type { DashboardModel } from '../../constructs/index.js';
import { flowDashboards, networkDashboards } from '../../dashboards/index.js';

/**
 * Reading dashboards as Grafana does: their panels, targets and variables, the
 * datasource each query goes to, and the variable interpolation Grafana applies to a
 * query before sending it.
 */

export interface DataSourceRef {
  readonly type?: string;
  readonly uid?: string;
}

export interface Target {
  readonly refId?: string;
  readonly datasource?: DataSourceRef;
  readonly expr?: string;
  readonly rawSql?: string;
  readonly [field: string]: unknown;
}

export interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly description?: string;
  readonly datasource?: DataSourceRef;
  readonly gridPos?: { x: number; y: number; w: number; h: number };
  readonly targets?: readonly Target[];
  readonly options?: Record<string, unknown>;
  readonly fieldConfig?: { defaults?: { unit?: string; custom?: Record<string, unknown>; links?: Array<{ url?: string }> } };
  readonly panels?: readonly Panel[];
  readonly [field: string]: unknown;
}

export interface Variable {
  readonly type: string;
  readonly name: string;
  readonly query?: unknown;
  readonly datasource?: DataSourceRef;
  readonly current?: { value?: string | string[] };
  readonly multi?: boolean;
  readonly includeAll?: boolean;
  readonly allValue?: string;
  readonly [field: string]: unknown;
}

export interface Dashboard extends DashboardModel {
  readonly panels?: readonly Panel[];
  readonly templating?: { list?: readonly Variable[] };
  readonly links?: ReadonlyArray<{ url?: string }>;
}

/** The network dashboards and the flow dashboards, as Grafana is given them. */
export function allDashboards(): { network: Dashboard[]; flows: Dashboard[] } {
  return { network: networkDashboards() as Dashboard[], flows: flowDashboards() as Dashboard[] };
}

/** Every panel, rows' nested panels included. */
export function panelsOf(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function variablesOf(d: Dashboard): Variable[] {
  return [...(d.templating?.list ?? [])];
}

/** The datasource a target queries: its own, else its panel's. */
export function targetDatasource(panel: Panel, target: Target): DataSourceRef | undefined {
  return target.datasource ?? panel.datasource;
}

/** Resolves `${var}` datasource uids through the dashboard's datasource variables (their current value). */
export function resolveDatasource(d: Dashboard, ref: DataSourceRef | undefined): DataSourceRef | undefined {
  const m = /^\$\{?(\w+)\}?$/.exec(ref?.uid ?? '');
  if (!ref || !m) return ref;
  const variable = variablesOf(d).find((v) => v.name === m[1] && v.type === 'datasource');
  const value = variable?.current?.value;
  return { type: typeof variable?.query === 'string' ? variable.query : ref.type, uid: typeof value === 'string' ? value : undefined };
}

/**
 * Variables Grafana defines itself (`$__interval`, `${__field.labels.x}`,
 * `${__url_time_range}`...), and names Grafana leaves alone because no variable can
 * have them: `$1` in label_replace is a regex group.
 */
export function isBuiltin(name: string): boolean {
  return name.startsWith('__') || /^\d+$/.test(name);
}

/** Every variable reference in a text: `$name`, `${name}`, `${name:format}`, `[[name]]`, with its name. */
export function variableReferences(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\$\{([\w.]+)(?::[\w]+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]/g)) names.push(m[1] ?? m[2] ?? m[3]);
  return names;
}

/** What a user picked: `'$__all'`, one value, or several. */
export type Selection = Readonly<Record<string, string | readonly string[]>>;

/** The built-in interval variables for a panel over `rangeSec` with Grafana's interval `intervalSec`. */
export interface Intervals {
  readonly rangeSec: number;
  readonly intervalSec: number;
  /** The datasource's scrape interval (its `timeInterval`). */
  readonly scrapeSec: number;
}

/**
 * Grafana's Prometheus interpolation (public/app/plugins/datasource/prometheus:
 * interpolateQueryExpr with prometheusSpecialRegexEscape): a variable that is multi-value
 * or has All gets each value regex-escaped, several values as `(a|b)`; All becomes the
 * variable's custom all value as it is. `$__rate_interval` is
 * max($__interval + scrape interval, 4 x scrape interval).
 */
export function interpolatePromQL(expr: string, variables: readonly Variable[], selection: Selection, t: Intervals): string {
  const builtins: Record<string, string> = {
    __rate_interval: `${Math.max(t.intervalSec + t.scrapeSec, 4 * t.scrapeSec)}s`,
    __interval: `${t.intervalSec}s`,
    __interval_ms: String(t.intervalSec * 1000),
    __range: `${t.rangeSec}s`,
    __range_s: String(t.rangeSec),
    __range_ms: String(t.rangeSec * 1000),
  };
  const escape = (v: string) => v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
  const value = (name: string): string => {
    if (name in builtins) return builtins[name];
    const variable = variables.find((v) => v.name === name);
    if (!variable) throw new Error(`$${name} is not a variable of the dashboard`);
    const picked = selection[name];
    if (picked === undefined) throw new Error(`the test selects no value for $${name}`);
    if (picked === '$__all') {
      if (variable.allValue === undefined) throw new Error(`$${name} has no custom all value; Grafana would list every value`);
      return variable.allValue;
    }
    if (!variable.multi && !variable.includeAll) return String(picked).replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
    if (typeof picked === 'string') return escape(picked);
    const escaped = picked.map(escape);
    return escaped.length === 1 ? escaped[0] : `(${escaped.join('|')})`;
  };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole: string, a, b, c) => (/^\d+$/.test(a ?? b ?? c) ? whole : value(a ?? b ?? c)));
}

/**
 * A query variable's PromQL: `label_values(selector, label)` asks for the values of
 * `label` on the series matching `selector`, which is what `group by (label) (selector)` returns.
 */
export function variablePromQL(query: string): string {
  const m = /^label_values\((.*),\s*(\w+)\)$/s.exec(query.trim());
  if (!m) throw new Error(`variable query "${query}" is not label_values(selector, label)`);
  return `group by (${m[2]}) (${m[1]})`;
}

/** One PromQL query of a dashboard, named `<uid> <panel title> <refId>` or `<uid> $<variable>`. */
export interface PromQLQuery {
  readonly key: string;
  readonly expr: string;
}

/**
 * Every PromQL query of a dashboard that goes to a Prometheus datasource (query
 * variables as the `group by` their label_values asks, and panel targets), with the
 * variables interpolated as Grafana does for `selection`.
 */
export function promqlQueries(d: Dashboard, selection: Selection, t: Intervals): PromQLQuery[] {
  const variables = variablesOf(d);
  const interpolate = (expr: string) => interpolatePromQL(expr, variables, selection, t);
  const fromVariables = variables
    .filter((v) => v.type === 'query' && resolveDatasource(d, v.datasource)?.type === 'prometheus')
    .map((v) => ({ key: `${d.uid} $${v.name}`, expr: interpolate(variablePromQL(String(v.query))) }));
  const fromPanels = panelsOf(d).flatMap((p) => (p.targets ?? [])
    .filter((target) => resolveDatasource(d, targetDatasource(p, target))?.type === 'prometheus')
    .map((target) => ({ key: `${d.uid} ${p.title} ${target.refId}`, expr: interpolate(String(target.expr)) })));
  return [...fromVariables, ...fromPanels];
}
