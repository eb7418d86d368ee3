import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ClickHouseKeeper } from './clickhouse-keeper.js';
import { enrichedFlowProto, FLOWS_DATABASE, flowStoreMigrations } from './flow-schema.js';
import type { IFlowStore } from './flow-store.js';
import { FlowTopic, type KafkaCluster } from './kafka-cluster.js';
import { quantities, requireCounts, restrictedContainerSecurityContext, restrictedPodSecurityContext } from './operator-pods.js';
import { FLOWS_RUNBOOKS } from './runbooks.js';
import {
  ClickHouseInstallation,
  ClickHouseInstallationSpecConfigurationClustersSchemaPolicyReplica as ReplicaSchema,
  ClickHouseInstallationSpecConfigurationClustersSchemaPolicyShard as ShardSchema,
} from '../../imports/clickhouseinstallation-clickhouse.altinity.com.js';
import { PodMonitor } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { AlertRules, Severity } from '../metrics/rules.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';
import { secureJobContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

const OWNER: ComponentIdentity = { name: 'clickhouse', component: 'storage' };
const MIGRATE: ComponentIdentity = { name: 'clickhouse-migrate', component: 'storage' };
const NS = HeliosNamespace.FLOWS;
/** The installation and its one cluster: `ON CLUSTER 'flows'`, Service `clickhouse-flows`. */
const NAME = 'flows';
const HTTP_PORT = 8123;
const NATIVE_PORT = 9000;
const INTERSERVER_PORT = 9009;
const METRICS_PORT = 9363;
/** The clickhouse/clickhouse-server image's user. */
const CLICKHOUSE_UID = 101;
const USERS_SECRET = 'clickhouse-users';
const SCHEMA_DIR = '/etc/clickhouse-server/format_schemas/';
const KAFKA_CA_DIR = '/etc/kafka-ca';
const MIGRATIONS_DIR = '/etc/helios/migrations';
const MIGRATOR_USER = 'helios_migrator';
const READER_USER = 'helios_reader';
/** The consumer group every ClickHouse node's Kafka engine joins. */
export const CLICKHOUSE_GROUP = 'helios-clickhouse';
const MIGRATE_RESOURCES: ResourceSizing = { cpuRequestMilli: 50, cpuLimitMilli: 500, memoryRequestMiB: 128, memoryLimitMiB: 256 };

/**
 * Full-disk behaviour: inserts fail once less than this share of the disk is free,
 * while merges (which free space as TTL drops parts) can still use the rest.
 */
export const MIN_FREE_DISK_RATIO_FOR_INSERTS = 0.1;
/** Space ClickHouse never uses on its data disk, so it never writes the disk full. */
export function keepFreeSpaceBytes(volumeGiB: number): number {
  return Math.max(2 ** 30, Math.floor(volumeGiB * 2 ** 30 * 0.02));
}

export interface ClickHouseProps {
  readonly platform: PlatformBase;
  readonly kafka: KafkaCluster;
  readonly keeper: ClickHouseKeeper;
  readonly shards: number;
  /** Replicas per shard. */
  readonly replicas: number;
  readonly volumeGiB: number;
  /** Kafka-engine consumers per ClickHouse node; all nodes' together at most the enriched topic's partitions. */
  readonly kafkaConsumers: number;
  readonly resources: ResourceSizing;
  /** The migrations Job's user (DDL). @default { key: "helios/clickhouse", property: "migrator-password" } */
  readonly migratorPassword?: SecretReference;
  /** The dashboards' read-only user. @default { key: "helios/clickhouse", property: "reader-password" } */
  readonly readerPassword?: SecretReference;
  /** The namespace of the Altinity operator, which queries the servers. @default "kube-system" */
  readonly operatorNamespace?: string;
}

/**
 * The flow store: ClickHouse (Altinity `ClickHouseInstallation`), `shards` ×
 * `replicas` servers replicated through ClickHouse Keeper, its schema applied by a
 * migrations Job, and flows read from Kafka by the servers themselves.
 *
 * The schema is the SQL in ./clickhouse/migrations, applied by `flow-enricher
 * migrate` (services/flow-enricher/src/migrate) in a Job named after a hash of the
 * SQL and its settings: a schema change is a new Job, whose log says what ran.
 *
 * A full disk rejects inserts instead of corrupting data: inserts stop once less
 * than MIN_FREE_DISK_RATIO_FOR_INSERTS of the disk is free
 * (min_free_disk_ratio_to_perform_insert), and keepFreeSpaceBytes() of the disk is
 * never used (keep_free_space_bytes). A rejected insert leaves the Kafka offsets
 * uncommitted, so the flows wait in Kafka until space returns (TTL drops old parts).
 */
export class ClickHouse extends Construct implements IFlowStore {
  public readonly workload: WorkloadRef;
  public readonly nativeAddress: string;
  public readonly httpUrl: string;
  public readonly database = FLOWS_DATABASE;
  public readonly readerUser = READER_USER;
  public readonly readerPassword: SecretReference;
  /** The migrations Job's name: `clickhouse-migrate-<hash of the SQL and its settings>`. */
  public readonly migrationJobName: string;

  public constructor(scope: Construct, id: string, props: ClickHouseProps) {
    super(scope, id);
    const { platform, kafka, keeper } = props;
    requireCounts('clickhouse', { shards: props.shards, replicas: props.replicas, kafkaConsumers: props.kafkaConsumers, volumeGiB: props.volumeGiB });
    const consumers = props.shards * props.replicas * props.kafkaConsumers;
    const partitions = kafka.partitions[FlowTopic.ENRICHED];
    if (consumers > partitions) {
      throw new Error(`clickhouse: ${props.shards} shards × ${props.replicas} replicas × ${props.kafkaConsumers} kafkaConsumers = ${consumers} Kafka consumers, `
        + `more than the ${partitions} partitions of ${FlowTopic.ENRICHED}; consumers beyond one per partition sit idle (lower kafkaConsumers or add partitions)`);
    }
    const service = `clickhouse-${NAME}.${NS}.svc`;
    this.nativeAddress = `${service}:${NATIVE_PORT}`;
    this.httpUrl = `http://${service}:${HTTP_PORT}`;
    this.readerPassword = props.readerPassword ?? { key: 'helios/clickhouse', property: 'reader-password' };
    this.workload = { ...OWNER, namespace: NS, podSelector: { 'clickhouse.altinity.com/chi': NAME } };

    const access = kafka.addClient(this, { user: 'clickhouse', workload: this.workload, consumes: { topics: [FlowTopic.ENRICHED], group: CLICKHOUSE_GROUP } });
    keeper.allowClient(this.workload);
    platform.addExternalSecret(this, 'users', {
      namespace: NS,
      secretName: USERS_SECRET,
      owner: OWNER,
      data: {
        'migrator-password': props.migratorPassword ?? { key: 'helios/clickhouse', property: 'migrator-password' },
        'reader-password': this.readerPassword,
      },
    });
    new k8s.KubeConfigMap(this, 'format-schemas', {
      metadata: platform.metadataFor(OWNER, NS, 'clickhouse-format-schemas'),
      data: { 'enriched_flow.proto': enrichedFlowProto() },
    });

    const fromSecret = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });
    new ClickHouseInstallation(this, 'chi', {
      metadata: platform.metadataFor(OWNER, NS, NAME),
      spec: {
        defaults: { templates: { podTemplate: 'clickhouse', dataVolumeClaimTemplate: 'data', serviceTemplate: 'clickhouse' } },
        configuration: {
          zookeeper: { nodes: [{ host: keeper.host, port: keeper.port }] },
          // users.xml users; the operator passes the passwords from the Secret as environment
          // variables. Any source address: the NetworkPolicy decides who reaches the servers.
          users: {
            [`${MIGRATOR_USER}/password`]: fromSecret(USERS_SECRET, 'migrator-password'),
            [`${MIGRATOR_USER}/networks/ip`]: ['::/0'],
            [`${MIGRATOR_USER}/profile`]: 'default',
            [`${READER_USER}/password`]: fromSecret(USERS_SECRET, 'reader-password'),
            [`${READER_USER}/networks/ip`]: ['::/0'],
            [`${READER_USER}/profile`]: READER_USER,
            [`${READER_USER}/allow_databases/database`]: [FLOWS_DATABASE],
          },
          profiles: {
            // readonly 2: no writes or DDL, but the settings Grafana's plugin sends are accepted.
            [`${READER_USER}/readonly`]: 2,
            [`${READER_USER}/max_execution_time`]: 60,
          },
          settings: {
            'format_schema_path': SCHEMA_DIR,
            'prometheus/endpoint': '/metrics',
            'prometheus/port': METRICS_PORT,
            'prometheus/metrics': true,
            'prometheus/events': true,
            'prometheus/asynchronous_metrics': true,
            'merge_tree/min_free_disk_ratio_to_perform_insert': MIN_FREE_DISK_RATIO_FOR_INSERTS,
            'storage_configuration/disks/default/keep_free_space_bytes': keepFreeSpaceBytes(props.volumeGiB),
            // librdkafka settings of every Kafka table: TLS with Strimzi's CA, SCRAM as the Kafka user.
            'kafka/security_protocol': 'sasl_ssl',
            'kafka/sasl_mechanism': 'SCRAM-SHA-512',
            'kafka/sasl_username': access.username,
            'kafka/sasl_password': fromSecret(access.passwordSecret.name, access.passwordSecret.key),
            'kafka/ssl_ca_location': `${KAFKA_CA_DIR}/${access.caSecret.key}`,
          },
          clusters: [{
            name: NAME,
            layout: { shardsCount: props.shards, replicasCount: props.replicas },
            // New replicas and shards get the tables (and the migration history) from the others.
            schemaPolicy: { replica: ReplicaSchema.ALL, shard: ShardSchema.ALL },
            ...(props.shards * props.replicas > 1 ? { pdbMaxUnavailable: 1 } : {}),
          }],
        },
        templates: {
          podTemplates: [{
            name: 'clickhouse',
            metadata: { labels: platform.labelsFor(OWNER) },
            spec: {
              securityContext: restrictedPodSecurityContext({ uid: CLICKHOUSE_UID, fsGroup: CLICKHOUSE_UID }),
              automountServiceAccountToken: false,
              containers: [{
                name: 'clickhouse',
                image: platform.image('clickhouse-server'),
                imagePullPolicy: 'IfNotPresent',
                resources: quantities(props.resources, (v) => v),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'format-schemas', mountPath: SCHEMA_DIR, readOnly: true },
                  { name: 'kafka-ca', mountPath: KAFKA_CA_DIR, readOnly: true },
                  { name: 'logs', mountPath: '/var/log/clickhouse-server' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              }],
              volumes: [
                { name: 'format-schemas', configMap: { name: 'clickhouse-format-schemas' } },
                { name: 'kafka-ca', secret: { secretName: access.caSecret.name, items: [{ key: access.caSecret.key, path: access.caSecret.key }] } },
                { name: 'logs', emptyDir: {} },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          }],
          volumeClaimTemplates: [{
            name: 'data',
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${props.volumeGiB}Gi` } } },
          }],
          serviceTemplates: [{
            name: 'clickhouse',
            generateName: 'clickhouse-{chi}',
            // Inside the cluster only (the operator's default would be a LoadBalancer).
            spec: {
              type: 'ClusterIP',
              ports: [{ name: 'http', port: HTTP_PORT }, { name: 'tcp', port: NATIVE_PORT }],
            },
          }],
        },
      },
    });

    this.migrationJobName = this.addMigrations(platform, access.bootstrap, props.kafkaConsumers);

    const servers = FlowPeer.workload(this.workload);
    platform.network.allow({
      description: 'ClickHouse servers query other shards and fetch parts from their replicas',
      from: servers,
      to: servers,
      ports: [{ port: NATIVE_PORT }, { port: INTERSERVER_PORT }],
    });
    platform.network.allow({
      description: 'the Altinity operator manages and monitors the servers',
      from: FlowPeer.namespace(props.operatorNamespace ?? 'kube-system'),
      to: servers,
      ports: [{ port: HTTP_PORT }, { port: NATIVE_PORT }],
    });
    platform.allowScrape(this.workload, METRICS_PORT);
    new PodMonitor(this, 'monitor', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: { ...this.workload.podSelector } },
        podMetricsEndpoints: [{ portNumber: METRICS_PORT, path: '/metrics', interval: '30s' }],
      },
    });
    new AlertRules(this, 'alerts', { platform, owner: OWNER, namespace: NS, runbooks: FLOWS_RUNBOOKS, groups: clickhouseAlertGroups() });
  }

  /** The migrations ConfigMap and the Job that applies it; returns the Job's name. */
  private addMigrations(platform: PlatformBase, bootstrap: string, kafkaConsumers: number): string {
    const migrations = flowStoreMigrations();
    new k8s.KubeConfigMap(this, 'migrations', {
      metadata: platform.metadataFor(MIGRATE, NS, 'clickhouse-migrations'),
      data: Object.fromEntries(migrations.map((m) => [m.fileName, m.sql])),
    });
    const env: k8s.EnvVar[] = [
      { name: 'CLICKHOUSE_URL', value: this.httpUrl },
      { name: 'CLICKHOUSE_USER', value: MIGRATOR_USER },
      { name: 'CLICKHOUSE_PASSWORD_FILE', value: '/etc/clickhouse-user/password' },
      { name: 'CLICKHOUSE_DATABASE', value: FLOWS_DATABASE },
      { name: 'CLICKHOUSE_CLUSTER', value: NAME },
      // ClickHouse starts with the Job; the Job waits, then the Job's retries take over.
      { name: 'CLICKHOUSE_WAIT_SECONDS', value: '600' },
      { name: 'MIGRATIONS_DIR', value: MIGRATIONS_DIR },
      { name: 'MIGRATION_VAR_KAFKA_BROKERS', value: bootstrap },
      { name: 'MIGRATION_VAR_KAFKA_TOPIC', value: FlowTopic.ENRICHED },
      { name: 'MIGRATION_VAR_KAFKA_GROUP', value: CLICKHOUSE_GROUP },
      { name: 'MIGRATION_VAR_KAFKA_SCHEMA', value: 'enriched_flow.proto:EnrichedFlow' },
      { name: 'MIGRATION_VAR_KAFKA_CONSUMERS', value: String(kafkaConsumers) },
    ];
    // Jobs are immutable: a new schema or new settings get a new Job.
    const hash = createHash('sha256').update(JSON.stringify({ migrations, env })).digest('hex').slice(0, 10);
    const name = `clickhouse-migrate-${hash}`;
    const workload: WorkloadRef = { ...MIGRATE, namespace: NS, podSelector: platform.selectorFor(MIGRATE) };
    new k8s.KubeJob(this, 'migrate', {
      metadata: platform.metadataFor(MIGRATE, NS, name),
      spec: {
        backoffLimit: 10,
        template: {
          metadata: { labels: platform.labelsFor(MIGRATE) },
          spec: {
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            restartPolicy: 'OnFailure',
            containers: [secureJobContainer({
              name: 'migrate',
              image: platform.image('flow-enricher'),
              args: ['migrate'],
              env,
              resources: MIGRATE_RESOURCES,
              volumeMounts: [
                { name: 'migrations', mountPath: MIGRATIONS_DIR, readOnly: true },
                { name: 'password', mountPath: '/etc/clickhouse-user', readOnly: true },
              ],
            })],
            volumes: [
              { name: 'migrations', configMap: { name: 'clickhouse-migrations' } },
              { name: 'password', secret: { secretName: USERS_SECRET, items: [{ key: 'migrator-password', path: 'password' }] } },
            ],
          },
        },
      },
    });
    platform.network.allow({ description: 'the migrations Job applies the flow schema', from: FlowPeer.workload(workload), to: FlowPeer.workload(this.workload), ports: [{ port: HTTP_PORT }] });
    return name;
  }
}

/**
 * ClickHouse's own alerts, from its built-in Prometheus endpoint
 * (ClickHouseProfileEvents_* counters, ClickHouseAsyncMetrics_* gauges).
 */
export function clickhouseAlertGroups() {
  return [{
    name: 'helios-clickhouse',
    alerts: [
      {
        alert: 'ClickHouseKafkaConsumerErrors',
        expr: 'sum by (namespace, pod) (increase(ClickHouseProfileEvents_KafkaConsumerErrors[10m]) + increase(ClickHouseProfileEvents_KafkaMessagesFailed[10m])) > 0',
        severity: Severity.WARNING,
        summary: 'ClickHouse {{ $labels.pod }} hit {{ $value | humanize }} Kafka errors in 10 minutes',
        description: 'The Kafka engine of flows_kafka reported librdkafka errors (broker unreachable, authentication refused) or messages it could not parse. '
          + 'Unparsed messages are kept in helios.flows_kafka_errors with the error; librdkafka errors are in the server log.',
      },
      {
        alert: 'ClickHouseDiskAlmostFull',
        expr: 'ClickHouseAsyncMetrics_DiskUsed_default / ClickHouseAsyncMetrics_DiskTotal_default > 0.8',
        forDuration: '15m',
        severity: Severity.WARNING,
        summary: 'ClickHouse {{ $labels.pod }} has used {{ $value | humanizePercentage }} of its data disk',
        description: `Past ${100 - MIN_FREE_DISK_RATIO_FOR_INSERTS * 100}% inserts are refused and flows wait in Kafka until its retention runs out. `
          + 'Grow the volume (volumeGiB in the tier table) or shorten the TTLs; TTL frees space as whole partitions expire.',
      },
    ],
  }];
}
