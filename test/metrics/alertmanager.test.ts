import { clusterObjects, find, oneCluster, parseYaml, renderExternalSecret } from './support.js';
import { amtool, scratch, writeScratch } from '../peers/harness/network-peers.js';

const receivers = `    alerting:
      pagerduty: { routingKey: { key: helios/alertmanager, property: pagerduty-routing-key } }
      slack: { apiUrl: { key: helios/alertmanager, property: slack-webhook-url }, channel: "#netops-alerts" }
      email:
        to: netops@example.net
        from: helios@example.net
        smarthost: smtp.example.net:587
        username: helios
        password: { key: helios/alertmanager, property: smtp-password }
`;

/** Values with characters that break naive YAML templating: quotes, colons, hashes. */
const SECRETS = {
  pagerdutyRoutingKey: 'R0ut1ng"key: #42',
  slackApiUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
  smtpPassword: 'p@ss: "w0rd" #1 \'x\'',
};

function configSecret(extra: string): any {
  return find(clusterObjects(oneCluster({ extra })), 'ExternalSecret', 'alertmanager-helios-config', 'helios-visualization');
}

/** Writes the config as ESO would render it from the synthesized ExternalSecret. */
function renderedConfig(extra: string, values: Record<string, string> = SECRETS): { path: string; text: string } {
  const text = renderExternalSecret(configSecret(extra), values)['alertmanager.yaml'];
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
    expect(route(path, 'default', ['alertname=Watchdog']).status).toBe(0);
    const wrong = route(path, 'pagerduty', ['severity=warning']);
    expect(wrong.status).not.toBe(0);
  });

  it('carries the credentials ESO fetched, intact, and nothing from the manifests', () => {
    const config = parseYaml(text);
    expect(config.receivers.find((r: any) => r.name === 'pagerduty').pagerduty_configs[0].routing_key).toBe(SECRETS.pagerdutyRoutingKey);
    expect(config.global.slack_api_url).toBe(SECRETS.slackApiUrl);
    expect(config.global.smtp_auth_password).toBe(SECRETS.smtpPassword);
    const template = configSecret(receivers).spec.target.template.data['alertmanager.yaml'];
    for (const value of Object.values(SECRETS)) expect(template).not.toContain(value);
    expect(configSecret(receivers).spec.data).toEqual([
      { secretKey: 'pagerdutyRoutingKey', remoteRef: { key: 'helios/alertmanager', property: 'pagerduty-routing-key' } },
      { secretKey: 'slackApiUrl', remoteRef: { key: 'helios/alertmanager', property: 'slack-webhook-url' } },
      { secretKey: 'smtpPassword', remoteRef: { key: 'helios/alertmanager', property: 'smtp-password' } },
    ]);
  });

  it('inhibits warnings and info by a critical alert, and info by a warning, of the same alert, site and device', () => {
    expect(parseYaml(text).inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ['alertname', 'site', 'device'] },
      { source_matchers: ['severity="warning"'], target_matchers: ['severity="info"'], equal: ['alertname', 'site', 'device'] },
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

  it('without any receiver still renders a valid configuration (everything to the default receiver)', () => {
    const secret = configSecret('');
    expect(secret.spec.data).toEqual([]);
    const { path } = renderedConfig('', {});
    expect(amtool(['check-config', path]).status).toBe(0);
    expect(route(path, 'default', ['severity=critical']).status).toBe(0);
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
