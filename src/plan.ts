import { bucketOf, federationServerName, isAnyNetwork } from './config/load.js';
import type { ClusterConfig } from './config/schema.js';
import { TIERS } from './config/tiers.js';
import type { AutomationStackProps } from '../constructs/automation/automation-stack.js';
import { DEFAULT_RUNBOOK_WEBHOOK_TOKEN, RUNBOOK_WEBHOOK_URL } from '../constructs/automation/runbook-operator.js';
import { TargetGeneratorMode } from '../constructs/automation/target-generator.js';
import { FederationStack, StoreApiServiceType, type FederationStackProps } from '../constructs/federation/federation-stack.js';
import type { FlowStackProps } from '../constructs/flows/flow-stack.js';
import { hasPeopleReceiver } from '../constructs/metrics/alertmanager.js';
import { CertIssuerKind, type GrafanaHttps } from '../constructs/metrics/grafana.js';
import type { MetricsReplication, MetricsStackProps } from '../constructs/metrics/metrics-stack.js';
import { StorageTopology } from '../constructs/metrics/object-store.js';
import type { PlatformBaseProps } from '../constructs/platform/platform-base.js';
import { SecretStoreKind } from '../constructs/platform/platform-base.js';

/**
 * Everything needed to build one cluster's charts, resolved from its config:
 * construct props with numbers, never tier names.
 */
export interface ClusterPlan {
  readonly name: string;
  readonly platform: PlatformBaseProps;
  /** The MetricsStack's props, when the cluster runs it (the flow store comes from the FlowStack). */
  readonly metrics?: Omit<MetricsStackProps, 'platform' | 'flowStore'>;
  /** The FlowStack's props, when the cluster runs it. */
  readonly flows?: Omit<FlowStackProps, 'platform'>;
  /** The AutomationStack's props, when the cluster runs it. */
  readonly automation?: Omit<AutomationStackProps, 'platform'>;
  /** The FederationStack's props, when the cluster is part of the federation (its own Query comes from the MetricsStack). */
  readonly federation?: Omit<FederationStackProps, 'platform' | 'localQuery' | 'localStore'>;
}

/** Something a config allows but should not keep: synth succeeds and says it. */
export interface ConfigWarning {
  /** The setting, as a path in the cluster's entry (`alerting`, `kubernetesApiNetworks`). */
  readonly path: string;
  readonly message: string;
}

/** What a cluster's config leaves open or unseen, in the network engineer's words. */
export function clusterWarnings(cluster: ClusterConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const { alerting, stacks } = cluster;
  if (stacks.metrics && !hasPeopleReceiver(alerting)) {
    warnings.push({
      path: 'alerting',
      message: 'no receiver is set, so alerts reach no one: critical device alerts such as DeviceUnreachable and BGPSessionDown'
        + ' are dropped silently (Alertmanager shows AlertsHaveNoReceiver); set alerting.pagerduty, alerting.slack or alerting.email',
    });
  } else if (stacks.metrics && !alerting.slack && !alerting.email) {
    warnings.push({
      path: 'alerting',
      message: 'only pagerduty is set, so warning and info alerts reach no one; set alerting.slack or alerting.email',
    });
  }
  const apiCallers = [
    ...(stacks.metrics ? ['Prometheus', 'gnmic'] : []),
    ...(stacks.flows ? ['the Kafka entity operator'] : []),
    ...(stacks.automation ? ['the Target Generator', 'the Runbook operator', 'its executor Jobs'] : []),
  ];
  const anyApi = cluster.kubernetesApiNetworks.filter(isAnyNetwork);
  if (apiCallers.length > 0 && anyApi.length > 0) {
    warnings.push({
      path: 'kubernetesApiNetworks',
      message: `is ${anyApi.join(', ')}, so ${apiCallers.slice(0, -1).join(', ')}${apiCallers.length > 1 ? ' and ' : ''}${apiCallers[apiCallers.length - 1]} may open ports 443 and 6443 to any address;`
        + ' list the API server\'s endpoint addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes)',
    });
  }
  const anyManagement = cluster.managementNetworks.filter(isAnyNetwork);
  if (anyManagement.length > 0) {
    warnings.push({
      path: 'managementNetworks',
      message: `includes ${anyManagement.join(', ')} (allowAnyManagementNetwork: true): the collectors may connect to any address`
        + ' and any address may send flows to goflow2',
    });
  }
  return warnings;
}

