import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { FlowTopic, type KafkaCluster } from './kafka-cluster.js';
import { FLOWS_RUNBOOKS } from './runbooks.js';
import { PodMonitor } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { AlertRules, Severity } from '../metrics/rules.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, Protocol, type WorkloadRef } from '../platform/network.js';
import { ScalableKind, type ComponentIdentity, type PlatformBase } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { httpProbe, secureContainer, securePodSecurityContext, tcpProbe, type ResourceSizing } from '../platform/security.js';

const OWNER: ComponentIdentity = { name: 'goflow2', component: 'collector' };
const NS = HeliosNamespace.FLOWS;
const METRICS_PORT = 8080;
const MAPPING_DIR = '/etc/goflow2';
const KAFKA_CA_DIR = '/etc/kafka-ca';

/**
 * The memory one queued datagram costs goflow2 2.2.6: it reads each datagram into a
 * 9000-byte buffer (utils/udp.go) that stays with it until a worker has handed its
 * flows to the Kafka producer, and Go's collector lets the heap grow to twice what is
 * live (GOGC 100). Measured: 147 MiB peak with 7456 datagrams queued (bench:kafka-restart).
 */
export const QUEUED_DATAGRAM_BYTES = 2 * 9000;
/** The share of the memory limit the two listeners' queues may fill together; the rest is goflow2's own (templates, sarama's buffers). */
const QUEUE_MEMORY_SHARE = 0.5;

/**
 * Datagrams each listener queues (`queue_size`) while Kafka cannot take flows.
 * When no broker leads a partition, sarama's producer blocks goflow2's workers and
 * the datagrams wait in this queue until a broker is back. goflow2's default is
 * 1,000,000 datagrams (17 GiB at the cost above): the pod would be killed at its
 * memory limit long before, losing the whole queue. Bounded, a full queue drops new
 * datagrams instead (goflow2_flow_dropped_packets_total) and the queued ones are delivered.
 */
export function listenerQueueSize(memoryLimitMiB: number): number {
  return Math.floor((memoryLimitMiB * 2 ** 20 * QUEUE_MEMORY_SHARE) / 2 / QUEUED_DATAGRAM_BYTES);
}

/**
 * UDP sockets per listener (`count`; SO_REUSEPORT spreads datagrams over them): one per
 * requested core, so the kernel's receive buffers are drained by as many readers as the
 * pod has cores (one socket dropped datagrams on a busy node: bench:flow-pipeline), and
 * goflow2's decode workers (two per socket) can use every core the capacity model counts.
 */
export function listenerSockets(cpuRequestMilli: number): number {
  return Math.max(1, Math.ceil(cpuRequestMilli / 1000));
}

export interface Goflow2Props {
  readonly platform: PlatformBase;
  readonly kafka: KafkaCluster;
  /** The networks exporters send flows from: the management networks (the NetworkPolicy and the LoadBalancer's source ranges). */
  readonly exporterNetworks: readonly string[];
  readonly replicasMin: number;
  readonly replicasMax: number;
  readonly resources: ResourceSizing;
  /** NetFlow v5/v9 and IPFIX. @default 2055 */
  readonly netflowPort?: number;
  /** sFlow v5. @default 6343 */
  readonly sflowPort?: number;
  /** The HorizontalPodAutoscaler's CPU target, in percent of the request. @default 70 */
  readonly targetCpuUtilizationPercent?: number;
}

/**
 * goflow2: receives NetFlow v5/v9, IPFIX and sFlow from the exporters and writes
 * each flow as a protobuf FlowMessage (varint length-delimited, `-format=bin`) to
 * helios-flows-raw, keyed by the exporter's address so one exporter's flows stay
 * in one partition, in order.
 *
 * A Deployment, not a StatefulSet: goflow2 keeps nothing on disk, and what it
 * keeps in memory (NetFlow v9/IPFIX templates per exporter) is re-sent by every
 * exporter every few minutes. The LoadBalancer Service keeps the exporters'
 * source addresses (`externalTrafficPolicy: Local`): the sampler address in each
 * flow, and the NetworkPolicy that admits only the management networks, depend on it;
 * the load balancer itself admits only the same networks (`loadBalancerSourceRanges`).
 */
