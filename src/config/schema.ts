import { z } from 'zod';
import { bucketNameProblem, cidrProblem, dnsSubdomainProblem, hostPortProblem, hostProblem, templateTextProblem, urlProblem } from './rules.js';
import { TIER_NAMES } from './tiers.js';
import { cronScheduleProblem } from '../../constructs/automation/cron-schedule.js';
import { deviceFilterProblem } from '../../constructs/automation/target-generator.js';
import { IMAGE_NAMES } from '../../constructs/platform/images.js';

export const STORAGE_TOPOLOGIES = ['single-dc-minio', 'multi-dc-minio', 'cloud-s3', 'hybrid'] as const;
export type StorageTopology = typeof STORAGE_TOPOLOGIES[number];

/** A string that must keep a rule of src/config/rules.ts. */
function ruled(problemOf: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const problem = problemOf(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  });
}

const Cidr = ruled(cidrProblem);

/** A DNS-1123 label: what Kubernetes accepts in names and label values Helios derives from it. */
const DnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
  error: 'is not a valid name: use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit',
});

export const SECRET_REF_HINT = 'expected a secret reference { key, property } in the secret store; secret values never go in helios.yaml';

export const SecretRef = z.strictObject({
  /** The key (path) in the secret store. */
  key: z.string().min(1),
  /** One property of the key's value. */
  property: z.string().min(1).optional(),
}, { error: (issue) => (issue.code === 'invalid_type' ? SECRET_REF_HINT : undefined) });

const Url = ruled(urlProblem);

const BucketName = ruled(bucketNameProblem);

/** Free text Helios writes into a file the External Secrets Operator renders. */
const TemplateText = ruled(templateTextProblem);

const VaultStore = z.strictObject({
  server: Url,
  path: z.string().default('secret'),
  authMountPath: z.string().default('kubernetes'),
  role: z.string().min(1),
});

const SecretStore = z.strictObject({
  name: DnsLabel.default('vault'),
  kind: z.enum(['ClusterSecretStore', 'SecretStore']).default('ClusterSecretStore'),
  /** When set, Helios creates the store as a Vault ClusterSecretStore. */
  vault: VaultStore.optional(),
}).superRefine((store, ctx) => {
  if (store.vault && store.kind === 'SecretStore') {
    ctx.addIssue({
      code: 'custom',
      path: ['kind'],
      input: store.kind,
      message: 'is refused together with vault: Helios creates the store itself, and only as a ClusterSecretStore (one store for every Helios namespace); '
        + 'use kind ClusterSecretStore, or drop vault to use a SecretStore you create in each namespace',
    });
  }
});

const MinioCredentials = z.strictObject({
  rootUser: SecretRef.default({ key: 'helios/minio', property: 'root-user' }),
  rootPassword: SecretRef.default({ key: 'helios/minio', property: 'root-password' }),
  /** The user Thanos writes as; the setup Job creates it with access to the bucket only. */
  thanosAccessKey: SecretRef.default({ key: 'helios/minio', property: 'thanos-access-key' }),
  thanosSecretKey: SecretRef.default({ key: 'helios/minio', property: 'thanos-secret-key' }),
});

