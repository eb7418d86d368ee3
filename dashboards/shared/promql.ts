import { INTERFACE_VARIABLE, matchers, selector } from './variables.js';
import { BLACKBOX_JOB } from '../../constructs/metrics/blackbox.js';
import { INTERFACE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import { SNMP_JOB } from '../../constructs/metrics/snmp-exporter.js';

/**
 * PromQL the metrics dashboards share: the same question (is a device reachable,
 * which interface is this) asked the same way everywhere.
 */

/** The `interface` label from IF-MIB's ifName or OpenConfig's interface name, whichever a series has. */
export function asInterface(expr: string): string {
  return `label_replace(label_replace(${expr}, "${INTERFACE_VARIABLE}", "$1", "ifName", "(.+)"), "${INTERFACE_VARIABLE}", "$1", "interface_name", "(.+)")`;
}

/** Selects both traffic recordings (in and out) at once. */
export function interfaceTraffic(matcherList: readonly string[]): string {
  return `{${[`__name__=~"${INTERFACE_RECORDS.inBits}|${INTERFACE_RECORDS.outBits}"`, ...matcherList].join(', ')}}`;
}

/** The ten interfaces carrying the most traffic now, in and out together, by device and interface. */
export function busiestInterfaces(matcherList: readonly string[]): string {
  return `topk(10, sum by (device, ${INTERFACE_VARIABLE}) (${interfaceTraffic(matcherList)}))`;
}

/** Selects both utilization recordings (in and out, per 5 minutes) at once. */
export function interfaceUtilization(matcherList: readonly string[], window: '5m' | '1h max' = '5m'): string {
  const suffix = window === '5m' ? 'ratio_rate5m' : 'ratio_max1h';
  return `{${[`__name__=~"interface:(in|out)_utilization:${suffix}"`, ...matcherList].join(', ')}}`;
}

/**
 * A per-second rate of an interface counter both collectors have, per device and
 * interface, the interface variable applied to either's interface label.
 */
export function interfaceCounterRate(snmpCounter: string, gnmiCounter: string, matcherList: readonly string[]): string {
  const snmp = selector(snmpCounter, [`job="${SNMP_JOB}"`, ...matcherList, `ifName=~"$${INTERFACE_VARIABLE}"`]);
  const gnmi = selector(gnmiCounter, [...matcherList, `interface_name=~"$${INTERFACE_VARIABLE}"`]);
  return `sum by (device, ${INTERFACE_VARIABLE}) (${asInterface(`rate(${snmp}[$__rate_interval]) or rate(${gnmi}[$__rate_interval])`)})`;
}

/**
 * 1 per device some collector reaches, 0 per device none does, by site: the
 * DeviceUnreachable rule's view (SNMP walks, ICMP probes, gNMI connections mapped to
 * their device), so the dashboards and the alert agree.
 */
export function deviceReachable(matcherList: readonly string[]): string {
  const cluster = matcherList.filter((m) => m.startsWith('cluster='));
  const gnmi = `label_replace(${selector('gnmic_target_up', cluster)}, "target", "$1", "name", "(.+)")`
    + ` * on (target) group_left (device, region, site) ${selector('gnmi_target:taxonomy:info', matcherList)}`;
  return `max by (cluster, region, site, device) (\n  ${selector('up', [`job="${SNMP_JOB}"`, ...matcherList])}\n`
    + `or\n  ${selector('probe_success', [`job="${BLACKBOX_JOB}"`, 'module="icmp"', ...matcherList])}\nor\n  ${gnmi}\n)`;
}

/** Firing alerts per site (alerts about a device carry its site; cluster-wide ones have none). */
export function firingAlertsBySite(matcherList: readonly string[]): string {
  return `count by (site) (${selector('ALERTS', ['alertstate="firing"', 'site!=""', ...matcherList])})`;
}

/** The BGP sessions, by device and neighbor address. */
export function bgpSessions(matcherList: readonly string[]): string {
  return `max by (device, neighbor_neighbor_address) (${selector(GNMI_METRICS.bgpSessionState, matcherList)})`;
}

/** The label matchers of the cluster, region and site variables: what site-level recordings carry. */
export function siteMatchers(): string[] {
  return matchers(['cluster', 'region', 'site']);
}
