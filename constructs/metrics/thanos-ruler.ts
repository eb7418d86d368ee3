import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ObjectStore } from './object-store.js';
import { ruleFileGroups, type RuleFileGroup, type RuleGroup } from './rules.js';
import { SelfMonitoring } from './self-monitoring.js';
import {
  POD_NAME_ENV, RULER_REPLICA_LABEL, THANOS_GRPC_PORT, THANOS_HTTP_PORT, srvAddress, thanosContainer, type StoreEndpoint,
} from './thanos.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import type { WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

export interface ThanosRulerProps {
  readonly platform: PlatformBase;
  readonly objectStore: ObjectStore;
  readonly replicas: number;
  readonly volumeGiB: number;
  readonly resources: ResourceSizing;
  /** The rule groups it evaluates over the global view. */
  readonly groups: readonly RuleGroup[];
  /** The Thanos Query it evaluates against, as a Thanos DNS discovery address. */
  readonly queryAddress: string;
  /** The Alertmanager it sends alerts to, as a Thanos DNS discovery URL. @default - records only, sends no alerts */
  readonly alertmanagerUrl?: string;
  /** The cluster's external labels (cluster, datacenter); each replica adds its own. */
  readonly externalLabels: Readonly<Record<string, string>>;
}

const OWNER: ComponentIdentity = { name: 'thanos-ruler', component: 'query' };
const NS = HeliosNamespace.STORAGE;
const DATA_DIR = '/var/thanos/rule';
const RULES_DIR = '/etc/thanos/rules';

/**
 * The Thanos Ruler: evaluates rules over Thanos Query, so across every shard and
 * the whole bucket, which no single Prometheus shard can. It records long-range
 * aggregates (interface utilization per 5 minutes and per hour) for dashboards,
 * keeps them in its own TSDB and uploads its blocks to the bucket like a sidecar.
 */
export class ThanosRuler extends Construct {
  public readonly workload: WorkloadRef;
  public readonly storeEndpoint: StoreEndpoint;
  public readonly args: readonly string[];
  /** The rule file it loads, for promtool. */
  public readonly ruleFile: { readonly groups: readonly RuleFileGroup[] };

  public constructor(scope: Construct, id: string, props: ThanosRulerProps) {
    super(scope, id);
    const { platform } = props;
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    this.storeEndpoint = { address: srvAddress('grpc', 'thanos-ruler', NS), workload: this.workload };
    this.ruleFile = { groups: ruleFileGroups(props.groups, platform.alertLinks) };
    const rules = stringify(this.ruleFile, { lineWidth: 0 });
    const labels = Object.entries(props.externalLabels).sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `--label=${k}=${JSON.stringify(v)}`);
    this.args = [
      `--data-dir=${DATA_DIR}`,
      `--rule-file=${RULES_DIR}/*.yaml`,
      '--eval-interval=1m',
      `--query=${props.queryAddress}`,
      `--objstore.config-file=${props.objectStore.configFile}`,
      ...labels,
      `--label=${RULER_REPLICA_LABEL}="$(POD_NAME)"`,
      ...(props.alertmanagerUrl ? [`--alertmanagers.url=${props.alertmanagerUrl}`, `--alert.label-drop=${RULER_REPLICA_LABEL}`] : []),
    ];

    new k8s.KubeConfigMap(this, 'rules', {
      metadata: platform.metadataFor(OWNER, NS, 'thanos-ruler-rules'),
      data: { 'rules.yaml': rules },
    });
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        clusterIp: 'None',
        selector,
        ports: [
          { name: 'grpc', port: THANOS_GRPC_PORT, targetPort: k8s.IntOrString.fromString('grpc') },
          { name: 'http', port: THANOS_HTTP_PORT, targetPort: k8s.IntOrString.fromString('http') },
        ],
      },
    });
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        serviceName: 'thanos-ruler',
        replicas: props.replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: platform.labelsFor(OWNER),
            // The Ruler reads its rule files at start; new rules roll the pods.
            annotations: { 'helios.io/rules-sha256': createHash('sha256').update(rules).digest('hex') },
          },
          spec: {
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            affinity: spreadOverNodes(selector),
            containers: [thanosContainer(platform, {
              component: 'rule',
              args: this.args,
              env: [POD_NAME_ENV],
              resources: props.resources,
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'rules', mountPath: RULES_DIR, readOnly: true },
                { name: 'objstore', mountPath: ObjectStore.MOUNT_PATH, readOnly: true },
              ],
            })],
            volumes: [{ name: 'rules', configMap: { name: 'thanos-ruler-rules' } }, props.objectStore.volume()],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(`${props.volumeGiB}Gi`) } } },
        }],
      },
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicas);
    props.objectStore.allowClient(this.workload);
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'http', port: THANOS_HTTP_PORT, job: 'thanos-ruler' }],
    });
  }
}
