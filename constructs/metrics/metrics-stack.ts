import { Construct } from 'constructs';
import { Alertmanager, type AlertReceivers } from './alertmanager.js';
import { Blackbox } from './blackbox.js';
import { DeviceAlerts } from './device-alerts.js';
import { DeviceMetrics } from './device-metrics.js';
import { Gnmic } from './gnmic.js';
import { Grafana, type GrafanaDatabase, type GrafanaHttps, type GrafanaOidc } from './grafana.js';
import { Minio, MinioSiteReplication, type MinioCredentials, type MinioSite } from './minio.js';
import { ObjectStore, StorageTopology, type S3Bucket, usesMinio } from './object-store.js';
import { PrometheusShards } from './prometheus.js';
import { INTERFACE_UTILIZATION_RULES } from './recording-rules.js';
import { SnmpExporter } from './snmp-exporter.js';
import { ThanosCompactor, type CompactorRetention } from './thanos-compactor.js';
import { ThanosQuery, type ThanosGrpcTls } from './thanos-query.js';
import { ThanosRuler } from './thanos-ruler.js';
import { ThanosStore } from './thanos-store.js';
import { flowDashboards, networkDashboards } from '../../dashboards/index.js';
import type { IFlowStore } from '../flows/flow-store.js';
import { FlowPeer } from '../platform/network.js';
import type { PlatformBase } from '../platform/platform-base.js';
import type { ResourceSizing } from '../platform/security.js';

interface Replicated {
  readonly replicas: number;
  readonly resources: ResourceSizing;
}

/** The numbers the metrics stack is sized by: the matching sections of the tier table. */
export interface MetricsSizing {
  readonly gnmic: { readonly replicasMin: number; readonly replicasMax: number; readonly resources: ResourceSizing };
  readonly snmpExporter: Replicated;
  readonly blackboxExporter: Replicated;
  readonly prometheus: {
    readonly shards: number;
    readonly replicasPerShard: number;
    readonly retentionHours: number;
    readonly volumeGiB: number;
    readonly resources: ResourceSizing;
    readonly sidecarResources: ResourceSizing;
  };
  readonly thanosQuery: Replicated;
  readonly thanosStore: Replicated & { readonly indexCacheMiB: number; readonly volumeGiB: number };
  readonly thanosCompactor: { readonly volumeGiB: number; readonly resources: ResourceSizing };
  readonly thanosRuler: Replicated & { readonly volumeGiB: number };
  readonly minio: { readonly servers: number; readonly drivesPerServer: number; readonly volumeGiB: number; readonly resources: ResourceSizing };
  readonly grafana: Replicated;
  readonly alertmanager: Replicated & { readonly volumeGiB: number };
}

/** Where this cluster keeps its metrics blocks. */
export interface MetricsStorage {
  readonly topology: StorageTopology;
  /** The bucket Thanos writes to: in the cluster's MinIO, or the S3 bucket for cloud-s3. */
  readonly bucket: string;
  /** cloud-s3: the bucket Thanos writes to; hybrid: the tier MinIO moves aged objects to. @default - none (required for cloud-s3 and hybrid) */
  readonly s3?: S3Bucket;
  /** Whether this cluster runs the only Thanos Compactor of its bucket. */
  readonly compactor: boolean;
  /** @default - the helios/minio key of the secret store */
  readonly minioCredentials?: MinioCredentials;
  /** hybrid: objects older than this move to the S3 tier. @default 30 */
  readonly tierAfterDays?: number;
  /** How long the compactor keeps each resolution. @default - raw 14 days, 5-minute 30 days, 1-hour 90 days */
  readonly retention?: CompactorRetention;
  /** multi-dc-minio: the replication group's sites. @default - none (required for multi-dc-minio) */
  readonly replication?: MetricsReplication;
}

/** multi-dc-minio: how this cluster's MinIO joins its replication group. */
export interface MetricsReplication {
  /** This cluster's site name among `sites`. */
  readonly site: string;
  /** Every site of the group, this one included. */
  readonly sites: readonly MinioSite[];
  /**
   * Whether this site holds the bucket and reconciles the replication; the other sites
   * start empty and receive the bucket, its settings and the users from it.
   */
  readonly reconciler: boolean;
}

