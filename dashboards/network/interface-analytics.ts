import { INTERFACE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import { GNMI_METRICS, INTERFACE_STATUS_CODES } from '../../constructs/metrics/gnmic.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { SNMP_JOB } from '../../constructs/metrics/snmp-exporter.js';
import {
  DashboardTag, DashboardUid, INTERFACE_VARIABLE, Thresholds, Unit, asInterface, barGauge, busiestInterfaces, heliosDashboard,
  interfaceCounterRate, interfaceLinks, scopeMatchers, selector,
  sharedVariables, stateMappings, stateTimeline, timeSeries,
} from '../shared/index.js';

/** How much does each interface of these devices carry, how full is it, and is it healthy? */
export function interfaceAnalytics(): DashboardModel {
  const device = scopeMatchers({ device: true });
  const chosen = [...device, `${INTERFACE_VARIABLE}=~"$${INTERFACE_VARIABLE}"`];
  const utilization = (direction: 'in' | 'out') => asInterface(`max by (device, ifName) (${selector(`interface:${direction}_utilization:ratio_rate5m`, [...device, `ifName=~"$${INTERFACE_VARIABLE}"`])})`);
  const status = INTERFACE_STATUS_CODES;
  return heliosDashboard({
    uid: DashboardUid.INTERFACE_ANALYTICS,
    title: 'Interface Analytics',
    description: 'How much does each interface of these devices carry, how full is it, and is it healthy?',
    tag: DashboardTag.NETWORK,
    variables: sharedVariables({ interface: true }),
    panels: [
      timeSeries({
        title: 'Traffic',
        description: 'Bits per second each interface receives and sends; click a line for the flows through it.',
        unit: Unit.BITS_PER_SECOND,
        width: 12,
        height: 9,
        links: interfaceLinks('series'),
        queries: [
          { expr: `sum by (device, interface) (${selector(INTERFACE_RECORDS.inBits, chosen)})`, legend: '{{device}} {{interface}} in' },
          { expr: `sum by (device, interface) (${selector(INTERFACE_RECORDS.outBits, chosen)})`, legend: '{{device}} {{interface}} out' },
        ],
      }),
      timeSeries({
        title: 'Utilization of link speed',
        description: 'Traffic as a share of the link speed the interface reports over SNMP (ifHighSpeed); gNMI interfaces report no speed.',
        unit: Unit.RATIO,
        width: 12,
        height: 9,
        min: 0,
        max: 1,
        thresholds: Thresholds.utilization(),
        links: interfaceLinks('series'),
        queries: [
          { expr: `sum by (device, interface) (${utilization('in')})`, legend: '{{device}} {{interface}} in' },
          { expr: `sum by (device, interface) (${utilization('out')})`, legend: '{{device}} {{interface}} out' },
        ],
      }),
      timeSeries({
        title: 'Errors',
        description: 'Packets per second received or sent with errors: inbound points at the cable, optic or far end, outbound at the local port.',
        unit: Unit.PACKETS_PER_SECOND,
        width: 12,
        height: 8,
        links: interfaceLinks('series'),
        queries: [
          { expr: interfaceCounterRate('ifInErrors', GNMI_METRICS.inErrors, device), legend: '{{device}} {{interface}} in' },
          { expr: interfaceCounterRate('ifOutErrors', GNMI_METRICS.outErrors, device), legend: '{{device}} {{interface}} out' },
        ],
      }),
      timeSeries({
        title: 'Discards',
        description: 'Packets per second dropped without an error, mostly for lack of buffer: a sign of congestion.',
        unit: Unit.PACKETS_PER_SECOND,
        width: 12,
        height: 8,
        links: interfaceLinks('series'),
        queries: [
          { expr: interfaceCounterRate('ifInDiscards', GNMI_METRICS.inDiscards, device), legend: '{{device}} {{interface}} in' },
          { expr: interfaceCounterRate('ifOutDiscards', GNMI_METRICS.outDiscards, device), legend: '{{device}} {{interface}} out' },
        ],
      }),
      stateTimeline({
        title: 'Operational status',
        description: 'Whether each interface was up, as IF-MIB\'s ifOperStatus and OpenConfig\'s oper-status report it.',
        unit: Unit.STATE,
        width: 12,
        height: 8,
        mappings: stateMappings({
          [status.UP]: ['up', 'green'],
          [status.DOWN]: ['down', 'red'],
          [status.TESTING]: ['testing', 'blue'],
          [status.UNKNOWN]: ['unknown', 'gray'],
          [status.DORMANT]: ['dormant', 'blue'],
          [status.NOT_PRESENT]: ['not present', 'gray'],
          [status.LOWER_LAYER_DOWN]: ['lower layer down', 'red'],
        }),
        queries: [{
          expr: `max by (device, interface) (${asInterface(`${selector('ifOperStatus', [`job="${SNMP_JOB}"`, ...device, `ifName=~"$${INTERFACE_VARIABLE}"`])}`
            + ` or ${selector(GNMI_METRICS.operStatus, [...device, `interface_name=~"$${INTERFACE_VARIABLE}"`])}`)})`,
          legend: '{{device}} {{interface}}',
        }],
      }),
      barGauge({
        title: 'Busiest interfaces',
        description: 'The interfaces carrying the most traffic now, in and out together; click one for the flows through it.',
        unit: Unit.BITS_PER_SECOND,
        width: 12,
        height: 8,
        links: interfaceLinks('series'),
        queries: [{ expr: busiestInterfaces(chosen), legend: '{{device}} {{interface}}', instant: true }],
      }),
    ],
  });
}
