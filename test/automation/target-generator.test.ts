import { Chart, Testing } from 'cdk8s';
import { TargetGenerator, TargetGeneratorMode } from '../../constructs/automation/target-generator.js';
import { PlatformBase } from '../../constructs/platform/platform-base.js';
import { TARGET_SET_LABEL, TARGET_SHARDS_MAX, TargetSet, targetConfigMapName, targetNamespace } from '../../constructs/platform/targets.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { TIER_NAMES, TIERS, type TierName } from '../../src/config/tiers.js';
import type { KubeObject } from '../../src/manifests.js';
import { synthesize } from '../../src/synth.js';
import { promtoolRuleTests } from '../helpers.js';
import { scratch } from '../peers/harness/network-peers.js';

function objects(extra = '', tier: TierName = 'medium'): KubeObject[] {
  return synthesize(parseConfig(`clusters:
  - name: dc1
    datacenter: dc1
    tier: ${tier}
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
${extra}`, 'helios.yaml')).files.flatMap((f) => f.objects);
}

const byKind = (objs: KubeObject[], kind: string, namespace?: string): any[] =>
  objs.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
const one = (objs: KubeObject[], kind: string, name: string, namespace = 'helios-integration'): any => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace}/${name}, found ${found.length}`);
  return found[0];
};
const shardNames = (set: TargetSet) => Array.from({ length: TARGET_SHARDS_MAX }, (_, n) => targetConfigMapName(set, n));

describe('the Target Generator in CronJob mode (the default)', () => {
  const objs = objects();

  it('syncs every five minutes, one run at a time, a failed run left failed for the next schedule', () => {
    const cron = one(objs, 'CronJob', 'target-generator');
    expect(cron.spec).toMatchObject({ schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid' });
    expect(cron.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 240 });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'target-generator', automountServiceAccountToken: true, restartPolicy: 'Never' });
    const [container] = pod.containers;
    expect(container.image).toBe('ghcr.io/helios-netobs/target-generator:0.1.0');
    expect(container.args).toEqual(['sync']);
    expect(container.env).toEqual([
      { name: 'NETBOX_TOKEN_FILE', value: '/etc/netbox/token' },
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=${TIERS.medium.targetGenerator.resources.memoryLimitMiB / 2}` },
    ]);
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'target-generator-settings' } }]);
    expect(container.resources.limits.memory).toBe(`${TIERS.medium.targetGenerator.resources.memoryLimitMiB}Mi`);
  });

  it('keeps NetBox\'s URL and the filters in a ConfigMap and the token in an ExternalSecret mounted as a file', () => {
    expect(one(objs, 'ConfigMap', 'target-generator-settings').data).toEqual({
      MASS_DELETION_MIN_TARGETS: '10',
      MASS_DELETION_PERCENT: '25',
      NETBOX_URL: 'https://netbox.example.net',
      PUSHGATEWAY_URL: 'http://pushgateway.helios-integration.svc:9091',
    });
    const secret = one(objs, 'ExternalSecret', 'target-generator-netbox');
    expect(secret.spec.data).toEqual([{ secretKey: 'token', remoteRef: { key: 'helios/netbox', property: 'token' } }]);
    const pod = one(objs, 'CronJob', 'target-generator').spec.jobTemplate.spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'netbox', secret: { secretName: 'target-generator-netbox' } }]);
  });

  it('may get and patch the target ConfigMaps by name, in the namespace of each set, and nothing else', () => {
    for (const namespace of ['helios-collection', 'helios-storage']) {
      const role = one(objs, 'Role', 'target-generator', namespace);
      const sets = Object.values(TargetSet).filter((s) => targetNamespace(s) === namespace);
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: sets.flatMap(shardNames), verbs: ['get', 'patch'] }]);
      expect(one(objs, 'RoleBinding', 'target-generator', namespace)).toMatchObject({
        roleRef: { kind: 'Role', name: 'target-generator' },
        subjects: [{ kind: 'ServiceAccount', name: 'target-generator', namespace: 'helios-integration' }],
      });
    }
    expect(byKind(objs, 'ClusterRoleBinding').some((b) => b.subjects?.some((s: any) => s.name === 'target-generator'))).toBe(false);
  });

  it('creates every shard of every set, empty and labelled, since it may not create them itself', () => {
    for (const set of Object.values(TargetSet)) {
      for (const name of shardNames(set)) {
        const cm = one(objs, 'ConfigMap', name, targetNamespace(set));
        expect(cm.data).toBeUndefined();
        expect(cm.metadata.labels[TARGET_SET_LABEL]).toBe(set);
      }
    }
  });

  it('runs a Pushgateway for the runs\' metrics, scraped by every Prometheus shard with the pushed labels kept', () => {
    const gateway = one(objs, 'Deployment', 'pushgateway');
    expect(gateway.spec.template.spec.containers[0].image).toBe('quay.io/prometheus/pushgateway:v1.11.1');
    const monitor = one(objs, 'ServiceMonitor', 'pushgateway');
    expect(monitor.spec.endpoints).toEqual([{
      port: 'http',
      interval: '30s',
      honorLabels: true,
      relabelings: [{ targetLabel: '__tmp_disable_sharding', replacement: 'true', action: 'replace' }],
    }]);
    expect(one(objs, 'Service', 'pushgateway').spec.ports).toEqual([{ name: 'http', port: 9091, targetPort: 'http' }]);
  });

  it('opens only the flows it needs: to NetBox, to the API server, to its Pushgateway; Prometheus to the Pushgateway', () => {
    const policy = one(objs, 'NetworkPolicy', 'target-generator');
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toEqual(expect.arrayContaining([
      { to: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] },
    ]));
    expect(policy.spec.egress).toHaveLength(3);
    const gateway = one(objs, 'NetworkPolicy', 'pushgateway');
    expect(gateway.spec.ingress.map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['prometheus', 'target-generator']);
  });
});

