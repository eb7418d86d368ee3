import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { all, clusterObjects, find, oneCluster, parseYaml } from './support.js';
import { promtool, scratch, writeScratch } from '../peers/harness/network-peers.js';
import { REPO_ROOT } from '../shared.js';

/**
 * The synthesized rules, as rule files: each PrometheusRule's spec, and the Thanos
 * Ruler's rule file from its ConfigMap. Medium tier: two Prometheus shards.
 */
const objects = clusterObjects(oneCluster({ tier: 'medium' }));
const dir = scratch('rules');
const ruleFiles = new Map<string, string>(all(objects, 'PrometheusRule').map((r) => [
  `${r.metadata.namespace}/${r.metadata.name}`,
  writeScratch(dir, `${r.metadata.namespace}-${r.metadata.name}.yaml`, stringify(r.spec)),
]));
const rulerRules = writeScratch(dir, 'thanos-ruler.yaml', find(objects, 'ConfigMap', 'thanos-ruler-rules', 'helios-storage').data['rules.yaml']);

function ruleFile(key: string): string {
  const path = ruleFiles.get(key);
  if (!path) throw new Error(`no PrometheusRule ${key}; synthesized: ${[...ruleFiles.keys()].join(', ')}`);
  return path;
}

/** An alert's annotations as synthesized: the summary as expected, the description with its labels filled in. */
function annotations(alert: string, summary: string, labels: Record<string, string> = {}): Record<string, string> {
  for (const r of all(objects, 'PrometheusRule')) {
    for (const g of r.spec.groups) {
      const rule = g.rules.find((x: any) => x.alert === alert);
      if (!rule) continue;
      const description = rule.annotations.description.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_: string, l: string) => labels[l]);
      return { summary, description, runbook_url: rule.annotations.runbook_url, dashboard_url: rule.annotations.dashboard_url };
    }
  }
  throw new Error(`no alert ${alert}`);
}

/** Runs `promtool test rules` on a unit-test file and returns its output; fails on any failed test. */
function unitTest(name: string, ruleFilePaths: string[], tests: object[]): string {
  const file = writeScratch(dir, `${name}.test.yaml`, stringify({ rule_files: ruleFilePaths, evaluation_interval: '1m', tests }));
  const r = promtool(['test', 'rules', file]);
  if (r.status !== 0) throw new Error(`promtool test rules ${name} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const series = (s: string, values: string) => ({ series: s, values });

describe('promtool check rules', () => {
  it('accepts every synthesized PrometheusRule and the Ruler\'s rule file', () => {
    expect(ruleFiles.size).toBeGreaterThanOrEqual(3);
    const r = promtool(['check', 'rules', ...ruleFiles.values(), rulerRules]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/FAILED/);
  });

  it('rejects a rule file with a broken expression (the check can fail)', () => {
    const broken = writeScratch(dir, 'broken.yaml', stringify({ groups: [{ name: 'x', rules: [{ alert: 'X', expr: 'sum by (job (up)' }] }] }));
    expect(promtool(['check', 'rules', broken]).status).not.toBe(0);
  });

  it('gives every platform alert a severity and summary, description, runbook_url and dashboard_url annotations', () => {
    const alerts = all(objects, 'PrometheusRule').flatMap((r) => r.spec.groups.flatMap((g: any) => g.rules.filter((x: any) => x.alert)));
    expect(alerts.length).toBeGreaterThanOrEqual(7);
    for (const a of alerts) {
      // Only the heartbeat has no severity a person is told about.
      expect(a.alert === 'Watchdog' ? ['none'] : ['critical', 'warning', 'info']).toContain(a.labels.severity);
      expect(Object.keys(a.annotations).sort()).toEqual(['dashboard_url', 'description', 'runbook_url', 'summary']);
      expect(a.annotations.runbook_url).toMatch(new RegExp(`#${a.alert.toLowerCase()}$`));
      expect(a.annotations.dashboard_url).toMatch(/^\/d\/helios-[a-z-]+$/);
    }
  });

  it('links every alert, the Ruler\'s included, to a runbook section that exists in the README it names', () => {
    const ruler = parseYaml(find(objects, 'ConfigMap', 'thanos-ruler-rules', 'helios-storage').data['rules.yaml']);
    const alerts = [...all(objects, 'PrometheusRule').flatMap((r) => r.spec.groups), ...ruler.groups]
      .flatMap((g: any) => g.rules.filter((x: any) => x.alert));
    const missing = alerts.filter((a: any) => {
      const [, file, anchor] = /^https:\/\/github\.com\/helios-observability\/helios\/blob\/main\/(.+)#(.+)$/.exec(a.annotations.runbook_url) ?? [];
      if (!file) return true;
      const headings = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n').filter((l) => l.startsWith('### ')).map((l) => l.slice(4).trim().toLowerCase());
      return !headings.includes(anchor);
    }).map((a: any) => `${a.alert} (${a.annotations.runbook_url})`);
    expect(alerts.length).toBeGreaterThanOrEqual(20);
    expect(missing).toEqual([]);
  });
});

