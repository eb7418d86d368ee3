import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { Alertmanager } from './alertmanager.js';
import { ObjectStore } from './object-store.js';
import { AlertRules, Severity } from './rules.js';
import { SelfMonitoring } from './self-monitoring.js';
import { PROMETHEUS_REPLICA_LABEL, THANOS_HTTP_PORT, srvAddress, type StoreEndpoint } from './thanos.js';
import {
  Prometheus as PrometheusResource, PrometheusSpecAlertingAlertmanagersPort as AlertmanagerPort, type PrometheusSpec,
} from '../../imports/prometheus-monitoring.coreos.com.js';
import { HeliosLabel, PART_OF } from '../platform/labels.js';
import { HELIOS_NAMESPACES, HeliosNamespace } from '../platform/namespaces.js';
import type { WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { resourceRequirements, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';
import { TARGETS_MOUNT_PATH, TargetSet, targetFilesVolume } from '../platform/targets.js';

export interface PrometheusShardsProps {
  readonly platform: PlatformBase;
  /** How many shards split the scrape targets (by a hash of each target). */
  readonly shards: number;
  /** Identical replicas per shard; Thanos Query deduplicates them. */
  readonly replicasPerShard: number;
  /** Local TSDB retention; older data is read back from the bucket. */
  readonly retentionHours: number;
  readonly volumeGiB: number;
  readonly resources: ResourceSizing;
  readonly sidecarResources: ResourceSizing;
  readonly objectStore: ObjectStore;
  /** Where alerts go. @default - alerts are evaluated but sent nowhere */
  readonly alertmanager?: Alertmanager;
  /** @default 30 */
  readonly scrapeIntervalSec?: number;
}

/** The Prometheus resource's name; the operator names pods, Services and labels after it. */
export const PROMETHEUS_NAME = 'helios';
const OWNER: ComponentIdentity = { name: 'prometheus', component: 'storage' };
const NS = HeliosNamespace.STORAGE;
const SERVICE_ACCOUNT = 'prometheus';
/** The Prometheus Operator's label with a pod's shard number. */
const SHARD_LABEL = 'operator.prometheus.io/shard';

/**
 * The labels every scrape object (ServiceMonitor, PodMonitor, Probe, ScrapeConfig)
 * and PrometheusRule must carry for the Helios Prometheus to load it; it must also
 * live in a Helios namespace. `platform.labelsFor()` gives them.
 */
export const SCRAPE_OBJECT_SELECTOR: Readonly<Record<string, string>> = { [HeliosLabel.PART_OF]: PART_OF };

/** The target files Prometheus reads by file_sd, mounted at TARGETS_MOUNT_PATH. */
export const PROMETHEUS_TARGET_SETS: readonly TargetSet[] = [TargetSet.SNMP, TargetSet.BLACKBOX, TargetSet.PROMETHEUS];

/**
 * The sharded Prometheus (a Prometheus Operator `Prometheus` resource named
 * "helios"): `shards` StatefulSets of `replicasPerShard` pods, each with a Thanos
 * sidecar that serves its data to Thanos Query and uploads every 2-hour block to the
 * bucket. External labels name the cluster and datacenter; the operator adds the
 * replica label Thanos deduplicates on. There is deliberately no shard label: after
 * a reshard a target's old and new series then merge into one in Thanos Query.
 *
 * It scrapes every ServiceMonitor, PodMonitor, Probe and ScrapeConfig and loads
 * every PrometheusRule that carries SCRAPE_OBJECT_SELECTOR in a Helios namespace,
 * and mounts the Target Generator's file_sd target files at TARGETS_MOUNT_PATH.
 */
export class PrometheusShards extends Construct {
  public readonly workload: WorkloadRef;
  /** The sidecars' StoreAPI, for Thanos Query. */
  public readonly storeEndpoint: StoreEndpoint;
  public readonly shards: number;
  public readonly replicasPerShard: number;

  public constructor(scope: Construct, id: string, props: PrometheusShardsProps) {
    super(scope, id);
    const { platform } = props;
    for (const [name, value] of [['shards', props.shards], ['replicasPerShard', props.replicasPerShard], ['retentionHours', props.retentionHours]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`prometheus: ${name} ${value} must be a whole number, at least 1`);
    }
    this.shards = props.shards;
    this.replicasPerShard = props.replicasPerShard;
    this.workload = platform.metricsScraper;
    this.storeEndpoint = { address: srvAddress('grpc', 'prometheus-operated', NS), workload: this.workload };
    const prometheusImage = platform.image('prometheus');
    const thanosImage = platform.image('thanos');
    const interval = `${props.scrapeIntervalSec ?? 30}s`;
    const helios = { matchLabels: { ...SCRAPE_OBJECT_SELECTOR } };
    const heliosNamespaces = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...HELIOS_NAMESPACES] }] };

    this.rbac(platform);
    const spec = {
      image: prometheusImage,
      version: tagOf(prometheusImage),
      shards: props.shards,
      replicas: props.replicasPerShard,
      serviceAccountName: SERVICE_ACCOUNT,
      podMetadata: { labels: platform.labelsFor(OWNER) },
      securityContext: securePodSecurityContext(),
      resources: resourceRequirements(props.resources),
      retention: `${props.retentionHours}h`,
      storage: {
        volumeClaimTemplate: {
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(`${props.volumeGiB}Gi`) } } },
        },
      },
      scrapeInterval: interval,
      evaluationInterval: interval,
      externalLabels: { cluster: platform.clusterName, datacenter: platform.site },
      replicaExternalLabelName: PROMETHEUS_REPLICA_LABEL,
      serviceMonitorSelector: helios,
      serviceMonitorNamespaceSelector: heliosNamespaces,
      podMonitorSelector: helios,
      podMonitorNamespaceSelector: heliosNamespaces,
      probeSelector: helios,
      probeNamespaceSelector: heliosNamespaces,
      scrapeConfigSelector: helios,
      scrapeConfigNamespaceSelector: heliosNamespaces,
      ruleSelector: helios,
      ruleNamespaceSelector: heliosNamespaces,
      // Each shard mounts every possible target file; shards that the Target Generator has not written yet are empty.
      volumes: [targetFilesVolume('targets', PROMETHEUS_TARGET_SETS)],
      volumeMounts: [{ name: 'targets', mountPath: TARGETS_MOUNT_PATH, readOnly: true }],
      alerting: props.alertmanager
        ? { alertmanagers: [{ namespace: props.alertmanager.workload.namespace, name: 'alertmanager-operated', port: AlertmanagerPort.fromString('web'), apiVersion: 'v2' }] }
        : undefined,
      thanos: {
        image: thanosImage,
        version: tagOf(thanosImage),
        objectStorageConfig: { name: ObjectStore.SECRET_NAME, key: ObjectStore.SECRET_KEY },
        resources: resourceRequirements(props.sidecarResources),
      },
    };
    new PrometheusResource(this, 'resource', {
      metadata: platform.metadataFor(OWNER, NS, PROMETHEUS_NAME),
      // The import's types are classes; the cdk8s-plus values carry the same JSON.
      spec: spec as unknown as PrometheusSpec,
    });

    platform.addPodDisruptionBudget(this, this.workload, props.shards * props.replicasPerShard);
    platform.allowKubernetesApi(this.workload, 'Prometheus discovers the pods and endpoints it scrapes');
    props.objectStore.allowClient(this.workload);
    if (props.alertmanager) props.alertmanager.allowClient(this.workload);
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [
        { portName: 'web', port: 9090, job: 'prometheus' },
        { portName: 'http', port: THANOS_HTTP_PORT, job: 'thanos-sidecar' },
      ],
      podLabels: { shard: SHARD_LABEL },
    });
    new AlertRules(this, 'alerts', {
      platform,
      owner: OWNER,
      namespace: NS,
      groups: [{ name: 'prometheus', alerts: prometheusAlerts(props.shards) }],
    });
  }

  private rbac(platform: PlatformBase): void {
    new k8s.KubeServiceAccount(this, 'service-account', { metadata: platform.metadataFor(OWNER, NS, SERVICE_ACCOUNT) });
    const roleName = 'helios-prometheus';
    new k8s.KubeClusterRole(this, 'role', {
      metadata: { name: roleName, labels: platform.labelsFor(OWNER) },
      rules: [
        { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    // Bound per namespace: Prometheus discovers targets in the Helios namespaces only.
    for (const namespace of HELIOS_NAMESPACES) {
      new k8s.KubeRoleBinding(this, `binding-${namespace}`, {
        metadata: platform.metadataFor(OWNER, namespace, roleName),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NS }],
      });
    }
  }
}

/** The version part of a pinned image, which the operator needs to generate a matching configuration. */
function tagOf(image: string): string {
  return image.slice(image.lastIndexOf(':') + 1);
}

/** Alerts on the Prometheus shards themselves; every shard scrapes every Prometheus pod. */
export function prometheusAlerts(shards: number) {
  return [
    {
      alert: 'PrometheusShardDown',
      expr: `(count(count by (shard) (up{job="prometheus"} == 1)) or vector(0)) < ${shards}`,
      forDuration: '5m',
      severity: Severity.CRITICAL,
      summary: 'Only {{ $value }} of ' + `${shards}` + ' Prometheus shards have a replica up',
      description: 'Every replica of at least one Prometheus shard has been down for 5 minutes: the targets hashed to that'
        + ' shard are not scraped and their alerts cannot fire. Check the prometheus-helios pods in helios-storage'
        + ' (kubectl get pods -l operator.prometheus.io/name=helios).',
    },
    {
      alert: 'PrometheusReplicaDown',
      expr: 'up{job="prometheus"} == 0',
      forDuration: '10m',
      severity: Severity.WARNING,
      summary: 'Prometheus replica {{ $labels.pod }} (shard {{ $labels.shard }}) is down',
      description: 'One replica of a shard has been unreachable for 10 minutes; its twin still scrapes, so no data is lost'
        + ' yet, but the shard has no redundancy left.',
    },
    {
      alert: 'ThanosSidecarUploadFailing',
      expr: 'sum by (pod) (increase(thanos_shipper_upload_failures_total{job="thanos-sidecar"}[30m])) > 0',
      forDuration: '15m',
      severity: Severity.CRITICAL,
      summary: 'The Thanos sidecar of {{ $labels.pod }} fails to upload blocks',
      description: 'Blocks that are not uploaded before the local retention ends are lost for good. Check the sidecar'
        + ' log (container thanos-sidecar) and the ObjectStorageErrors alert.',
    },
  ];
}