/** The FederationStack's props of a federated cluster (the hub or a member), without what the MetricsStack builds. */
function planFederation(cluster: ClusterConfig, fleet: readonly ClusterConfig[]): Omit<FederationStackProps, 'platform' | 'localQuery' | 'localStore'> | undefined {
  if (!cluster.stacks.federation) return undefined;
  const tls = cluster.federation.tls!;
  const issuer = { name: tls.certManager.issuer, kind: tls.certManager.kind === 'Issuer' ? CertIssuerKind.ISSUER : CertIssuerKind.CLUSTER_ISSUER };
  const hub = fleet.find((c) => c.stacks.federation && c.role.globalQuery)!;
  if (cluster === hub) {
    const members = fleet.filter((c) => c.stacks.federation && c !== hub);
    return {
      issuer,
      globalQuery: {
        ...TIERS[cluster.tier].thanosQuery,
        members: members.map((m) => ({
          name: m.name,
          address: m.federation.endpoint!.address,
          serverName: federationServerName(m)!,
          networks: m.federation.endpoint!.networks,
        })),
      },
    };
  }
  return {
    issuer,
    member: {
      serverName: federationServerName(cluster)!,
      hubNetworks: hub.federation.hubNetworks!,
      serviceType: cluster.federation.serviceType as StoreApiServiceType,
    },
  };
}

/** multi-dc-minio: the replication group's sites, the group's compactor site reconciling. */
function planReplication(cluster: ClusterConfig, fleet: readonly ClusterConfig[]): MetricsReplication | undefined {
  if (cluster.storage.topology !== StorageTopology.MULTI_DC_MINIO) return undefined;
  const group = fleet.filter((c) => c.stacks.metrics && bucketOf(c) === bucketOf(cluster));
  return {
    site: cluster.name,
    reconciler: cluster.role.compactor,
    sites: group.map((c) => ({
      name: c.name,
      url: c.storage.site!.url,
      networks: c.storage.site!.networks,
      rootUser: c.storage.minio.rootUser,
      rootPassword: c.storage.minio.rootPassword,
    })),
  };
}

export function planCluster(cluster: ClusterConfig, fleet: readonly ClusterConfig[] = [cluster]): ClusterPlan {
  return {
    name: cluster.name,
    platform: {
      clusterName: cluster.name,
      site: cluster.datacenter,
      region: cluster.region,
      secretStore: {
        name: cluster.secretStore.name,
        kind: cluster.secretStore.kind === 'SecretStore' ? SecretStoreKind.SECRET_STORE : SecretStoreKind.CLUSTER_SECRET_STORE,
      },
      vault: cluster.secretStore.vault,
      images: cluster.images,
      accessGroups: cluster.oidc?.groups,
      kubernetesApiNetworks: cluster.kubernetesApiNetworks,
      alertLinks: { runbookBaseUrl: cluster.alerting.runbookBaseUrl, grafanaUrl: cluster.grafana.url },
    },
    metrics: cluster.stacks.metrics ? planMetrics(cluster, fleet) : undefined,
    federation: planFederation(cluster, fleet),
    flows: cluster.stacks.flows ? planFlows(cluster) : undefined,
    automation: cluster.stacks.automation ? planAutomation(cluster) : undefined,
  };
}

function planAutomation(cluster: ClusterConfig): Omit<AutomationStackProps, 'platform'> {
  const tier = TIERS[cluster.tier];
  const tg = cluster.automation.targetGenerator;
  return {
    targetGenerator: {
      netbox: { url: cluster.netbox.url, token: cluster.netbox.token, networks: cluster.netbox.networks },
      resources: tier.targetGenerator.resources,
      pushgatewayResources: tier.targetGenerator.pushgatewayResources,
      mode: tg.mode === 'webhook' ? TargetGeneratorMode.WEBHOOK : TargetGeneratorMode.CRONJOB,
      schedule: tg.schedule,
      syncIntervalSec: tg.syncIntervalSeconds,
      deviceFilter: tg.deviceFilter,
      webhookSecret: tg.webhookSecret,
      webhookFromNamespaces: tg.webhookFromNamespaces,
      massDeletionPercent: tg.massDeletionPercent,
    },
    runbookOperator: {
      resources: tier.runbookOperator.resources,
      managementNetworks: cluster.managementNetworks,
      kubernetesApiNetworks: cluster.kubernetesApiNetworks,
      approverGroups: cluster.automation.runbookApprovers,
    },
    sampleRunbooks: cluster.automation.sampleRunbooks,
  };
}

