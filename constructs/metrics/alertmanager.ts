import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DEVICE_UNREACHABLE_ALERT } from './device-alerts.js';
import { endpointPort } from './object-store.js';
import { AlertRules, Severity, type RuleGroup } from './rules.js';
import { secretField, yamlSecretTemplate } from './secret-template.js';
import { SelfMonitoring } from './self-monitoring.js';
import { CLUSTER_DOMAIN } from './thanos.js';
import { Alertmanager as AlertmanagerResource, type AlertmanagerSpec } from '../../imports/alertmanager-monitoring.coreos.com.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, Protocol, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';
import { resourceRequirements, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

/** Email for info alerts (and alerts of unknown severity). */
export interface EmailReceiver {
  readonly to: string;
  readonly from: string;
  /** The SMTP relay, host:port. */
  readonly smarthost: string;
  /** @default - no SMTP authentication */
  readonly username?: string;
  /** @default - no SMTP authentication */
  readonly password?: SecretReference;
}

/** Where alerts go, by severity. Receivers that are not given fall back to the default receiver. */
export interface AlertReceivers {
  /** Critical alerts page through PagerDuty (Events API v2). @default - critical alerts go to the default receiver */
  readonly pagerduty?: { readonly routingKey: SecretReference };
  /** Warnings go to a Slack channel through an incoming webhook. @default - warnings go to the default receiver */
  readonly slack?: { readonly apiUrl: SecretReference; readonly channel: string };
  /** Info alerts go by email. @default - info alerts go to the default receiver */
  readonly email?: EmailReceiver;
  /**
   * The dead man's switch (healthchecks.io, Dead Man's Snitch, PagerDuty's heartbeat...):
   * an https:// webhook URL (port 443) that receives the always-firing Watchdog every
   * minute and alerts you when it stops hearing it.
   * @default - Watchdog goes to the "null" receiver: nothing notices a dead alert path
   */
  readonly deadMansSwitch?: { readonly url: SecretReference };
  /**
   * The Runbook operator's webhook (when the AutomationStack runs): alerts with a
   * `runbook` label go to it as well as to their people, and it starts that runbook.
   * @default - no alert starts a runbook
   */
  readonly runbooks?: RunbookWebhook;
}

/** Where Alertmanager delivers alerts that name a runbook, and the bearer token it sends. */
export interface RunbookWebhook {
  readonly url: string;
  readonly token: SecretReference;
}

/** True when some alert reaches a person: at least one of PagerDuty, Slack and email is configured. */
export function hasPeopleReceiver(receivers: AlertReceivers): boolean {
  return Boolean(receivers.pagerduty || receivers.slack || receivers.email);
}

/** The receivers of the routing tree; amtool tests route to these names. */
export enum Receiver {
  PAGERDUTY = 'pagerduty',
  SLACK = 'slack',
  EMAIL = 'email',
  /** Alerts of no known severity, and severities whose channel is not configured: the non-paging channels. */
  DEFAULT = 'default',
  /** Watchdog, when a dead man's switch is configured. */
  DEAD_MANS_SWITCH = 'deadmansswitch',
  /** Watchdog without a dead man's switch: a receiver without integrations, so no person gets the heartbeat. */
  NULL = 'null',
  /** The Runbook operator's webhook: alerts with a `runbook` label (and on to their people). */
  RUNBOOK_OPERATOR = 'runbook-operator',
}

/** The always-firing heartbeat of the alert path (Prometheus → Alertmanager → the dead man's switch). */
export const WATCHDOG = 'Watchdog';
/** Fires while no alert reaches a person. */
export const ALERTS_HAVE_NO_RECEIVER = 'AlertsHaveNoReceiver';
/** The dead man's switch hears Watchdog this often; configure it to alert after a few missed beats. */
const HEARTBEAT_INTERVAL = '1m';

/**
 * The alerts about alerting itself. Watchdog always fires, as kube-prometheus's does:
 * its notifications reaching the dead man's switch every minute prove that Prometheus
 * evaluates rules, reaches Alertmanager and Alertmanager reaches the outside.
 * AlertsHaveNoReceiver fires, only while no receiver is configured, so Alertmanager's
 * and Grafana's alert lists say why nobody was told.
 */
export function alertingRuleGroups(receivers: AlertReceivers): RuleGroup[] {
  return [{
    name: 'helios-alerting',
    alerts: [
      {
        alert: WATCHDOG,
        expr: 'vector(1)',
        severity: Severity.NONE,
        summary: 'The alert path works: this alert always fires',
        description: 'Watchdog fires all the time on purpose. Alertmanager sends it every minute to the dead man\'s switch'
          + ' (alerting.deadMansSwitch), which alerts you when the beats stop: then Prometheus, Alertmanager or the'
          + ' way out of the cluster is broken, and no other alert can reach you either. Never silence it.',
      },
      ...(hasPeopleReceiver(receivers) ? [] : [{
        alert: ALERTS_HAVE_NO_RECEIVER,
        expr: 'vector(1)',
        severity: Severity.INFO,
        summary: 'Alerts reach no one: Alertmanager has no receiver',
        description: 'The cluster was synthesized without alerting.pagerduty, alerting.slack or alerting.email, so every'
          + ' alert, critical device alerts included, stays in Alertmanager and notifies nobody. Configure at least one'
          + ' receiver in helios.yaml and apply the new output; this alert then disappears.',
      }]),
    ],
  }];
}

/** Labels that tell one alert's object from another's: inhibition applies within the same one. */
const SAME_ALERT = ['alertname', 'site', 'device'];

/**
 * Alertmanager's configuration as an ESO template (the PagerDuty routing key, the
 * Slack webhook URL, the SMTP password and the dead man's switch URL are
 * placeholders), with the secret-store reference of each placeholder. Watchdog →
 * the dead man's switch (or the null receiver), critical → PagerDuty, warning →
 * Slack, info → email, anything else → the default receiver; a critical alert
 * inhibits the warning and info alerts of the same alert name, site and device, a
 * warning its info alerts, and an unreachable device every other alert of that
 * device (its interfaces, CPU and sessions are unknown, not broken, while it is down).
 */
export interface AlertmanagerConfigTemplate {
  readonly text: string;
  /** The secret-store reference of each placeholder. */
  readonly data: Readonly<Record<string, SecretReference>>;
}

export function alertmanagerConfigTemplate(receivers: AlertReceivers): AlertmanagerConfigTemplate {
  const data: Record<string, SecretReference> = {};
  const global: Record<string, unknown> = { resolve_timeout: '5m' };
  if (receivers.slack) {
    data.slackApiUrl = receivers.slack.apiUrl;
    global.slack_api_url = secretField('slackApiUrl');
  }
  if (receivers.email) {
    const e = receivers.email;
    global.smtp_from = e.from;
    global.smtp_smarthost = e.smarthost;
    global.smtp_require_tls = true;
    if (e.username) global.smtp_auth_username = e.username;
    if (e.password) {
      data.smtpPassword = e.password;
      global.smtp_auth_password = secretField('smtpPassword');
    }
  }
  const slackConfigs = receivers.slack ? [{ channel: receivers.slack.channel, send_resolved: true }] : undefined;
  const emailConfigs = receivers.email ? [{ to: receivers.email.to, send_resolved: true }] : undefined;
  const heartbeat = receivers.deadMansSwitch ? Receiver.DEAD_MANS_SWITCH : Receiver.NULL;
  // First: Watchdog must never fall through to a person's channel.
  const routes: object[] = [{
    receiver: heartbeat,
    matchers: [`alertname="${WATCHDOG}"`],
    group_wait: '0s',
    group_interval: HEARTBEAT_INTERVAL,
    repeat_interval: HEARTBEAT_INTERVAL,
  }];
  const named: object[] = [];
  if (receivers.runbooks) {
    data.runbookWebhookToken = receivers.runbooks.token;
    // continue: the alert still reaches the people its severity routes it to.
    routes.push({ receiver: Receiver.RUNBOOK_OPERATOR, matchers: ['runbook=~".+"'], continue: true });
    named.push({
      name: Receiver.RUNBOOK_OPERATOR,
      webhook_configs: [{
        url: receivers.runbooks.url,
        send_resolved: false,
        http_config: { authorization: { type: 'Bearer', credentials: secretField('runbookWebhookToken') } },
      }],
    });
  }
  if (receivers.pagerduty) {
    data.pagerdutyRoutingKey = receivers.pagerduty.routingKey;
    routes.push({ receiver: Receiver.PAGERDUTY, matchers: [`severity="${Severity.CRITICAL}"`], repeat_interval: '1h' });
    named.push({ name: Receiver.PAGERDUTY, pagerduty_configs: [{ routing_key: secretField('pagerdutyRoutingKey'), send_resolved: true }] });
  }
  if (slackConfigs) {
    routes.push({ receiver: Receiver.SLACK, matchers: [`severity="${Severity.WARNING}"`] });
    named.push({ name: Receiver.SLACK, slack_configs: slackConfigs });
  }
  if (emailConfigs) {
    routes.push({ receiver: Receiver.EMAIL, matchers: [`severity="${Severity.INFO}"`], repeat_interval: '24h' });
    named.push({ name: Receiver.EMAIL, email_configs: emailConfigs });
  }
  if (receivers.deadMansSwitch) {
    data.deadMansSwitchUrl = receivers.deadMansSwitch.url;
    named.push({ name: Receiver.DEAD_MANS_SWITCH, webhook_configs: [{ url: secretField('deadMansSwitchUrl'), send_resolved: false }] });
  } else {
    named.push({ name: Receiver.NULL });
  }
  const config = {
    global,
    route: {
      receiver: Receiver.DEFAULT,
      group_by: SAME_ALERT,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes,
    },
    inhibit_rules: [
      { source_matchers: [`severity="${Severity.CRITICAL}"`], target_matchers: [`severity=~"${Severity.WARNING}|${Severity.INFO}"`], equal: SAME_ALERT },
      { source_matchers: [`severity="${Severity.WARNING}"`], target_matchers: [`severity="${Severity.INFO}"`], equal: SAME_ALERT },
      // DeviceUnreachable is computed across shards by device alone (it carries no site).
      { source_matchers: [`alertname="${DEVICE_UNREACHABLE_ALERT}"`], target_matchers: [`alertname!="${DEVICE_UNREACHABLE_ALERT}"`], equal: ['device'] },
    ],
    receivers: [
      // Unknown severities are a rule's mistake: show them where people look, but never page.
      { name: Receiver.DEFAULT, ...(slackConfigs ? { slack_configs: slackConfigs } : {}), ...(emailConfigs ? { email_configs: emailConfigs } : {}) },
      ...named,
    ],
  };
  const rendered = yamlSecretTemplate(config);
  return { text: rendered.text, data };
}

export interface AlertmanagerProps {
  readonly platform: PlatformBase;
  readonly replicas: number;
  readonly volumeGiB: number;
  readonly resources: ResourceSizing;
  /** @default - every alert goes to the default receiver, which notifies nobody, and AlertsHaveNoReceiver fires */
  readonly receivers?: AlertReceivers;
}

const OWNER: ComponentIdentity = { name: 'alertmanager', component: 'alerting' };
const NS = HeliosNamespace.VISUALIZATION;
/** The Alertmanager resource's name; the operator names the pods and the `alertmanager` label after it. */
export const ALERTMANAGER_NAME = 'helios';
const CONFIG_SECRET = 'alertmanager-helios-config';
const PORT = 9093;
const CLUSTER_PORT = 9094;

/**
 * Alertmanager (a Prometheus Operator `Alertmanager` resource named "helios") with
 * tiered routing. Its configuration lives in a Secret that the External Secrets
 * Operator renders from `alertmanagerConfigTemplate`, so receiver credentials stay
 * in the secret store. Replicas form a gossip cluster and deduplicate notifications.
 */
export class Alertmanager extends Construct {
  /** Its API, for Grafana's datasource. */
  public static readonly URL = `http://alertmanager-operated.${NS}.svc.${CLUSTER_DOMAIN}:${PORT}`;
  /** Its API for Thanos's DNS discovery (the Ruler's `--alertmanagers.url`). */
  public static readonly SRV_URL = `dnssrv+http://_web._tcp.alertmanager-operated.${NS}.svc.${CLUSTER_DOMAIN}`;
  public readonly workload: WorkloadRef;
  public readonly configTemplate: string;
  private readonly platform: PlatformBase;

  public constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    const { platform } = props;
    this.platform = platform;
    const receivers = props.receivers ?? {};
    this.workload = {
      ...OWNER,
      namespace: NS,
      podSelector: { 'app.kubernetes.io/name': 'alertmanager', 'alertmanager': ALERTMANAGER_NAME },
    };
    const config = alertmanagerConfigTemplate(receivers);
    this.configTemplate = config.text;
    platform.addExternalSecret(this, 'config', {
      namespace: NS,
      secretName: CONFIG_SECRET,
      owner: OWNER,
      data: config.data,
      template: { 'alertmanager.yaml': config.text },
    });
    const image = platform.image('alertmanager');
    const spec = {
      image,
      version: image.slice(image.lastIndexOf(':') + 1),
      replicas: props.replicas,
      configSecret: CONFIG_SECRET,
      podMetadata: { labels: platform.labelsFor(OWNER) },
      securityContext: securePodSecurityContext(),
      // Alertmanager and its config reloader never call the Kubernetes API.
      automountServiceAccountToken: false,
      resources: resourceRequirements(props.resources),
      storage: {
        volumeClaimTemplate: {
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(`${props.volumeGiB}Gi`) } } },
        },
      },
    };
    new AlertmanagerResource(this, 'resource', {
      metadata: platform.metadataFor(OWNER, NS, ALERTMANAGER_NAME),
      // The import's types are classes; the cdk8s-plus values carry the same JSON.
      spec: spec as unknown as AlertmanagerSpec,
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicas);
    if (props.replicas > 1) {
      platform.network.allow({
        description: 'Alertmanager replicas gossip to share silences and deduplicate notifications',
        from: FlowPeer.workload(this.workload),
        to: FlowPeer.workload(this.workload),
        ports: [{ port: CLUSTER_PORT, protocol: Protocol.TCP }, { port: CLUSTER_PORT, protocol: Protocol.UDP }],
      });
    }
    if (receivers.pagerduty || receivers.slack || receivers.deadMansSwitch) {
      platform.network.allow({
        description: 'Alertmanager notifies PagerDuty, Slack and the dead man\'s switch over HTTPS',
        from: FlowPeer.workload(this.workload),
        to: FlowPeer.networks('internet', ['0.0.0.0/0']),
        ports: [{ port: 443 }],
      });
    }
    if (receivers.email) {
      platform.network.allow({
        description: 'Alertmanager sends email through the SMTP relay',
        from: FlowPeer.workload(this.workload),
        to: FlowPeer.networks('smtp-relay', ['0.0.0.0/0']),
        ports: [{ port: endpointPort(receivers.email.smarthost) }],
      });
    }
    new AlertRules(this, 'alerts', { platform, owner: OWNER, namespace: NS, groups: alertingRuleGroups(receivers) });
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'web', port: PORT, job: 'alertmanager' }],
    });
  }

  /** Lets a workload send alerts to, or read alerts and silences from, Alertmanager. */
  public allowClient(workload: WorkloadRef): void {
    this.platform.network.allow({
      description: `${workload.name} talks to Alertmanager`,
      from: FlowPeer.workload(workload),
      to: FlowPeer.workload(this.workload),
      ports: [{ port: PORT }],
    });
  }
}
