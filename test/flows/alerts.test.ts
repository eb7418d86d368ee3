import { parseConfig } from '../../src/config/load.js';
import type { KubeObject } from '../../src/manifests.js';
import { synthesize } from '../../src/synth.js';
import { promtoolRuleTests } from '../helpers.js';
import { scratch } from '../peers/harness/network-peers.js';

/**
 * The flow pipeline's alerts, as synthesized into PrometheusRules, unit-tested by
 * the real promtool (Prometheus 2.42): each fires on its condition, stays quiet
 * without it, and stays quiet exactly at its threshold.
 */

const objects: KubeObject[] = synthesize(parseConfig(`clusters:
  - name: dc1
    datacenter: dc1
    tier: medium
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
`, 'helios.yaml')).files.flatMap((f) => f.objects);

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface Group { name: string; rules: Rule[] }

const flowRules = objects.filter((o) => o.kind === 'PrometheusRule' && o.metadata.namespace === 'helios-flows');
const groupsOf = (name: string): Group[] => (flowRules.find((o) => o.metadata.name === name) as any).spec.groups;
const allRules = (): Rule[] => flowRules.flatMap((o: any) => o.spec.groups.flatMap((g: Group) => g.rules));
const alertRule = (alert: string): Rule => allRules().find((r) => r.alert === alert)!;

/** Runs one promtool test file over the given rule groups; the failure message is promtool's own report. */
const promtoolTest = promtoolRuleTests(scratch('flow-alerts'));

/** The annotations an alert carries once fired, with its summary rendered. */
function fired(alert: string, summary: string) {
  const rule = alertRule(alert);
  return { ...rule.annotations, summary };
}

const series = (s: string, values: string) => ({ series: s, values });

describe('every flow pipeline alert', () => {
  it('has a severity, a summary, a description and a runbook in constructs/flows/README.md', () => {
    const alerts = allRules().filter((r) => r.alert);
    expect(alerts.map((a: Rule) => a.alert).sort()).toEqual([
      'ClickHouseDiskAlmostFull', 'ClickHouseKafkaConsumerErrors', 'FlowEnricherLagging', 'FlowRateAnomaly', 'KafkaUnderReplicatedPartitions',
    ]);
    for (const a of alerts) {
      expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
      expect(a.annotations?.summary).toBeTruthy();
      expect(a.annotations?.description).toBeTruthy();
      expect(a.annotations?.runbook_url).toBe(`https://github.com/helios-observability/helios/blob/main/constructs/flows/README.md#${a.alert!.toLowerCase()}`);
    }
  });
});

