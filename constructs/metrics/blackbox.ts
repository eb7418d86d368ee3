import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { AlertRules, Severity, type RuleGroup } from './rules.js';
import { SelfMonitoring } from './self-monitoring.js';
import { TargetScrape } from './target-scrape.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { NONROOT_UID, httpProbe, secureContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';
import { TargetSet, type BLACKBOX_MODULES } from '../platform/targets.js';

export const BLACKBOX_PORT = 9115;
/** The `job` label of the probe series (the exporter's own metrics are `blackbox-exporter`). */
export const BLACKBOX_JOB = 'blackbox';

const OWNER: ComponentIdentity = { name: 'blackbox-exporter', component: 'collector' };
const NS = HeliosNamespace.COLLECTION;
const CONFIG_DIR = '/etc/blackbox_exporter';

/**
 * The blackbox modules, by the names the Target Generator puts in `__param_module`.
 * Every prober prefers IPv4 (blackbox defaults to IPv6) and falls back to IPv6.
 */
export function blackboxConfig(): Record<'modules', Record<typeof BLACKBOX_MODULES[number], unknown>> {
  const ip = { preferred_ip_protocol: 'ip4', ip_protocol_fallback: true };
  return {
    modules: {
      icmp: { prober: 'icmp', timeout: '5s', icmp: { ...ip } },
      tcp_connect: { prober: 'tcp', timeout: '5s', tcp: { ...ip } },
      http_2xx: {
        prober: 'http',
        timeout: '10s',
        // Device web interfaces mostly present self-signed certificates; the probe checks that they answer.
        http: { ...ip, follow_redirects: true, tls_config: { insecure_skip_verify: true } },
      },
      // The root zone's SOA: any working resolver answers it without knowing the site's zones.
      dns: { prober: 'dns', timeout: '5s', dns: { ...ip, transport_protocol: 'udp', query_name: '.', query_type: 'SOA', valid_rcodes: ['NOERROR'] } },
    },
  };
}

export interface BlackboxProps {
  readonly platform: PlatformBase;
  readonly replicas: number;
  readonly resources: ResourceSizing;
  /** The networks the probed devices are in. */
  readonly managementNetworks: readonly string[];
  /** @default 30 */
  readonly scrapeIntervalSec?: number;
}

/**
 * blackbox_exporter: ICMP, TCP, HTTP and DNS probes of devices for Prometheus
 * (`/probe?target=<device>&module=<module>`). ICMP uses unprivileged ping sockets: the
 * pod's group may open them through the safe sysctl net.ipv4.ping_group_range, so the
 * container needs no capability and no Pod Security exception.
 */
export class Blackbox extends Construct {
  public readonly workload: WorkloadRef;
  public readonly config: string;
  public readonly scrape: TargetScrape;
  public readonly alerts: AlertRules;

  public constructor(scope: Construct, id: string, props: BlackboxProps) {
    super(scope, id);
    const { platform } = props;
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    this.config = stringify(blackboxConfig(), { lineWidth: 0 });

    new k8s.KubeConfigMap(this, 'config', {
      metadata: platform.metadataFor(OWNER, NS, 'blackbox-exporter-config'),
      data: { 'blackbox.yml': this.config },
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: platform.labelsFor(OWNER),
            annotations: { 'helios.io/config-sha256': createHash('sha256').update(this.config).digest('hex') },
          },
          spec: {
            securityContext: securePodSecurityContext({
              sysctls: [{ name: 'net.ipv4.ping_group_range', value: `${NONROOT_UID} ${NONROOT_UID}` }],
            }),
            affinity: spreadOverNodes(selector),
            automountServiceAccountToken: false,
            containers: [secureContainer({
              name: 'blackbox-exporter',
              image: platform.image('blackbox-exporter'),
              args: [`--config.file=${CONFIG_DIR}/blackbox.yml`, `--web.listen-address=:${BLACKBOX_PORT}`],
              ports: [{ name: 'http', containerPort: BLACKBOX_PORT }],
              resources: props.resources,
              readinessProbe: httpProbe('/-/ready', 'http'),
              livenessProbe: httpProbe('/-/healthy', 'http', { initialDelaySeconds: 15 }),
              volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
            })],
            volumes: [{ name: 'config', configMap: { name: 'blackbox-exporter-config' } }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: { selector, ports: [{ name: 'http', port: BLACKBOX_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicas);

    platform.network.allow({
      description: 'blackbox_exporter probes devices (ICMP, TCP, HTTP, DNS)',
      from: FlowPeer.workload(this.workload),
      to: FlowPeer.networks('management', props.managementNetworks),
      ports: [],
      allProtocolsBecause: 'ICMP has no port a NetworkPolicy can name, and the probed ports are per device',
    });
    new SelfMonitoring(this, 'self-monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'http', port: BLACKBOX_PORT, job: 'blackbox-exporter' }],
    });
    const interval = props.scrapeIntervalSec ?? 30;
    this.scrape = new TargetScrape(this, 'scrape', {
      platform,
      owner: OWNER,
      namespace: NS,
      name: 'blackbox-probes',
      set: TargetSet.BLACKBOX,
      jobName: BLACKBOX_JOB,
      scrapeIntervalSec: interval,
      scrapeTimeoutSec: Math.min(15, interval),
      exporter: { address: `blackbox-exporter.${NS}.svc:${BLACKBOX_PORT}`, metricsPath: '/probe' },
      keepLabels: { __param_module: 'module' },
    });
    this.alerts = new AlertRules(this, 'alerts', { platform, owner: OWNER, namespace: NS, groups: blackboxRuleGroups() });
  }
}

export function blackboxRuleGroups(): RuleGroup[] {
  return [{
    name: 'blackbox-probes',
    alerts: [{
      alert: 'ServiceProbeFailing',
      dashboard: 'helios-latency-reachability',
      // ICMP is reachability, which DeviceUnreachable judges together with SNMP and gNMI.
      expr: `probe_success{job="${BLACKBOX_JOB}", module!="icmp"} == 0`,
      forDuration: '5m',
      severity: Severity.WARNING,
      summary: '{{ $labels.module }} probe of {{ $labels.device }} ({{ $labels.instance }}) fails',
      description: 'The {{ $labels.module }} probe of {{ $labels.device }} at {{ $labels.instance }} has failed for 5 minutes:'
        + ' the device answers no TCP handshake, HTTP request or DNS query on the probed port. Check the service on the'
        + ' device and the path from helios-collection; probe_failed_due_to_regex and probe_http_status_code tell why.',
    }],
  }];
}