describe('promtool test rules: the alerts about alerting', () => {
  const file = () => ruleFile('helios-visualization/alertmanager');

  it('Watchdog always fires, severity none, for the dead man\'s switch', () => {
    unitTest('watchdog', [file()], [{
      interval: '1m',
      alert_rule_test: [0, 60, 1440].map((m) => ({
        eval_time: `${m}m`,
        alertname: 'Watchdog',
        exp_alerts: [{ exp_labels: { severity: 'none' }, exp_annotations: annotations('Watchdog', 'The alert path works: this alert always fires') }],
      })),
    }]);
  });

  it('AlertsHaveNoReceiver fires as an info alert in a cluster without receivers, and is not there with one', () => {
    unitTest('no-receiver', [file()], [{
      interval: '1m',
      alert_rule_test: [{
        eval_time: '0m',
        alertname: 'AlertsHaveNoReceiver',
        exp_alerts: [{ exp_labels: { severity: 'info' }, exp_annotations: annotations('AlertsHaveNoReceiver', 'Alerts reach no one: Alertmanager has no receiver') }],
      }],
    }]);
    const withReceiver = clusterObjects(oneCluster({ tier: 'small', extra: '    alerting: { email: { to: a@example.net, from: b@example.net, smarthost: "smtp.example.net:25" } }\n' }));
    const rule = find(withReceiver, 'PrometheusRule', 'alertmanager', 'helios-visualization');
    expect(rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert))).toEqual(['Watchdog']);
    const withReceiverFile = writeScratch(dir, 'alertmanager-with-receiver.yaml', stringify(rule.spec));
    unitTest('no-receiver-silent', [withReceiverFile], [{
      interval: '1m',
      alert_rule_test: [{ eval_time: '0m', alertname: 'AlertsHaveNoReceiver', exp_alerts: [] }],
    }]);
  });
});

describe('promtool test rules: the Prometheus shards (2 shards × 2 replicas)', () => {
  const file = () => ruleFile('helios-storage/prometheus');
  const pods = [['prometheus-helios-0', '0'], ['prometheus-helios-1', '0'], ['prometheus-helios-shard-1-0', '1'], ['prometheus-helios-shard-1-1', '1']];
  const up = (values: string[]) => pods.map(([pod, shard], i) => series(`up{job="prometheus", pod="${pod}", shard="${shard}"}`, values[i]));

  it('PrometheusShardDown fires 5 minutes after every replica of a shard is down, not before', () => {
    unitTest('shard-down', [file()], [{
      interval: '1m',
      input_series: up(['1x20', '1x20', '0x20', '0x20']),
      alert_rule_test: [
        { eval_time: '4m', alertname: 'PrometheusShardDown', exp_alerts: [] },
        {
          eval_time: '5m',
          alertname: 'PrometheusShardDown',
          exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: annotations('PrometheusShardDown', 'Only 1 of 2 Prometheus shards have a replica up') }],
        },
      ],
    }]);
  });

  it('PrometheusShardDown stays quiet while each shard keeps one replica (exactly 2 of 2 shards up)', () => {
    unitTest('shard-at-threshold', [file()], [{
      interval: '1m',
      input_series: up(['1x20', '0x20', '0x20', '1x20']),
      alert_rule_test: [{ eval_time: '20m', alertname: 'PrometheusShardDown', exp_alerts: [] }],
    }]);
  });

  it('PrometheusReplicaDown fires for the down replica after 10 minutes', () => {
    unitTest('replica-down', [file()], [{
      interval: '1m',
      input_series: up(['1x20', '0x20', '1x20', '1x20']),
      alert_rule_test: [
        { eval_time: '9m', alertname: 'PrometheusReplicaDown', exp_alerts: [] },
        {
          eval_time: '10m',
          alertname: 'PrometheusReplicaDown',
          exp_alerts: [{
            exp_labels: { severity: 'warning', job: 'prometheus', pod: 'prometheus-helios-1', shard: '0' },
            exp_annotations: annotations('PrometheusReplicaDown', 'Prometheus replica prometheus-helios-1 (shard 0) is down'),
          }],
        },
      ],
    }]);
  });

  it('ThanosSidecarUploadFailing fires for a sidecar whose uploads keep failing, not for a healthy one', () => {
    unitTest('sidecar-upload', [file()], [{
      interval: '1m',
      input_series: [
        series('thanos_shipper_upload_failures_total{job="thanos-sidecar", pod="prometheus-helios-0"}', '0+1x60'),
        series('thanos_shipper_upload_failures_total{job="thanos-sidecar", pod="prometheus-helios-1"}', '0x60'),
      ],
      alert_rule_test: [
        { eval_time: '15m', alertname: 'ThanosSidecarUploadFailing', exp_alerts: [] },
        {
          eval_time: '20m',
          alertname: 'ThanosSidecarUploadFailing',
          exp_alerts: [{
            exp_labels: { severity: 'critical', pod: 'prometheus-helios-0' },
            exp_annotations: annotations('ThanosSidecarUploadFailing', 'The Thanos sidecar of prometheus-helios-0 fails to upload blocks'),
          }],
        },
      ],
    }]);
  });
});

