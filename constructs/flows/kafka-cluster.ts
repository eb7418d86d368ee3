import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { quantities, requireCounts, restrictedContainerSecurityContext, restrictedPodSecurityContext } from './operator-pods.js';
import { FLOWS_RUNBOOKS } from './runbooks.js';
import {
  Kafka,
  KafkaSpecEntityOperatorTopicOperatorResourcesLimits,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaExporterResourcesLimits,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersType,
  KafkaSpecKafkaMetricsConfigType,
} from '../../imports/kafka-kafka.strimzi.io.js';
import {
  KafkaNodePool,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaNodePoolSpecStorageVolumesKraftMetadata,
  KafkaNodePoolSpecStorageVolumesType,
} from '../../imports/kafkanodepool-kafka.strimzi.io.js';
import { KafkaTopic } from '../../imports/kafkatopic-kafka.strimzi.io.js';
import {
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAclsOperations as Op,
  KafkaUserSpecAuthorizationAclsResourceType as Resource,
  KafkaUserSpecAuthorizationType,
} from '../../imports/kafkauser-kafka.strimzi.io.js';
import { PodMonitor } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { AlertRules, Severity } from '../metrics/rules.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { PlatformBase } from '../platform/platform-base.js';
import type { ResourceSizing } from '../platform/security.js';

/** The two topics of the flow pipeline. */
export enum FlowTopic {
  /** goflow2's FlowMessages, one per flow, keyed by exporter. */
  RAW = 'helios-flows-raw',
  /** The Flow Enricher's EnrichedFlows, many per message, read by ClickHouse. */
  ENRICHED = 'helios-flows-enriched',
}

/**
 * Kafka 4.3.1: the newest version Strimzi 1.2 runs (its CRDs are in ../shared/crds).
 * Pinned here because Strimzi otherwise takes its own default, which moves with the operator.
 */
export const KAFKA_VERSION = '4.3.1';

/** Clients connect to this listener: TLS (Strimzi's cluster CA) with SCRAM-SHA-512 users. */
export const KAFKA_CLIENT_PORT = 9093;
/** Strimzi's ports inside the cluster: KRaft controllers, replication (and operators), the broker agent. */
const CONTROL_PLANE_PORT = 9090;
const REPLICATION_PORT = 9091;
const AGENT_PORT = 8443;
/** Where Strimzi's metrics reporter and Kafka Exporter serve Prometheus metrics. */
const METRICS_PORT = 9404;
const CLUSTER_NAME = 'flows';

/** Share of the brokers' disks the topics may fill before Kafka deletes their oldest segments. */
const DISK_SHARE_FOR_TOPICS = 0.7;

/** Entity Operator and Kafka Exporter sizing: they track topics, users and consumer groups, not traffic. */
const OPERATOR_RESOURCES: ResourceSizing = { cpuRequestMilli: 50, cpuLimitMilli: 500, memoryRequestMiB: 256, memoryLimitMiB: 512 };
const EXPORTER_RESOURCES: ResourceSizing = { cpuRequestMilli: 50, cpuLimitMilli: 500, memoryRequestMiB: 64, memoryLimitMiB: 256 };

export interface KafkaClusterProps {
  readonly platform: PlatformBase;
  /** Broker pods; up to five of them are also the KRaft controllers (an odd number). */
  readonly brokers: number;
  readonly volumeGiB: number;
  readonly rawTopicPartitions: number;
  readonly enrichedTopicPartitions: number;
  /** How long both topics keep flows, so a stalled consumer can catch up. */
  readonly retentionHours: number;
  readonly resources: ResourceSizing;
  /** The namespace of the Strimzi cluster operator, which must reach the brokers. @default "strimzi" */
  readonly operatorNamespace?: string;
}

/** What a client needs to connect: where, as whom, and the CA that signs the brokers' certificates. */
export interface KafkaClientAccess {
  /** host:port of the TLS + SCRAM-SHA-512 listener. */
  readonly bootstrap: string;
  readonly username: string;
  /** The Secret Strimzi's User Operator writes for the user; its `password` key holds the SCRAM password. */
  readonly passwordSecret: { readonly name: string; readonly key: string };
  /** The Secret with Strimzi's cluster CA certificate (key `ca.crt`). */
  readonly caSecret: { readonly name: string; readonly key: string };
}

