import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { endpointPort as endpointPortOf } from './object-store.js';
import { SelfMonitoring } from './self-monitoring.js';
import {
  CLUSTER_DOMAIN, PROMETHEUS_REPLICA_LABEL, RULER_REPLICA_LABEL, THANOS_GRPC_PORT, THANOS_HTTP_PORT, srvAddress, thanosContainer, type StoreEndpoint,
} from './thanos.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

/** A TLS Secret (cert-manager's layout: tls.crt, tls.key, ca.crt) a Thanos gRPC server or client uses. */
export interface ThanosGrpcTls {
  /** The Secret in helios-storage. */
  readonly secretName: string;
}

/** A StoreAPI server in another cluster, read over mutual TLS. */
export interface RemoteStoreEndpoint {
  /** host:port, as this cluster reaches it. */
  readonly address: string;
  /** The name the server's certificate carries. */
  readonly serverName: string;
  /** Where the address is: the only place Query may connect to for it. */
  readonly networks: readonly string[];
  /** A name for the flow matrix (the member cluster's name). */
  readonly name: string;
}

export interface ThanosQueryProps {
  readonly platform: PlatformBase;
  readonly replicas: number;
  readonly resources: ResourceSizing;
  /** The StoreAPI servers to read in this cluster: the Prometheus sidecars, the Store Gateway, the Ruler, or another Query. */
  readonly stores: readonly StoreEndpoint[];
  /** The Deployment's and Service's name. @default "thanos-query" */
  readonly name?: string;
  /** StoreAPI servers in other clusters, each read over mutual TLS with `clientTls`. @default - none */
  readonly remoteStores?: readonly RemoteStoreEndpoint[];
  /** The client certificate and CA for `remoteStores`. @default - none; required with remoteStores */
  readonly clientTls?: ThanosGrpcTls;
  /** Serve the StoreAPI over mutual TLS with this certificate, admitting clients the same CA signed. @default - plain gRPC inside the cluster */
  readonly serverTls?: ThanosGrpcTls;
}

const NS = HeliosNamespace.STORAGE;
const ENDPOINTS_DIR = '/etc/thanos/endpoints';
const SERVER_TLS_DIR = '/etc/thanos/server-tls';
const CLIENT_TLS_DIR = '/etc/thanos/client-tls';

/**
 * The file `--endpoint.sd-config-file` reads: one entry per StoreAPI address, sorted;
 * remote ones with their own TLS client settings (per-endpoint TLS needs Thanos v0.42+).
 */
export function endpointsFile(stores: readonly StoreEndpoint[], remote: readonly RemoteStoreEndpoint[] = [], clientTls?: ThanosGrpcTls): string {
  const addresses = [...new Set(stores.map((s) => s.address))].sort();
  if (remote.length > 0 && !clientTls) throw new Error('thanos-query: remoteStores need clientTls (the client certificate and CA)');
  const remoteEntries = [...remote].sort((a, b) => a.address.localeCompare(b.address)).map((r) => ({
    address: r.address,
    // strict: a datacenter that is down stays in the set, so each query names it in a warning
    // (a partial response) instead of silently answering without its series.
    strict: true,
    group: false,
    client_config: {
      server_name: r.serverName,
      tls_config: {
        enabled: true,
        cert_file: `${CLIENT_TLS_DIR}/tls.crt`,
        key_file: `${CLIENT_TLS_DIR}/tls.key`,
        ca_file: `${CLIENT_TLS_DIR}/ca.crt`,
        min_version: '1.3',
      },
    },
  }));
  // strict: false — an endpoint may come and go (a shard restarting) without failing queries.
  return stringify({ endpoints: [...addresses.map((address) => ({ address, strict: false, group: false })), ...remoteEntries] });
}

/**
 * Thanos Query: the single PromQL endpoint over every Prometheus shard and replica
 * (live data through the sidecars), the bucket (through the Store Gateway) and the
 * Ruler's recordings, deduplicating the replicas. Its endpoints come from an SD
 * config file (the `--endpoint` flag is deprecated) with DNS SRV discovery, so new
 * shards and replicas are found without a restart.
 */
export class ThanosQuery extends Construct {
  /** The Prometheus-compatible HTTP API for Thanos's DNS discovery, known before the construct exists (the Ruler's `--query`). */
  public static readonly SRV_ADDRESS = srvAddress('http', 'thanos-query', NS);

  /**
   * The StoreAPI of the Query named `name` in helios-storage, known before it is built
   * (the hub's global query reads the hub's own Query, which Grafana's datasource follows).
   */
  public static storeEndpointOf(platform: PlatformBase, name = 'thanos-query'): StoreEndpoint {
    return { address: srvAddress('grpc', name, NS), workload: { name, component: 'query', namespace: NS, podSelector: platform.selectorFor({ name, component: 'query' }) } };
  }