describe('promtool test rules: object storage', () => {
  it('ObjectStorageErrors fires above 5% failed operations for 15 minutes, not at exactly 5%', () => {
    unitTest('objstore', [ruleFile('helios-storage/thanos-objstore')], [{
      interval: '1m',
      input_series: [
        // 2 of 20 operations fail: 10%.
        series('thanos_objstore_bucket_operations_total{job="thanos-compactor", operation="upload"}', '0+20x40'),
        series('thanos_objstore_bucket_operation_failures_total{job="thanos-compactor", operation="upload"}', '0+2x40'),
        // 1 of 20: exactly the threshold.
        series('thanos_objstore_bucket_operations_total{job="thanos-store", operation="get_range"}', '0+20x40'),
        series('thanos_objstore_bucket_operation_failures_total{job="thanos-store", operation="get_range"}', '0+1x40'),
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'ObjectStorageErrors', exp_alerts: [] },
        {
          eval_time: '20m',
          alertname: 'ObjectStorageErrors',
          exp_alerts: [{
            exp_labels: { severity: 'critical', job: 'thanos-compactor', operation: 'upload' },
            exp_annotations: annotations('ObjectStorageErrors', 'thanos-compactor: 10% of upload operations on the metrics bucket fail', { job: 'thanos-compactor' }),
          }],
        },
      ],
      // The quiet series sits at the threshold (to 0.1%), which the alert's `> 0.05` does not cross.
      promql_expr_test: [{
        expr: 'round(sum by (job) (rate(thanos_objstore_bucket_operation_failures_total{job="thanos-store"}[5m])) / sum by (job) (rate(thanos_objstore_bucket_operations_total{job="thanos-store"}[5m])), 0.001)',
        eval_time: '20m',
        exp_samples: [{ labels: '{job="thanos-store"}', value: 0.05 }],
      }],
    }]);
  });
});