export interface KafkaClientOptions {
  /** The KafkaUser: the SCRAM username and the name of the Secret Strimzi writes. */
  readonly user: string;
  /** The pods that connect as this user. */
  readonly workload: WorkloadRef;
  /** Topics the client writes. @default - none */
  readonly produces?: readonly FlowTopic[];
  /** Whether the client's producer is idempotent (needs IdempotentWrite on the cluster). @default false */
  readonly idempotent?: boolean;
  /** Topics the client reads, with its consumer group. @default - none */
  readonly consumes?: { readonly topics: readonly FlowTopic[]; readonly group: string };
}

/**
 * The flow pipeline's Kafka: a Strimzi `Kafka` in KRaft mode with its node pools,
 * the two flow topics, a KafkaUser per client with only the ACLs it needs, broker
 * metrics (Strimzi Metrics Reporter) and Kafka Exporter (consumer-group lag), all
 * pods under Pod Security "restricted" through Strimzi's templates.
 *
 * Replication follows the broker count: three copies and min.insync.replicas 2 from
 * three brokers up, so a broker can restart without stopping producers (acks=all).
 */
export class KafkaCluster extends Construct {
  public readonly name = CLUSTER_NAME;
  public readonly namespace: string = HeliosNamespace.FLOWS;
  public readonly bootstrap: string;
  /** Every broker pod (whatever its node pool). */
  public readonly brokerWorkload: WorkloadRef;
  public readonly replicationFactor: number;
  public readonly minInSyncReplicas: number;
  public readonly partitions: Readonly<Record<FlowTopic, number>>;
  private readonly platform: PlatformBase;
  private readonly clients: WorkloadRef[] = [];

  public constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const { platform } = props;
    const { brokers: brokerCount, rawTopicPartitions, enrichedTopicPartitions, volumeGiB, retentionHours } = props;
    requireCounts('kafka', { brokers: brokerCount, rawTopicPartitions, enrichedTopicPartitions, volumeGiB, retentionHours });
    this.platform = platform;
    this.bootstrap = `${CLUSTER_NAME}-kafka-bootstrap.${this.namespace}.svc:${KAFKA_CLIENT_PORT}`;
    this.replicationFactor = Math.min(3, props.brokers);
    this.minInSyncReplicas = this.replicationFactor >= 3 ? 2 : 1;
    this.partitions = { [FlowTopic.RAW]: props.rawTopicPartitions, [FlowTopic.ENRICHED]: props.enrichedTopicPartitions };
    const owner = { name: 'kafka', component: 'broker' };
    const strimziLabels = { 'strimzi.io/cluster': CLUSTER_NAME };
    this.brokerWorkload = { ...owner, namespace: this.namespace, podSelector: { ...strimziLabels, 'strimzi.io/name': `${CLUSTER_NAME}-kafka` } };
    const entityOperator: WorkloadRef = { name: 'kafka-entity-operator', component: 'operator', namespace: this.namespace, podSelector: { ...strimziLabels, 'strimzi.io/name': `${CLUSTER_NAME}-entity-operator` } };
    const exporter: WorkloadRef = { name: 'kafka-exporter', component: 'monitoring', namespace: this.namespace, podSelector: { ...strimziLabels, 'strimzi.io/name': `${CLUSTER_NAME}-kafka-exporter` } };
    // Strimzi keeps its own app.kubernetes.io labels on pods; Helios adds where they run.
    const podLabels = Object.fromEntries(Object.entries(platform.labelsFor(owner)).filter(([k]) => k.startsWith('helios.io/')));
    const podTemplate = (fsGroup: number) => ({ metadata: { labels: podLabels }, securityContext: restrictedPodSecurityContext({ fsGroup }) });

    // An odd number of KRaft voters, at most five: more adds election traffic, not safety.
    const voters = Math.min(props.brokers, 5) % 2 === 1 ? Math.min(props.brokers, 5) : Math.min(props.brokers, 5) - 1;
    const pools: Array<[string, number, KafkaNodePoolSpecRoles[]]> = [
      ['kafka', voters, [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER]],
      ['broker', props.brokers - voters, [KafkaNodePoolSpecRoles.BROKER]],
    ];
    for (const [pool, replicas, roles] of pools.filter(([, n]) => n > 0)) {
      new KafkaNodePool(this, `pool-${pool}`, {
        metadata: { ...platform.metadataFor(owner, this.namespace, pool), labels: { ...platform.labelsFor(owner), ...strimziLabels } },
        spec: {
          replicas,
          roles,
          resources: quantities(props.resources, KafkaNodePoolSpecResourcesLimits.fromString),
          storage: {
            type: KafkaNodePoolSpecStorageType.JBOD,
            volumes: [{
              id: 0,
              type: KafkaNodePoolSpecStorageVolumesType.PERSISTENT_HYPHEN_CLAIM,
              size: `${props.volumeGiB}Gi`,
              deleteClaim: false,
              kraftMetadata: KafkaNodePoolSpecStorageVolumesKraftMetadata.SHARED,
            }],
          },
        },
      });
    }

