import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { DEVICE_VARIABLE, INTERFACE_VARIABLE } from './variables.js';

/** Every Helios dashboard's uid: links between them are built from these, never typed out. */
export const DashboardUid = {
  NETWORK_OVERVIEW: 'helios-network-overview',
  INTERFACE_ANALYTICS: 'helios-interface-analytics',
  DEVICE_HEALTH: 'helios-device-health',
  SITE_OVERVIEW: 'helios-site-overview',
  LATENCY_REACHABILITY: 'helios-latency-reachability',
  BGP_STATUS: 'helios-bgp-status',
  TOP_TALKERS_METRICS: 'helios-top-talkers-metrics',
  ALERTS_OVERVIEW: 'helios-alerts-overview',
  FLOW_TOP_TALKERS: 'helios-flow-top-talkers',
  FLOW_TRAFFIC_MATRIX: 'helios-flow-traffic-matrix',
  FLOW_AS_PATHS: 'helios-flow-as-paths',
  FLOW_PROTOCOLS: 'helios-flow-protocols',
  FLOW_GEO: 'helios-flow-geo',
  FLOW_INTERFACE_CORRELATION: 'helios-flow-interface-correlation',
} as const;
export type DashboardUidValue = typeof DashboardUid[keyof typeof DashboardUid];

/** Tags the dashboard menus group by: every dashboard is `helios`, plus its pipeline. */
export const DashboardTag = { HELIOS: 'helios', NETWORK: 'network', FLOWS: 'flows' } as const;

/** The menus every dashboard has at the top: the network and the flow dashboards, keeping time and variables. */
export function dashboardMenus(): DashboardLinkBuilder[] {
  const menu = (title: string, tag: string) => new DashboardLinkBuilder(title)
    .type(DashboardLinkType.Dashboards)
    .tags([tag])
    .asDropdown(true)
    .includeVars(true)
    .keepTime(true);
  return [menu('Network', DashboardTag.NETWORK), menu('Flows', DashboardTag.FLOWS)];
}

/**
 * Where a clicked value's labels come from: a time series' labels, or a table row's
 * columns (an instant query in table format turns labels into columns).
 */
export type LinkSource = 'series' | 'table';

/** The Grafana expression for the clicked series' or row's value of a label. */
export function clicked(label: string, source: LinkSource): string {
  return source === 'series' ? `\${__field.labels.${label}}` : `\${__data.fields.${label}}`;
}

/**
 * A link to a dashboard with variables set from the clicked value, keeping the time
 * range. `vars` maps a variable of the target dashboard to the label that fills it.
 */
export function drilldown(title: string, uid: DashboardUidValue, vars: Readonly<Record<string, string>>, source: LinkSource): DashboardLinkBuilder {
  const query = Object.entries(vars).map(([variable, label]) => `var-${variable}=${clicked(label, source)}`);
  return new DashboardLinkBuilder(title)
    .type(DashboardLinkType.Link)
    .url(`/d/${uid}?${[...query, '${__url_time_range}'].join('&')}`);
}

/**
 * The drill-down path every panel showing devices or interfaces offers:
 * device → its health and interfaces → an interface → the flows through it.
 */
export const Drilldown = {
  deviceHealth: (source: LinkSource) => drilldown(`Health of ${clicked(DEVICE_VARIABLE, source)}`,
    DashboardUid.DEVICE_HEALTH, { [DEVICE_VARIABLE]: DEVICE_VARIABLE }, source),
  deviceInterfaces: (source: LinkSource) => drilldown(`Interfaces of ${clicked(DEVICE_VARIABLE, source)}`,
    DashboardUid.INTERFACE_ANALYTICS, { [DEVICE_VARIABLE]: DEVICE_VARIABLE }, source),
  interface: (source: LinkSource) => drilldown(`Interface ${clicked(INTERFACE_VARIABLE, source)} of ${clicked(DEVICE_VARIABLE, source)}`,
    DashboardUid.INTERFACE_ANALYTICS, { [DEVICE_VARIABLE]: DEVICE_VARIABLE, [INTERFACE_VARIABLE]: INTERFACE_VARIABLE }, source),
  interfaceFlows: (source: LinkSource) => drilldown(`Flows through ${clicked(INTERFACE_VARIABLE, source)} of ${clicked(DEVICE_VARIABLE, source)}`,
    DashboardUid.FLOW_INTERFACE_CORRELATION, { [DEVICE_VARIABLE]: DEVICE_VARIABLE, [INTERFACE_VARIABLE]: INTERFACE_VARIABLE }, source),
  site: (source: LinkSource) => drilldown(`Site ${clicked('site', source)}`, DashboardUid.SITE_OVERVIEW, { site: 'site' }, source),
} as const;

/** The links of a panel listing devices: health and interfaces. */
export function deviceLinks(source: LinkSource): DashboardLinkBuilder[] {
  return [Drilldown.deviceHealth(source), Drilldown.deviceInterfaces(source)];
}

/** The links of a panel listing interfaces: the interface and its flows. */
export function interfaceLinks(source: LinkSource): DashboardLinkBuilder[] {
  return [Drilldown.interface(source), Drilldown.interfaceFlows(source)];
}
