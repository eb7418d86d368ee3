import { BLACKBOX_JOB } from '../../constructs/metrics/blackbox.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import {
  DashboardTag, DashboardUid, Thresholds, Unit, deviceLinks, heliosDashboard, scopeMatchers, selector,
  sharedVariables, table, thresholds, timeSeries,
} from '../shared/index.js';

/** Can we reach each device, how fast does it answer, and do its services respond? */
export function latencyReachability(): DashboardModel {
  const device = scopeMatchers({ device: true });
  const probe = (metric: string, module: string, extra: readonly string[] = []) => selector(metric, [`job="${BLACKBOX_JOB}"`, `module="${module}"`, ...device, ...extra]);
  return heliosDashboard({
    uid: DashboardUid.LATENCY_REACHABILITY,
    title: 'Latency & Reachability',
    description: 'Can we reach each device, how fast does it answer, and do its services respond?',
    tag: DashboardTag.NETWORK,
    variables: sharedVariables({ device: true }),
    panels: [
      timeSeries({
        title: 'Ping round-trip time',
        description: 'The ICMP echo round trip from helios-collection to each device (blackbox icmp module).',
        unit: Unit.SECONDS,
        width: 12,
        height: 8,
        links: deviceLinks('series'),
        queries: [{ expr: `max by (device) (${probe('probe_icmp_duration_seconds', 'icmp', ['phase="rtt"'])})`, legend: '{{device}}' }],
      }),
      timeSeries({
        title: 'Ping loss',
        description: 'The share of pings unanswered (one echo per probe, every 30 seconds).',
        unit: Unit.RATIO,
        width: 12,
        height: 8,
        min: 0,
        max: 1,
        thresholds: thresholds({ color: 'green' }, { color: 'red', from: 0.01 }),
        links: deviceLinks('series'),
        queries: [{ expr: `1 - avg by (device) (avg_over_time(${probe('probe_success', 'icmp')}[$__rate_interval]))`, legend: '{{device}}' }],
      }),
      timeSeries({
        title: 'TCP connect time',
        description: 'How long a TCP handshake to each probed port takes (blackbox tcp_connect module).',
        unit: Unit.SECONDS,
        width: 12,
        height: 8,
        queries: [{ expr: `max by (device, instance) (${probe('probe_duration_seconds', 'tcp_connect')})`, legend: '{{device}} {{instance}}' }],
      }),
      timeSeries({
        title: 'HTTP response time',
        description: 'Where the time of each HTTP probe goes: resolve, connect, TLS, processing, transfer.',
        unit: Unit.SECONDS,
        width: 12,
        height: 8,
        stacked: true,
        queries: [{ expr: `sum by (device, instance, phase) (${probe('probe_http_duration_seconds', 'http_2xx')})`, legend: '{{device}} {{instance}} {{phase}}' }],
      }),
      table({
        title: 'Failing probes',
        description: 'Probes that fail now: the device, the module (icmp, tcp_connect, http_2xx, dns) and the probed address.',
        unit: Unit.STATE,
        width: 24,
        height: 8,
        thresholds: Thresholds.neutral(),
        noValue: 'none',
        links: deviceLinks('table'),
        columns: { device: 'Device', module: 'Probe', instance: 'Address' },
        queries: [{ expr: `${selector('probe_success', [`job="${BLACKBOX_JOB}"`, ...device])} == 0`, instant: true, format: 'table' }],
      }),
    ],
  });
}