function planMetrics(cluster: ClusterConfig, fleet: readonly ClusterConfig[]): Omit<MetricsStackProps, 'platform' | 'flowStore'> {
  const tier = TIERS[cluster.tier];
  const { storage, grafana, oidc } = cluster;
  return {
    sizing: {
      gnmic: tier.gnmic,
      snmpExporter: tier.snmpExporter,
      blackboxExporter: tier.blackboxExporter,
      prometheus: tier.prometheus,
      thanosQuery: tier.thanosQuery,
      thanosStore: tier.thanosStore,
      thanosCompactor: tier.thanosCompactor,
      thanosRuler: tier.thanosRuler,
      minio: tier.minio,
      grafana: tier.grafana,
      alertmanager: tier.alertmanager,
    },
    managementNetworks: cluster.managementNetworks,
    storage: {
      topology: storage.topology as StorageTopology,
      // cloud-s3 writes straight to the S3 bucket; the other topologies to the bucket in their own MinIO.
      bucket: storage.topology === StorageTopology.CLOUD_S3 ? storage.s3!.bucket : storage.bucket,
      s3: storage.s3,
      compactor: cluster.role.compactor,
      minioCredentials: storage.minio,
      tierAfterDays: storage.tierAfterDays,
      retention: storage.retention,
      replication: planReplication(cluster, fleet),
    },
    // A member serves its Thanos Query to the hub over mutual TLS.
    queryServerTls: cluster.stacks.federation && !cluster.role.globalQuery ? { secretName: FederationStack.SERVER_TLS_SECRET } : undefined,
    alerting: {
      ...cluster.alerting,
      runbooks: cluster.stacks.automation ? { url: RUNBOOK_WEBHOOK_URL, token: DEFAULT_RUNBOOK_WEBHOOK_TOKEN } : undefined,
    },
    oidc: oidc && {
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      authorizationUrl: oidc.authorizationUrl,
      tokenUrl: oidc.tokenUrl,
      userinfoUrl: oidc.userinfoUrl,
      groups: oidc.groups,
    },
    grafanaDatabase: grafana.database,
    grafanaUrl: grafana.url,
    grafanaIngressNamespaces: grafana.ingressNamespaces,
    grafanaHttps: grafana.https && planGrafanaHttps(grafana.https),
    targetGenerator: cluster.stacks.automation,
  };
}

function planGrafanaHttps(https: NonNullable<ClusterConfig['grafana']['https']>): GrafanaHttps {
  const { certManager, secretName } = https.tls ?? {};
  return {
    gateway: https.gateway,
    ingress: https.ingress,
    tls: https.tls && {
      certManager: certManager && {
        issuer: certManager.issuer,
        kind: certManager.kind === 'Issuer' ? CertIssuerKind.ISSUER : CertIssuerKind.CLUSTER_ISSUER,
      },
      secretName,
    },
  };
}

function planFlows(cluster: ClusterConfig): Omit<FlowStackProps, 'platform'> {
  const tier = TIERS[cluster.tier];
  const { flows } = cluster;
  return {
    exporterNetworks: cluster.managementNetworks,
    netbox: { url: cluster.netbox.url, token: cluster.netbox.token, networks: cluster.netbox.networks },
    maxmind: flows.maxmind,
    goflow2: tier.goflow2,
    kafka: { ...tier.kafka, operatorNamespace: flows.strimziNamespace },
    flowEnricher: { ...tier.flowEnricher, geoipStorageClass: flows.geoipStorageClass },
    clickhouse: { ...tier.clickhouse, ...flows.clickhouse, operatorNamespace: flows.clickhouseOperatorNamespace },
    clickhouseKeeper: { ...tier.clickhouseKeeper, operatorNamespace: flows.clickhouseOperatorNamespace },
  };
}
