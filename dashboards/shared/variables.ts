import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  CustomVariableBuilder, QueryVariableBuilder, VariableRefresh, VariableSort, type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS_DATASOURCE, metricsDatasourceVariable } from './datasources.js';
import { INTERFACE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import type { TaxonomyLabel } from '../../constructs/platform/taxonomy.js';

/**
 * The labels a dashboard narrows by, widest first: the cluster (Prometheus's
 * external label), then the taxonomy every series carries. Each variable offers only
 * the values left by the ones before it, so choosing a site narrows the devices.
 */
export const SCOPE_LABELS = ['cluster', 'region', 'site', 'role', 'vendor', 'platform', 'tier'] as const satisfies ReadonlyArray<TaxonomyLabel | 'cluster'>;
export type ScopeLabel = typeof SCOPE_LABELS[number];

/** The device variable (the taxonomy's `device`) and the interface variable, narrowest. */
export const DEVICE_VARIABLE = 'device' satisfies TaxonomyLabel;
export const INTERFACE_VARIABLE = 'interface';

/**
 * The value `All` stands for. Grafana would otherwise join every value into one
 * regex, which at thousands of devices is a request too long to send.
 */
export const ALL_REGEX = '.*';

/**
 * Series that name a device, whichever collector it has: `up` of the SNMP, blackbox and
 * device-metrics scrapes (their targets carry the taxonomy) and gnmic's
 * target-to-device map (its own `up` is per gnmic pod).
 */
export const DEVICE_SERIES = `{__name__=~"up|gnmi_target:taxonomy:info", ${DEVICE_VARIABLE}!=""}`;

/** `label=~"$label"` for each label given: how a query follows the variables. */
export function matchers(labels: readonly string[]): string[] {
  return labels.map((label) => `${label}=~"$${label}"`);
}

/** The scope matchers (every SCOPE_LABELS variable), optionally with the device's. */
export function scopeMatchers(options: { readonly device?: boolean } = {}): string[] {
  return matchers(options.device ? [...SCOPE_LABELS, DEVICE_VARIABLE] : SCOPE_LABELS);
}

/** A selector: `metric{m1, m2}`. */
export function selector(metric: string, matcherList: readonly string[]): string {
  return `${metric}{${matcherList.join(', ')}}`;
}

/** DEVICE_SERIES narrowed by more matchers. */
export function deviceSeries(extra: readonly string[]): string {
  return extra.length ? `${DEVICE_SERIES.slice(0, -1)}, ${extra.join(', ')}}` : DEVICE_SERIES;
}

function queryVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(METRICS_DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue(ALL_REGEX)
    .current({ selected: true, text: 'All', value: '$__all' })
    // Devices come and go: the lists follow the time range.
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalCaseInsensitiveAsc);
}

const LABEL_NAMES: Record<ScopeLabel | typeof DEVICE_VARIABLE, string> = {
  cluster: 'Cluster', region: 'Region', site: 'Site', role: 'Role', vendor: 'Vendor', platform: 'Platform', tier: 'Tier', device: 'Device',
};

/** The scope variables, each narrowed by those before it. */
export function scopeVariables(): QueryVariableBuilder[] {
  return SCOPE_LABELS.map((label, i) => queryVariable(label, LABEL_NAMES[label], `label_values(${deviceSeries(matchers(SCOPE_LABELS.slice(0, i)))}, ${label})`));
}

/** The device variable, narrowed by every scope variable. */
export function deviceVariable(): QueryVariableBuilder {
  return queryVariable(DEVICE_VARIABLE, LABEL_NAMES.device, `label_values(${deviceSeries(scopeMatchers())}, ${DEVICE_VARIABLE})`);
}

/**
 * The interface variable: the names of the chosen devices' interfaces, from the traffic
 * recording both collectors feed (IF-MIB's ifName, OpenConfig's interface name).
 */
export function interfaceVariable(): QueryVariableBuilder {
  const query = `label_values(${selector(INTERFACE_RECORDS.inBits, scopeMatchers({ device: true }))}, ${INTERFACE_VARIABLE})`;
  return queryVariable(INTERFACE_VARIABLE, 'Interface', query);
}

/** Which of the shared variables a dashboard shows, after the datasource. */
export interface VariableSet {
  /** @default true */
  readonly scope?: boolean;
  /** @default false */
  readonly device?: boolean;
  /** Implies device. @default false */
  readonly interface?: boolean;
}

/** The shared variables in their order: datasource, scope, device, interface. */
export function sharedVariables(set: VariableSet = {}): Array<cog.Builder<VariableModel>> {
  const withInterface = set.interface ?? false;
  return [
    metricsDatasourceVariable(),
    ...(set.scope ?? true ? scopeVariables() : []),
    ...(set.device || withInterface ? [deviceVariable()] : []),
    ...(withInterface ? [interfaceVariable()] : []),
  ];
}

/** A variable with fixed values (severities, states), multi-value with All. */
export function customVariable(name: string, label: string, values: readonly string[]): CustomVariableBuilder {
  return new CustomVariableBuilder(name)
    .label(label)
    .values(values.join(','))
    .multi(true)
    .includeAll(true)
    .allValue(ALL_REGEX)
    .current({ selected: true, text: 'All', value: '$__all' });
}