describe('promtool test rules: the Thanos Compactor', () => {
  const file = () => ruleFile('helios-storage/thanos-compactor');

  it('ThanosCompactorHalted fires 5 minutes after the compactor halts, not while it runs', () => {
    unitTest('compactor-halted', [file()], [{
      interval: '1m',
      input_series: [series('thanos_compact_halted{job="thanos-compactor", pod="thanos-compactor-0"}', '0x5 1x10')],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'ThanosCompactorHalted', exp_alerts: [] },
        { eval_time: '10m', alertname: 'ThanosCompactorHalted', exp_alerts: [] },
        {
          eval_time: '11m',
          alertname: 'ThanosCompactorHalted',
          exp_alerts: [{ exp_labels: { severity: 'warning', job: 'thanos-compactor' }, exp_annotations: annotations('ThanosCompactorHalted', 'The Thanos Compactor has halted') }],
        },
      ],
    }]);
  });

  it('ThanosCompactorMultipleRunning fires with two compactors up, not with exactly one', () => {
    unitTest('compactor-multiple', [file()], [
      {
        interval: '1m',
        input_series: [
          series('up{job="thanos-compactor", pod="thanos-compactor-0"}', '1x10'),
          series('up{job="thanos-compactor", pod="thanos-compactor-0-other"}', '1x10'),
        ],
        alert_rule_test: [
          { eval_time: '4m', alertname: 'ThanosCompactorMultipleRunning', exp_alerts: [] },
          {
            eval_time: '5m',
            alertname: 'ThanosCompactorMultipleRunning',
            exp_alerts: [{ exp_labels: { severity: 'critical', job: 'thanos-compactor' }, exp_annotations: annotations('ThanosCompactorMultipleRunning', '2 Thanos Compactors run against one bucket') }],
          },
        ],
      },
      {
        interval: '1m',
        input_series: [series('up{job="thanos-compactor", pod="thanos-compactor-0"}', '1x10')],
        alert_rule_test: [{ eval_time: '10m', alertname: 'ThanosCompactorMultipleRunning', exp_alerts: [] }],
      },
    ]);
  });

  it('ThanosCompactorDown fires after 15 minutes without a compactor up, whether its target is down or gone', () => {
    const fired = [{ exp_labels: { severity: 'warning' }, exp_annotations: annotations('ThanosCompactorDown', 'The Thanos Compactor is not running') }];
    unitTest('compactor-down', [file()], [
      {
        interval: '1m',
        input_series: [series('up{job="thanos-compactor", pod="thanos-compactor-0"}', '0x20')],
        alert_rule_test: [
          { eval_time: '14m', alertname: 'ThanosCompactorDown', exp_alerts: [] },
          { eval_time: '15m', alertname: 'ThanosCompactorDown', exp_alerts: fired },
        ],
      },
      {
        interval: '1m',
        input_series: [series('up{job="thanos-query", pod="thanos-query-0"}', '1x20')],
        alert_rule_test: [{ eval_time: '15m', alertname: 'ThanosCompactorDown', exp_alerts: fired }],
      },
      {
        interval: '1m',
        input_series: [series('up{job="thanos-compactor", pod="thanos-compactor-0"}', '1x20')],
        alert_rule_test: [{ eval_time: '20m', alertname: 'ThanosCompactorDown', exp_alerts: [] }],
      },
    ]);
  });
});

describe('promtool test rules: the Ruler\'s interface utilization recordings', () => {
  it('records utilization per 5 minutes and per hour, and leaves out links without a speed', () => {
    const labels = (ifIndex: string) => `cluster="dc1", device="leaf1", ifIndex="${ifIndex}", ifName="Ethernet${ifIndex}", instance="10.0.0.1", job="snmp"`;
    unitTest('utilization', [rulerRules], [{
      interval: '1m',
      input_series: [
        // 7,500,000 bytes a minute = 1 Mbit/s on a 10 Mbit/s link: 10%.
        series(`ifHCInOctets{${labels('1')}}`, '0+7500000x80'),
        series(`ifHCOutOctets{${labels('1')}}`, '0+37500000x80'),
        series(`ifHighSpeed{${labels('1')}}`, '10x80'),
        series(`ifHCInOctets{${labels('2')}}`, '0+7500000x80'),
        series(`ifHCOutOctets{${labels('2')}}`, '0+7500000x80'),
        series(`ifHighSpeed{${labels('2')}}`, '0x80'),
      ],
      promql_expr_test: [
        { expr: 'interface:in_utilization:ratio_rate5m', eval_time: '10m', exp_samples: [{ labels: `interface:in_utilization:ratio_rate5m{${labels('1')}}`, value: 0.1 }] },
        { expr: 'interface:out_utilization:ratio_rate5m', eval_time: '10m', exp_samples: [{ labels: `interface:out_utilization:ratio_rate5m{${labels('1')}}`, value: 0.5 }] },
        { expr: 'interface:in_utilization:ratio_avg1h', eval_time: '75m', exp_samples: [{ labels: `interface:in_utilization:ratio_avg1h{${labels('1')}}`, value: 0.1 }] },
        { expr: 'interface:out_utilization:ratio_max1h', eval_time: '75m', exp_samples: [{ labels: `interface:out_utilization:ratio_max1h{${labels('1')}}`, value: 0.5 }] },
      ],
    }]);
  });

  it('the Ruler loads exactly the file that was tested', () => {
    const ruler = find(objects, 'StatefulSet', 'thanos-ruler', 'helios-storage');
    expect(ruler.spec.template.spec.containers[0].args).toContain('--rule-file=/etc/thanos/rules/*.yaml');
    expect(parseYaml(find(objects, 'ConfigMap', 'thanos-ruler-rules', 'helios-storage').data['rules.yaml']).groups.map((g: any) => g.name))
      .toEqual(['interface-utilization-5m', 'interface-utilization-1h', 'site-traffic', 'device-reachability']);
  });
});
