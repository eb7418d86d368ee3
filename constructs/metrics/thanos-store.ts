import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ObjectStore } from './object-store.js';
import { SelfMonitoring } from './self-monitoring.js';
import { THANOS_GRPC_PORT, THANOS_HTTP_PORT, srvAddress, thanosContainer, type StoreEndpoint } from './thanos.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import type { WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

export interface ThanosStoreProps {
  readonly platform: PlatformBase;
  readonly objectStore: ObjectStore;
  readonly replicas: number;
  /** The in-memory cache of block index entries; the larger, the fewer bucket reads per query. */
  readonly indexCacheMiB: number;
  /** The local disk for index headers of the bucket's blocks. */
  readonly volumeGiB: number;
  readonly resources: ResourceSizing;
}

const OWNER: ComponentIdentity = { name: 'thanos-store', component: 'query' };
const NS = HeliosNamespace.STORAGE;
const DATA_DIR = '/var/thanos/store';

/**
 * The Thanos Store Gateway: serves the blocks in the bucket (everything older than
 * Prometheus's local retention) over the StoreAPI. Its replicas each serve the whole
 * bucket, spread over nodes so a node failure leaves history queryable.
 */
export class ThanosStore extends Construct {
  public readonly workload: WorkloadRef;
  public readonly storeEndpoint: StoreEndpoint;
  public readonly args: readonly string[];

  public constructor(scope: Construct, id: string, props: ThanosStoreProps) {
    super(scope, id);
    const { platform } = props;
    if (!Number.isInteger(props.indexCacheMiB) || props.indexCacheMiB < 1) {
      throw new Error(`thanos-store: indexCacheMiB ${props.indexCacheMiB} must be a whole number of MiB, at least 1`);
    }
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    this.storeEndpoint = { address: srvAddress('grpc', 'thanos-store', NS), workload: this.workload };
    this.args = [
      `--data-dir=${DATA_DIR}`,
      `--objstore.config-file=${props.objectStore.configFile}`,
      `--index-cache-size=${props.indexCacheMiB}MB`,
    ];

    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        // Headless: Query resolves every replica through the SRV record and spreads the load.
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
        serviceName: 'thanos-store',
        replicas: props.replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: platform.labelsFor(OWNER) },
          spec: {
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            affinity: spreadOverNodes(selector),
            containers: [thanosContainer(platform, {
              component: 'store',
              args: this.args,
              resources: props.resources,
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'objstore', mountPath: ObjectStore.MOUNT_PATH, readOnly: true },
              ],
            })],
            volumes: [props.objectStore.volume()],
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
      endpoints: [{ portName: 'http', port: THANOS_HTTP_PORT, job: 'thanos-store' }],
    });
  }
}