const Storage = z.strictObject({
  topology: z.enum(STORAGE_TOPOLOGIES),
  /** The bucket Thanos writes to. */
  bucket: BucketName.default('helios-metrics'),
  /** multi-dc-minio: the clusters whose MinIO sites replicate one another. @default "default" */
  replicationGroup: DnsLabel.optional(),
  /** multi-dc-minio: where the other sites and the replication Job reach this cluster's MinIO. */
  site: z.strictObject({
    /** The S3 API of this site's MinIO as the other sites reach it. */
    url: Url,
    /** Where that address is, and where this site's replication traffic leaves from. */
    networks: z.array(Cidr).min(1, { error: 'must list the network(s) the site\'s MinIO is reached at' }),
  }).optional(),
  /** How long the compactor keeps each resolution in the bucket. */
  retention: z.strictObject({
    rawDays: z.number().int().min(1).default(14),
    fiveMinuteDays: z.number().int().min(1).default(30),
    oneHourDays: z.number().int().min(1).default(90),
  }).default({ rawDays: 14, fiveMinuteDays: 30, oneHourDays: 90 }),
  /** cloud-s3 and hybrid: the S3 endpoint and credentials. */
  s3: z.strictObject({
    /** host[:port] of the S3 API, as Thanos's objstore takes it: no scheme (always HTTPS). */
    endpoint: ruled((v) => hostPortProblem(v, false)),
    region: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { error: 'is not a region name: use up to 63 letters, digits, ".", "_" and "-", such as eu-central-1' }),
    bucket: BucketName,
    accessKey: SecretRef,
    secretKey: SecretRef,
  }).optional(),
  /** single-dc-minio, multi-dc-minio, hybrid: the MinIO credentials in the secret store. */
  minio: MinioCredentials.default({
    rootUser: { key: 'helios/minio', property: 'root-user' },
    rootPassword: { key: 'helios/minio', property: 'root-password' },
    thanosAccessKey: { key: 'helios/minio', property: 'thanos-access-key' },
    thanosSecretKey: { key: 'helios/minio', property: 'thanos-secret-key' },
  }),
  /** hybrid: objects older than this many days move from MinIO to the S3 tier. */
  tierAfterDays: z.number().int().min(1).default(30),
});

const Role = z.strictObject({
  /** This cluster hosts the fleet's global Thanos Query. */
  globalQuery: z.boolean().default(false),
  /** This cluster runs the only Thanos Compactor of its bucket. @default - decided per bucket */
  compactor: z.boolean().optional(),
});

/** A host name a TLS certificate names (SNI and verification); no IP address, no port. */
const TlsServerName = z.string().regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, {
  error: 'is not a TLS server name: use a fully qualified DNS name in lowercase, such as thanos.fra1.example.net',
});

/** The FederationStack's settings: how the hub and the members reach one another. */
const Federation = z.strictObject({
  /** Members: where the hub's global query reaches this cluster's Thanos Query (gRPC StoreAPI over TLS). */
  endpoint: z.strictObject({
    /** host:port the hub dials: the address of the Service below, as the hub sees it. */
    address: ruled((v) => hostPortProblem(v, true)),
    /** The name the member's certificate carries and the hub verifies. @default - the address's host, when it is a DNS name */
    serverName: TlsServerName.optional(),
    /** Where the address is: the hub's global query may connect only there. */
    networks: z.array(Cidr).min(1, { error: 'must list the network(s) the endpoint address is in' }),
  }).optional(),
  /** Members: the type of the Service that exposes the StoreAPI to the hub. */
  serviceType: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('LoadBalancer'),
  /** The hub: where its global query's connections come from; each member admits only these. */
  hubNetworks: z.array(Cidr).min(1, { error: 'must list the network(s) the hub connects from' }).optional(),
  /** The cert-manager issuer that signs every cluster's federation certificate: one CA for the fleet. */
  tls: z.strictObject({
    certManager: z.strictObject({ issuer: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: 'is not an issuer name' }), kind: z.enum(['Issuer', 'ClusterIssuer']).default('ClusterIssuer') }),
  }).optional(),
});

const Images = z.strictObject({
  registry: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/, { error: 'is not a registry host with an optional path' }).optional(),
  tags: z.partialRecord(z.enum(IMAGE_NAMES as [string, ...string[]]), z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/)
    .refine((tag) => tag !== 'latest', { error: 'is not a pinned tag: name a version, not latest' })).default({}),
});