describe('FlowRateAnomaly (FR-015: more than two standard deviations from the past day)', () => {
  const [records, alerts] = groupsOf('goflow2');
  const rate = 'helios:flows_received:rate5m';
  const mean = 'helios:flows_received:rate5m:avg_1d';
  const stddev = 'helios:flows_received:rate5m:stddev_1d';
  const summary = (v: string) => `The flow rate is ${v} flows/s away from the past day's mean: more than two standard deviations`;
  const quiet = { eval_time: '15m', alertname: 'FlowRateAnomaly', exp_alerts: [] };
  const baseline = (now: string) => [series(rate, `${now}x30`), series(mean, '100x30'), series(stddev, '15x30')];

  it('fires above and below the band, after ten minutes', () => {
    promtoolTest([alerts], [
      {
        interval: '1m',
        input_series: baseline('131'),
        alert_rule_test: [
          { eval_time: '5m', alertname: 'FlowRateAnomaly', exp_alerts: [] },
          { eval_time: '15m', alertname: 'FlowRateAnomaly', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: fired('FlowRateAnomaly', summary('31')) }] },
        ],
      },
      {
        interval: '1m',
        input_series: baseline('69'),
        alert_rule_test: [{ eval_time: '15m', alertname: 'FlowRateAnomaly', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: fired('FlowRateAnomaly', summary('31')) }] }],
      },
    ]);
  });

  it('stays quiet inside the band and exactly two standard deviations away', () => {
    promtoolTest([alerts], [
      { interval: '1m', input_series: baseline('100'), alert_rule_test: [quiet] },
      { interval: '1m', input_series: baseline('130'), alert_rule_test: [quiet] },
      { interval: '1m', input_series: baseline('70'), alert_rule_test: [quiet] },
    ]);
  });

  it('learns the baseline from goflow2\'s own counters (IPFIX and NetFlow v9 records, NetFlow v5, sFlow samples) and flags a surge', () => {
    // A day at about 115 flows/s, wobbling by a few percent, then 1,000 flows/s more for 40 minutes.
    const day = 1440;
    const counter = (perMinute: (minute: number) => number) => {
      let total = 0;
      return Array.from({ length: day + 41 }, (_, m) => (total += m === 0 ? 0 : perMinute(m))).join(' ');
    };
    promtoolTest([records, alerts], [{
      interval: '1m',
      input_series: [
        series('goflow2_flow_process_nf_flowset_records_total{router="10.1.1.1",version="10",type="DataFlowSet"}', counter((m) => (m < day ? (m % 2 ? 5_400 : 6_600) : 66_000))),
        series('goflow2_flow_process_nf_flowset_records_total{router="10.1.1.1",version="10",type="TemplateFlowSet"}', counter(() => 50)),
        series('goflow2_flow_process_nf_flowset_total{router="10.1.1.2",version="5",type="DataFlowSet"}', counter(() => 300)),
        series('goflow2_flow_process_sf_samples_total{router="10.1.1.3",agent="10.1.1.3",version="5",type="FlowSample"}', counter(() => 600)),
        series('goflow2_flow_process_sf_samples_total{router="10.1.1.3",agent="10.1.1.3",version="5",type="CounterSample"}', counter(() => 600)),
      ],
      promql_expr_test: [
        // Templates and counter samples are not flows: the rate is 100 + 5 + 10 flows/s, give or take the wobble.
        { expr: `${rate} > bool 110 and ${rate} < bool 120`, eval_time: '23h', exp_samples: [{ labels: '{}', value: 1 }] },
        { expr: `${stddev} > bool 0`, eval_time: '23h', exp_samples: [{ labels: '{}', value: 1 }] },
        { expr: 'ALERTS{alertname="FlowRateAnomaly"}', eval_time: '23h59m', exp_samples: [] },
        { expr: `${rate} > bool 1000`, eval_time: '24h30m', exp_samples: [{ labels: '{}', value: 1 }] },
        { expr: 'ALERTS{alertname="FlowRateAnomaly"}', eval_time: '24h30m', exp_samples: [{ labels: 'ALERTS{alertname="FlowRateAnomaly",alertstate="firing",severity="warning"}', value: 1 }] },
      ],
    }]);
  });
});

describe('FlowEnricherLagging (five minutes of input behind, at the brokers)', () => {
  const [group] = groupsOf('flow-enricher');
  const lag = (consumers: string, value: string) => series(`kafka_consumergroup_lag{consumergroup="${consumers}",topic="helios-flows-raw",partition="0"}`, value);
  const offsets = (values: string) => series('kafka_topic_partition_current_offset{topic="helios-flows-raw",partition="0"}', values);
  const firing = (behind: string) => [{ exp_labels: { severity: 'warning' }, exp_annotations: fired('FlowEnricherLagging', `The Flow Enricher is ${behind} behind the flows goflow2 writes`) }];

  it('fires when the lag is more than five minutes of arrivals, for ten minutes', () => {
    promtoolTest([group], [
      {
        interval: '1m',
        // 100 flows/s arrive; 60,000 wait: ten minutes behind.
        input_series: [lag('helios-flow-enricher', '60000x30'), offsets('0+6000x30')],
        alert_rule_test: [
          { eval_time: '10m', alertname: 'FlowEnricherLagging', exp_alerts: [] },
          { eval_time: '20m', alertname: 'FlowEnricherLagging', exp_alerts: firing('10m 0s') },
        ],
      },
      {
        interval: '1m',
        // Nothing arrives (every enricher down after a burst): the lag counts as seconds at one flow per second.
        input_series: [lag('helios-flow-enricher', '301x30'), offsets('5x30')],
        alert_rule_test: [{ eval_time: '20m', alertname: 'FlowEnricherLagging', exp_alerts: firing('5m 1s') }],
      },
    ]);
  });

  it('stays quiet when keeping up, exactly at five minutes, and for other consumer groups', () => {
    const quiet = { eval_time: '20m', alertname: 'FlowEnricherLagging', exp_alerts: [] };
    promtoolTest([group], [
      { interval: '1m', input_series: [lag('helios-flow-enricher', '1000x30'), offsets('0+6000x30')], alert_rule_test: [quiet] },
      { interval: '1m', input_series: [lag('helios-flow-enricher', '300x30'), offsets('5x30')], alert_rule_test: [quiet] },
      { interval: '1m', input_series: [lag('helios-clickhouse', '900000x30'), lag('helios-flow-enricher', '0x30'), offsets('0+6000x30')], alert_rule_test: [quiet] },
    ]);
  });
});