describe('the Target Generator in webhook mode', () => {
  const objs = objects(`    automation:
      targetGenerator:
        mode: webhook
        syncIntervalSeconds: 600
        deviceFilter: site=ams1&status=active
        webhookFromNamespaces: [ingress-nginx]
`);

  it('runs one replica that serves webhooks and metrics, and no CronJob nor Pushgateway', () => {
    const deployment = one(objs, 'Deployment', 'target-generator');
    expect(deployment.spec.replicas).toBe(1);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.args).toEqual(['serve']);
    expect(container.env).toContainEqual({ name: 'WEBHOOK_SECRET_FILE', value: '/etc/netbox/webhook-secret' });
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(one(objs, 'ConfigMap', 'target-generator-settings').data).toMatchObject({ LISTEN_PORT: '8080', SYNC_INTERVAL_SECONDS: '600', NETBOX_DEVICE_FILTER: 'site=ams1&status=active' });
    expect(one(objs, 'ExternalSecret', 'target-generator-netbox').spec.data.map((d: any) => d.secretKey)).toEqual(['token', 'webhook-secret']);
    expect(byKind(objs, 'CronJob', 'helios-integration')).toEqual([]);
    expect(byKind(objs, 'Deployment', 'helios-integration').map((d) => d.metadata.name)).toEqual(['target-generator']);
    expect(one(objs, 'PodMonitor', 'target-generator').spec.podMetricsEndpoints[0].port).toBe('http');
  });

  it('takes webhooks from NetBox and the listed namespaces only', () => {
    const ingress = one(objs, 'NetworkPolicy', 'target-generator').spec.ingress;
    expect(ingress).toEqual(expect.arrayContaining([
      { from: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ port: 8080, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]));
    expect(ingress).toHaveLength(3);
  });
});

