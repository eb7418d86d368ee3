import { type LiveDevice } from './network.js';
import { CLUSTER } from './world.js';
import { allDashboards, promqlQueries, type Intervals, type PromQLQuery, type Selection } from '../dashboards/grafana-model.js';

/**
 * The PromQL queries of the dashboards as Grafana sends them to Thanos Query while a
 * user looks at the live stack's devices: the one place where the dashboards'
 * variables get values. Every scope variable holds what the live devices carry
 * (their cluster, region, sites and names); the rest are at All, as the dashboards
 * open; the flow dashboard that correlates one interface looks at leaf1's Ethernet1.
 */
export function liveDashboardQueries(devices: readonly LiveDevice[], gnmiInterface: string): PromQLQuery[] {
  const values = (label: keyof LiveDevice['taxonomy']) => [...new Set(devices.map((d) => d.taxonomy[label]))].sort();
  const selection: Selection = {
    cluster: [CLUSTER.name],
    region: values('region'),
    site: values('site'),
    role: '$__all',
    vendor: '$__all',
    platform: '$__all',
    tier: '$__all',
    device: values('device'),
    interface: '$__all',
    severity: '$__all',
  };
  const gnmiDevice = devices.find((d) => d.name === 'leaf1')!;
  const single: Record<string, Selection> = {
    'helios-flow-interface-correlation': { device: gnmiDevice.name, interface: gnmiInterface },
  };
  // The last 10 minutes (about the stack's age when the queries run) on a ~1,000 px panel; the scrape interval is 30 s.
  const intervals: Intervals = { rangeSec: 600, intervalSec: 30, scrapeSec: 30 };
  const { network, flows } = allDashboards();
  return [...network, ...flows].flatMap((d) => promqlQueries(d, { ...selection, ...single[d.uid] }, intervals));
}

const NO_BGP = 'no device here can serve BGP: gnmi_target (gnxi d82d9936) compiles only the openconfig-interfaces, -openflow,'
  + ' -platform and -system models, not openconfig-network-instance, and the dashboards read BGP from gNMI only';

/**
 * The queries that cannot have data on this machine, and why. The test also fails if
 * one of them returns data: then it belongs back in the checked list.
 */
export const NO_DATA_HERE: Readonly<Record<string, string>> = {
  'helios-network-overview BGP sessions A': NO_BGP,
  'helios-network-overview BGP sessions B': NO_BGP,
  'helios-bgp-status Sessions A': NO_BGP,
  'helios-bgp-status Sessions B': NO_BGP,
  'helios-bgp-status Session state A': NO_BGP,
  'helios-bgp-status Established for A': NO_BGP,
  'helios-bgp-status State changes A': NO_BGP,
  'helios-bgp-status Prefixes A': NO_BGP,
  'helios-bgp-status Prefixes B': NO_BGP,
  'helios-device-health Power supply output A': 'gNMI only, and gnmi_target\'s openconfig-platform (gnxi d82d9936) has no'
    + ' power-supply leaves; as it refuses a subscription with a missing path, leaf1 subscribes interfaces only'
    + ' (CPU, memory and temperature panels get their data from the SNMP device)',
};
