import type { ResourceSizing } from '../../constructs/platform/security.js';

/**
 * Every number that varies with the scale tier, in one table. A cluster's tier
 * picks one column; constructs receive the numbers, never the tier's name.
 *
 * Anchors (seed plan): small ≈ 50 devices and 5k flows/s, medium ≈ 500 and 50k,
 * large 500–2,000 and 500k, xl 8,000+ and up to 5M. Series estimates assume
 * ~1,500 active series per device (gNMI + SNMP), ~3 KiB of Prometheus memory each.
 */
export const TIER_NAMES = ['small', 'medium', 'large', 'xl'] as const;
export type TierName = typeof TIER_NAMES[number];

export interface Autoscaled {
  readonly replicasMin: number;
  readonly replicasMax: number;
  readonly resources: ResourceSizing;
}

export interface Replicated {
  readonly replicas: number;
  readonly resources: ResourceSizing;
}

export interface TierSizing {
  /** The fleet size the tier is sized for. */
  readonly devices: number;
  /** The flow rate the flow pipeline is sized for. */
  readonly flowsPerSecond: number;
  readonly gnmic: Autoscaled;
  readonly snmpExporter: Replicated;
  readonly blackboxExporter: Replicated;
  readonly prometheus: {
    readonly shards: number;
    /** Replicas per shard; Thanos Query deduplicates them. */
    readonly replicasPerShard: number;
    /** Local TSDB retention; older data is read back from object storage. */
    readonly retentionHours: number;
    readonly volumeGiB: number;
    readonly resources: ResourceSizing;
    readonly sidecarResources: ResourceSizing;
  };
  readonly thanosQuery: Replicated;
  readonly thanosStore: Replicated & { readonly indexCacheMiB: number; readonly volumeGiB: number };
  readonly thanosCompactor: { readonly volumeGiB: number; readonly resources: ResourceSizing };
  readonly thanosRuler: Replicated & { readonly volumeGiB: number };
  readonly minio: {
    /** One server runs without erasure coding; four or more give erasure-coded redundancy. */
    readonly servers: number;
    readonly drivesPerServer: number;
    readonly volumeGiB: number;
    readonly resources: ResourceSizing;
  };
  readonly grafana: Replicated;
  readonly alertmanager: Replicated & { readonly volumeGiB: number };
  readonly goflow2: Autoscaled;
  readonly kafka: {
    readonly brokers: number;
    readonly volumeGiB: number;
    readonly rawTopicPartitions: number;
    readonly enrichedTopicPartitions: number;
    readonly retentionHours: number;
    readonly resources: ResourceSizing;
  };
  readonly flowEnricher: Autoscaled;
  readonly clickhouse: {
    readonly shards: number;
    readonly replicas: number;
    readonly volumeGiB: number;
    /** Kafka-engine consumers per replica (at most partitions / (shards × replicas)). */
    readonly kafkaConsumers: number;
    readonly resources: ResourceSizing;
  };
  readonly clickhouseKeeper: Replicated & { readonly volumeGiB: number };
  /** The sync's peak is ~150 MiB whatever the fleet (Node and the Kubernetes client are most of it; 10,000 devices add little). */
  readonly targetGenerator: { readonly resources: ResourceSizing; readonly pushgatewayResources: ResourceSizing };
  /** Node and the Kubernetes client's informers are most of it; executions run in their own Jobs. */
  readonly runbookOperator: { readonly resources: ResourceSizing };
}

/** CPU request/limit in millicores, memory request/limit in MiB. */
function res(cpuRequestMilli: number, cpuLimitMilli: number, memoryRequestMiB: number, memoryLimitMiB: number): ResourceSizing {
  return { cpuRequestMilli, cpuLimitMilli, memoryRequestMiB, memoryLimitMiB };
}