describe('the Target Generator\'s settings', () => {
  it('follow the tier table', () => {
    for (const tier of TIER_NAMES) {
      const cron = one(objects('', tier), 'CronJob', 'target-generator');
      expect(cron.spec.jobTemplate.spec.template.spec.containers[0].resources.requests.memory).toBe(`${TIERS[tier].targetGenerator.resources.memoryRequestMiB}Mi`);
    }
  });

  it('refuse a bad schedule, filter or mode in helios.yaml, naming the field, the value and what is allowed', () => {
    const problems = (extra: string): string[] => {
      try {
        objects(extra);
      } catch (e) {
        return [...(e as ConfigError).problems];
      }
      return [];
    };
    expect(problems('    automation: { targetGenerator: { schedule: every 5 minutes } }\n')).toEqual([
      'helios.yaml: clusters[0].automation.targetGenerator.schedule: "every 5 minutes" is not a Kubernetes CronJob schedule: expected exactly 5 fields, found 3; '
        + 'write five fields "minute hour day-of-month month day-of-week" (each *, ?, a number or name, a range a-b, a step /n, or a list of these joined by ","), '
        + 'such as "*/5 * * * *" or "0 6 * * MON-FRI"; or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, "@every <duration>" (line 8)',
    ]);
    expect(problems('    automation: { targetGenerator: { mode: always } }\n')).toEqual([
      'helios.yaml: clusters[0].automation.targetGenerator.mode: "always" is not one of cronjob, webhook (line 8)',
    ]);
    expect(problems('    automation: { targetGenerator: { deviceFilter: "Site=ams1" } }\n')).toEqual([
      'helios.yaml: clusters[0].automation.targetGenerator.deviceFilter: "Site=ams1" has "Site", which is not a NetBox filter name; write name=value pairs joined by &, such as site=ams1&status=active (line 8)',
    ]);
    expect(objects('    automation: { targetGenerator: { schedule: "@hourly" } }\n').some((o) => o.kind === 'CronJob' && (o as any).spec.schedule === '@hourly')).toBe(true);
  });

  it('are checked in the construct too, for users of the library', () => {
    const chart = new Chart(Testing.app(), 'test');
    const platform = new PlatformBase(chart, 'platform', { clusterName: 'c', site: 's' });
    const base = {
      platform,
      netbox: { url: 'https://netbox.example.net', token: { key: 'k' } },
      resources: TIERS.small.targetGenerator.resources,
      pushgatewayResources: TIERS.small.targetGenerator.pushgatewayResources,
    };
    expect(() => new TargetGenerator(chart, 'a', { ...base, schedule: '61 * * *' })).toThrow('target generator: schedule "61 * * *" is not a Kubernetes CronJob schedule: expected exactly 5 fields, found 4');
    expect(() => new TargetGenerator(chart, 'b', { ...base, deviceFilter: 'site=x&limit=5' }))
      .toThrow('target generator: deviceFilter "site=x&limit=5" sets "limit", which the Target Generator sets itself (limit, offset, ordering, exclude, cf_helios_monitor)');
    expect(() => new TargetGenerator(chart, 'c', { ...base, massDeletionPercent: 120 })).toThrow('massDeletionPercent 120 is not a whole number from 0 to 100');
    expect(() => new TargetGenerator(chart, 'd', { ...base, mode: TargetGeneratorMode.WEBHOOK, syncIntervalSec: 5 })).toThrow('syncIntervalSec 5 is not a whole number of seconds of at least 10');
  });
});

/**
 * The alerts, unit-tested by the real promtool (Prometheus 2.42): each fires on its
 * condition, stays quiet without it, and stays quiet exactly at its threshold.
 */