const Alerting = z.strictObject({
  /** The Helios repository at the version you run, as browsed on the web; every runbook_url starts with it. */
  runbookBaseUrl: Url.optional(),
  pagerduty: z.strictObject({ routingKey: SecretRef }).optional(),
  slack: z.strictObject({ apiUrl: SecretRef, channel: z.string().regex(/^#?[a-z0-9._-]+$/) }).optional(),
  email: z.strictObject({
    to: z.email(),
    from: z.email(),
    smarthost: ruled((v) => hostPortProblem(v, true)),
    username: TemplateText.optional(),
    password: SecretRef.optional(),
  }).optional(),
  /** An https:// webhook on port 443 that hears the always-firing Watchdog every minute and alerts when it stops. */
  deadMansSwitch: z.strictObject({ url: SecretRef }).optional(),
});

const Oidc = z.strictObject({
  issuerUrl: Url,
  clientId: z.string().min(1),
  clientSecret: SecretRef,
  /** The provider's endpoints, as its /.well-known/openid-configuration lists them (Grafana does not discover them). */
  authorizationUrl: Url,
  tokenUrl: Url,
  userinfoUrl: Url,
  /** Identity-provider groups per Helios role: in Grafana and as RoleBindings in the Helios namespaces. */
  groups: z.strictObject({
    viewer: z.array(z.string().min(1)).default([]),
    engineer: z.array(z.string().min(1)).default([]),
    admin: z.array(z.string().min(1)).default([]),
  }).default({ viewer: [], engineer: [], admin: [] }),
});

/** A DNS-1123 subdomain: what Kubernetes accepts as the name of most objects. */
const DnsSubdomain = z.string().regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
  error: 'is not a valid name: use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
});

/** Grafana over HTTPS at grafana.url: an HTTPRoute on a Gateway or an Ingress; exactly one of them. */
const GrafanaHttps = z.strictObject({
  /** The Gateway (Gateway API) the HTTPRoute attaches to; its namespace is admitted to Grafana. */
  gateway: z.strictObject({ name: DnsSubdomain, namespace: DnsLabel, sectionName: DnsSubdomain.optional() }).optional(),
  /** The IngressClass of the Ingress, and the namespace its controller's pods run in (admitted to Grafana). */
  ingress: z.strictObject({ className: DnsSubdomain, namespace: DnsLabel }).optional(),
  /** The certificate: issued by cert-manager, or a TLS Secret in helios-visualization; exactly one. */
  tls: z.strictObject({
    certManager: z.strictObject({ issuer: DnsSubdomain, kind: z.enum(['Issuer', 'ClusterIssuer']).default('ClusterIssuer') }).optional(),
    secretName: DnsSubdomain.optional(),
  }).optional(),
});

const Grafana = z.strictObject({
  /** The URL users open Grafana at; required with oidc (the identity provider redirects back to it). */
  url: Url.optional(),
  /** Where Grafana keeps users, sessions and annotations; without it, SQLite on a volume and one replica. */
  database: z.strictObject({
    /** Grafana connects to host:port, so an IPv6 address goes in brackets. */
    host: ruled(hostProblem),
    port: z.number().int().min(1).max(65535).default(5432),
    name: z.string().min(1).default('grafana'),
    user: z.string().min(1).default('grafana'),
    password: SecretRef,
    sslMode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).default('require'),
    /** Where the database's addresses are, for Grafana's egress policy. */
    networks: z.array(Cidr).min(1, { error: 'must list the network(s) the database is in' }),
  }).optional(),
  adminPassword: SecretRef.default({ key: 'helios/grafana', property: 'admin-password' }),
  /** Encrypts datasource secrets in Grafana's database. */
  secretKey: SecretRef.default({ key: 'helios/grafana', property: 'secret-key' }),
  /** Namespaces whose pods may open Grafana, such as the ingress controller's. */
  ingressNamespaces: z.array(DnsLabel).default([]),
  https: GrafanaHttps.optional(),
});

const CronSchedule = z.string().superRefine((value, ctx) => {
  const problem = cronScheduleProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
});

const DeviceFilter = z.string().superRefine((value, ctx) => {
  const problem = deviceFilterProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
});

