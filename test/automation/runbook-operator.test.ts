import { RUNBOOK_CRDS, crdManifest } from '../../constructs/automation/runbook-crds.js';
import { runbookAlerts } from '../../constructs/automation/runbook-operator.js';
import { sampleRunbooks } from '../../constructs/automation/sample-runbooks.js';
import { GNMI_DEVICE_PORTS } from '../../constructs/metrics/gnmic.js';
import * as contract from '../../services/runbook-operator/src/api/types.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { TIER_NAMES, TIERS } from '../../src/config/tiers.js';
import { promtoolRuleTests } from '../helpers.js';
import { all, clusterObjects, find, oneCluster, parseYaml, renderExternalSecret } from '../metrics/support.js';
import { amtool, scratch, writeScratch } from '../peers/harness/network-peers.js';
import { SchemaValidator } from '../validation/schemas.js';

const NS = 'helios-automation';
const objects = clusterObjects(oneCluster({ extra: '    kubernetesApiNetworks: [192.0.2.10/32]\n' }));
const ports = (rule: any) => rule.ports.map((p: any) => `${p.port}/${p.protocol}`);

describe('the Runbook operator\'s manifests', () => {
  it('share their names, ports and labels with the operator\'s contract (services/runbook-operator/src/api/types.ts)', () => {
    const deployment = find(objects, 'Deployment', contract.OPERATOR_NAME, contract.AUTOMATION_NAMESPACE);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports).toEqual([
      { name: 'metrics', containerPort: contract.METRICS_PORT },
      { name: 'webhook', containerPort: contract.WEBHOOK_PORT },
    ]);
    find(objects, 'ServiceAccount', contract.EXECUTOR_SERVICE_ACCOUNT, NS);
    find(objects, 'ExternalSecret', contract.GNMI_CREDENTIALS_SECRET, NS);
    find(objects, 'ExternalSecret', contract.WEBHOOK_TOKEN_SECRET, NS);
    for (const def of RUNBOOK_CRDS) {
      const crd = find(objects, 'CustomResourceDefinition', `${def.plural}.${contract.GROUP}`);
      expect(crd.spec.versions.map((v: any) => v.name)).toEqual([contract.VERSION]);
    }
    const executorPolicy = find(objects, 'NetworkPolicy', contract.EXECUTOR_SERVICE_ACCOUNT, NS);
    expect(executorPolicy.spec.podSelector).toEqual({ matchExpressions: [{ key: contract.EXECUTION_LABEL, operator: 'Exists' }] });
  });

  it('runs two replicas of the pinned image with probes, the tier\'s resources and a budget that keeps one up', () => {
    const deployment = find(objects, 'Deployment', 'helios-runbook-operator', NS);
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/helios-netobs/runbook-operator:0.1.0');
    expect(container.args).toEqual(['operate']);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(container.env).toContainEqual({ name: 'HELIOS_EXECUTOR_IMAGE', value: container.image });
    expect(deployment.spec.template.spec.serviceAccountName).toBe('helios-runbook-operator');
    expect(find(objects, 'PodDisruptionBudget', 'helios-runbook-operator', NS).spec.maxUnavailable).toBe(1);
    const monitor = find(objects, 'ServiceMonitor', 'helios-runbook-operator', NS);
    expect(monitor.spec.endpoints.map((e: any) => [e.port, e.path])).toEqual([['metrics', '/metrics']]);
  });

  it('takes its size from the tier table', () => {
    for (const tier of TIER_NAMES) {
      const deployment = find(clusterObjects(oneCluster({ tier })), 'Deployment', 'helios-runbook-operator', NS);
      const sizing = TIERS[tier].runbookOperator.resources;
      expect(deployment.spec.template.spec.containers[0].resources.limits.memory).toBe(`${sizing.memoryLimitMiB}Mi`);
    }
  });

  it('opens the operator to Prometheus (metrics) and Alertmanager (webhook) only, and lets it reach only the API server', () => {
    const policy = find(objects, 'NetworkPolicy', 'helios-runbook-operator', NS);
    expect(policy.spec.ingress.map((r: any) => [r.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'], r.from[0].podSelector.matchLabels['app.kubernetes.io/name'], ports(r)])).toEqual([
      ['helios-storage', 'prometheus', ['8080/TCP']],
      ['helios-visualization', 'alertmanager', ['8443/TCP']],
    ]);
    expect(policy.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '192.0.2.10/32' } }], ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] }]);
  });

  it('lets the executor Jobs reach the API server and the management networks\' gNMI ports, and nothing reach them', () => {
    const policy = find(objects, 'NetworkPolicy', 'helios-runbook-executor', NS);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toBeUndefined();
    expect(policy.spec.egress.map((r: any) => [r.to.map((t: any) => t.ipBlock.cidr), ports(r)])).toEqual([
      [['192.0.2.10/32'], ['443/TCP', '6443/TCP']],
      [['10.0.0.0/8'], GNMI_DEVICE_PORTS.map((p) => `${p}/TCP`)],
    ]);
  });

  it('has no webhook ingress from Alertmanager when the cluster runs no MetricsStack', () => {
    const objs = clusterObjects(oneCluster({ extra: '    stacks: { metrics: false }\n' }));
    const policy = find(objs, 'NetworkPolicy', 'helios-runbook-operator', NS);
    expect(policy.spec.ingress.map((r: any) => ports(r))).toEqual([['8080/TCP']]);
  });

  it('reads the gNMI credentials and the webhook token from the secret store, never from the manifests', () => {
    expect(find(objects, 'ExternalSecret', 'helios-runbook-gnmi-credentials', NS).spec.data).toEqual([
      { secretKey: 'password', remoteRef: { key: 'helios/runbook-operator', property: 'gnmi-password' } },
      { secretKey: 'username', remoteRef: { key: 'helios/runbook-operator', property: 'gnmi-username' } },
    ]);
    expect(find(objects, 'ExternalSecret', 'helios-runbook-webhook-token', NS).spec.data).toEqual([
      { secretKey: 'token', remoteRef: { key: 'helios/runbook-operator', property: 'webhook-token' } },
    ]);
  });

  it('grants each service account only what it does', () => {
    const rules = (name: string, namespace: string) => find(objects, 'Role', name, namespace).rules
      .map((r: any) => `${r.apiGroups.join(',')}|${r.resources.join(',')}|${r.verbs.join(',')}`);
    expect(rules('helios-runbook-operator', NS)).toEqual([
      'automation.helios.io|runbooks,runbookexecutions|get,list,watch',
      'automation.helios.io|runbookexecutions|create',
      'automation.helios.io|runbooks/status,runbookexecutions/status|get,update,patch',
      'batch|jobs|get,list,watch,create,delete',
      '|events|create,patch',
      'events.k8s.io|events|create,patch',
      'coordination.k8s.io|leases|get,create,update',
    ]);
    expect(rules('helios-runbook-operator', 'helios-collection')).toEqual(['|configmaps|get,list,watch']);
    expect(rules('helios-runbook-executor', NS)).toEqual([
      'automation.helios.io|runbooks,runbookexecutions|get',
      'automation.helios.io|runbookexecutions/status|get,patch',
      '|events|create',
    ]);
    const admin = find(objects, 'ClusterRole', 'helios-admin');
    expect(admin.rules).toContainEqual({ apiGroups: ['automation.helios.io'], resources: ['runbookexecutions/approval'], verbs: ['approve'] });
    // No approver groups by default: only helios-admin approves.
    expect(all(objects, 'RoleBinding').filter((b: any) => b.roleRef.name === 'helios-runbook-approver')).toEqual([]);
  });
});