describe('the Target Generator\'s alerts', () => {
  interface Rule { alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  const rule = one(objects(), 'PrometheusRule', 'target-generator');
  const groups = rule.spec.groups;
  const rules: Rule[] = groups.flatMap((g: any) => g.rules);
  const ruleTests = promtoolRuleTests(scratch('target-generator-alerts'));
  const promtoolTest = (tests: object[]) => ruleTests(groups, tests);
  const S = 'helios_target_sync_last_success_timestamp_seconds';
  const E = 'helios_target_sync_errors_total';
  const R = 'helios_target_sync_mass_deletion_refusals_total';

  const annotations = (alert: string, summary?: string) => {
    const r = rules.find((x) => x.alert === alert)!;
    return { ...r.annotations, ...(summary ? { summary } : {}) };
  };
  const failing = [{ exp_labels: { severity: 'warning' }, exp_annotations: annotations('TargetSyncFailing') }];

  it('each have a severity, a summary, a description and a runbook in constructs/automation/README.md', () => {
    expect(rules.map((r) => r.alert)).toEqual(['TargetSyncFailing', 'TargetMassDeletionRefused']);
    for (const r of rules) {
      expect(r.labels?.severity).toBe('warning');
      expect(r.annotations?.summary).toBeTruthy();
      expect(r.annotations?.description).toBeTruthy();
      expect(r.annotations?.runbook_url).toBe(`https://github.com/helios-observability/helios/blob/main/constructs/automation/README.md#${r.alert!.toLowerCase()}`);
    }
  });

  it('TargetSyncFailing fires once the last success is more than 15 minutes old, not at 15 minutes exactly', () => {
    // A success at t=0 (the gauge holds 0), then none: at 15m it is exactly 900 s old.
    promtoolTest([{
      interval: '1m',
      input_series: [{ series: `${S}{job="helios-target-generator"}`, values: '0x40' }, { series: `${E}{job="helios-target-generator"}`, values: '0+1x40' }],
      alert_rule_test: [
        { eval_time: '14m', alertname: 'TargetSyncFailing', exp_alerts: [] },
        { eval_time: '15m', alertname: 'TargetSyncFailing', exp_alerts: [] },
        { eval_time: '16m', alertname: 'TargetSyncFailing', exp_alerts: failing },
      ],
    }]);
  });

  it('TargetSyncFailing stays quiet while syncs succeed every five minutes, and counts from the last success after scrapes stop', () => {
    // Successes at 0, 5m, 10m... (the gauge holds the time of the last one).
    const successes = (minutes: number) => Array.from({ length: minutes + 1 }, (_, m) => String(Math.floor(m / 5) * 300)).join(' ');
    promtoolTest([
      {
        interval: '1m',
        input_series: [{ series: S, values: successes(40) }, { series: E, values: '0x40' }],
        alert_rule_test: [14, 29, 40].map((m) => ({ eval_time: `${m}m`, alertname: 'TargetSyncFailing', exp_alerts: [] })),
      },
      {
        // The generator vanishes after 20m (pod gone, scrapes fail): the last success it reported, 1200 s, still counts.
        interval: '1m',
        input_series: [{ series: S, values: successes(20) }],
        alert_rule_test: [
          { eval_time: '25m', alertname: 'TargetSyncFailing', exp_alerts: [] },
          // The last success, 1200 s, is 900 s old at 35m and more after.
          { eval_time: '35m', alertname: 'TargetSyncFailing', exp_alerts: [] },
          { eval_time: '36m', alertname: 'TargetSyncFailing', exp_alerts: failing },
        ],
      },
    ]);
  });

  it('TargetSyncFailing fires for a generator that has run 15 minutes without ever succeeding, but not on a fresh install', () => {
    promtoolTest([
      {
        interval: '1m',
        input_series: [{ series: `${E}{job="helios-target-generator"}`, values: '1+1x30' }],
        alert_rule_test: [
          { eval_time: '14m', alertname: 'TargetSyncFailing', exp_alerts: [] },
          { eval_time: '15m', alertname: 'TargetSyncFailing', exp_alerts: failing },
        ],
      },
      {
        // Installed at 0; the first run, at 4m, succeeds.
        interval: '1m',
        input_series: [{ series: E, values: '_x3 0x30' }, { series: S, values: '_x3 240x30' }],
        alert_rule_test: [
          { eval_time: '2m', alertname: 'TargetSyncFailing', exp_alerts: [] },
          { eval_time: '10m', alertname: 'TargetSyncFailing', exp_alerts: [] },
        ],
      },
    ]);
  });

  it('TargetMassDeletionRefused fires per target set when a sync is refused, and ends 15 minutes after the last refusal', () => {
    const fired = (set: string) => [{
      exp_labels: { severity: 'warning', set },
      exp_annotations: annotations('TargetMassDeletionRefused', `The Target Generator refused to remove most ${set} targets at once`),
    }];
    promtoolTest([{
      interval: '1m',
      input_series: [
        { series: `${R}{job="helios-target-generator",set="snmp"}`, values: '0x10 1x40' },
        { series: `${R}{job="helios-target-generator",set="gnmic"}`, values: '0x50' },
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'TargetMassDeletionRefused', exp_alerts: [] },
        { eval_time: '11m', alertname: 'TargetMassDeletionRefused', exp_alerts: fired('snmp') },
        { eval_time: '25m', alertname: 'TargetMassDeletionRefused', exp_alerts: fired('snmp') },
        // At 26m the window holds no step: the increase is 0, the threshold.
        { eval_time: '26m', alertname: 'TargetMassDeletionRefused', exp_alerts: [] },
      ],
    }]);
  });
});
