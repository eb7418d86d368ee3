import { alertsOverview } from './network/alerts-overview.js';
import { bgpStatus } from './network/bgp-status.js';
import { deviceHealth } from './network/device-health.js';
import { interfaceAnalytics } from './network/interface-analytics.js';
import { latencyReachability } from './network/latency-reachability.js';
import { networkOverview } from './network/network-overview.js';
import { siteOverview } from './network/site-overview.js';
import { topTalkersMetrics } from './network/top-talkers-metrics.js';
import type { DashboardModel } from '../constructs/metrics/grafana.js';

export { flowDashboards } from './flows/index.js';

/** The metrics dashboards (Thanos Query), for Grafana's Network folder, in menu order. */
export function networkDashboards(): DashboardModel[] {
  return [
    networkOverview(),
    siteOverview(),
    deviceHealth(),
    interfaceAnalytics(),
    latencyReachability(),
    bgpStatus(),
    topTalkersMetrics(),
    alertsOverview(),
  ];
}
