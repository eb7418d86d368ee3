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