export class Goflow2 extends Construct {
  public readonly workload: WorkloadRef;
  public readonly netflowPort: number;
  public readonly sflowPort: number;

  public constructor(scope: Construct, id: string, props: Goflow2Props) {
    super(scope, id);
    const { platform, kafka } = props;
    this.netflowPort = props.netflowPort ?? 2055;
    this.sflowPort = props.sflowPort ?? 6343;
    for (const [field, port] of [['netflowPort', this.netflowPort], ['sflowPort', this.sflowPort]] as const) {
      if (!Number.isInteger(port) || port < 1024 || port > 65535 || port === METRICS_PORT) {
        throw new Error(`goflow2.${field}: ${port} is not a port from 1024 to 65535 other than ${METRICS_PORT} (goflow2 runs without privileges and serves metrics on ${METRICS_PORT})`);
      }
    }
    if (this.netflowPort === this.sflowPort) throw new Error(`goflow2: netflowPort and sflowPort are both ${this.netflowPort}; give each protocol its own port`);
    if (props.replicasMin < 1 || props.replicasMax < props.replicasMin) {
      throw new Error(`goflow2: replicasMin ${props.replicasMin} and replicasMax ${props.replicasMax} are not 1 ≤ min ≤ max`);
    }
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };

    const access = kafka.addClient(this, { user: 'goflow2', workload: this.workload, produces: [FlowTopic.RAW] });

    // The partition key: FNV-32 of the sampler address (goflow2's formatter.key).
    new k8s.KubeConfigMap(this, 'mapping', {
      metadata: platform.metadataFor(OWNER, NS, 'goflow2-mapping'),
      data: { 'mapping.yaml': stringify({ formatter: { key: ['sampler_address'] } }) },
    });

    const queue = `count=${listenerSockets(props.resources.cpuRequestMilli)}&queue_size=${listenerQueueSize(props.resources.memoryLimitMiB)}`;
    const container = secureContainer({
      name: 'goflow2',
      image: platform.image('goflow2'),
      args: [
        `-listen=netflow://:${this.netflowPort}?${queue},sflow://:${this.sflowPort}?${queue}`,
        `-addr=:${METRICS_PORT}`,
        '-format=bin',
        `-mapping=${MAPPING_DIR}/mapping.yaml`,
        '-transport=kafka',
        `-transport.kafka.brokers=${access.bootstrap}`,
        `-transport.kafka.topic=${FlowTopic.RAW}`,
        '-transport.kafka.hashing=true',
        '-transport.kafka.tls=true',
        `-transport.kafka.tls.ca=${KAFKA_CA_DIR}/${access.caSecret.key}`,
        // goflow2 reads the SCRAM user and password from KAFKA_SASL_USER and KAFKA_SASL_PASS.
        '-transport.kafka.sasl=scram-sha512',
        '-loglevel=info',
      ],
      env: [
        { name: 'KAFKA_SASL_USER', value: access.username },
        { name: 'KAFKA_SASL_PASS', valueFrom: { secretKeyRef: { name: access.passwordSecret.name, key: access.passwordSecret.key } } },
      ],
      ports: [
        { name: 'netflow', containerPort: this.netflowPort, protocol: Protocol.UDP },
        { name: 'sflow', containerPort: this.sflowPort, protocol: Protocol.UDP },
        { name: 'metrics', containerPort: METRICS_PORT, protocol: Protocol.TCP },
      ],
      volumeMounts: [
        { name: 'mapping', mountPath: MAPPING_DIR, readOnly: true },
        { name: 'kafka-ca', mountPath: KAFKA_CA_DIR, readOnly: true },
      ],
      resources: props.resources,
      // /__health answers 200 once the listeners are up.
      readinessProbe: httpProbe('/__health', 'metrics'),
      livenessProbe: tcpProbe('metrics', { initialDelaySeconds: 10 }),
    });

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: platform.labelsFor(OWNER) },
          spec: {
            securityContext: securePodSecurityContext(),
            affinity: spreadOverNodes(selector),
            automountServiceAccountToken: false,
            containers: [container],
            volumes: [
              { name: 'mapping', configMap: { name: 'goflow2-mapping' } },
              { name: 'kafka-ca', secret: { secretName: access.caSecret.name, items: [{ key: access.caSecret.key, path: access.caSecret.key }] } },
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        type: 'LoadBalancer',
        // Only nodes running a goflow2 pod take traffic, and the packet keeps the exporter's address.
        externalTrafficPolicy: 'Local',
        // The cloud load balancer's own filter, before the NetworkPolicy: only the exporters' networks.
        loadBalancerSourceRanges: [...props.exporterNetworks],
        selector,
        ports: [
          { name: 'netflow', port: this.netflowPort, targetPort: k8s.IntOrString.fromString('netflow'), protocol: Protocol.UDP },
          { name: 'sflow', port: this.sflowPort, targetPort: k8s.IntOrString.fromString('sflow'), protocol: Protocol.UDP },
        ],
      },
    });

    platform.addHorizontalPodAutoscaler(this, this.workload, {
      kind: ScalableKind.DEPLOYMENT,
      replicasMin: props.replicasMin,
      replicasMax: props.replicasMax,
      targetCpuUtilizationPercent: props.targetCpuUtilizationPercent,
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicasMin);

    platform.network.allow({
      description: 'exporters send NetFlow, IPFIX and sFlow to goflow2',
      from: FlowPeer.networks('management', props.exporterNetworks),
      to: FlowPeer.workload(this.workload),
      ports: [{ port: this.netflowPort, protocol: Protocol.UDP }, { port: this.sflowPort, protocol: Protocol.UDP }],
    });
    platform.allowScrape(this.workload, METRICS_PORT);
    new PodMonitor(this, 'monitor', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: { ...selector } },
        podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
      },
    });

    new AlertRules(this, 'alerts', { platform, owner: OWNER, namespace: NS, runbooks: FLOWS_RUNBOOKS, groups: flowRateRules() });
  }
}

