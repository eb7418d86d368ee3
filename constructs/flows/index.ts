export * from './clickhouse.js';
export * from './clickhouse-keeper.js';
export * from './flow-enricher.js';
export * from './flow-schema.js';
export * from './flow-stack.js';
export * from './flow-store.js';
export * from './goflow2.js';
export * from './kafka-cluster.js';