export interface MetricsStackProps {
  readonly platform: PlatformBase;
  readonly sizing: MetricsSizing;
  /** The devices' management networks: the only place collectors connect to. */
  readonly managementNetworks: readonly string[];
  readonly storage: MetricsStorage;
  /** @default - alerts reach no one (the default receiver has no channel) */
  readonly alerting?: AlertReceivers;
  /** Grafana sign-in through the identity provider. @default - local accounts only */
  readonly oidc?: GrafanaOidc;
  /** @default - SQLite on a volume, one Grafana replica */
  readonly grafanaDatabase?: GrafanaDatabase;
  /** The URL users open Grafana at. @default - none; required with oidc */
  readonly grafanaUrl?: string;
  /** Namespaces allowed to open Grafana (an ingress controller's). @default - none */
  readonly grafanaIngressNamespaces?: readonly string[];
  /** Serve Grafana over HTTPS at grafanaUrl. @default - no route into the cluster (kubectl port-forward) */
  readonly grafanaHttps?: GrafanaHttps;
  /** The flow store, for Grafana's ClickHouse datasource. @default - no flow datasource */
  readonly flowStore?: IFlowStore;
  /** Whether the Target Generator fills the target ConfigMaps. @default true */
  readonly targetGenerator?: boolean;
  /** Serve Thanos Query's StoreAPI over mutual TLS (a federation member). @default - plain gRPC inside the cluster */
  readonly queryServerTls?: ThanosGrpcTls;
  /** The Query Grafana reads (the hub's global query). @default - this stack's Thanos Query */
  readonly grafanaQuery?: ThanosQuery;
}

/** The Grafana folders of the Helios dashboards. */
export enum DashboardFolder {
  NETWORK = 'Network',
  FLOWS = 'Flows',
}

/**
 * Everything between a device and a dashboard for metrics: collection, sharded
 * Prometheus with Thanos and object storage (MinIO or S3), Grafana and
 * Alertmanager. It composes the component constructs and holds no YAML of its own.
 */
export class MetricsStack extends Construct {
  public readonly gnmic: Gnmic;
  public readonly snmpExporter: SnmpExporter;
  public readonly blackbox: Blackbox;
  public readonly deviceMetrics: DeviceMetrics;
  public readonly deviceAlerts: DeviceAlerts;
  public readonly objectStore: ObjectStore;
  public readonly minio?: Minio;
  public readonly minioReplication?: MinioSiteReplication;
  public readonly prometheus: PrometheusShards;
  public readonly thanosQuery: ThanosQuery;
  public readonly thanosStore: ThanosStore;
  public readonly thanosRuler: ThanosRuler;
  public readonly thanosCompactor?: ThanosCompactor;
  public readonly alertmanager: Alertmanager;
  public readonly grafana: Grafana;