describe('the sample runbooks', () => {
  const validator = new SchemaValidator();
  for (const def of RUNBOOK_CRDS) validator.addCrd(crdManifest(def));

  it('are the ten of the spec, each valid against the synthesized Runbook schema', () => {
    const samples = sampleRunbooks();
    expect(samples.map((s) => s.file)).toEqual([
      'arista-mlag-check.yaml', 'backup-config.yaml', 'cisco-reload-in.yaml', 'clear-bgp-neighbor.yaml', 'collect-diagnostics.yaml',
      'device-maintenance-mode.yaml', 'drain-interface.yaml', 'exit-maintenance-mode.yaml', 'interface-bounce.yaml', 'paloalto-commit.yaml',
    ]);
    for (const { file, manifest } of samples) {
      expect([file, validator.validate(manifest as any)]).toEqual([file, []]);
      expect(`${manifest.metadata.name}.yaml`).toBe(file);
    }
  });

  it('are checked by a schema that refuses what the API server would (unknown fields, bad enums, missing steps)', () => {
    const [{ manifest }] = sampleRunbooks();
    const broken = { ...manifest, spec: { ...manifest.spec, riskLevel: 'extreme', steps: undefined, retries: 3 } };
    expect(validator.validate(broken as any)).toEqual(expect.arrayContaining([
      { field: 'spec.riskLevel', message: 'must be one of "low", "medium", "high", "critical"' },
      { field: 'spec.steps', message: 'is required' },
      { field: 'spec.retries', message: 'unknown field "retries"' },
    ]));
  });

  it('bounce an interface through the OpenConfig interfaces model gnmi_target serves, and check it is up again', () => {
    const bounce = sampleRunbooks().find((s) => s.file === 'interface-bounce.yaml')!.manifest.spec as any;
    const path = '/interfaces/interface[name={{ params.interface }}]/config/enabled';
    expect(bounce.steps.map((s: any) => Object.keys(s).filter((k) => k !== 'name')[0])).toEqual(['gnmiSet', 'wait', 'gnmiSet', 'gnmiGet', 'condition']);
    expect(bounce.steps[0].gnmiSet.update).toEqual([{ path, value: false }]);
    expect(bounce.steps[2].gnmiSet.update).toEqual([{ path, value: true }]);
    expect(bounce.steps[3].gnmiGet.paths).toContain('/interfaces/interface[name={{ params.interface }}]/state/oper-status');
    expect(bounce.rollbackOnFailure).toBe(true);
  });

  it('name a vendor path as such in their description', () => {
    for (const { manifest } of sampleRunbooks()) {
      const spec = manifest.spec as any;
      const paths: string[] = spec.steps.flatMap((s: any) => [...(s.gnmiGet?.paths ?? []), ...(s.gnmiSet?.update ?? []).map((u: any) => u.path)]);
      const openconfig = paths.every((p) => /^\/(interfaces|system|components|network-instances)\b/.test(p));
      expect([manifest.metadata.name, openconfig || /vendor/i.test(spec.description)]).toEqual([manifest.metadata.name, true]);
    }
  });

  it('are left out unless automation.sampleRunbooks is on; then they are synthesized and their approver groups bound', () => {
    expect(all(objects, 'Runbook')).toEqual([]);
    const objs = clusterObjects(oneCluster({ extra: '    automation: { sampleRunbooks: true, runbookApprovers: [noc-leads] }\n' }));
    expect(all(objs, 'Runbook').map((r: any) => r.metadata.name).sort()).toEqual(sampleRunbooks().map((s) => s.manifest.metadata.name).sort());
    const binding = find(objs, 'RoleBinding', 'helios-runbook-approver', NS);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'helios-runbook-approver' });
    expect(binding.subjects.map((s: any) => s.name)).toEqual(['helios-network-operators', 'helios-security-operators', 'noc-leads']);
  });

  it('refuse bad values for the new keys, naming the key', () => {
    expect(() => parseConfig(oneCluster({ extra: '    automation: { sampleRunbooks: "yes" }\n' }), 'helios.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(oneCluster({ extra: '    automation: { sampleRunbooks: "yes" }\n' }), 'helios.yaml')).toThrow(/clusters\[0\]\.automation\.sampleRunbooks/);
    expect(() => parseConfig(oneCluster({ extra: '    automation: { runbookApprovers: [""] }\n' }), 'helios.yaml')).toThrow(/clusters\[0\]\.automation\.runbookApprovers\[0\]/);
  });
});

