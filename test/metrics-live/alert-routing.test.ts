import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { alertmanagerArgsForTest, alertmanagerConfigForTest, argsForTest, prometheusConfigForTest } from './rewrites.js';
import { OBJECTS, OperatorWorld, VAULT, type OperatorOutput } from './world.js';
import { Severity } from '../../constructs/metrics/rules.js';
import { fleetCa } from '../federation/fleet-ca.js';
import { startHttpPeer, type HttpProcess } from '../peers/harness/metrics-peers.js';
import { scratch, writeScratch } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { freePort, httpOk, PeerProcess, sleep, waitFor } from '../peers/harness/process.js';
import { mailSubject, mailText, SmtpSinkStandIn, type ReceivedMail } from '../peers/harness/smtp-sink.js';
import { Sink } from '../peers/harness/webhook-sink.js';

/**
 * Alert routing for real: Alertmanager runs the configuration the real Prometheus
 * Operator generated from the synthesized objects (receivers' addresses pointed at
 * stand-ins, see rewrites.ts), and Prometheus, with the operator-generated config,
 * evaluates the synthesized alerting rules — their names, labels and annotation
 * templates as synthesized; each expression replaced by a constant series of the
 * device the test names, and `for` dropped, so they fire at once. PagerDuty, Slack
 * and the SMTP relay are stand-ins (a webhook sink and SmtpSinkStandIn).
 */
const SITE = 'ams1';
const GROUP = 'helios-alert-routing-test';

/** Every alerting rule Helios synthesizes: the Prometheus rules and the Ruler's. */
function synthesizedRules(): any[] {
  const rules = OBJECTS.filter((o) => o.kind === 'PrometheusRule').flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules));
  const ruler = OBJECTS.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'thanos-ruler-rules');
  for (const text of Object.values(ruler.data as Record<string, string>)) rules.push(...parse(text).groups.flatMap((g: any) => g.rules));
  return rules.filter((r) => r.alert);
}

/** A synthesized alerting rule firing at once for one series with these labels (value 3). */
function firing(rule: any, labels: Record<string, string>, severity?: Severity): any {
  const expr = Object.entries(labels).reduce((e, [k, v]) => `label_replace(${e}, "${k}", "${v}", "", "")`, 'vector(3)');
  return { alert: rule.alert, expr, labels: { ...rule.labels, ...(severity ? { severity } : {}) }, annotations: rule.annotations };
}

