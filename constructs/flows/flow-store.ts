import type { WorkloadRef } from '../platform/network.js';
import type { SecretReference } from '../platform/platform-base.js';

/**
 * What a reader of the flow store (Grafana's ClickHouse datasource) needs: where it
 * is, which database, and a read-only user whose password is in the secret store.
 * The ClickHouse construct implements it; the MetricsStack takes it as a prop.
 */
export interface IFlowStore {
  /** The ClickHouse server pods, for the reader's network flow. */
  readonly workload: WorkloadRef;
  /** ClickHouse's native protocol endpoint, host:port (port 9000). */
  readonly nativeAddress: string;
  /** ClickHouse's HTTP endpoint, http://host:port (port 8123). */
  readonly httpUrl: string;
  readonly database: string;
  /** The read-only user for dashboards. */
  readonly readerUser: string;
  readonly readerPassword: SecretReference;
}
