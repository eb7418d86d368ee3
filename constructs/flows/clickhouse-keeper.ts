import { Construct } from 'constructs';
import { quantities, restrictedContainerSecurityContext, restrictedPodSecurityContext } from './operator-pods.js';
import { ClickHouseKeeperInstallation } from '../../imports/clickhousekeeperinstallation-clickhouse-keeper.altinity.com.js';
import { PodMonitor } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import type { ResourceSizing } from '../platform/security.js';

const OWNER: ComponentIdentity = { name: 'clickhouse-keeper', component: 'coordination' };
const NS = HeliosNamespace.FLOWS;
const NAME = 'flows';
const CLIENT_PORT = 2181;
const RAFT_PORT = 9444;
const METRICS_PORT = 7000;
/** The clickhouse/clickhouse-keeper image's user. */
const KEEPER_UID = 101;

export interface ClickHouseKeeperProps {
  readonly platform: PlatformBase;
  /** 1 (no fault tolerance) or 3 and up, odd: a majority must stay up. */
  readonly replicas: number;
  readonly volumeGiB: number;
  readonly resources: ResourceSizing;
  /** The namespace of the Altinity operator, which checks the Keeper pods. @default "kube-system" */
  readonly operatorNamespace?: string;
}

/**
 * ClickHouse Keeper (Altinity `ClickHouseKeeperInstallation`): the coordination
 * service ClickHouse's replicated tables and ON CLUSTER statements need.
 */
export class ClickHouseKeeper extends Construct {
  public readonly workload: WorkloadRef;
  /** The client Service the operator creates: `keeper-<name>`. */
  public readonly host = `keeper-${NAME}`;
  public readonly port = CLIENT_PORT;
  private readonly platform: PlatformBase;

  public constructor(scope: Construct, id: string, props: ClickHouseKeeperProps) {
    super(scope, id);
    const { platform } = props;
    this.platform = platform;
    if (!Number.isInteger(props.replicas) || props.replicas < 1 || props.replicas % 2 === 0) {
      throw new Error(`clickhouseKeeper.replicas: ${props.replicas} is not an odd number of at least 1 (a Raft majority must survive a failure)`);
    }
    this.workload = { ...OWNER, namespace: NS, podSelector: { 'clickhouse-keeper.altinity.com/chk': NAME } };

    new ClickHouseKeeperInstallation(this, 'chk', {
      metadata: platform.metadataFor(OWNER, NS, NAME),
      spec: {
        defaults: { templates: { podTemplate: 'keeper', dataVolumeClaimTemplate: 'data' } },
        configuration: {
          clusters: [{
            name: 'keeper',
            layout: { replicasCount: props.replicas },
            ...(props.replicas > 1 ? { pdbMaxUnavailable: 1 } : {}),
          }],
          settings: {
            'logger/level': 'information',
            'logger/console': 'true',
            'keeper_server/tcp_port': String(CLIENT_PORT),
            'keeper_server/raft_configuration/server/port': String(RAFT_PORT),
            'prometheus/endpoint': '/metrics',
            'prometheus/port': String(METRICS_PORT),
            'prometheus/metrics': 'true',
            'prometheus/events': 'true',
            'prometheus/asynchronous_metrics': 'true',
          },
        },
        templates: {
          podTemplates: [{
            name: 'keeper',
            metadata: { labels: platform.labelsFor(OWNER) },
            spec: {
              securityContext: restrictedPodSecurityContext({ uid: KEEPER_UID, fsGroup: KEEPER_UID }),
              automountServiceAccountToken: false,
              containers: [{
                name: 'clickhouse-keeper',
                image: platform.image('clickhouse-keeper'),
                imagePullPolicy: 'IfNotPresent',
                resources: quantities(props.resources, (v) => v),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: 'logs', mountPath: '/var/log/clickhouse-keeper' }, { name: 'tmp', mountPath: '/tmp' }],
              }],
              volumes: [{ name: 'logs', emptyDir: {} }, { name: 'tmp', emptyDir: {} }],
            },
          }],
          volumeClaimTemplates: [{
            name: 'data',
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${props.volumeGiB}Gi` } } },
          }],
        },
      },
    });

    const keeper = FlowPeer.workload(this.workload);
    platform.network.allow({ description: 'Keeper replicas agree through Raft', from: keeper, to: keeper, ports: [{ port: RAFT_PORT }] });
    platform.network.allow({
      description: 'the Altinity operator checks Keeper',
      from: FlowPeer.namespace(props.operatorNamespace ?? 'kube-system'),
      to: keeper,
      ports: [{ port: CLIENT_PORT }],
    });
    platform.allowScrape(this.workload, METRICS_PORT);
    new PodMonitor(this, 'monitor', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: { ...this.workload.podSelector } },
        podMetricsEndpoints: [{ portNumber: METRICS_PORT, path: '/metrics', interval: '30s' }],
      },
    });
  }

  /** Lets a workload (the ClickHouse servers) use Keeper. */
  public allowClient(client: WorkloadRef): void {
    this.platform.network.allow({ description: `${client.name} coordinates through Keeper`, from: FlowPeer.workload(client), to: FlowPeer.workload(this.workload), ports: [{ port: CLIENT_PORT }] });
  }
}