/** The recorded flow rate and its baseline. */
export const FLOW_RATE = 'helios:flows_received:rate5m';
export const FLOW_RATE_MEAN = 'helios:flows_received:rate5m:avg_1d';
export const FLOW_RATE_STDDEV = 'helios:flows_received:rate5m:stddev_1d';

/**
 * FR-015's flow-rate anomaly: the flows per second goflow2 receives, against the
 * mean and standard deviation of the same rate over the past day. The rate counts
 * flow records of every protocol: IPFIX and NetFlow v9 data records, NetFlow v5
 * records (goflow2 counts them as DataFlowSet), sFlow flow samples.
 */
export function flowRateRules() {
  const rate = (metric: string, match: string) => `(sum(rate(${metric}{${match}}[5m])) or vector(0))`;
  return [
    {
      name: 'helios-flow-rate',
      records: [
        {
          record: FLOW_RATE,
          expr: [
            rate('goflow2_flow_process_nf_flowset_records_total', 'type="DataFlowSet"'),
            rate('goflow2_flow_process_nf_flowset_total', 'version="5",type="DataFlowSet"'),
            rate('goflow2_flow_process_sf_samples_total', 'type=~"FlowSample|ExpandedFlowSample"'),
          ].join('\n  + '),
        },
        { record: FLOW_RATE_MEAN, expr: `avg_over_time(${FLOW_RATE}[1d])` },
        { record: FLOW_RATE_STDDEV, expr: `stddev_over_time(${FLOW_RATE}[1d])` },
      ],
    },
    {
      name: 'helios-flow-rate-alerts',
      alerts: [{
        alert: 'FlowRateAnomaly',
        expr: `abs(${FLOW_RATE} - ${FLOW_RATE_MEAN}) > 2 * ${FLOW_RATE_STDDEV}`,
        forDuration: '10m',
        severity: Severity.WARNING,
        summary: 'The flow rate is {{ $value | humanize }} flows/s away from the past day\'s mean: more than two standard deviations',
        description: 'The flow rate goflow2 receives left its usual band: a traffic event (an attack, a big transfer, a routing change) '
          + 'or exporters that stopped or started sending. Compare the rate per exporter (goflow2_flow_process_nf_total, goflow2_flow_process_sf_total by router) '
          + 'with the Top Talkers dashboard.',
      }],
    },
  ];
}
