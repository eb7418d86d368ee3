import { BGP_SESSION_STATE_CODES, GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import {
  DashboardTag, DashboardUid, Thresholds, Unit, barGauge, bgpSessions, deviceLinks, heliosDashboard, scopeMatchers,
  selector, sharedVariables, stat, stateMappings, stateTimeline, thresholds, timeSeries,
} from '../shared/index.js';

/** Are this device's BGP sessions up, since when, how often do they flap, and what do they exchange? */
export function bgpStatus(): DashboardModel {
  const device = scopeMatchers({ device: true });
  const state = selector(GNMI_METRICS.bgpSessionState, device);
  const established = BGP_SESSION_STATE_CODES.ESTABLISHED;
  const codes = BGP_SESSION_STATE_CODES;
  const prefixes = (metric: string) => `sum by (device, neighbor_neighbor_address) (${selector(metric, device)})`;
  return heliosDashboard({
    uid: DashboardUid.BGP_STATUS,
    title: 'BGP Status',
    description: 'Are these devices\' BGP sessions up, since when, how often do they flap, and what do they exchange?',
    tag: DashboardTag.NETWORK,
    variables: sharedVariables({ device: true }),
    panels: [
      stat({
        title: 'Sessions',
        description: 'BGP sessions established and not established now (gNMI session state); BGPSessionDown fires after a minute not established.',
        unit: Unit.COUNT,
        width: 6,
        height: 8,
        noValue: '0',
        queries: [
          { expr: `count(${state} == ${established})`, legend: 'Established', instant: true },
          { expr: `count(${state} != ${established})`, legend: 'Not established', instant: true },
        ],
      }),
      stateTimeline({
        title: 'Session state',
        description: 'The state of each session over time (BGP4-MIB codes: 6 established, 1 idle, 3 active).',
        unit: Unit.STATE,
        width: 18,
        height: 8,
        links: deviceLinks('series'),
        mappings: stateMappings({
          [codes.IDLE]: ['idle', 'red'],
          [codes.CONNECT]: ['connect', 'orange'],
          [codes.ACTIVE]: ['active', 'orange'],
          [codes.OPENSENT]: ['open sent', 'yellow'],
          [codes.OPENCONFIRM]: ['open confirm', 'yellow'],
          [codes.ESTABLISHED]: ['established', 'green'],
        }),
        queries: [{ expr: bgpSessions(device), legend: '{{device}} {{neighbor_neighbor_address}}' }],
      }),
      barGauge({
        title: 'Established for',
        description: 'How long each session has been established, within the time range (a session established throughout shows the whole range; one down now shows 0).',
        unit: Unit.DURATION,
        width: 8,
        height: 8,
        thresholds: thresholds({ color: 'red' }, { color: 'orange', from: 1 }, { color: 'green', from: 3600 }),
        queries: [{
          expr: `time() - max by (device, neighbor_neighbor_address) (max_over_time(timestamp(${state} != ${established})[$__range:$__interval]))`
            + `\nor\n(${bgpSessions(device)} == bool ${established}) * $__range_s`,
          legend: '{{device}} {{neighbor_neighbor_address}}',
          instant: true,
        }],
      }),
      barGauge({
        title: 'State changes',
        description: 'How often each session changed state within the time range; BGPSessionFlapping fires on more than 2 in 15 minutes.',
        unit: Unit.COUNT,
        width: 8,
        height: 8,
        thresholds: Thresholds.anyIsBad(),
        queries: [{
          expr: `topk(20, sum by (device, neighbor_neighbor_address) (changes(${state}[$__range])))`,
          legend: '{{device}} {{neighbor_neighbor_address}}',
          instant: true,
        }],
      }),
      timeSeries({
        title: 'Prefixes',
        description: 'Prefixes each neighbor sends us (received) and we advertise to it (sent), all address families together.',
        unit: Unit.COUNT,
        width: 8,
        height: 8,
        queries: [
          { expr: prefixes(GNMI_METRICS.bgpPrefixesReceived), legend: '{{device}} {{neighbor_neighbor_address}} in' },
          { expr: prefixes(GNMI_METRICS.bgpPrefixesSent), legend: '{{device}} {{neighbor_neighbor_address}} out' },
        ],
      }),
    ],
  });
}