describe('Alertmanager\'s route to the Runbook operator', () => {
  const receivers = '    alerting: { slack: { apiUrl: { key: helios/alertmanager, property: slack-webhook-url }, channel: "#netops" } }\n';
  const values = { slackApiUrl: 'https://hooks.slack.com/services/T0/B0/X', runbookWebhookToken: 'tok"en: #1' };
  const render = (objs: any[], vals: Record<string, string>) => {
    const text = renderExternalSecret(find(objs, 'ExternalSecret', 'alertmanager-helios-config', 'helios-visualization'), vals)['alertmanager.yaml'];
    return { text, path: writeScratch(scratch('runbook-route'), 'alertmanager.yaml', text) };
  };
  const route = (path: string, expected: string, labels: string[]) => amtool(['config', 'routes', 'test', `--config.file=${path}`, `--verify.receivers=${expected}`, ...labels]);

  it('sends alerts with a runbook label to the webhook with the bearer token, and on to their people; amtool agrees', () => {
    const objs = clusterObjects(oneCluster({ extra: receivers }));
    const { text, path } = render(objs, values);
    const check = amtool(['check-config', path]);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(route(path, 'runbook-operator,slack', ['alertname=InterfaceDown', 'severity=warning', 'runbook=interface-bounce', 'device=leaf1']).status).toBe(0);
    expect(route(path, 'slack', ['alertname=InterfaceDown', 'severity=warning', 'device=leaf1']).status).toBe(0);
    expect(route(path, 'null', ['alertname=Watchdog', 'runbook=x']).status).toBe(0);
    const config = parseYaml(text);
    expect(config.receivers.find((r: any) => r.name === 'runbook-operator')).toEqual({
      name: 'runbook-operator',
      webhook_configs: [{
        url: `http://helios-runbook-operator.helios-automation.svc:8443${contract.ALERTS_PATH}`,
        send_resolved: false,
        http_config: { authorization: { type: 'Bearer', credentials: values.runbookWebhookToken } },
      }],
    });
    expect(find(objs, 'ExternalSecret', 'alertmanager-helios-config', 'helios-visualization').spec.data)
      .toContainEqual({ secretKey: 'runbookWebhookToken', remoteRef: { key: 'helios/runbook-operator', property: 'webhook-token' } });
  });

  it('is absent when the cluster runs no AutomationStack', () => {
    const objs = clusterObjects(oneCluster({ extra: `${receivers}    stacks: { automation: false }\n` }));
    const { text, path } = render(objs, { slackApiUrl: values.slackApiUrl });
    expect(amtool(['check-config', path]).status).toBe(0);
    expect(text).not.toContain('runbook');
    expect(route(path, 'slack', ['severity=warning', 'runbook=interface-bounce']).status).toBe(0);
  });
});