  public constructor(scope: Construct, id: string, props: MetricsStackProps) {
    super(scope, id);
    const { platform, sizing, storage } = props;

    const managementNetworks = props.managementNetworks;
    this.gnmic = new Gnmic(this, 'gnmic', { platform, ...sizing.gnmic, managementNetworks, exampleTargets: !(props.targetGenerator ?? true) });
    this.snmpExporter = new SnmpExporter(this, 'snmp-exporter', { platform, ...sizing.snmpExporter, managementNetworks });
    this.blackbox = new Blackbox(this, 'blackbox', { platform, ...sizing.blackboxExporter, managementNetworks });
    this.deviceMetrics = new DeviceMetrics(this, 'device-metrics', { platform, managementNetworks });
    this.deviceAlerts = new DeviceAlerts(this, 'device-alerts', { platform });

    if (usesMinio(storage.topology)) {
      if (storage.topology === StorageTopology.HYBRID && !storage.s3) throw new Error('metrics storage: the hybrid topology needs s3 (the tier MinIO moves aged objects to)');
      this.minio = new Minio(this, 'minio', {
        platform,
        ...sizing.minio,
        bucket: storage.bucket,
        credentials: storage.minioCredentials,
        remoteTier: storage.topology === StorageTopology.HYBRID ? { s3: storage.s3!, transitionAfterDays: storage.tierAfterDays ?? 30 } : undefined,
        setup: storage.replication?.reconciler ?? true,
      });
      if (storage.topology === StorageTopology.MULTI_DC_MINIO) {
        if (!storage.replication) throw new Error('metrics storage: the multi-dc-minio topology needs replication (the sites of the replication group)');
        this.minioReplication = new MinioSiteReplication(this, 'minio-replication', { platform, minio: this.minio, ...storage.replication });
      }
      this.objectStore = new ObjectStore(this, 'object-store', {
        platform,
        location: this.minio.location,
        accessKey: this.minio.credentials.thanosAccessKey,
        secretKey: this.minio.credentials.thanosSecretKey,
        peer: FlowPeer.workload(this.minio.workload),
      });
    } else {
      if (!storage.s3) throw new Error('metrics storage: the cloud-s3 topology needs s3 (endpoint, region, bucket and credentials)');
      this.objectStore = new ObjectStore(this, 'object-store', {
        platform,
        location: { bucket: storage.s3.bucket, endpoint: storage.s3.endpoint, region: storage.s3.region, insecure: false, pathStyle: false },
        accessKey: storage.s3.accessKey,
        secretKey: storage.s3.secretKey,
        peer: FlowPeer.networks('object-storage', ['0.0.0.0/0']),
      });
    }

    this.alertmanager = new Alertmanager(this, 'alertmanager', { platform, ...sizing.alertmanager, receivers: props.alerting });
    this.prometheus = new PrometheusShards(this, 'prometheus', {
      platform,
      ...sizing.prometheus,
      objectStore: this.objectStore,
      alertmanager: this.alertmanager,
    });
    this.thanosStore = new ThanosStore(this, 'thanos-store', { platform, objectStore: this.objectStore, ...sizing.thanosStore });
    this.thanosRuler = new ThanosRuler(this, 'thanos-ruler', {
      platform,
      objectStore: this.objectStore,
      ...sizing.thanosRuler,
      groups: [...INTERFACE_UTILIZATION_RULES, ...this.deviceAlerts.globalGroups],
      queryAddress: ThanosQuery.SRV_ADDRESS,
      alertmanagerUrl: Alertmanager.SRV_URL,
      externalLabels: { cluster: platform.clusterName, datacenter: platform.site },
    });
    this.thanosQuery = new ThanosQuery(this, 'thanos-query', {
      platform,
      ...sizing.thanosQuery,
      stores: [this.prometheus.storeEndpoint, this.thanosStore.storeEndpoint, this.thanosRuler.storeEndpoint],
      serverTls: props.queryServerTls,
    });
    this.thanosQuery.allowQueriesFrom(this.thanosRuler.workload);
    this.alertmanager.allowClient(this.thanosRuler.workload);
    if (storage.compactor) {
      this.thanosCompactor = new ThanosCompactor(this, 'thanos-compactor', { platform, objectStore: this.objectStore, ...sizing.thanosCompactor, retention: storage.retention });
    }

    this.grafana = new Grafana(this, 'grafana', {
      platform,
      ...sizing.grafana,
      thanosQuery: props.grafanaQuery ?? this.thanosQuery,
      alertmanager: this.alertmanager,
      flowStore: props.flowStore,
      database: props.grafanaDatabase,
      oidc: props.oidc,
      rootUrl: props.grafanaUrl,
      ingressNamespaces: props.grafanaIngressNamespaces,
      https: props.grafanaHttps,
    });
    for (const dashboard of networkDashboards()) this.grafana.addDashboard(dashboard, { folder: DashboardFolder.NETWORK });
    // The flow dashboards query ClickHouse: only a cluster with a flow store has it.
    if (props.flowStore) {
      for (const dashboard of flowDashboards()) this.grafana.addDashboard(dashboard, { folder: DashboardFolder.FLOWS });
    }
  }
}
