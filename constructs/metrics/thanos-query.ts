import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { SelfMonitoring } from './self-monitoring.js';
import {
  CLUSTER_DOMAIN, PROMETHEUS_REPLICA_LABEL, RULER_REPLICA_LABEL, THANOS_GRPC_PORT, THANOS_HTTP_PORT, srvAddress, thanosContainer, type StoreEndpoint,
} from './thanos.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

export interface ThanosQueryProps {
  readonly platform: PlatformBase;
  readonly replicas: number;
  readonly resources: ResourceSizing;
  /** The StoreAPI servers to read: the Prometheus sidecars, the Store Gateway, the Ruler. */
  readonly stores: readonly StoreEndpoint[];
}

const OWNER: ComponentIdentity = { name: 'thanos-query', component: 'query' };
const NS = HeliosNamespace.STORAGE;
const ENDPOINTS_DIR = '/etc/thanos/endpoints';

/** The file `--endpoint.sd-config-file` reads: one entry per StoreAPI address, sorted. */
export function endpointsFile(stores: readonly StoreEndpoint[]): string {
  const addresses = [...new Set(stores.map((s) => s.address))].sort();
  // strict: false — an endpoint may come and go (a shard restarting) without failing queries.
  return stringify({ endpoints: addresses.map((address) => ({ address, strict: false, group: false })) });
}

/**
 * Thanos Query: the single PromQL endpoint over every Prometheus shard and replica
 * (live data through the sidecars), the bucket (through the Store Gateway) and the
 * Ruler's recordings, deduplicating the replicas. Its endpoints come from an SD
 * config file (the `--endpoint` flag is deprecated) with DNS SRV discovery, so new
 * shards and replicas are found without a restart.
 */
export class ThanosQuery extends Construct {
  /** The Prometheus-compatible HTTP API, known before the construct exists (the Ruler needs it). */
  public static readonly URL = `http://thanos-query.${NS}.svc.${CLUSTER_DOMAIN}:${THANOS_HTTP_PORT}`;
  /** The same API for Thanos's DNS discovery (the Ruler's `--query`). */
  public static readonly SRV_ADDRESS = srvAddress('http', 'thanos-query', NS);
  public readonly workload: WorkloadRef;
  public readonly args: readonly string[];
  private readonly platform: PlatformBase;

  public constructor(scope: Construct, id: string, props: ThanosQueryProps) {
    super(scope, id);
    const { platform } = props;
    this.platform = platform;
    if (props.stores.length === 0) throw new Error('thanos-query: at least one store endpoint is required');
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    const endpoints = endpointsFile(props.stores);

    new k8s.KubeConfigMap(this, 'endpoints', {
      metadata: platform.metadataFor(OWNER, NS, 'thanos-query-endpoints'),
      data: { 'endpoints.yaml': endpoints },
    });
    this.args = [
      `--query.replica-label=${PROMETHEUS_REPLICA_LABEL}`,
      `--query.replica-label=${RULER_REPLICA_LABEL}`,
      '--deduplication.func=penalty',
      // Long ranges read the 5m and 1h downsampled blocks instead of raw samples.
      '--query.auto-downsampling',
      `--endpoint.sd-config-file=${ENDPOINTS_DIR}/endpoints.yaml`,
    ];
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(props.replicas > 1 ? 1 : 0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: {
            labels: platform.labelsFor(OWNER),
            annotations: { 'helios.io/endpoints-sha256': createHash('sha256').update(endpoints).digest('hex') },
          },
          spec: {
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            affinity: spreadOverNodes(selector),
            containers: [thanosContainer(platform, {
              component: 'query',
              args: this.args,
              resources: props.resources,
              volumeMounts: [{ name: 'endpoints', mountPath: ENDPOINTS_DIR, readOnly: true }],
            })],
            volumes: [{ name: 'endpoints', configMap: { name: 'thanos-query-endpoints' } }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector,
        ports: [
          { name: 'http', port: THANOS_HTTP_PORT, targetPort: k8s.IntOrString.fromString('http') },
          { name: 'grpc', port: THANOS_GRPC_PORT, targetPort: k8s.IntOrString.fromString('grpc') },
        ],
      },
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicas);
    for (const store of props.stores) {
      platform.network.allow({
        description: `Thanos Query reads ${store.workload.name} over the StoreAPI`,
        from: FlowPeer.workload(this.workload),
        to: FlowPeer.workload(store.workload),
        ports: [{ port: THANOS_GRPC_PORT }],
      });
    }
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'http', port: THANOS_HTTP_PORT, job: 'thanos-query' }],
    });
  }

  /** Lets a workload run PromQL queries (Grafana, the Ruler). */
  public allowQueriesFrom(workload: WorkloadRef): void {
    this.platform.network.allow({
      description: `${workload.name} queries Thanos Query`,
      from: FlowPeer.workload(workload),
      to: FlowPeer.workload(this.workload),
      ports: [{ port: THANOS_HTTP_PORT }],
    });
  }
}
