import { ALL_RECEIVERS, clusterObjects, find, oneCluster, parseYaml, renderExternalSecret } from './support.js';
import { amtool, scratch, writeScratch } from '../peers/harness/network-peers.js';

const receivers = ALL_RECEIVERS;

/** Values with characters that break naive YAML templating: quotes, colons, hashes. */
const SECRETS = {
  pagerdutyRoutingKey: 'R0ut1ng"key: #42',
  slackApiUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
  smtpPassword: 'p@ss: "w0rd" #1 \'x\'',
  deadMansSwitchUrl: 'https://hc-ping.example.net/5f0c2d9e?beat=1&src="helios"',
};

function configSecret(extra: string): any {
  return find(clusterObjects(oneCluster({ extra })), 'ExternalSecret', 'alertmanager-helios-config', 'helios-visualization');
}

/** Writes the config as ESO would render it from the synthesized ExternalSecret. */
/** The Runbook operator's webhook token: the AutomationStack (on by default) routes alerts with a runbook label to it. */
const RUNBOOK_TOKEN = { runbookWebhookToken: 'runbook-t0ken' };
const RUNBOOK_TOKEN_REF = { secretKey: 'runbookWebhookToken', remoteRef: { key: 'helios/runbook-operator', property: 'webhook-token' } };
const RUNBOOK_RECEIVER = {
  name: 'runbook-operator',
  webhook_configs: [{
    url: 'http://helios-runbook-operator.helios-automation.svc:8443/api/v1/alerts',
    send_resolved: false,
    http_config: { authorization: { type: 'Bearer', credentials: RUNBOOK_TOKEN.runbookWebhookToken } },
  }],
};

function renderedConfig(extra: string, values: Record<string, string> = SECRETS): { path: string; text: string } {
  const text = renderExternalSecret(configSecret(extra), { ...RUNBOOK_TOKEN, ...values })['alertmanager.yaml'];
  return { path: writeScratch(scratch('alertmanager'), 'alertmanager.yaml', text), text };
}

function route(config: string, receiver: string, labels: string[]): ReturnType<typeof amtool> {
  return amtool(['config', 'routes', 'test', `--config.file=${config}`, `--verify.receivers=${receiver}`, ...labels]);
}

