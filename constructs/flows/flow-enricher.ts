import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FlowTopic, type KafkaCluster } from './kafka-cluster.js';
import { FLOWS_RUNBOOKS } from './runbooks.js';
import { PodMonitor } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { AlertRules, Severity } from '../metrics/rules.js';
import { CLUSTER_DOMAIN } from '../metrics/thanos.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type FlowPort, type WorkloadRef } from '../platform/network.js';
import { ScalableKind, type ComponentIdentity, type PlatformBase, type SecretReference } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { httpProbe, secureContainer, secureJobContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

const OWNER: ComponentIdentity = { name: 'flow-enricher', component: 'enricher' };
const GEOIPUPDATE: ComponentIdentity = { name: 'geoipupdate', component: 'enricher' };
const NS = HeliosNamespace.FLOWS;
const HTTP_PORT = 8080;
/** The enricher's consumer group on helios-flows-raw; the lag alert watches it. */
export const ENRICHER_GROUP = 'helios-flow-enricher';
const GEOIP_DIR = '/geoip';
const GEOIP_EDITIONS = ['GeoLite2-City', 'GeoLite2-ASN'] as const;
const GEOIP_CONF_DIR = '/etc/geoipupdate';
const GEOIP_PVC = 'flow-enricher-geoip';
const GEOIP_SECRET = 'geoipupdate';
const NETBOX_SECRET = 'flow-enricher-netbox';
/** Port NetBox itself listens on behind an in-cluster Service (netbox-docker and the community chart). */
const NETBOX_POD_PORT = 8080;
/** Wednesday and Saturday at 04:17: after MaxMind publishes GeoLite2 on Tuesdays and Fridays. */
const GEOIP_SCHEDULE = '17 4 * * 3,6';
const GEOIPUPDATE_RESOURCES: ResourceSizing = { cpuRequestMilli: 50, cpuLimitMilli: 500, memoryRequestMiB: 64, memoryLimitMiB: 256 };

/** Where the NetBox API is and how to reach it. */
export interface NetBoxEndpoint {
  /** The base URL, e.g. https://netbox.example.net or http://netbox.netbox.svc.cluster.local. */
  readonly url: string;
  /** The API token in the secret store. */
  readonly token: SecretReference;
  /**
   * Where NetBox's addresses are; required when the URL is outside the cluster.
   * @default - none: the URL must be an in-cluster Service
   */
  readonly networks?: readonly string[];
}

/** The MaxMind account (ID and licence key in the secret store) that downloads GeoLite2. */
export interface MaxMindAccount {
  readonly accountId: SecretReference;
  readonly licenseKey: SecretReference;
}

/** `<service>.<namespace>.svc`, optionally followed by the cluster domain and a final dot. */
const SERVICE_HOST = new RegExp(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\\.svc(\\.${CLUSTER_DOMAIN.replace(/\./g, '\\.')})?\\.?$`);

/** The namespace of NetBox's in-cluster Service when the URL names one, else undefined. */
export function netboxNamespace(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  return SERVICE_HOST.exec(host)?.[2];
}

/**
 * The peer and ports a NetBox client needs. An in-cluster URL (`<service>.<namespace>.svc…`)
 * opens its namespace by selector, on the URL's port and on NetBox's own 8080 (policies
 * see the pod's port, behind the Service); any other URL opens `networks`, which it
 * then requires, on the URL's port.
 */
export function netboxPeer(netbox: NetBoxEndpoint): { readonly peer: FlowPeer; readonly ports: FlowPort[] } {
  let url: URL;
  try {
    url = new URL(netbox.url);
  } catch {
    throw new Error(`netbox.url: "${netbox.url}" is not a URL; expected http:// or https://host[:port][/path]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`netbox.url: "${netbox.url}" is not an http:// or https:// URL`);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const namespace = netboxNamespace(netbox.url);
  if (namespace) {
    const ports = [...new Set([port, NETBOX_POD_PORT])].sort((a, b) => a - b).map((p) => ({ port: p }));
    return { peer: FlowPeer.namespace(namespace), ports };
  }
  if (!netbox.networks?.length) {
    throw new Error(`netbox.networks: required because netbox.url "${netbox.url}" is outside the cluster; list the networks NetBox's addresses are in`);
  }
  return { peer: FlowPeer.networks('netbox', netbox.networks), ports: [{ port }] };
}

export interface FlowEnricherProps {
  readonly platform: PlatformBase;
  readonly kafka: KafkaCluster;
  readonly netbox: NetBoxEndpoint;
  readonly maxmind: MaxMindAccount;
  readonly replicasMin: number;
  readonly replicasMax: number;
  readonly resources: ResourceSizing;
  /** EnrichedFlows per Kafka message (ClickHouse reads them all from one message). @default 500 */
  readonly flowsPerMessage?: number;
  /** How often the NetBox inventory is reloaded. @default 300 */
  readonly netboxRefreshSeconds?: number;
  /** The HorizontalPodAutoscaler's CPU target, in percent of the request. @default 70 */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * The StorageClass of the GeoIP volume, which every enricher pod mounts at once:
   * it must offer ReadWriteMany (NFS, CephFS, EFS, Azure Files...).
   * @default - the cluster's default StorageClass
   */
  readonly geoipStorageClass?: string;
}

/**
 * The Flow Enricher (services/flow-enricher): consumes helios-flows-raw, adds the
 * exporter's NetBox device and interfaces and each address's site, country, city
 * and AS, and produces helios-flows-enriched for ClickHouse.
 *
 * GeoIP: MaxMind's licence forbids shipping the databases in the image, so
 * geoipupdate downloads GeoLite2 City and ASN into a shared volume: once at install
 * (Job geoipupdate-first-fill) and twice a week after (CronJob geoipupdate). The
 * enricher pods wait for the files, then reload them whenever they change.
 */
export class FlowEnricher extends Construct {
  public readonly workload: WorkloadRef;

  public constructor(scope: Construct, id: string, props: FlowEnricherProps) {
    super(scope, id);
    const { platform, kafka } = props;
    if (props.replicasMin < 1 || props.replicasMax < props.replicasMin) {
      throw new Error(`flow-enricher: replicasMin ${props.replicasMin} and replicasMax ${props.replicasMax} are not 1 ≤ min ≤ max`);
    }
    const rawPartitions = kafka.partitions[FlowTopic.RAW];
    if (props.replicasMax > rawPartitions) {
      throw new Error(`flow-enricher: replicasMax ${props.replicasMax} exceeds the ${rawPartitions} partitions of ${FlowTopic.RAW}; pods beyond one per partition would sit idle`);
    }
    const netbox = netboxPeer(props.netbox);
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };

    const access = kafka.addClient(this, {
      user: 'flow-enricher',
      workload: this.workload,
      consumes: { topics: [FlowTopic.RAW], group: ENRICHER_GROUP },
      produces: [FlowTopic.ENRICHED],
      idempotent: true,
    });
    platform.addExternalSecret(this, 'netbox-token', {
      namespace: NS, secretName: NETBOX_SECRET, owner: OWNER, data: { token: props.netbox.token },
    });

    const paths = {
      kafkaPassword: '/etc/kafka-user/password',
      kafkaCa: '/etc/kafka-ca/ca.crt',
      netboxToken: '/etc/netbox/token',
      city: `${GEOIP_DIR}/${GEOIP_EDITIONS[0]}.mmdb`,
      asn: `${GEOIP_DIR}/${GEOIP_EDITIONS[1]}.mmdb`,
    };
    /** Exactly the variables services/flow-enricher/src/config.ts reads. */
    const env: k8s.EnvVar[] = [
      { name: 'KAFKA_BROKERS', value: access.bootstrap },
      { name: 'KAFKA_RAW_TOPIC', value: FlowTopic.RAW },
      { name: 'KAFKA_ENRICHED_TOPIC', value: FlowTopic.ENRICHED },
      { name: 'KAFKA_GROUP_ID', value: ENRICHER_GROUP },
      // The pod's name: brokers' logs and quotas then tell the replicas apart.
      { name: 'KAFKA_CLIENT_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'KAFKA_SASL_MECHANISM', value: 'scram-sha-512' },
      { name: 'KAFKA_USERNAME', value: access.username },
      { name: 'KAFKA_PASSWORD_FILE', value: paths.kafkaPassword },
      { name: 'KAFKA_TLS', value: 'true' },
      // Node's TLS then trusts Strimzi's cluster CA alongside the public ones.
      { name: 'NODE_EXTRA_CA_CERTS', value: paths.kafkaCa },
      { name: 'NETBOX_URL', value: props.netbox.url },
      { name: 'NETBOX_TOKEN_FILE', value: paths.netboxToken },
      { name: 'NETBOX_REFRESH_SECONDS', value: String(props.netboxRefreshSeconds ?? 300) },
      { name: 'GEOIP_CITY_DB', value: paths.city },
      { name: 'GEOIP_ASN_DB', value: paths.asn },
      { name: 'FLOWS_PER_MESSAGE', value: String(props.flowsPerMessage ?? 500) },
      { name: 'HTTP_PORT', value: String(HTTP_PORT) },
    ];

    const waitForGeoip = secureJobContainer({
      name: 'wait-for-geoip',
      image: platform.image('geoipupdate'),
      command: ['sh', '-c', `until [ -s ${paths.city} ] && [ -s ${paths.asn} ]; do echo "waiting for ${paths.city} and ${paths.asn} (Job geoipupdate-first-fill writes them)"; sleep 10; done`],
      resources: GEOIPUPDATE_RESOURCES,
      volumeMounts: [{ name: 'geoip', mountPath: GEOIP_DIR, readOnly: true }],
    });
    const container = secureContainer({
      name: 'flow-enricher',
      image: platform.image('flow-enricher'),
      env,
      ports: [{ name: 'http', containerPort: HTTP_PORT }],
      volumeMounts: [
        { name: 'kafka-user', mountPath: '/etc/kafka-user', readOnly: true },
        { name: 'kafka-ca', mountPath: '/etc/kafka-ca', readOnly: true },
        { name: 'netbox', mountPath: '/etc/netbox', readOnly: true },
        { name: 'geoip', mountPath: GEOIP_DIR, readOnly: true },
      ],
      resources: props.resources,
      readinessProbe: httpProbe('/readyz', 'http'),
      livenessProbe: httpProbe('/healthz', 'http', { initialDelaySeconds: 10 }),
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: platform.labelsFor(OWNER) },
          spec: {
            securityContext: securePodSecurityContext(),
            affinity: spreadOverNodes(selector),
            automountServiceAccountToken: false,
            // SIGTERM lets the batch in flight reach Kafka and its offsets commit.
            terminationGracePeriodSeconds: 60,
            initContainers: [waitForGeoip],
            containers: [container],
            volumes: [
              { name: 'kafka-user', secret: { secretName: access.passwordSecret.name, items: [{ key: access.passwordSecret.key, path: 'password' }] } },
              { name: 'kafka-ca', secret: { secretName: access.caSecret.name, items: [{ key: access.caSecret.key, path: 'ca.crt' }] } },
              { name: 'netbox', secret: { secretName: NETBOX_SECRET, items: [{ key: 'token', path: 'token' }] } },
              { name: 'geoip', persistentVolumeClaim: { claimName: GEOIP_PVC, readOnly: true } },
            ],
          },
        },
      },
    });
    platform.addHorizontalPodAutoscaler(this, this.workload, {
      kind: ScalableKind.DEPLOYMENT,
      replicasMin: props.replicasMin,
      replicasMax: props.replicasMax,
      targetCpuUtilizationPercent: props.targetCpuUtilizationPercent,
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicasMin);

    this.addGeoipUpdate(platform, props.maxmind, props.geoipStorageClass);

    platform.network.allow({ description: 'the Flow Enricher reads the NetBox inventory', from: FlowPeer.workload(this.workload), to: netbox.peer, ports: netbox.ports });
    platform.allowScrape(this.workload, HTTP_PORT);
    new PodMonitor(this, 'monitor', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: { ...selector } },
        podMetricsEndpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
      },
    });
    new AlertRules(this, 'alerts', {
      platform,
      owner: OWNER,
      namespace: NS,
      runbooks: FLOWS_RUNBOOKS,
      groups: [{ name: 'helios-flow-enricher', alerts: [enricherLagAlert()] }],
    });
  }

  /** The GeoIP volume, its first fill and its refresh: geoipupdate with the licence from the secret store. */
  private addGeoipUpdate(platform: PlatformBase, maxmind: MaxMindAccount, storageClass: string | undefined): void {
    new k8s.KubePersistentVolumeClaim(this, 'geoip', {
      metadata: platform.metadataFor(OWNER, NS, GEOIP_PVC),
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: storageClass,
        // GeoLite2 City and ASN take about 100 MiB; geoipupdate writes a new copy before replacing each.
        resources: { requests: { storage: k8s.Quantity.fromString('1Gi') } },
      },
    });
    platform.addExternalSecret(this, 'geoipupdate-conf', {
      namespace: NS,
      secretName: GEOIP_SECRET,
      owner: GEOIPUPDATE,
      data: { accountId: maxmind.accountId, licenseKey: maxmind.licenseKey },
      template: {
        'GeoIP.conf': `AccountID {{ .accountId }}\nLicenseKey {{ .licenseKey }}\nEditionIDs ${GEOIP_EDITIONS.join(' ')}\n`,
      },
    });
    const workload: WorkloadRef = { ...GEOIPUPDATE, namespace: NS, podSelector: platform.selectorFor(GEOIPUPDATE) };
    // The image's entrypoint writes /etc/GeoIP.conf, which a read-only root refuses: run the binary on the mounted file.
    const podSpec: k8s.PodSpec = {
      securityContext: securePodSecurityContext(),
      automountServiceAccountToken: false,
      restartPolicy: 'OnFailure',
      containers: [secureJobContainer({
        name: 'geoipupdate',
        image: platform.image('geoipupdate'),
        command: ['/usr/bin/geoipupdate'],
        args: ['-f', `${GEOIP_CONF_DIR}/GeoIP.conf`, '-d', GEOIP_DIR, '-v'],
        resources: GEOIPUPDATE_RESOURCES,
        volumeMounts: [
          { name: 'conf', mountPath: GEOIP_CONF_DIR, readOnly: true },
          { name: 'geoip', mountPath: GEOIP_DIR },
        ],
      })],
      volumes: [
        { name: 'conf', secret: { secretName: GEOIP_SECRET, items: [{ key: 'GeoIP.conf', path: 'GeoIP.conf' }] } },
        { name: 'geoip', persistentVolumeClaim: { claimName: GEOIP_PVC } },
      ],
    };
    const template = { metadata: { labels: platform.labelsFor(GEOIPUPDATE) }, spec: podSpec };
    new k8s.KubeJob(this, 'geoip-first-fill', {
      metadata: platform.metadataFor(GEOIPUPDATE, NS, 'geoipupdate-first-fill'),
      spec: { backoffLimit: 6, template },
    });
    new k8s.KubeCronJob(this, 'geoip-refresh', {
      metadata: platform.metadataFor(GEOIPUPDATE, NS),
      spec: {
        schedule: GEOIP_SCHEDULE,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels: platform.labelsFor(GEOIPUPDATE) }, spec: { backoffLimit: 3, template } },
      },
    });
    platform.network.allow({
      description: 'geoipupdate downloads GeoLite2 from MaxMind (updates.maxmind.com)',
      from: FlowPeer.workload(workload),
      to: FlowPeer.networks('internet', ['0.0.0.0/0']),
      ports: [{ port: 443 }],
    });
  }
}

/**
 * How far the enricher is behind helios-flows-raw, in seconds of input: Kafka
 * Exporter's lag of its consumer group over the rate flows arrive. Measured at the
 * brokers, so it keeps growing when every enricher pod is down.
 */
export function enricherLagAlert() {
  const lag = `sum(kafka_consumergroup_lag{consumergroup="${ENRICHER_GROUP}",topic="${FlowTopic.RAW}"})`;
  const arrivals = `clamp_min(sum(rate(kafka_topic_partition_current_offset{topic="${FlowTopic.RAW}"}[5m])), 1)`;
  return {
    alert: 'FlowEnricherLagging',
    expr: `${lag} / ${arrivals} > 300`,
    forDuration: '10m',
    severity: Severity.WARNING,
    summary: 'The Flow Enricher is {{ $value | humanizeDuration }} behind the flows goflow2 writes',
    description: `The enricher's consumer group ${ENRICHER_GROUP} is more than five minutes of input behind ${FlowTopic.RAW}: `
      + 'too few replicas for the flow rate (check the HorizontalPodAutoscaler and CPU limits), pods restarting, or Kafka or NetBox slow. '
      + 'Flows older than the topic retention are lost.',
  };
}