/** The alerts, unit-tested by the real promtool: each fires on its condition and stays quiet without it. */
describe('the Runbook operator\'s alerts', () => {
  const rule = find(objects, 'PrometheusRule', 'helios-runbook-operator', NS);
  const groups = rule.spec.groups;
  const rules: any[] = groups.flatMap((g: any) => g.rules);
  const ruleTests = promtoolRuleTests(scratch('runbook-alerts'));
  const promtoolTest = (tests: object[]) => ruleTests(groups, tests);

  const annotations = (alert: string, summary: string) => ({ ...rules.find((r) => r.alert === alert).annotations, summary });
  const T = 'helios_runbook_executions_total';
  const replica = (pod: string) => `job="helios-runbook-operator",instance="${pod}:8080",pod="${pod}"`;

  it('each have a severity, a summary, a description and a runbook heading in constructs/automation/README.md', () => {
    expect(rules.map((r) => r.alert)).toEqual(runbookAlerts().map((a) => a.alert));
    expect(rules.map((r) => r.alert)).toEqual(['RunbookApprovalPending', 'RunbookExecutionFailed', 'RunbookRollbackTriggered']);
    for (const r of rules) {
      expect(r.labels.severity).toBe('warning');
      expect(r.annotations.runbook_url).toBe(`https://github.com/helios-observability/helios/blob/main/constructs/automation/README.md#${r.alert.toLowerCase()}`);
    }
  });

  it('RunbookApprovalPending fires after an hour of pending approvals on the Lease holder, whatever the other replica says', () => {
    promtoolTest([{
      interval: '1m',
      input_series: [
        { series: `helios_runbook_pending_approvals{${replica('a')}}`, values: '0x5 2x80' },
        { series: `helios_runbook_pending_approvals{${replica('b')}}`, values: '0x86' },
      ],
      alert_rule_test: [
        { eval_time: '65m', alertname: 'RunbookApprovalPending', exp_alerts: [] },
        {
          eval_time: '67m',
          alertname: 'RunbookApprovalPending',
          exp_alerts: [{ exp_labels: { severity: 'warning', job: 'helios-runbook-operator' }, exp_annotations: annotations('RunbookApprovalPending', '2 runbook execution(s) have waited for approval for over an hour') }],
        },
      ],
    }]);
  });

  it('RunbookExecutionFailed fires per runbook and result on Failed and RollbackFailed, not on successes', () => {
    promtoolTest([{
      interval: '1m',
      input_series: [
        { series: `${T}{${replica('a')},runbook="clear-bgp-neighbor",result="Failed"}`, values: '0x10 1x30' },
        { series: `${T}{${replica('a')},runbook="interface-bounce",result="RollbackFailed"}`, values: '0x20 1x20' },
        { series: `${T}{${replica('a')},runbook="interface-bounce",result="Succeeded"}`, values: '0+1x40' },
      ],
      alert_rule_test: [
        { eval_time: '9m', alertname: 'RunbookExecutionFailed', exp_alerts: [] },
        {
          eval_time: '12m',
          alertname: 'RunbookExecutionFailed',
          exp_alerts: [{ exp_labels: { severity: 'warning', runbook: 'clear-bgp-neighbor', result: 'Failed' }, exp_annotations: annotations('RunbookExecutionFailed', 'Runbook clear-bgp-neighbor ended Failed') }],
        },
        {
          eval_time: '22m',
          alertname: 'RunbookExecutionFailed',
          exp_alerts: [
            { exp_labels: { severity: 'warning', runbook: 'clear-bgp-neighbor', result: 'Failed' }, exp_annotations: annotations('RunbookExecutionFailed', 'Runbook clear-bgp-neighbor ended Failed') },
            { exp_labels: { severity: 'warning', runbook: 'interface-bounce', result: 'RollbackFailed' }, exp_annotations: annotations('RunbookExecutionFailed', 'Runbook interface-bounce ended RollbackFailed') },
          ],
        },
        { eval_time: '40m', alertname: 'RunbookExecutionFailed', exp_alerts: [] },
      ],
    }]);
  });

  it('RunbookRollbackTriggered fires on a RolledBack execution and ends 15 minutes later', () => {
    promtoolTest([{
      interval: '1m',
      input_series: [{ series: `${T}{${replica('a')},runbook="interface-bounce",result="RolledBack"}`, values: '0x10 1x30' }],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'RunbookRollbackTriggered', exp_alerts: [] },
        {
          eval_time: '11m',
          alertname: 'RunbookRollbackTriggered',
          exp_alerts: [{ exp_labels: { severity: 'warning', runbook: 'interface-bounce' }, exp_annotations: annotations('RunbookRollbackTriggered', 'Runbook interface-bounce failed and was rolled back') }],
        },
        { eval_time: '30m', alertname: 'RunbookRollbackTriggered', exp_alerts: [] },
      ],
    }]);
  });
});