/** The Target Generator: NetBox → the collectors' target ConfigMaps. */
const TargetGenerator = z.strictObject({
  /** cronjob: one sync per schedule; webhook: a Deployment that also syncs within seconds of NetBox's webhooks. */
  mode: z.enum(['cronjob', 'webhook']).default('cronjob'),
  schedule: CronSchedule.default('*/5 * * * *'),
  /** webhook mode: the periodic sync that catches what no webhook announced. */
  syncIntervalSeconds: z.number().int().min(10).default(300),
  /** NetBox filters on top of helios_monitor=true, as query parameters: site=ams1&status=active. */
  deviceFilter: DeviceFilter.optional(),
  /** webhook mode: the secret NetBox signs its webhooks with. */
  webhookSecret: SecretRef.default({ key: 'helios/netbox', property: 'webhook-secret' }),
  /** webhook mode: namespaces webhooks may arrive through besides NetBox's own (an ingress controller's). */
  webhookFromNamespaces: z.array(DnsLabel).default([]),
  /** A sync that would remove more than this share of a set's targets is refused (unless forced). */
  massDeletionPercent: z.number().int().min(0).max(100).default(25),
});

function targetGeneratorDefaults(): z.output<typeof TargetGenerator> {
  return {
    mode: 'cronjob',
    schedule: '*/5 * * * *',
    syncIntervalSeconds: 300,
    webhookSecret: { key: 'helios/netbox', property: 'webhook-secret' },
    webhookFromNamespaces: [],
    massDeletionPercent: 25,
  };
}

const Automation = z.strictObject({
  targetGenerator: TargetGenerator.default(targetGeneratorDefaults),
  /** Synthesize the repository's runbooks/ into helios-automation, and bind the approver groups they name. */
  sampleRunbooks: z.boolean().default(false),
  /** Kubernetes groups that may approve runbook executions, besides helios-admin. */
  runbookApprovers: z.array(z.string().min(1)).default([]),
});

const Stacks = z.strictObject({
  metrics: z.boolean().default(true),
  flows: z.boolean().default(true),
  automation: z.boolean().default(true),
  federation: z.boolean().default(false),
});

const NetBox = z.strictObject({
  url: Url,
  token: SecretRef.default({ key: 'helios/netbox', property: 'token' }),
  /** Where NetBox's addresses are: required when the URL is outside the cluster, refused when it is an in-cluster Service. */
  networks: z.array(Cidr).min(1).optional(),
});

/** The flow pipeline's ties to the cluster around it. */
const Flows = z.strictObject({
  /** The namespace the Strimzi cluster operator runs in (it must reach the Kafka pods). */
  strimziNamespace: DnsLabel.default('strimzi'),
  /** The namespace the Altinity ClickHouse operator runs in (it must reach the ClickHouse pods). */
  clickhouseOperatorNamespace: DnsLabel.default('kube-system'),
  /** A ReadWriteMany StorageClass for the GeoIP databases every Flow Enricher pod reads. */
  geoipStorageClass: ruled(dnsSubdomainProblem).optional(),
  /** MaxMind account whose licence downloads the GeoLite2 City and ASN databases. */
  maxmind: z.strictObject({
    accountId: SecretRef.default({ key: 'helios/maxmind', property: 'account-id' }),
    licenseKey: SecretRef.default({ key: 'helios/maxmind', property: 'license-key' }),
  }).default({ accountId: { key: 'helios/maxmind', property: 'account-id' }, licenseKey: { key: 'helios/maxmind', property: 'license-key' } }),
  /** Passwords of ClickHouse's users: the schema migrations' and the dashboards' (read-only). */
  clickhouse: z.strictObject({
    migratorPassword: SecretRef.default({ key: 'helios/clickhouse', property: 'migrator-password' }),
    readerPassword: SecretRef.default({ key: 'helios/clickhouse', property: 'reader-password' }),
  }).default({ migratorPassword: { key: 'helios/clickhouse', property: 'migrator-password' }, readerPassword: { key: 'helios/clickhouse', property: 'reader-password' } }),
});

