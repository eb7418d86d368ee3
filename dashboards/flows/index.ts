import { asPathsDashboard } from './as-paths.js';
import { geoDashboard } from './geo.js';
import { interfaceCorrelationDashboard } from './interface-correlation.js';
import { protocolsDashboard } from './protocols.js';
import { topTalkersDashboard } from './top-talkers.js';
import { trafficMatrixDashboard } from './traffic-matrix.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';

/** The flow dashboards (ClickHouse, with Thanos beside it in Interface Correlation), for Grafana's Flows folder. */
export function flowDashboards(): DashboardModel[] {
  return [topTalkersDashboard(), trafficMatrixDashboard(), asPathsDashboard(), protocolsDashboard(), geoDashboard(), interfaceCorrelationDashboard()];
}
