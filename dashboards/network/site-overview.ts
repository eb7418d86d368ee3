import { SITE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import {
  DashboardTag, DashboardUid, Thresholds, Unit, barGauge, deviceReachable, deviceSeries, firingAlertsBySite,
  heliosDashboard, scopeMatchers, selector, sharedVariables, siteMatchers, stat, timeSeries,
} from '../shared/index.js';

/** How is each site doing: how many devices, how much traffic, how available, how many alerts? */
export function siteOverview(): DashboardModel {
  const scope = scopeMatchers();
  const devices = deviceSeries(scope);
  return heliosDashboard({
    uid: DashboardUid.SITE_OVERVIEW,
    title: 'Site Overview',
    description: 'How is each site doing: how many devices, how much traffic, how available, how many alerts?',
    tag: DashboardTag.NETWORK,
    variables: sharedVariables(),
    panels: [
      barGauge({
        title: 'Devices per site',
        description: 'Devices some collector monitors, per site.',
        unit: Unit.COUNT,
        width: 8,
        height: 8,
        queries: [{ expr: `count by (site) (group by (site, device) (${devices}))`, legend: '{{site}}', instant: true }],
      }),
      stat({
        title: 'Availability',
        description: 'The share of the time range each site\'s devices were reachable by some collector (SNMP, gNMI or ping), averaged over its devices.',
        unit: Unit.RATIO,
        width: 8,
        height: 8,
        thresholds: Thresholds.availability(),
        queries: [{ expr: `avg by (site) (avg_over_time((${deviceReachable(scope)})[$__range:$__interval]))`, legend: '{{site}}', instant: true }],
      }),
      barGauge({
        title: 'Alerts firing per site',
        description: 'Alerts about the site\'s devices firing now.',
        unit: Unit.COUNT,
        width: 8,
        height: 8,
        thresholds: Thresholds.anyIsBad(),
        noValue: '0',
        queries: [{ expr: firingAlertsBySite(siteMatchers()), legend: '{{site}}', instant: true }],
      }),
      timeSeries({
        title: 'Bandwidth per site',
        description: 'Bits per second through every interface of each site\'s devices (a Thanos Ruler recording), in and out.',
        unit: Unit.BITS_PER_SECOND,
        width: 24,
        height: 9,
        queries: [
          { expr: `sum by (site) (${selector(SITE_RECORDS.inBits, siteMatchers())})`, legend: '{{site}} in' },
          { expr: `sum by (site) (${selector(SITE_RECORDS.outBits, siteMatchers())})`, legend: '{{site}} out' },
        ],
      }),
    ],
  });
}
