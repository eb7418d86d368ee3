import { Construct } from 'constructs';
import { ClickHouseKeeper, type ClickHouseKeeperProps } from './clickhouse-keeper.js';
import { ClickHouse, type ClickHouseProps } from './clickhouse.js';
import { FlowEnricher, type FlowEnricherProps, type MaxMindAccount, type NetBoxEndpoint } from './flow-enricher.js';
import type { IFlowStore } from './flow-store.js';
import { Goflow2, type Goflow2Props } from './goflow2.js';
import { KafkaCluster, type KafkaClusterProps } from './kafka-cluster.js';
import type { PlatformBase } from '../platform/platform-base.js';

export interface FlowStackProps {
  readonly platform: PlatformBase;
  /** Where exporters send flows from: the management networks. */
  readonly exporterNetworks: readonly string[];
  readonly netbox: NetBoxEndpoint;
  readonly maxmind: MaxMindAccount;
  readonly goflow2: Omit<Goflow2Props, 'platform' | 'kafka' | 'exporterNetworks'>;
  readonly kafka: Omit<KafkaClusterProps, 'platform'>;
  readonly flowEnricher: Omit<FlowEnricherProps, 'platform' | 'kafka' | 'netbox' | 'maxmind'>;
  readonly clickhouse: Omit<ClickHouseProps, 'platform' | 'kafka' | 'keeper'>;
  readonly clickhouseKeeper: Omit<ClickHouseKeeperProps, 'platform'>;
}

/**
 * The flow pipeline (spec user story 3): exporters → goflow2 → Kafka
 * (helios-flows-raw) → Flow Enricher (NetBox, GeoIP) → Kafka (helios-flows-enriched)
 * → ClickHouse, with 1-minute and 1-hour rollups. Its `flowStore` is what the
 * MetricsStack's Grafana reads flows from.
 */
export class FlowStack extends Construct {
  public readonly kafka: KafkaCluster;
  public readonly goflow2: Goflow2;
  public readonly flowEnricher: FlowEnricher;
  public readonly clickhouseKeeper: ClickHouseKeeper;
  public readonly clickhouse: ClickHouse;
  public readonly flowStore: IFlowStore;

  public constructor(scope: Construct, id: string, props: FlowStackProps) {
    super(scope, id);
    const { platform } = props;
    this.kafka = new KafkaCluster(this, 'kafka', { platform, ...props.kafka });
    this.goflow2 = new Goflow2(this, 'goflow2', { platform, kafka: this.kafka, exporterNetworks: props.exporterNetworks, ...props.goflow2 });
    this.flowEnricher = new FlowEnricher(this, 'flow-enricher', { platform, kafka: this.kafka, netbox: props.netbox, maxmind: props.maxmind, ...props.flowEnricher });
    this.clickhouseKeeper = new ClickHouseKeeper(this, 'clickhouse-keeper', { platform, ...props.clickhouseKeeper });
    this.clickhouse = new ClickHouse(this, 'clickhouse', { platform, kafka: this.kafka, keeper: this.clickhouseKeeper, ...props.clickhouse });
    this.flowStore = this.clickhouse;
  }
}