    new Kafka(this, 'kafka', {
      metadata: platform.metadataFor(owner, this.namespace, CLUSTER_NAME),
      spec: {
        kafka: {
          version: KAFKA_VERSION,
          listeners: [{
            name: 'tls',
            port: KAFKA_CLIENT_PORT,
            type: KafkaSpecKafkaListenersType.INTERNAL,
            tls: true,
            authentication: { type: KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
            // Strimzi writes its own NetworkPolicy for the listener; without peers it would admit every pod.
            networkPolicyPeers: Lazy.any({
              produce: () => [...this.clients]
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((c) => ({ podSelector: { matchLabels: { ...c.podSelector } } })),
            }),
          }],
          authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE },
          config: {
            'auto.create.topics.enable': false,
            'default.replication.factor': this.replicationFactor,
            'min.insync.replicas': this.minInSyncReplicas,
            'offsets.topic.replication.factor': this.replicationFactor,
            'transaction.state.log.replication.factor': this.replicationFactor,
            'transaction.state.log.min.isr': this.minInSyncReplicas,
          },
          metricsConfig: { type: KafkaSpecKafkaMetricsConfigType.STRIMZI_METRICS_REPORTER },
          template: {
            pod: podTemplate(0),
            kafkaContainer: { securityContext: restrictedContainerSecurityContext() },
            podDisruptionBudget: { maxUnavailable: 1 },
          },
        },
        entityOperator: {
          topicOperator: { resources: quantities(OPERATOR_RESOURCES, KafkaSpecEntityOperatorTopicOperatorResourcesLimits.fromString) },
          userOperator: { resources: quantities(OPERATOR_RESOURCES, KafkaSpecEntityOperatorTopicOperatorResourcesLimits.fromString) },
          template: {
            pod: podTemplate(0),
            topicOperatorContainer: { securityContext: restrictedContainerSecurityContext() },
            userOperatorContainer: { securityContext: restrictedContainerSecurityContext() },
          },
        },
        kafkaExporter: {
          topicRegex: '^helios-flows-.*',
          groupRegex: '.*',
          resources: quantities(EXPORTER_RESOURCES, KafkaSpecKafkaExporterResourcesLimits.fromString),
          template: {
            pod: podTemplate(0),
            container: { securityContext: restrictedContainerSecurityContext() },
          },
        },
      },
    });

    // Topics may use DISK_SHARE_FOR_TOPICS of all brokers' disks: past that, each
    // partition drops its oldest segments even inside the retention time.
    const totalPartitions = props.rawTopicPartitions + props.enrichedTopicPartitions;
    const topicBytes = props.volumeGiB * 2 ** 30 * props.brokers * DISK_SHARE_FOR_TOPICS;
    const retentionBytes = Math.floor(topicBytes / (this.replicationFactor * totalPartitions));
    for (const topic of [FlowTopic.RAW, FlowTopic.ENRICHED]) {
      new KafkaTopic(this, topic, {
        metadata: { ...platform.metadataFor(owner, this.namespace, topic), labels: { ...platform.labelsFor(owner), ...strimziLabels } },
        spec: {
          partitions: this.partitions[topic],
          replicas: this.replicationFactor,
          config: {
            'cleanup.policy': 'delete',
            'retention.ms': props.retentionHours * 3_600_000,
            'retention.bytes': retentionBytes,
            'min.insync.replicas': this.minInSyncReplicas,
          },
        },
      });
    }

