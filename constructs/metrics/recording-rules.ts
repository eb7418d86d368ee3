import type { RuleGroup } from './rules.js';

/**
 * The recordings the Thanos Ruler keeps over the whole fleet, for dashboards that
 * look at days and weeks: computing interface utilization over 30 days from raw
 * counters is slow; reading a 1-hour series is not.
 *
 * Utilization is a ratio of the link speed (ifHighSpeed, in Mbit/s; ifSpeed tops out
 * at 4.3 Gbit/s). Links that report no speed are left out rather than divided by zero.
 * `group_left` keeps the counter's labels (ifName, the taxonomy), which `on` alone drops.
 */
export const INTERFACE_UTILIZATION_RULES: readonly RuleGroup[] = [
  {
    name: 'interface-utilization-5m',
    intervalSec: 60,
    records: [
      {
        record: 'interface:in_utilization:ratio_rate5m',
        expr: 'rate(ifHCInOctets[5m]) * 8 / on (cluster, job, instance, ifIndex) group_left () (ifHighSpeed * 1000000 > 0)',
      },
      {
        record: 'interface:out_utilization:ratio_rate5m',
        expr: 'rate(ifHCOutOctets[5m]) * 8 / on (cluster, job, instance, ifIndex) group_left () (ifHighSpeed * 1000000 > 0)',
      },
    ],
  },
  {
    name: 'interface-utilization-1h',
    intervalSec: 300,
    records: [
      { record: 'interface:in_utilization:ratio_avg1h', expr: 'avg_over_time(interface:in_utilization:ratio_rate5m[1h])' },
      { record: 'interface:out_utilization:ratio_avg1h', expr: 'avg_over_time(interface:out_utilization:ratio_rate5m[1h])' },
      { record: 'interface:in_utilization:ratio_max1h', expr: 'max_over_time(interface:in_utilization:ratio_rate5m[1h])' },
      { record: 'interface:out_utilization:ratio_max1h', expr: 'max_over_time(interface:out_utilization:ratio_rate5m[1h])' },
    ],
  },
];