describe('alert routing live: synthesized rules → Prometheus (operator config) → Alertmanager (operator config) → PagerDuty, Slack and email stand-ins', () => {
  const dir = scratch('metrics-alert-routing');
  const peers: Array<{ stop(): Promise<void> }> = [];
  const sink = new Sink();
  let smtp: SmtpSinkStandIn;
  let world: OperatorWorld;
  let out: OperatorOutput;
  let am: HttpProcess;
  let amConfig: any;
  let rulesLoadedAt = 0;
  const rules = synthesizedRules();
  const rule = (name: string) => {
    const found = rules.find((r) => r.alert === name);
    if (!found) throw new Error(`no synthesized alerting rule ${name}`);
    return found;
  };
  const deviceUnreachable = rule('DeviceUnreachable');
  const interfaceFlapping = rule('InterfaceFlapping');
  const highCpu = rule('HighCPU');
  const leaf = (device: string, extra: Record<string, string> = {}) => ({ device, site: SITE, ...extra });

  beforeAll(async () => {
    expect([deviceUnreachable.labels.severity, interfaceFlapping.labels.severity, highCpu.labels.severity])
      .toEqual([Severity.CRITICAL, Severity.INFO, Severity.WARNING]);
    world = await OperatorWorld.start();
    out = await world.output();
    await sink.start();
    peers.push(sink);

    // The relay stand-in: STARTTLS with a certificate for 127.0.0.1 from a test CA, and the synthesized account.
    const generated = parse(out.alertmanagerText);
    const tls = fleetCa(dir).issue('smtp-relay', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    smtp = new SmtpSinkStandIn({
      key: readFileSync(join(tls, 'tls.key'), 'utf8'),
      cert: readFileSync(join(tls, 'tls.crt'), 'utf8'),
      username: generated.global.smtp_auth_username,
      password: VAULT['alertmanager-helios-config'].smtpPassword,
    });
    await smtp.start();
    peers.push(smtp);

    const amPort = await freePort();
    amConfig = alertmanagerConfigForTest(out.alertmanagerText, { url: (path) => sink.url(path), smarthost: smtp.address });
    const amArgs = alertmanagerArgsForTest(out, writeScratch(dir, 'alertmanager.yaml', stringify(amConfig)), dir, amPort);
    const amUrl = `http://127.0.0.1:${amPort}`;
    const amProcess = await PeerProcess.start({
      name: 'alertmanager', command: peerBin('alertmanager'), args: amArgs, env: { SSL_CERT_FILE: join(tls, 'ca.crt') }, ready: () => httpOk(`${amUrl}/-/ready`),
    });
    am = { process: amProcess, url: amUrl, stop: () => amProcess.stop() };
    peers.unshift(am);

    const rulesDir = join(dir, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    const promSet = out.statefulSets['helios-storage/prometheus-helios'];
    const port = await freePort();
    const config = prometheusConfigForTest(out.prometheus, {
      targetsDir: join(dir, 'targets'), rulesDir, kubeconfig: world.kube.kubeconfigPath, alertmanager: `127.0.0.1:${amPort}`, shard: 0, podName: 'prometheus-helios-0',
    });
    const args = argsForTest(promSet.spec.template.spec.containers.find((c: any) => c.name === 'prometheus').args, {
      '--config.file': writeScratch(dir, 'prometheus.yaml', stringify(config)),
      '--storage.tsdb.path': join(dir, 'prometheus'),
      '--web.listen-address': `127.0.0.1:${port}`,
      '--web.config.file': writeScratch(dir, 'prometheus-web-config.yaml', out.prometheusWebConfigText),
    }, 'prometheus-helios-0');
    const prometheus = await startHttpPeer('prometheus', 'prometheus', args, port, '/-/ready');
    peers.unshift(prometheus);
    // The rules go in once Prometheus knows Alertmanager: alerts it evaluated before would wait a resend delay (1 m).
    await waitFor('Prometheus to discover Alertmanager', async () => {
      const r: any = await (await fetch(`${prometheus.url}/api/v1/alertmanagers`)).json();
      return r.data.activeAlertmanagers.length === 1;
    }, 60_000, 500);
    writeScratch(rulesDir, 'routing.yaml', stringify({
      groups: [{
        name: GROUP,
        // Test-only speed-up: evaluated every second instead of the synthesized interval.
        interval: '1s',
        rules: [
          firing(deviceUnreachable, leaf('leaf1')),
          // Muted by leaf1's DeviceUnreachable.
          firing(interfaceFlapping, leaf('leaf1', { interface_name: 'Ethernet1' })),
          firing(interfaceFlapping, leaf('leaf2', { interface_name: 'Ethernet1' })),
          firing(highCpu, leaf('leaf3')),
          // No synthesized alert has two severities: the same alert lowered to info, made by the test, to exercise the warning → info inhibition.
          firing(highCpu, leaf('leaf3'), Severity.INFO),
        ],
      }],
    }));
    const reload = await fetch(`${prometheus.url}/-/reload`, { method: 'POST' });
    expect(reload.status).toBe(200);
    rulesLoadedAt = Date.now();
  }, 300_000);

  afterAll(async () => {
    for (const p of peers) await p.stop();
    await world?.stop();
  }, 120_000);

  const pages = () => sink.received.filter((r) => r.path === '/pagerduty' && r.body.event_action === 'trigger');
  // Notifications name their group: alertname, device and site (Alertmanager's default titles).
  const pageOf = (alert: string, device: string) => pages().find((r) => JSON.stringify(r.body).includes(`${alert} ${device} ${SITE}`));
  const mailsAbout = (text: string): ReceivedMail[] => smtp.mails.filter((m) => mailText(m).includes(text));

  it('pages a critical alert through the PagerDuty stand-in, with its routing key, summary and runbook link', async () => {
    await waitFor('DeviceUnreachable of leaf1 at the PagerDuty stand-in', () => pageOf('DeviceUnreachable', 'leaf1') !== undefined, 120_000, 500);
    const page = pageOf('DeviceUnreachable', 'leaf1')!.body;
    console.log(`paged ${((Date.now() - rulesLoadedAt) / 1000).toFixed(1)} s after the rules were loaded (Alertmanager's group_wait: ${amConfig.route.group_wait})`);
    expect(page.routing_key).toBe(VAULT['alertmanager-helios-config'].pagerdutyRoutingKey);
    const text = JSON.stringify(page);
    expect(text).toContain('Device leaf1 is unreachable');
    expect(text).toContain(deviceUnreachable.annotations.runbook_url);
    // The cluster's external labels travel with the alert (from the operator-generated config).
    expect(text).toContain(`cluster = ${out.prometheus.global.external_labels.cluster}`);
    expect(sink.received.filter((r) => r.path === '/slack' && JSON.stringify(r.body).includes('DeviceUnreachable'))).toEqual([]);
  }, 150_000);

  it('sends an info alert by email through the relay stand-in, over STARTTLS and with the synthesized account', async () => {
    await waitFor('InterfaceFlapping of leaf2 at the SMTP stand-in', () => mailsAbout('leaf2').length > 0, 120_000, 500);
    const [mail, ...more] = mailsAbout('leaf2');
    expect(more).toEqual([]);
    expect(mail.tls).toBe(true);
    expect([mail.username, mail.password]).toEqual([amConfig.global.smtp_auth_username, VAULT['alertmanager-helios-config'].smtpPassword]);
    const email = amConfig.receivers.find((r: any) => r.name === 'email').email_configs[0];
    expect([mail.from, mail.to]).toEqual([amConfig.global.smtp_from, [email.to]]);
    expect(mailSubject(mail)).toContain('InterfaceFlapping');
    const text = mailText(mail);
    expect(text).toContain('leaf2: Ethernet1 changed its operational state 3 times in 15 minutes');
    expect(text).toContain(interfaceFlapping.annotations.runbook_url);
    expect(pages().filter((r) => JSON.stringify(r.body).includes('leaf2'))).toEqual([]);
  }, 150_000);

  it('sends a warning to the Slack stand-in', async () => {
    await waitFor('HighCPU of leaf3 at the Slack stand-in', () => sink.received.some((r) => r.path === '/slack' && JSON.stringify(r.body).includes('leaf3')), 120_000, 500);
    const [message] = sink.received.filter((r) => r.path === '/slack' && JSON.stringify(r.body).includes('leaf3'));
    expect(message.body.channel).toBe(amConfig.receivers.find((r: any) => r.name === 'slack').slack_configs[0].channel);
    expect(JSON.stringify(message.body)).toContain('HighCPU');
  }, 150_000);

  it('inhibits: an unreachable device mutes its other alerts, a warning the info alert of the same name, site and device; another device\'s info alert is delivered', async () => {
    await waitFor('DeviceUnreachable of leaf1 at the PagerDuty stand-in', () => pageOf('DeviceUnreachable', 'leaf1') !== undefined, 120_000, 500);
    await waitFor('leaf2\'s email', () => mailsAbout('leaf2').length > 0, 120_000, 500);
    // The muted alerts' groups waited as long as leaf2's (group_wait); give their notifications time to have gone out.
    await sleep(10_000);
    const alerts = await (await fetch(`${am.url}/api/v2/alerts`)).json() as any[];
    const alert = (name: string, device: string, severity: string) => {
      const found = alerts.find((a) => a.labels.alertname === name && a.labels.device === device && a.labels.severity === severity);
      if (!found) throw new Error(`Alertmanager has no ${severity} ${name} of ${device}: ${JSON.stringify(alerts.map((a) => a.labels))}`);
      return found;
    };
    const mutedInfo = alert('InterfaceFlapping', 'leaf1', Severity.INFO);
    expect(mutedInfo.status.state).toBe('suppressed');
    expect(mutedInfo.status.inhibitedBy).toEqual([alert('DeviceUnreachable', 'leaf1', Severity.CRITICAL).fingerprint]);
    expect(pages().filter((r) => JSON.stringify(r.body).includes('InterfaceFlapping'))).toEqual([]);
    const mutedCpu = alert('HighCPU', 'leaf3', Severity.INFO);
    expect([mutedCpu.status.state, mutedCpu.status.inhibitedBy]).toEqual(['suppressed', [alert('HighCPU', 'leaf3', Severity.WARNING).fingerprint]]);
    expect(alert('InterfaceFlapping', 'leaf2', Severity.INFO).status.state).toBe('active');
    // Delivered: leaf2's info by email; muted: leaf1's and leaf3's info alerts, on every channel.
    expect(smtp.mails.map((m) => mailSubject(m))).toEqual([expect.stringContaining('leaf2')]);
    expect(sink.received.filter((r) => r.path === '/slack' && JSON.stringify(r.body).includes(`HighCPU leaf3 ${SITE}`))).toHaveLength(1);
    console.log(`delivered: ${pages().length} pages, ${sink.received.filter((r) => r.path === '/slack').length} Slack messages, ${smtp.mails.length} emails (${smtp.mails.map(mailSubject).join('; ')})`);
  }, 180_000);
});
