/**
 * The six namespaces Helios deploys into (spec FR-027). Names are fixed: alerts,
 * dashboards, NetworkPolicies and the Target Generator's RBAC refer to them.
 */
export const HeliosNamespace = {
  /** NetBox sync: the Target Generator. */
  INTEGRATION: 'helios-integration',
  /** Collectors: gnmic, snmp_exporter, blackbox_exporter. */
  COLLECTION: 'helios-collection',
  /** Prometheus shards, Thanos and object storage. */
  STORAGE: 'helios-storage',
  /** Grafana and Alertmanager. */
  VISUALIZATION: 'helios-visualization',
  /** The Runbook operator and its executions. */
  AUTOMATION: 'helios-automation',
  /** goflow2, Kafka, the Flow Enricher and ClickHouse. */
  FLOWS: 'helios-flows',
} as const;

export type HeliosNamespaceName = typeof HeliosNamespace[keyof typeof HeliosNamespace];

export const HELIOS_NAMESPACES: readonly HeliosNamespaceName[] = Object.values(HeliosNamespace);