describe('the synthesized Alertmanager configuration, rendered as ESO would and checked by amtool', () => {
  const { path, text } = renderedConfig(receivers);

  it('passes amtool check-config', () => {
    const r = amtool(['check-config', path]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it.each([
    ['critical', 'pagerduty'],
    ['warning', 'slack'],
    ['info', 'email'],
    ['urgent', 'default'],
  ])('routes severity=%s to the %s receiver', (severity, receiver) => {
    const r = route(path, receiver, [`severity=${severity}`, 'alertname=DeviceUnreachable', 'site=ams1', 'device=leaf1']);
    expect(r.stdout.trim()).toBe(receiver);
    expect(r.status).toBe(0);
  });

  it('routes an alert without severity to the default receiver, and fails a wrong expectation', () => {
    expect(route(path, 'default', ['alertname=SomethingNew']).status).toBe(0);
    const wrong = route(path, 'pagerduty', ['severity=warning']);
    expect(wrong.status).not.toBe(0);
  });

  it('sends Watchdog to the dead man\'s switch every minute, whatever its severity, and nowhere else', () => {
    for (const severity of ['none', 'critical', 'info']) {
      const r = route(path, 'deadmansswitch', ['alertname=Watchdog', `severity=${severity}`]);
      expect(r.stdout.trim()).toBe('deadmansswitch');
      expect(r.status).toBe(0);
    }
    const config = parseYaml(text);
    expect(config.route.routes[0]).toEqual({
      receiver: 'deadmansswitch', matchers: ['alertname="Watchdog"'], group_wait: '0s', group_interval: '1m', repeat_interval: '1m',
    });
    expect(config.receivers.find((r: any) => r.name === 'deadmansswitch')).toEqual({
      name: 'deadmansswitch', webhook_configs: [{ url: SECRETS.deadMansSwitchUrl, send_resolved: false }],
    });
  });

  it('sends the info alerts the rules raise (DeviceRestarted, InterfaceFlapping, AlertsHaveNoReceiver) by email', () => {
    for (const alertname of ['DeviceRestarted', 'InterfaceFlapping', 'AlertsHaveNoReceiver']) {
      expect(route(path, 'email', [`alertname=${alertname}`, 'severity=info', 'site=ams1', 'device=leaf1']).stdout.trim()).toBe('email');
    }
  });

  it('carries the credentials ESO fetched, intact, and nothing from the manifests', () => {
    const config = parseYaml(text);
    expect(config.receivers.find((r: any) => r.name === 'pagerduty').pagerduty_configs[0].routing_key).toBe(SECRETS.pagerdutyRoutingKey);
    expect(config.global.slack_api_url).toBe(SECRETS.slackApiUrl);
    expect(config.global.smtp_auth_password).toBe(SECRETS.smtpPassword);
    const template = configSecret(receivers).spec.target.template.data['alertmanager.yaml'];
    for (const value of Object.values(SECRETS)) expect(template).not.toContain(value);
    expect(configSecret(receivers).spec.data).toEqual([
      { secretKey: 'deadMansSwitchUrl', remoteRef: { key: 'helios/alertmanager', property: 'deadmansswitch-url' } },
      { secretKey: 'pagerdutyRoutingKey', remoteRef: { key: 'helios/alertmanager', property: 'pagerduty-routing-key' } },
      RUNBOOK_TOKEN_REF,
      { secretKey: 'slackApiUrl', remoteRef: { key: 'helios/alertmanager', property: 'slack-webhook-url' } },
      { secretKey: 'smtpPassword', remoteRef: { key: 'helios/alertmanager', property: 'smtp-password' } },
    ]);
  });

  it('inhibits warnings and info by a critical alert, and info by a warning, of the same alert, site and device; an unreachable device mutes its other alerts', () => {
    expect(parseYaml(text).inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ['alertname', 'site', 'device'] },
      { source_matchers: ['severity="warning"'], target_matchers: ['severity="info"'], equal: ['alertname', 'site', 'device'] },
      { source_matchers: ['alertname="DeviceUnreachable"'], target_matchers: ['alertname!="DeviceUnreachable"'], equal: ['device'] },
    ]);
  });

  it('sends unknown severities to the non-paging channels only', () => {
    const fallback = parseYaml(text).receivers.find((r: any) => r.name === 'default');
    expect(Object.keys(fallback).sort()).toEqual(['email_configs', 'name', 'slack_configs']);
  });
});

describe('Alertmanager with fewer receivers', () => {
  it('sends critical alerts to the default receiver when PagerDuty is not configured', () => {
    const { path } = renderedConfig(`    alerting:
      slack: { apiUrl: { key: helios/alertmanager, property: slack-webhook-url }, channel: "#netops" }
`, { slackApiUrl: SECRETS.slackApiUrl });
    expect(amtool(['check-config', path]).status).toBe(0);
    expect(route(path, 'default', ['severity=critical']).status).toBe(0);
    expect(route(path, 'slack', ['severity=warning']).status).toBe(0);
  });

  it('without any receiver still renders a valid configuration: everything to a default receiver that notifies no one', () => {
    const secret = configSecret('');
    expect(secret.spec.data).toEqual([RUNBOOK_TOKEN_REF]);
    const { path, text } = renderedConfig('', {});
    expect(amtool(['check-config', path]).status).toBe(0);
    expect(route(path, 'default', ['severity=critical', 'alertname=DeviceUnreachable']).status).toBe(0);
    expect(route(path, 'default', ['severity=info', 'alertname=AlertsHaveNoReceiver']).status).toBe(0);
    expect(parseYaml(text).receivers).toEqual([{ name: 'default' }, RUNBOOK_RECEIVER, { name: 'null' }]);
  });

  it('without a dead man\'s switch sends Watchdog explicitly to the null receiver, which has no integration', () => {
    const { path, text } = renderedConfig(`    alerting:
      email: { to: netops@example.net, from: helios@example.net, smarthost: "smtp.example.net:25" }
`, {});
    expect(route(path, 'null', ['alertname=Watchdog', 'severity=none']).stdout.trim()).toBe('null');
    expect(route(path, 'email', ['alertname=Watchdog', 'severity=none']).status).not.toBe(0);
    expect(parseYaml(text).receivers.find((r: any) => r.name === 'null')).toEqual({ name: 'null' });
  });
});

describe('the alerts about alerting', () => {
  const alertsOf = (extra: string) => find(clusterObjects(oneCluster({ tier: 'small', extra })), 'PrometheusRule', 'alertmanager', 'helios-visualization')
    .spec.groups.flatMap((g: any) => g.rules.map((r: any) => `${r.alert} ${r.labels.severity} ${r.expr}`));

  it('carry Watchdog always, and AlertsHaveNoReceiver only while no receiver is configured', () => {
    expect(alertsOf('')).toEqual(['Watchdog none vector(1)', 'AlertsHaveNoReceiver info vector(1)']);
    expect(alertsOf(receivers)).toEqual(['Watchdog none vector(1)']);
    // A dead man's switch hears Watchdog only; it tells no person about anything.
    expect(alertsOf('    alerting: { deadMansSwitch: { url: { key: helios/alertmanager, property: dms } } }\n'))
      .toEqual(['Watchdog none vector(1)', 'AlertsHaveNoReceiver info vector(1)']);
  });

  it('let Alertmanager out to the dead man\'s switch on 443, and out to nowhere without receivers', () => {
    const egressOf = (extra: string) => find(clusterObjects(oneCluster({ tier: 'small', extra })), 'NetworkPolicy', 'alertmanager', 'helios-visualization').spec.egress;
    expect(egressOf('    alerting: { deadMansSwitch: { url: { key: helios/alertmanager, property: dms } } }\n'))
      .toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] });
    expect(JSON.stringify(egressOf(''))).not.toContain('ipBlock');
  });
});

describe('the Alertmanager resource', () => {
  it('runs the tier\'s replicas from the ESO-rendered Secret, with a disruption budget', () => {
    const objects = clusterObjects(oneCluster({ tier: 'large', extra: receivers }));
    const am = find(objects, 'Alertmanager', 'helios', 'helios-visualization');
    expect(am.spec.replicas).toBe(3);
    expect(am.spec.configSecret).toBe('alertmanager-helios-config');
    expect(am.spec.image).toBe('quay.io/prometheus/alertmanager:v0.28.1');
    expect(am.spec.version).toBe('v0.28.1');
    const pdb = find(objects, 'PodDisruptionBudget', 'alertmanager', 'helios-visualization');
    expect(pdb.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'alertmanager', 'alertmanager': 'helios' });
    const small = clusterObjects(oneCluster({ tier: 'small' }));
    expect(small.filter((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'alertmanager')).toEqual([]);
  });
});
