import { k8s } from 'cdk8s-plus-28';
import type { WorkloadRef } from '../platform/network.js';
import type { PlatformBase } from '../platform/platform-base.js';
import { httpProbe, secureContainer, type ResourceSizing } from '../platform/security.js';

/** Every Thanos component serves HTTP (metrics, health, query API) and gRPC (StoreAPI) on these ports. */
export const THANOS_HTTP_PORT = 10902;
export const THANOS_GRPC_PORT = 10901;

/**
 * The external label the Prometheus Operator gives each Prometheus replica; Thanos
 * Query deduplicates on it, so the replicas of a shard, and a target that moved
 * between shards, read back as one series.
 */
export const PROMETHEUS_REPLICA_LABEL = 'prometheus_replica';
/** The same for the Thanos Ruler's replicas. */
export const RULER_REPLICA_LABEL = 'rule_replica';

/** The cluster's DNS domain, for the DNS service discovery of Thanos endpoints. */
export const CLUSTER_DOMAIN = 'cluster.local';

/** A StoreAPI server Thanos Query reads from. */
export interface StoreEndpoint {
  /** A Thanos endpoint address, with a DNS discovery prefix (`dnssrv+_grpc._tcp.<service>`). */
  readonly address: string;
  /** Its pods, for Query's network flow to their gRPC port. */
  readonly workload: WorkloadRef;
}

/** The DNS SRV name of a Service's named port, as Thanos's DNS discovery reads it. */
export function srvAddress(portName: string, service: string, namespace: string): string {
  return `dnssrv+_${portName}._tcp.${service}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

export interface ThanosContainerProps {
  /** The Thanos subcommand: query, store, compact, rule. */
  readonly component: string;
  readonly args: readonly string[];
  readonly resources: ResourceSizing;
  /** @default - none */
  readonly env?: readonly k8s.EnvVar[];
  /** @default - none */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  /** Whether it serves the StoreAPI. @default true */
  readonly grpc?: boolean;
}

/** A Thanos container with the project's conventions: pinned image, health probes, named ports. */
export function thanosContainer(platform: PlatformBase, props: ThanosContainerProps): k8s.Container {
  const grpc = props.grpc ?? true;
  return secureContainer({
    name: `thanos-${props.component}`,
    image: platform.image('thanos'),
    args: [
      props.component,
      '--log.format=logfmt',
      `--http-address=0.0.0.0:${THANOS_HTTP_PORT}`,
      ...(grpc ? [`--grpc-address=0.0.0.0:${THANOS_GRPC_PORT}`] : []),
      ...props.args,
    ],
    env: props.env,
    ports: [
      { name: 'http', containerPort: THANOS_HTTP_PORT },
      ...(grpc ? [{ name: 'grpc', containerPort: THANOS_GRPC_PORT }] : []),
    ],
    resources: props.resources,
    readinessProbe: httpProbe('/-/ready', 'http'),
    livenessProbe: httpProbe('/-/healthy', 'http', { initialDelaySeconds: 30 }),
    volumeMounts: props.volumeMounts,
  });
}

/** The pod's own name, for per-replica labels. */
export const POD_NAME_ENV: k8s.EnvVar = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
