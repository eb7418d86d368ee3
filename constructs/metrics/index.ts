export { Alertmanager, Receiver, type AlertmanagerProps, type AlertReceivers, type EmailReceiver } from './alertmanager.js';
export { Blackbox, type BlackboxProps } from './blackbox.js';
export { DeviceAlerts, type DeviceAlertsProps } from './device-alerts.js';
export { DeviceMetrics, type DeviceMetricsProps } from './device-metrics.js';
export { Gnmic, type GnmiCredentials, type GnmicProps } from './gnmic.js';
export {
  CertIssuerKind, Grafana, type DashboardModel, type DashboardOptions, type GatewayListener, type GrafanaDatabase,
  type GrafanaHttps, type GrafanaOidc, type GrafanaProps, type GrafanaTls, type IngressController,
} from './grafana.js';
export { MetricsStack, type MetricsReplication, type MetricsSizing, type MetricsStackProps, type MetricsStorage } from './metrics-stack.js';
export { Minio, MinioSiteReplication, type MinioCredentials, type MinioProps, type MinioRemoteTier, type MinioSite, type MinioSiteReplicationProps } from './minio.js';
export { ObjectStore, StorageTopology, type ObjectStoreLocation, type ObjectStoreProps, type S3Bucket } from './object-store.js';
export { PrometheusShards, type PrometheusShardsProps } from './prometheus.js';
export { AlertRules, Severity, type AlertRule, type AlertRulesProps, type RecordingRule, type RuleGroup } from './rules.js';
export { SelfMonitoring, type MetricsEndpoint, type SelfMonitoringProps } from './self-monitoring.js';
export { SnmpExporter, type SnmpAuthProtocol, type SnmpCredentials, type SnmpExporterProps, type SnmpPrivProtocol } from './snmp-exporter.js';
export { TargetScrape, type ProbingExporter, type TargetScrapeProps } from './target-scrape.js';
export type { StoreEndpoint } from './thanos.js';
export { ThanosCompactor, type CompactorRetention, type ThanosCompactorProps } from './thanos-compactor.js';
export { ThanosQuery, type RemoteStoreEndpoint, type ThanosGrpcTls, type ThanosQueryProps } from './thanos-query.js';
export { ThanosRuler, type ThanosRulerProps } from './thanos-ruler.js';
export { ThanosStore, type ThanosStoreProps } from './thanos-store.js';
