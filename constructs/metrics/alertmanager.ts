import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { endpointPort } from './object-store.js';
import { Severity } from './rules.js';
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
}

/** The receivers of the routing tree; amtool tests route to these names. */
export enum Receiver {
  PAGERDUTY = 'pagerduty',
  SLACK = 'slack',
  EMAIL = 'email',
  /** Alerts of no known severity, and severities whose channel is not configured: the non-paging channels. */
  DEFAULT = 'default',
}

/** Labels that tell one alert's object from another's: inhibition applies within the same one. */
const SAME_ALERT = ['alertname', 'site', 'device'];

/**
 * Alertmanager's configuration as an ESO template (the PagerDuty routing key, the
 * Slack webhook URL and the SMTP password are placeholders), with the secret-store
 * reference of each placeholder. critical → PagerDuty, warning → Slack, info → email,
 * anything else → the default receiver; a critical alert inhibits the warning and
 * info alerts of the same alert name, site and device, a warning its info alerts.
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
  const routes: object[] = [];
  const named: object[] = [];
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
  /** @default - every alert goes to the default receiver, which notifies nobody */
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
    if (receivers.pagerduty || receivers.slack) {
      platform.network.allow({
        description: 'Alertmanager notifies PagerDuty and Slack over HTTPS',
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
