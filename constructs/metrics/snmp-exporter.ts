import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { AlertRules, Severity, type RuleGroup } from './rules.js';
import { secretField, yamlSecretTemplate } from './secret-template.js';
import { SelfMonitoring } from './self-monitoring.js';
import { SNMP_MODULE_DEFINITIONS } from './snmp-modules.js';
import { TargetScrape } from './target-scrape.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, Protocol, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { httpProbe, secureContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';
import { SNMP_AUTHS, TargetSet } from '../platform/targets.js';

export const SNMP_EXPORTER_PORT = 9116;
/** The `job` label of the device series (the exporter's own metrics are `snmp-exporter`). */
export const SNMP_JOB = 'snmp';

const OWNER: ComponentIdentity = { name: 'snmp-exporter', component: 'collector' };
const NS = HeliosNamespace.COLLECTION;
const CONFIG_DIR = '/etc/snmp_exporter';
const AUTHS_DIR = `${CONFIG_DIR}/auths`;
const AUTHS_SECRET = 'snmp-exporter-auths';
const AUTHS_KEY = 'auths.yml';

/** SNMPv3 protocols snmp_exporter accepts. */
export type SnmpAuthProtocol = 'MD5' | 'SHA' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';
export type SnmpPrivProtocol = 'DES' | 'AES' | 'AES192' | 'AES256' | 'AES192C' | 'AES256C';

/** The SNMP credentials in the secret store and the SNMPv3 protocols. */
export interface SnmpCredentials {
  /** The SNMPv2c community of `helios_v2c`. @default { key: "helios/snmp", property: "community" } */
  readonly community?: SecretReference;
  /** @default { key: "helios/snmp", property: "v3-username" } */
  readonly v3Username?: SecretReference;
  /** @default { key: "helios/snmp", property: "v3-auth-password" } */
  readonly v3AuthPassword?: SecretReference;
  /** @default { key: "helios/snmp", property: "v3-priv-password" } */
  readonly v3PrivPassword?: SecretReference;
  /** @default "SHA" (SHA-1: what every platform in the modules supports) */
  readonly v3AuthProtocol?: SnmpAuthProtocol;
  /** @default "AES" (AES-128) */
  readonly v3PrivProtocol?: SnmpPrivProtocol;
}

