import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import {
  DashboardTag, DashboardUid, Thresholds, Unit, asInterface, barGauge, busiestInterfaces, deviceLinks, heliosDashboard,
  interfaceLinks, interfaceTraffic, interfaceUtilization, scopeMatchers, sharedVariables,
} from '../shared/index.js';

/** Which interfaces and devices carry the most traffic, and which links are closest to full? */
export function topTalkersMetrics(): DashboardModel {
  const scope = scopeMatchers();
  const fullest = (window: '5m' | '1h max') => `topk(10, max by (device, interface) (${asInterface(interfaceUtilization(scope, window))}))`;
  return heliosDashboard({
    uid: DashboardUid.TOP_TALKERS_METRICS,
    title: 'Top Talkers (metrics)',
    description: 'Which interfaces and devices carry the most traffic, and which links are closest to full?',
    tag: DashboardTag.NETWORK,
    variables: sharedVariables(),
    panels: [
      barGauge({
        title: 'Busiest interfaces',
        description: 'The interfaces carrying the most traffic now, in and out together (interface counters; for who talks, see the flow dashboards).',
        unit: Unit.BITS_PER_SECOND,
        width: 12,
        height: 10,
        links: interfaceLinks('series'),
        queries: [{ expr: busiestInterfaces(scope), legend: '{{device}} {{interface}}', instant: true }],
      }),
      barGauge({
        title: 'Busiest devices',
        description: 'The devices whose interfaces carry the most traffic now, in and out together.',
        unit: Unit.BITS_PER_SECOND,
        width: 12,
        height: 10,
        links: deviceLinks('series'),
        queries: [{ expr: `topk(10, sum by (device) (${interfaceTraffic(scope)}))`, legend: '{{device}}', instant: true }],
      }),
      fullestLinks('Fullest links now',
        'Interfaces by the share of their link speed in use over the last 5 minutes, the busier direction (SNMP interfaces, which report a speed).',
        fullest('5m')),
      fullestLinks('Fullest links, peak of the last hour',
        'Interfaces by the highest 5-minute utilization of the last hour: links that peak near full even when they are quiet now.',
        fullest('1h max')),
    ],
  });
}

/** Interfaces ranked by utilization, 0–1 of their link speed. */
function fullestLinks(title: string, description: string, expr: string) {
  return barGauge({
    title,
    description,
    unit: Unit.RATIO,
    width: 12,
    height: 10,
    min: 0,
    max: 1,
    thresholds: Thresholds.utilization(),
    links: interfaceLinks('series'),
    queries: [{ expr, legend: '{{device}} {{interface}}', instant: true }],
  });
}