/** The settings a cluster may take from `defaults:`. */
const clusterSettings = {
  tier: z.enum(TIER_NAMES),
  storage: Storage,
  role: Role.default({ globalQuery: false }),
  managementNetworks: z.array(Cidr).min(1, { error: 'must list at least one management network' }),
  /** Accepts 0.0.0.0/0 or ::/0 in managementNetworks, which is refused otherwise. */
  allowAnyManagementNetwork: z.boolean().default(false),
  /** Where the Kubernetes API server's endpoints live, for egress policies of components that call it. */
  kubernetesApiNetworks: z.array(Cidr).min(1).default(['0.0.0.0/0']),
  images: Images.default({ tags: {} }),
  secretStore: SecretStore.default({ name: 'vault', kind: 'ClusterSecretStore' }),
  netbox: NetBox,
  alerting: Alerting.default({}),
  oidc: Oidc.optional(),
  grafana: Grafana.default({
    adminPassword: { key: 'helios/grafana', property: 'admin-password' },
    secretKey: { key: 'helios/grafana', property: 'secret-key' },
    ingressNamespaces: [],
  }),
  flows: Flows.default({
    strimziNamespace: 'strimzi',
    clickhouseOperatorNamespace: 'kube-system',
    maxmind: { accountId: { key: 'helios/maxmind', property: 'account-id' }, licenseKey: { key: 'helios/maxmind', property: 'license-key' } },
    clickhouse: { migratorPassword: { key: 'helios/clickhouse', property: 'migrator-password' }, readerPassword: { key: 'helios/clickhouse', property: 'reader-password' } },
  }),
  automation: Automation.default(() => ({ targetGenerator: targetGeneratorDefaults(), sampleRunbooks: false, runbookApprovers: [] })),
  stacks: Stacks.default({ metrics: true, flows: true, automation: true, federation: false }),
  federation: Federation.default({ serviceType: 'LoadBalancer' }),
};

export const ClusterSchema = z.strictObject({
  name: DnsLabel,
  datacenter: DnsLabel,
  region: DnsLabel.optional(),
  ...clusterSettings,
});

/** Argo CD: one AppProject and one ApplicationSet for the fleet, written to dist/argocd/. */
const GitOps = z.strictObject({
  /** The Git repository that holds the committed output. */
  repoUrl: Url,
  /** The branch, tag or commit Argo CD follows. */
  revision: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/, { error: 'is not a Git revision: use a branch, tag or commit' }).default('HEAD'),
  /** Where the output (the folder synth writes) is inside the repository. */
  path: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'is not a repository path: use a relative path such as dist or deploy/helios, no leading or trailing "/"' }).default('dist'),
  /** The namespace Argo CD runs in. */
  namespace: DnsLabel.default('argocd'),
  /** Sync each Application automatically, pruning what the output no longer holds. */
  automatedSync: z.boolean().default(false),
});

export const HeliosConfigSchema = z.strictObject({
  /** Settings merged under every cluster's own (objects merge key by key; lists are replaced). */
  defaults: z.record(z.string(), z.unknown()).optional(),
  gitops: GitOps.optional(),
  clusters: z.array(z.unknown()).min(1, { error: 'must list at least one cluster' }),
});

export type ClusterInput = z.input<typeof ClusterSchema>;
export type ClusterConfig = z.output<typeof ClusterSchema> & { readonly role: { readonly globalQuery: boolean; readonly compactor: boolean } };
export type SecretRefConfig = z.output<typeof SecretRef>;
export type GitOpsConfig = z.output<typeof GitOps>;

/** Keys allowed under `defaults:`: every cluster setting but the cluster's identity. */
export const DEFAULTABLE_KEYS = Object.keys(clusterSettings).concat('region');
