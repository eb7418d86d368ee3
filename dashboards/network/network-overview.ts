import { DEVICE_RECORDS, SITE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import {
  DashboardTag, DashboardUid, Drilldown, Thresholds, Unit, asInterface, deviceReachable, deviceSeries,
  heatmap, heliosDashboard, interfaceLinks, interfaceUtilization, scopeMatchers, selector, sharedVariables,
  siteMatchers, stat, table, timeSeries,
} from '../shared/index.js';

/** Upper bounds of the utilization heatmap's bands (shares of link speed). */
const UTILIZATION_BUCKETS = [0.1, 0.25, 0.5, 0.75, 0.9, 1] as const;

/** Is the network healthy right now, and where should I look first? */
export function networkOverview(): DashboardModel {
  const scope = scopeMatchers();
  const devices = deviceSeries(scope);
  const utilization = `max by (cluster, device, ifName) (${interfaceUtilization(scope)})`;
  const bgp = selector(GNMI_METRICS.bgpSessionState, scope);
  return heliosDashboard({
    uid: DashboardUid.NETWORK_OVERVIEW,
    title: 'Network Overview',
    description: 'Is the network healthy right now, and where should I look first?',
    tag: DashboardTag.NETWORK,
    variables: sharedVariables(),
    panels: [
      stat({
        title: 'Devices',
        description: 'Devices some collector monitors (SNMP, gNMI, probes or their own metrics).',
        unit: Unit.COUNT,
        width: 4,
        height: 5,
        queries: [{ expr: `count(group by (device) (${devices}))`, instant: true }],
      }),
      stat({
        title: 'Devices unreachable',
        description: 'Devices no collector reaches (the DeviceUnreachable alert: no SNMP, no gNMI, no ping).',
        unit: Unit.COUNT,
        width: 4,
        height: 5,
        thresholds: Thresholds.anyIsBad(),
        noValue: '0',
        queries: [{ expr: `count(${deviceReachable(scope)} == 0)`, instant: true }],
      }),
      stat({
        title: 'BGP sessions',
        description: 'BGP sessions established and not established (gNMI session state).',
        unit: Unit.COUNT,
        width: 4,
        height: 5,
        noValue: '0',
        queries: [
          { expr: `count(${bgp} == 6)`, legend: 'Established', instant: true },
          { expr: `count(${bgp} != 6)`, legend: 'Not established', instant: true },
        ],
      }),
      stat({
        title: 'Devices reachable per site',
        description: 'The share of each site\'s devices some collector reaches now; click a site for its overview.',
        unit: Unit.RATIO,
        width: 12,
        height: 5,
        thresholds: Thresholds.availability(),
        links: [Drilldown.site('series')],
        queries: [{ expr: `avg by (site) (${deviceReachable(scope)})`, legend: '{{site}}', instant: true }],
      }),
      heatmap({
        title: 'Interface utilization',
        description: 'How many interfaces run at which share of their link speed (the busier of in and out; interfaces reporting a speed over SNMP).',
        unit: Unit.COUNT,
        bucketUnit: Unit.RATIO,
        width: 12,
        height: 9,
        queries: [{
          expr: UTILIZATION_BUCKETS.map((le) => `label_replace(count(${utilization} <= ${le}) or vector(0), "le", "${le}", "", "")`)
            .concat(`label_replace(count(${utilization}) or vector(0), "le", "+Inf", "", "")`).join('\nor\n'),
          legend: '{{le}}',
          format: 'heatmap',
        }],
      }),
      timeSeries({
        title: 'Traffic per site',
        description: 'Bits per second through every interface of each site\'s devices, in and out.',
        unit: Unit.BITS_PER_SECOND,
        width: 12,
        height: 9,
        queries: [
          { expr: `sum by (site) (${selector(SITE_RECORDS.inBits, siteMatchers())})`, legend: '{{site}} in' },
          { expr: `sum by (site) (${selector(SITE_RECORDS.outBits, siteMatchers())})`, legend: '{{site}} out' },
        ],
      }),
      table({
        title: 'Interfaces with the most errors',
        description: 'The share of packets errored over 5 minutes (the InterfaceErrorRate alert fires above 1%), worst first; click for the interface and its flows.',
        unit: Unit.RATIO,
        width: 24,
        height: 8,
        thresholds: Thresholds.interfaceErrors(),
        links: interfaceLinks('table'),
        columns: { device: 'Device', interface: 'Interface', direction: 'Direction', Value: 'Errored packets' },
        queries: [{
          expr: `topk(10, max by (device, interface, direction) (${asInterface(selector(DEVICE_RECORDS.interfaceErrors, scope))}) > 0)`,
          instant: true,
          format: 'table',
        }],
      }),
    ],
  });
}
