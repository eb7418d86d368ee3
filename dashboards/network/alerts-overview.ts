import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { Severity } from '../../constructs/metrics/rules.js';
import {
  DashboardTag, DashboardUid, Thresholds, Unit, barGauge, customVariable, deviceLinks, firingAlertsBySite, heliosDashboard,
  matchers, metricsDatasourceVariable, scopeVariables, selector, siteMatchers, stat, stateMappings, stateTimeline, table,
} from '../shared/index.js';

/** The alert labels every panel groups by. */
const ALERT_LABELS = 'alertname, severity, cluster, site, device';

/** What is alerting now, since when, where, and what has alerted in the time range? */
export function alertsOverview(): DashboardModel {
  const chosen = [...siteMatchers(), ...matchers(['severity'])];
  const firing = selector('ALERTS', ['alertstate="firing"', ...chosen]);
  return heliosDashboard({
    uid: DashboardUid.ALERTS_OVERVIEW,
    title: 'Alerts Overview',
    description: 'What is alerting now, since when, where, and what has alerted in the time range?',
    tag: DashboardTag.NETWORK,
    variables: [
      metricsDatasourceVariable(),
      // Cluster, region and site: the scope labels alerts about devices carry.
      ...scopeVariables().slice(0, 3),
      customVariable('severity', 'Severity', Object.values(Severity)),
    ],
    panels: [
      stat({
        title: 'Firing by severity',
        description: 'Alerts firing now: critical pages, warning goes to chat, info to email.',
        unit: Unit.COUNT,
        width: 8,
        height: 6,
        thresholds: Thresholds.anyIsBad(),
        noValue: '0',
        queries: [{ expr: `count by (severity) (${firing})`, legend: '{{severity}}', instant: true }],
      }),
      barGauge({
        title: 'Firing by site',
        description: 'Alerts about each site\'s devices firing now.',
        unit: Unit.COUNT,
        width: 8,
        height: 6,
        thresholds: Thresholds.anyIsBad(),
        noValue: '0',
        queries: [{ expr: firingAlertsBySite(chosen), legend: '{{site}}', instant: true }],
      }),
      table({
        title: 'Informational alerts',
        description: 'Alerts of severity info, which page nobody: signals that the alerting pipeline itself works'
          + ' (Watchdog-style, always firing) or has a gap (AlertsHaveNoReceiver-style).',
        unit: Unit.COUNT,
        width: 8,
        height: 6,
        noValue: 'none',
        columns: { alertname: 'Alert', cluster: 'Cluster' },
        queries: [{
          // Such alerts are about the pipeline, not a site: the cluster is their only scope.
          expr: `max by (${ALERT_LABELS}) (${selector('ALERTS', ['alertstate="firing"', `severity="${Severity.INFO}"`, ...matchers(['cluster'])])})`,
          instant: true,
          format: 'table',
        }],
      }),
      table({
        title: 'Firing alerts',
        description: 'Every alert firing now and for how long it has been active (pending included); click a device for its health.',
        unit: Unit.DURATION,
        width: 24,
        height: 9,
        thresholds: Thresholds.neutral(),
        links: deviceLinks('table'),
        columns: { 'alertname': 'Alert', 'severity': 'Severity', 'site': 'Site', 'device': 'Device', 'cluster': 'Cluster', 'Value #B': 'Active for' },
        queries: [
          { expr: `max by (${ALERT_LABELS}) (${firing})`, instant: true, format: 'table' },
          {
            // ALERTS_FOR_STATE holds when each alert with a `for` became active.
            expr: `(time() - max by (${ALERT_LABELS}) (${selector('ALERTS_FOR_STATE', chosen)})) and on (${ALERT_LABELS}) max by (${ALERT_LABELS}) (${firing})`,
            instant: true,
            format: 'table',
          },
        ],
      }),
      stateTimeline({
        title: 'Alert history',
        description: 'When each alert fired within the time range.',
        unit: Unit.STATE,
        width: 24,
        height: 10,
        mappings: stateMappings({ 1: ['firing', 'red'] }),
        queries: [{ expr: `max by (alertname, severity) (${firing})`, legend: '{{alertname}} ({{severity}})' }],
      }),
    ],
  });
}