describe('KafkaUnderReplicatedPartitions', () => {
  const [group] = groupsOf('kafka');
  const urp = (values: string, namespace = 'helios-flows') => series(`kafka_server_replicamanager_underreplicatedpartitions{namespace="${namespace}",pod="flows-kafka-0"}`, values);

  it('fires after ten minutes of under-replicated partitions', () => {
    promtoolTest([group], [{
      interval: '1m',
      input_series: [urp('2x30'), series('kafka_server_replicamanager_underreplicatedpartitions{namespace="helios-flows",pod="flows-kafka-1"}', '0x30')],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'KafkaUnderReplicatedPartitions', exp_alerts: [] },
        { eval_time: '15m', alertname: 'KafkaUnderReplicatedPartitions', exp_alerts: [{ exp_labels: { severity: 'warning', namespace: 'helios-flows' }, exp_annotations: fired('KafkaUnderReplicatedPartitions', '2 flow topic partitions have fewer in-sync copies than replicas') }] },
      ],
    }]);
  });

  it('stays quiet at zero, for a short blip and for other Kafka clusters', () => {
    const quiet = { eval_time: '20m', alertname: 'KafkaUnderReplicatedPartitions', exp_alerts: [] };
    promtoolTest([group], [
      { interval: '1m', input_series: [urp('0x30')], alert_rule_test: [quiet] },
      { interval: '1m', input_series: [urp('0x12 3x4 0x13')], alert_rule_test: [quiet] },
      { interval: '1m', input_series: [urp('5x30', 'other')], alert_rule_test: [quiet] },
    ]);
  });
});

describe('ClickHouse alerts', () => {
  const [group] = groupsOf('clickhouse');
  const pod = 'namespace="helios-flows",pod="chi-flows-flows-0-0-0"';
  const events = (consumerErrors: string, messagesFailed: string) => [
    series(`ClickHouseProfileEvents_KafkaConsumerErrors{${pod}}`, consumerErrors),
    series(`ClickHouseProfileEvents_KafkaMessagesFailed{${pod}}`, messagesFailed),
  ];
  const disk = (used: string) => [series(`ClickHouseAsyncMetrics_DiskUsed_default{${pod}}`, `${used}x30`), series(`ClickHouseAsyncMetrics_DiskTotal_default{${pod}}`, '100x30')];
  const labels = { severity: 'warning', namespace: 'helios-flows', pod: 'chi-flows-flows-0-0-0' };

  it('ClickHouseKafkaConsumerErrors fires on librdkafka errors and on messages that do not parse', () => {
    promtoolTest([group], [
      {
        interval: '1m',
        input_series: events('0+1x30', '0x30'),
        alert_rule_test: [{ eval_time: '20m', alertname: 'ClickHouseKafkaConsumerErrors', exp_alerts: [{ exp_labels: labels, exp_annotations: fired('ClickHouseKafkaConsumerErrors', 'ClickHouse chi-flows-flows-0-0-0 hit 10 Kafka errors in 10 minutes') }] }],
      },
      {
        interval: '1m',
        input_series: events('7x30', '0+2x30'),
        alert_rule_test: [{ eval_time: '20m', alertname: 'ClickHouseKafkaConsumerErrors', exp_alerts: [{ exp_labels: labels, exp_annotations: fired('ClickHouseKafkaConsumerErrors', 'ClickHouse chi-flows-flows-0-0-0 hit 20 Kafka errors in 10 minutes') }] }],
      },
    ]);
  });

  it('ClickHouseKafkaConsumerErrors stays quiet while the counters stand still, however high', () => {
    promtoolTest([group], [{ interval: '1m', input_series: events('42x30', '3x30'), alert_rule_test: [{ eval_time: '20m', alertname: 'ClickHouseKafkaConsumerErrors', exp_alerts: [] }] }]);
  });

  it('ClickHouseDiskAlmostFull fires past 80% for 15 minutes, not at 80% or below', () => {
    promtoolTest([group], [
      {
        interval: '1m',
        input_series: disk('85'),
        alert_rule_test: [
          { eval_time: '10m', alertname: 'ClickHouseDiskAlmostFull', exp_alerts: [] },
          { eval_time: '20m', alertname: 'ClickHouseDiskAlmostFull', exp_alerts: [{ exp_labels: labels, exp_annotations: fired('ClickHouseDiskAlmostFull', 'ClickHouse chi-flows-flows-0-0-0 has used 85% of its data disk') }] },
        ],
      },
      { interval: '1m', input_series: disk('80'), alert_rule_test: [{ eval_time: '20m', alertname: 'ClickHouseDiskAlmostFull', exp_alerts: [] }] },
      { interval: '1m', input_series: disk('50'), alert_rule_test: [{ eval_time: '20m', alertname: 'ClickHouseDiskAlmostFull', exp_alerts: [] }] },
    ]);
  });
});
