export { ClickHouse, type ClickHouseProps } from './clickhouse.js';
export { ClickHouseKeeper, type ClickHouseKeeperProps } from './clickhouse-keeper.js';
export { FlowEnricher, type FlowEnricherProps, type MaxMindAccount, type NetBoxEndpoint } from './flow-enricher.js';
export { FlowStack, type FlowStackProps } from './flow-stack.js';
export type { IFlowStore } from './flow-store.js';
export { Goflow2, type Goflow2Props } from './goflow2.js';
export { FlowTopic, KafkaCluster, type KafkaClientAccess, type KafkaClientOptions, type KafkaClusterProps } from './kafka-cluster.js';