  public readonly workload: WorkloadRef;
  public readonly args: readonly string[];
  /** The StoreAPI of this Query, for a Query that reads it in turn. */
  public readonly storeEndpoint: StoreEndpoint;
  /** The Prometheus-compatible HTTP API of this instance. */
  public readonly url: string;
  private readonly platform: PlatformBase;

  public constructor(scope: Construct, id: string, props: ThanosQueryProps) {
    super(scope, id);
    const { platform } = props;
    this.platform = platform;
    const name = props.name ?? 'thanos-query';
    const owner: ComponentIdentity = { name, component: 'query' };
    const remote = props.remoteStores ?? [];
    if (props.stores.length + remote.length === 0) throw new Error(`${name}: at least one store endpoint is required`);
    const selector = platform.selectorFor(owner);
    this.workload = { ...owner, namespace: NS, podSelector: selector };
    this.storeEndpoint = ThanosQuery.storeEndpointOf(platform, name);
    this.url = `http://${name}.${NS}.svc.${CLUSTER_DOMAIN}:${THANOS_HTTP_PORT}`;
    const endpoints = endpointsFile(props.stores, remote, props.clientTls);

    new k8s.KubeConfigMap(this, 'endpoints', {
      metadata: platform.metadataFor(owner, NS, `${name}-endpoints`),
      data: { 'endpoints.yaml': endpoints },
    });
    const serverTls = props.serverTls ? [
      `--grpc-server-tls-cert=${SERVER_TLS_DIR}/tls.crt`,
      `--grpc-server-tls-key=${SERVER_TLS_DIR}/tls.key`,
      // Mutual TLS: only clients with a certificate from the fleet's CA (the hub) are served.
      `--grpc-server-tls-client-ca=${SERVER_TLS_DIR}/ca.crt`,
      '--grpc-server-tls-min-version=1.3',
    ] : [];
    this.args = [
      // Only the replica labels: the cluster and datacenter external labels stay on every series.
      `--query.replica-label=${PROMETHEUS_REPLICA_LABEL}`,
      `--query.replica-label=${RULER_REPLICA_LABEL}`,
      '--deduplication.func=penalty',
      // Long ranges read the 5m and 1h downsampled blocks instead of raw samples.
      '--query.auto-downsampling',
      `--endpoint.sd-config-file=${ENDPOINTS_DIR}/endpoints.yaml`,
      ...(remote.length > 0 ? [
        // A datacenter that is down gives a partial response with a warning, not an error.
        '--query.partial-response',
        // A datacenter that hangs is given up on after this long, and shows as a warning.
        '--store.response-timeout=30s',
      ] : []),
      ...serverTls,
    ];
    const tlsVolumes: Array<[string, string, ThanosGrpcTls | undefined]> = [['server-tls', SERVER_TLS_DIR, props.serverTls], ['client-tls', CLIENT_TLS_DIR, remote.length > 0 ? props.clientTls : undefined]];
    const mounts = tlsVolumes.filter(([, , tls]) => tls).map(([volume, dir]) => ({ name: volume, mountPath: dir, readOnly: true }));
    const volumes = tlsVolumes.filter(([, , tls]) => tls).map(([volume, , tls]) => ({ name: volume, secret: { secretName: tls!.secretName } }));
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(owner, NS),
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(props.replicas > 1 ? 1 : 0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: {
            labels: platform.labelsFor(owner),
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
              volumeMounts: [{ name: 'endpoints', mountPath: ENDPOINTS_DIR, readOnly: true }, ...mounts],
            })],
            volumes: [{ name: 'endpoints', configMap: { name: `${name}-endpoints` } }, ...volumes],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(owner, NS),
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
    for (const store of remote) {
      platform.network.allow({
        description: `${name} reads ${store.name}'s Thanos Query over the StoreAPI (mutual TLS)`,
        from: FlowPeer.workload(this.workload),
        to: FlowPeer.networks(`federation-${store.name}`, store.networks),
        ports: [{ port: endpointPortOf(store.address) }],
      });
    }
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'http', port: THANOS_HTTP_PORT, job: name }],
    });
  }

  /** Lets a workload read this Query's StoreAPI (a Query that fans out over it). */
  public allowStoreApiFrom(peer: FlowPeer, description: string): void {
    this.platform.network.allow({ description, from: peer, to: FlowPeer.workload(this.workload), ports: [{ port: THANOS_GRPC_PORT }] });
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