/** snmp_exporter's `modules:` section: one YAML document, the exporter's first config file. */
export function snmpModulesConfig(): string {
  return stringify({ modules: SNMP_MODULE_DEFINITIONS }, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * snmp_exporter's `auths:` section as an External Secrets template: the exporter's
 * second config file, rendered into a Secret. Not `--config.expand-environment-variables`:
 * in v0.30.1 it substitutes only username, password and priv_password
 * (config.LoadFile), never the SNMPv2c community.
 */
export function snmpAuthsTemplate(protocols: { auth: SnmpAuthProtocol; priv: SnmpPrivProtocol }): ReturnType<typeof yamlSecretTemplate> {
  const auths: Record<typeof SNMP_AUTHS[number], unknown> = {
    helios_v2c: { version: 2, community: secretField('community') },
    helios_v3: {
      version: 3,
      security_level: 'authPriv',
      username: secretField('v3Username'),
      password: secretField('v3AuthPassword'),
      auth_protocol: protocols.auth,
      priv_password: secretField('v3PrivPassword'),
      priv_protocol: protocols.priv,
    },
  };
  return yamlSecretTemplate({ auths });
}

export interface SnmpExporterProps {
  readonly platform: PlatformBase;
  readonly replicas: number;
  readonly resources: ResourceSizing;
  /** The networks the devices' SNMP agents are in. */
  readonly managementNetworks: readonly string[];
  /** @default - the helios/snmp key of the secret store, SHA and AES */
  readonly credentials?: SnmpCredentials;
  /** How often each device is walked. @default 60 */
  readonly scrapeIntervalSec?: number;
}

/**
 * snmp_exporter: walks devices' IF-MIB and vendor MIBs when Prometheus asks
 * (`/snmp?target=<device>&module=if_mib,<vendor>&auth=<auth>`). Stateless replicas
 * behind a Service; Prometheus finds the devices in the Target Generator's snmp file_sd
 * and sends each walk through the Service, sharded on the device.
 */
export class SnmpExporter extends Construct {
  public readonly workload: WorkloadRef;
  public readonly modulesConfig: string;
  public readonly authsTemplate: string;
  public readonly scrape: TargetScrape;
  public readonly alerts: AlertRules;

  public constructor(scope: Construct, id: string, props: SnmpExporterProps) {
    super(scope, id);
    const { platform } = props;
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    const c = props.credentials ?? {};
    this.modulesConfig = snmpModulesConfig();
    const auths = snmpAuthsTemplate({ auth: c.v3AuthProtocol ?? 'SHA', priv: c.v3PrivProtocol ?? 'AES' });
    this.authsTemplate = auths.text;

    new k8s.KubeConfigMap(this, 'modules', {
      metadata: platform.metadataFor(OWNER, NS, 'snmp-exporter-modules'),
      data: { 'modules.yml': this.modulesConfig },
    });
    platform.addExternalSecret(this, 'auths', {
      namespace: NS,
      secretName: AUTHS_SECRET,
      owner: OWNER,
      data: {
        community: c.community ?? { key: 'helios/snmp', property: 'community' },
        v3Username: c.v3Username ?? { key: 'helios/snmp', property: 'v3-username' },
        v3AuthPassword: c.v3AuthPassword ?? { key: 'helios/snmp', property: 'v3-auth-password' },
        v3PrivPassword: c.v3PrivPassword ?? { key: 'helios/snmp', property: 'v3-priv-password' },
      },
      template: { [AUTHS_KEY]: auths.text },
    });

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: platform.labelsFor(OWNER),
            // A module change restarts the pods (the exporter reads its config at start).
            annotations: { 'helios.io/config-sha256': createHash('sha256').update(this.modulesConfig).update(auths.text).digest('hex') },
          },
          spec: {
            securityContext: securePodSecurityContext(),
            affinity: spreadOverNodes(selector),
            automountServiceAccountToken: false,
            containers: [secureContainer({
              name: 'snmp-exporter',
              image: platform.image('snmp-exporter'),
              args: [
                `--config.file=${CONFIG_DIR}/modules.yml`,
                `--config.file=${AUTHS_DIR}/${AUTHS_KEY}`,
                `--web.listen-address=:${SNMP_EXPORTER_PORT}`,
              ],
              ports: [{ name: 'http', containerPort: SNMP_EXPORTER_PORT }],
              resources: props.resources,
              readinessProbe: httpProbe('/-/healthy', 'http'),
              livenessProbe: httpProbe('/-/healthy', 'http', { initialDelaySeconds: 15 }),
              volumeMounts: [
                { name: 'modules', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'auths', mountPath: AUTHS_DIR, readOnly: true },
              ],
            })],
            volumes: [
              { name: 'modules', configMap: { name: 'snmp-exporter-modules' } },
              { name: 'auths', secret: { secretName: AUTHS_SECRET } },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: { selector, ports: [{ name: 'http', port: SNMP_EXPORTER_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicas);

    platform.network.allow({
      description: 'snmp_exporter walks devices over SNMP',
      from: FlowPeer.workload(this.workload),
      to: FlowPeer.networks('management', props.managementNetworks),
      ports: [{ port: 161, protocol: Protocol.UDP }],
    });
    new SelfMonitoring(this, 'self-monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'http', port: SNMP_EXPORTER_PORT, job: 'snmp-exporter' }],
    });
    const interval = props.scrapeIntervalSec ?? 60;
    this.scrape = new TargetScrape(this, 'scrape', {
      platform,
      owner: OWNER,
      namespace: NS,
      name: 'snmp-devices',
      set: TargetSet.SNMP,
      jobName: SNMP_JOB,
      scrapeIntervalSec: interval,
      // Large chassis take long to walk; leave a margin before the next round.
      scrapeTimeoutSec: Math.max(10, interval - 10),
      exporter: { address: `snmp-exporter.${NS}.svc:${SNMP_EXPORTER_PORT}`, metricsPath: '/snmp' },
    });
    this.alerts = new AlertRules(this, 'alerts', { platform, owner: OWNER, namespace: NS, groups: snmpRuleGroups() });
  }
}

export function snmpRuleGroups(): RuleGroup[] {
  return [{
    name: 'snmp-collection',
    alerts: [{
      alert: 'SnmpScrapeFailing',
      dashboard: 'helios-network-overview',
      expr: `up{job="${SNMP_JOB}"} == 0`,
      forDuration: '5m',
      severity: Severity.WARNING,
      summary: 'SNMP walks of {{ $labels.device }} ({{ $labels.instance }}) fail',
      description: 'Every SNMP walk of {{ $labels.device }} at {{ $labels.instance }} has failed for 5 minutes: its interface'
        + ' counters and health are missing. Check that the device answers SNMP on UDP 161 from helios-collection, that the'
        + ' community or SNMPv3 user in the secret store (helios/snmp) matches the device\'s, and snmp_exporter\'s log for'
        + ' timeouts (a device slower than the scrape timeout fails the same way).',
    }],
  }];
}