    const operatorNamespace = props.operatorNamespace ?? 'strimzi';
    const brokers = FlowPeer.workload(this.brokerWorkload);
    platform.network.allow({ description: 'Kafka brokers replicate and elect controllers', from: brokers, to: brokers, ports: [{ port: CONTROL_PLANE_PORT }, { port: REPLICATION_PORT }] });
    platform.network.allow({
      description: 'the Strimzi cluster operator manages the brokers',
      from: FlowPeer.namespace(operatorNamespace),
      to: brokers,
      ports: [{ port: CONTROL_PLANE_PORT }, { port: REPLICATION_PORT }, { port: AGENT_PORT }],
    });
    platform.network.allow({ description: 'the Topic and User Operators manage topics and users', from: FlowPeer.workload(entityOperator), to: brokers, ports: [{ port: REPLICATION_PORT }] });
    platform.allowKubernetesApi(entityOperator, 'the Topic and User Operators watch KafkaTopics and KafkaUsers');
    platform.network.allow({ description: 'Kafka Exporter reads consumer-group offsets', from: FlowPeer.workload(exporter), to: brokers, ports: [{ port: REPLICATION_PORT }] });
    for (const workload of [this.brokerWorkload, exporter]) {
      platform.allowScrape(workload, METRICS_PORT);
      new PodMonitor(this, `${workload.name}-monitor`, {
        metadata: platform.metadataFor(workload, this.namespace),
        spec: {
          selector: { matchLabels: { ...workload.podSelector } },
          podMetricsEndpoints: [{ portNumber: METRICS_PORT, path: '/metrics', interval: '30s' }],
        },
      });
    }

    new AlertRules(this, 'alerts', {
      platform,
      owner,
      namespace: this.namespace,
      runbooks: FLOWS_RUNBOOKS,
      groups: [{
        name: 'helios-kafka',
        alerts: [{
          alert: 'KafkaUnderReplicatedPartitions',
          // Each broker reports the partitions it leads whose followers fell behind.
          expr: `sum by (namespace) (kafka_server_replicamanager_underreplicatedpartitions{namespace="${this.namespace}"}) > 0`,
          forDuration: '10m',
          severity: Severity.WARNING,
          summary: '{{ $value }} flow topic partitions have fewer in-sync copies than replicas',
          description: 'A broker is down, slow or out of disk, so some partitions run on fewer copies than configured; one more failure can stop producers (min.insync.replicas) or lose flows. '
            + `Check the broker pods (kubectl -n ${this.namespace} get pods -l strimzi.io/name=${CLUSTER_NAME}-kafka) and their disks.`,
        }],
      }],
    });
  }

  /**
   * A client of the flow topics: its KafkaUser (SCRAM-SHA-512) with exactly the ACLs
   * it needs, and its connection to the brokers. The user is labelled as the
   * client's, so each client's file in dist/ shows what it may do.
   */
  public addClient(scope: Construct, options: KafkaClientOptions): KafkaClientAccess {
    const { user, workload } = options;
    const produces = options.produces ?? [];
    const consumes = options.consumes;
    if (produces.length === 0 && !consumes) throw new Error(`kafka client ${user}: it neither produces nor consumes; give produces or consumes`);
    this.clients.push(workload);
    const acls = [
      ...produces.map((topic) => ({ resource: { type: Resource.TOPIC, name: topic }, operations: [Op.WRITE, Op.DESCRIBE] })),
      ...(options.idempotent ? [{ resource: { type: Resource.CLUSTER }, operations: [Op.IDEMPOTENT_WRITE] }] : []),
      ...(consumes?.topics ?? []).map((topic) => ({ resource: { type: Resource.TOPIC, name: topic }, operations: [Op.READ, Op.DESCRIBE] })),
      ...(consumes ? [{ resource: { type: Resource.GROUP, name: consumes.group }, operations: [Op.READ] }] : []),
    ];
    new KafkaUser(scope, 'kafka-user', {
      metadata: {
        ...this.platform.metadataFor(workload, this.namespace, user),
        labels: { ...this.platform.labelsFor(workload), 'strimzi.io/cluster': CLUSTER_NAME },
      },
      spec: {
        authentication: { type: KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
        authorization: { type: KafkaUserSpecAuthorizationType.SIMPLE, acls },
      },
    });
    this.platform.network.allow({
      description: `${workload.name} ${[produces.length ? 'writes' : '', consumes ? 'reads' : ''].filter(Boolean).join(' and ')} flow topics`,
      from: FlowPeer.workload(workload),
      to: FlowPeer.workload(this.brokerWorkload),
      ports: [{ port: KAFKA_CLIENT_PORT }],
    });
    return {
      bootstrap: this.bootstrap,
      username: user,
      passwordSecret: { name: user, key: 'password' },
      caSecret: { name: `${CLUSTER_NAME}-cluster-ca-cert`, key: 'ca.crt' },
    };
  }
}