export const TIERS: Readonly<Record<TierName, TierSizing>> = {
  small: {
    devices: 50,
    flowsPerSecond: 5_000,
    gnmic: { replicasMin: 1, replicasMax: 2, resources: res(100, 500, 128, 512) },
    snmpExporter: { replicas: 1, resources: res(50, 250, 64, 256) },
    blackboxExporter: { replicas: 1, resources: res(25, 200, 32, 128) },
    prometheus: { shards: 1, replicasPerShard: 1, retentionHours: 24, volumeGiB: 20, resources: res(250, 1000, 1024, 2048), sidecarResources: res(50, 250, 64, 256) },
    thanosQuery: { replicas: 1, resources: res(100, 500, 256, 512) },
    thanosStore: { replicas: 1, indexCacheMiB: 128, volumeGiB: 10, resources: res(100, 500, 256, 1024) },
    thanosCompactor: { volumeGiB: 20, resources: res(100, 1000, 256, 1024) },
    thanosRuler: { replicas: 1, volumeGiB: 5, resources: res(50, 250, 128, 256) },
    minio: { servers: 1, drivesPerServer: 1, volumeGiB: 100, resources: res(100, 1000, 256, 1024) },
    grafana: { replicas: 1, resources: res(100, 500, 128, 512) },
    alertmanager: { replicas: 1, volumeGiB: 1, resources: res(25, 200, 64, 128) },
    goflow2: { replicasMin: 1, replicasMax: 2, resources: res(100, 500, 64, 256) },
    kafka: { brokers: 1, volumeGiB: 20, rawTopicPartitions: 3, enrichedTopicPartitions: 3, retentionHours: 24, resources: res(250, 1000, 1024, 2048) },
    flowEnricher: { replicasMin: 1, replicasMax: 2, resources: res(100, 500, 128, 512) },
    clickhouse: { shards: 1, replicas: 1, volumeGiB: 50, kafkaConsumers: 1, resources: res(500, 2000, 2048, 4096) },
    clickhouseKeeper: { replicas: 1, volumeGiB: 5, resources: res(100, 500, 256, 512) },
    targetGenerator: { resources: res(50, 500, 160, 256), pushgatewayResources: res(10, 100, 32, 64) },
    runbookOperator: { resources: res(50, 500, 128, 256) },
  },
  medium: {
    devices: 500,
    flowsPerSecond: 50_000,
    gnmic: { replicasMin: 2, replicasMax: 4, resources: res(250, 1000, 512, 1024) },
    snmpExporter: { replicas: 2, resources: res(100, 500, 128, 512) },
    blackboxExporter: { replicas: 2, resources: res(50, 250, 64, 128) },
    prometheus: { shards: 2, replicasPerShard: 2, retentionHours: 24, volumeGiB: 50, resources: res(500, 2000, 2048, 4096), sidecarResources: res(100, 500, 128, 512) },
    thanosQuery: { replicas: 2, resources: res(250, 1000, 512, 1024) },
    thanosStore: { replicas: 2, indexCacheMiB: 512, volumeGiB: 20, resources: res(250, 1000, 1024, 2048) },
    thanosCompactor: { volumeGiB: 50, resources: res(250, 1000, 1024, 2048) },
    thanosRuler: { replicas: 2, volumeGiB: 10, resources: res(100, 500, 256, 512) },
    minio: { servers: 4, drivesPerServer: 1, volumeGiB: 250, resources: res(250, 1000, 1024, 2048) },
    grafana: { replicas: 2, resources: res(250, 1000, 256, 1024) },
    alertmanager: { replicas: 2, volumeGiB: 2, resources: res(50, 250, 64, 256) },
    goflow2: { replicasMin: 2, replicasMax: 4, resources: res(250, 1000, 128, 512) },
    kafka: { brokers: 3, volumeGiB: 100, rawTopicPartitions: 12, enrichedTopicPartitions: 12, retentionHours: 24, resources: res(500, 2000, 2048, 4096) },
    flowEnricher: { replicasMin: 2, replicasMax: 6, resources: res(250, 1000, 256, 512) },
    clickhouse: { shards: 1, replicas: 2, volumeGiB: 200, kafkaConsumers: 2, resources: res(1000, 4000, 4096, 8192) },
    clickhouseKeeper: { replicas: 3, volumeGiB: 10, resources: res(100, 500, 256, 512) },
    targetGenerator: { resources: res(50, 500, 160, 256), pushgatewayResources: res(10, 100, 32, 64) },
    runbookOperator: { resources: res(50, 500, 128, 256) },
  },
  large: {
    devices: 2_000,
    flowsPerSecond: 500_000,
    gnmic: { replicasMin: 4, replicasMax: 12, resources: res(500, 2000, 1024, 2048) },
    snmpExporter: { replicas: 3, resources: res(250, 1000, 256, 512) },
    blackboxExporter: { replicas: 2, resources: res(100, 500, 64, 256) },
    prometheus: { shards: 4, replicasPerShard: 2, retentionHours: 12, volumeGiB: 100, resources: res(1000, 4000, 4096, 8192), sidecarResources: res(100, 500, 256, 512) },
    thanosQuery: { replicas: 2, resources: res(500, 2000, 1024, 2048) },
    thanosStore: { replicas: 3, indexCacheMiB: 1024, volumeGiB: 50, resources: res(500, 2000, 2048, 4096) },
    thanosCompactor: { volumeGiB: 100, resources: res(500, 2000, 2048, 4096) },
    thanosRuler: { replicas: 2, volumeGiB: 10, resources: res(250, 1000, 512, 1024) },
    minio: { servers: 4, drivesPerServer: 2, volumeGiB: 500, resources: res(500, 2000, 2048, 4096) },
    grafana: { replicas: 2, resources: res(250, 1000, 512, 1024) },
    alertmanager: { replicas: 3, volumeGiB: 2, resources: res(50, 250, 128, 256) },
    goflow2: { replicasMin: 4, replicasMax: 8, resources: res(1000, 2000, 256, 1024) },
    kafka: { brokers: 3, volumeGiB: 500, rawTopicPartitions: 24, enrichedTopicPartitions: 24, retentionHours: 24, resources: res(1000, 4000, 4096, 8192) },
    flowEnricher: { replicasMin: 6, replicasMax: 24, resources: res(1000, 2000, 512, 1024) },
    clickhouse: { shards: 2, replicas: 2, volumeGiB: 1000, kafkaConsumers: 4, resources: res(3000, 8000, 8192, 16384) },
    clickhouseKeeper: { replicas: 3, volumeGiB: 20, resources: res(250, 1000, 512, 1024) },
    targetGenerator: { resources: res(100, 1000, 192, 320), pushgatewayResources: res(10, 100, 32, 64) },
    runbookOperator: { resources: res(100, 1000, 192, 384) },
  },
  xl: {
    devices: 8_000,
    flowsPerSecond: 5_000_000,
    gnmic: { replicasMin: 12, replicasMax: 40, resources: res(1000, 4000, 2048, 4096) },
    snmpExporter: { replicas: 6, resources: res(500, 2000, 512, 1024) },
    blackboxExporter: { replicas: 3, resources: res(100, 500, 128, 256) },
    prometheus: { shards: 12, replicasPerShard: 2, retentionHours: 12, volumeGiB: 200, resources: res(2000, 8000, 8192, 16384), sidecarResources: res(250, 1000, 256, 1024) },
    thanosQuery: { replicas: 3, resources: res(1000, 4000, 2048, 4096) },
    thanosStore: { replicas: 4, indexCacheMiB: 2048, volumeGiB: 100, resources: res(1000, 4000, 4096, 8192) },
    thanosCompactor: { volumeGiB: 250, resources: res(1000, 4000, 4096, 8192) },
    thanosRuler: { replicas: 2, volumeGiB: 20, resources: res(500, 2000, 1024, 2048) },
    minio: { servers: 8, drivesPerServer: 2, volumeGiB: 1000, resources: res(1000, 4000, 4096, 8192) },
    grafana: { replicas: 3, resources: res(500, 2000, 1024, 2048) },
    alertmanager: { replicas: 3, volumeGiB: 5, resources: res(100, 500, 128, 512) },
    goflow2: { replicasMin: 16, replicasMax: 40, resources: res(2000, 4000, 512, 1024) },
    kafka: { brokers: 6, volumeGiB: 1000, rawTopicPartitions: 96, enrichedTopicPartitions: 96, retentionHours: 24, resources: res(2000, 8000, 8192, 16384) },
    flowEnricher: { replicasMin: 32, replicasMax: 96, resources: res(1000, 2000, 512, 1024) },
    clickhouse: { shards: 4, replicas: 2, volumeGiB: 4000, kafkaConsumers: 12, resources: res(12000, 16000, 16384, 32768) },
    clickhouseKeeper: { replicas: 3, volumeGiB: 50, resources: res(500, 1000, 1024, 2048) },
    targetGenerator: { resources: res(100, 1000, 192, 384), pushgatewayResources: res(10, 100, 32, 64) },
    runbookOperator: { resources: res(100, 1000, 192, 384) },
  },
};
