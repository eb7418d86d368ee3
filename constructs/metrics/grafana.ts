import { createHash } from 'node:crypto';
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Alertmanager } from './alertmanager.js';
import { SelfMonitoring } from './self-monitoring.js';
import { ThanosQuery } from './thanos-query.js';
import type { IFlowStore } from '../flows/flow-store.js';
import type { AccessGroups } from '../platform/access.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { httpProbe, secureContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

/**
 * The PostgreSQL database Grafana keeps its state in (users, sessions, preferences,
 * annotations). You provide it: a managed database, or one your platform team runs;
 * create a database and a user owning it, and put the password in the secret store.
 */
export interface GrafanaDatabase {
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default "grafana" */
  readonly name?: string;
  /** @default "grafana" */
  readonly user?: string;
  readonly password: SecretReference;
  /** PostgreSQL's sslmode. @default "require" */
  readonly sslMode?: string;
  /** Where the database's addresses are, for Grafana's egress. */
  readonly networks: readonly string[];
}

/** Sign-in through an OpenID Connect provider (Grafana's generic OAuth). */
export interface GrafanaOidc {
  readonly clientId: string;
  readonly clientSecret: SecretReference;
  /** The provider's authorization endpoint (the browser is sent there). */
  readonly authorizationUrl: string;
  /** The provider's token endpoint (Grafana calls it). */
  readonly tokenUrl: string;
  /** The provider's userinfo endpoint, whose `groups` claim maps to Grafana roles. */
  readonly userinfoUrl: string;
  /** Groups per Helios role: helios-admin → Admin, helios-engineer → Editor, helios-viewer → Viewer. */
  readonly groups: AccessGroups;
}

/** A Grafana dashboard model (the JSON Grafana exports), with the uid it is provisioned under. */
export interface DashboardModel {
  readonly uid: string;
  readonly title: string;
  readonly [field: string]: unknown;
}

export interface GrafanaProps {
  readonly platform: PlatformBase;
  /** Used only with a database: SQLite on a volume is single-writer. */
  readonly replicas: number;
  readonly resources: ResourceSizing;
  readonly thanosQuery: ThanosQuery;
  readonly alertmanager: Alertmanager;
  /** Flows in ClickHouse, as a datasource. @default - no flow datasource */
  readonly flowStore?: IFlowStore;
  /**
   * @default - SQLite on a volume, one replica: dashboards and datasources are
   * provisioned from code, so only users' preferences and annotations live there
   */
  readonly database?: GrafanaDatabase;
  /** @default - local accounts only (the admin account) */
  readonly oidc?: GrafanaOidc;
  /** The URL users open Grafana at; OIDC redirects back to it. @default - required with oidc, otherwise Grafana's own guess */
  readonly rootUrl?: string;
  /** @default { key: "helios/grafana", property: "admin-password" } */
  readonly adminPassword?: SecretReference;
  /** Encrypts datasource secrets in the database; all replicas share it. @default { key: "helios/grafana", property: "secret-key" } */
  readonly secretKey?: SecretReference;
  /** Namespaces whose pods may open Grafana, such as your ingress controller's. @default - none (kubectl port-forward still works) */
  readonly ingressNamespaces?: readonly string[];
}

/** The pinned ClickHouse datasource plugin (Grafana installs it at start). */
export const CLICKHOUSE_PLUGIN = { id: 'grafana-clickhouse-datasource', version: '4.11.2' } as const;
/** The label the dashboard ConfigMaps carry. */
export const DASHBOARD_LABEL = 'grafana_dashboard';

const OWNER: ComponentIdentity = { name: 'grafana', component: 'visualization' };
const NS = HeliosNamespace.VISUALIZATION;
const PORT = 3000;
const SECRET = 'grafana';
const DATA_DIR = '/var/lib/grafana';
const PROVISIONING_DIR = '/etc/grafana/provisioning';
const DASHBOARDS_DIR = '/var/lib/grafana-dashboards';

/** A JMESPath string literal. */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The JMESPath Grafana evaluates on the userinfo response to pick a user's role:
 * the highest role any of the user's groups holds. With strict role mapping, a
 * user in none of the groups cannot sign in.
 */
export function roleAttributePath(groups: AccessGroups): string {
  const roles: Array<[string, readonly string[] | undefined]> = [['Admin', groups.admin], ['Editor', groups.engineer], ['Viewer', groups.viewer]];
  const terms = roles.filter(([, g]) => g && g.length > 0).map(([role, g]) => {
    const anyOf = [...g!].sort().map((group) => `contains(groups[*], ${literal(group)})`).join(' || ');
    return `(${anyOf}) && '${role}'`;
  });
  if (terms.length === 0) throw new Error('grafana: oidc.groups names no group for any role, so nobody could sign in');
  return terms.join(' || ');
}

function urlPort(url: string, what: string): number {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`grafana: ${what} "${url}" is not a URL`);
  }
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === 'http:' ? 80 : 443;
}

/**
 * Grafana with its datasources (Thanos Query, Alertmanager and, with flows, the
 * ClickHouse flow store) and dashboards provisioned from ConfigMaps labelled
 * `grafana_dashboard: "1"`, each added with `addDashboard` and mounted into the
 * dashboard folder Grafana rereads every 30 seconds. Roles come from the identity
 * provider's groups; credentials come from the secret store.
 */
export class Grafana extends Construct {
  public readonly workload: WorkloadRef;
  public readonly replicas: number;
  /** The datasources file, as provisioned. */
  public readonly datasources: object;
  private readonly platform: PlatformBase;
  private readonly dashboards = new Map<string, string>();

  public constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const { platform } = props;
    this.platform = platform;
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    this.replicas = props.database ? props.replicas : 1;
    if (props.oidc && !props.rootUrl) throw new Error('grafana: rootUrl is required with oidc: the identity provider redirects users back to it');

    const secrets: Record<string, SecretReference> = {
      adminPassword: props.adminPassword ?? { key: 'helios/grafana', property: 'admin-password' },
      secretKey: props.secretKey ?? { key: 'helios/grafana', property: 'secret-key' },
      ...(props.database ? { databasePassword: props.database.password } : {}),
      ...(props.oidc ? { oidcClientSecret: props.oidc.clientSecret } : {}),
      ...(props.flowStore ? { clickhousePassword: props.flowStore.readerPassword } : {}),
    };
    platform.addExternalSecret(this, 'secret', { namespace: NS, secretName: SECRET, owner: OWNER, data: secrets });
    const fromSecret = (name: string, key: string): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: SECRET, key } } });

    this.datasources = {
      apiVersion: 1,
      // Datasources removed from this file are removed from Grafana too.
      prune: true,
      datasources: [
        {
          name: 'Thanos',
          uid: 'thanos',
          type: 'prometheus',
          access: 'proxy',
          url: ThanosQuery.URL,
          isDefault: true,
          editable: false,
          jsonData: { prometheusType: 'Thanos', timeInterval: '30s', httpMethod: 'POST' },
        },
        {
          name: 'Alertmanager',
          uid: 'alertmanager',
          type: 'alertmanager',
          access: 'proxy',
          url: Alertmanager.URL,
          editable: false,
          jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
        },
        ...(props.flowStore ? [clickhouseDatasource(props.flowStore)] : []),
      ],
    };
    const datasourcesYaml = stringify(this.datasources, { lineWidth: 0 });
    const providersYaml = stringify({
      apiVersion: 1,
      providers: [{
        name: 'helios',
        orgId: 1,
        folder: 'Helios',
        type: 'file',
        // Dashboards are code: edits in the UI are not saved, deleting one brings it back.
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: DASHBOARDS_DIR },
      }],
    }, { lineWidth: 0 });
    new k8s.KubeConfigMap(this, 'provisioning', {
      metadata: platform.metadataFor(OWNER, NS, 'grafana-provisioning'),
      data: { 'datasources.yaml': datasourcesYaml, 'dashboards.yaml': providersYaml },
    });

    const env: k8s.EnvVar[] = [
      { name: 'GF_PATHS_DATA', value: DATA_DIR },
      { name: 'GF_PATHS_PLUGINS', value: `${DATA_DIR}/plugins` },
      { name: 'GF_PATHS_PROVISIONING', value: PROVISIONING_DIR },
      { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
      fromSecret('GF_SECURITY_ADMIN_PASSWORD', 'adminPassword'),
      fromSecret('GF_SECURITY_SECRET_KEY', 'secretKey'),
      // No phoning home: the NetworkPolicy would drop it anyway.
      { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
      { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
      { name: 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', value: 'false' },
      ...(props.rootUrl ? [{ name: 'GF_SERVER_ROOT_URL', value: props.rootUrl }] : []),
      ...(props.database ? databaseEnv(props.database, fromSecret('GF_DATABASE_PASSWORD', 'databasePassword')) : []),
      ...(props.oidc ? oidcEnv(props.oidc, fromSecret('GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET', 'oidcClientSecret')) : []),
      ...(props.flowStore ? [
        // Installed before Grafana serves, at the pinned version, from grafana.com.
        { name: 'GF_PLUGINS_PREINSTALL_SYNC', value: `${CLICKHOUSE_PLUGIN.id}@${CLICKHOUSE_PLUGIN.version}` },
        fromSecret('CLICKHOUSE_PASSWORD', 'clickhousePassword'),
      ] : []),
    ];

    const dataVolume: k8s.Volume = props.database
      ? { name: 'data', emptyDir: {} }
      : { name: 'data', persistentVolumeClaim: { claimName: 'grafana' } };
    if (!props.database) {
      new k8s.KubePersistentVolumeClaim(this, 'pvc', {
        metadata: platform.metadataFor(OWNER, NS),
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString('5Gi') } } },
      });
    }
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        replicas: this.replicas,
        selector: { matchLabels: selector },
        // One SQLite file on a ReadWriteOnce volume: the old pod must let go before the new one starts.
        strategy: props.database ? { type: 'RollingUpdate' } : { type: 'Recreate' },
        template: {
          metadata: {
            labels: platform.labelsFor(OWNER),
            // Grafana reads datasources at start only.
            annotations: { 'helios.io/provisioning-sha256': createHash('sha256').update(datasourcesYaml + providersYaml).digest('hex') },
          },
          spec: {
            securityContext: securePodSecurityContext({ uid: 472 }),
            affinity: spreadOverNodes(selector),
            automountServiceAccountToken: false,
            containers: [secureContainer({
              name: 'grafana',
              image: platform.image('grafana'),
              env,
              ports: [{ name: 'http', containerPort: PORT }],
              resources: props.resources,
              // Plugin installation at start can take a while on a slow link.
              startupProbe: httpProbe('/api/health', PORT, { periodSeconds: 10, failureThreshold: 30 }),
              readinessProbe: httpProbe('/api/health', PORT),
              livenessProbe: httpProbe('/api/health', PORT, { failureThreshold: 6 }),
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'provisioning', mountPath: `${PROVISIONING_DIR}/datasources/datasources.yaml`, subPath: 'datasources.yaml', readOnly: true },
                { name: 'provisioning', mountPath: `${PROVISIONING_DIR}/dashboards/dashboards.yaml`, subPath: 'dashboards.yaml', readOnly: true },
                { name: 'dashboards', mountPath: DASHBOARDS_DIR, readOnly: true },
              ],
            })],
            volumes: Lazy.any({
              produce: () => [
                dataVolume,
                { name: 'tmp', emptyDir: {} },
                { name: 'provisioning', configMap: { name: 'grafana-provisioning' } },
                this.dashboards.size > 0
                  ? { name: 'dashboards', projected: { sources: [...this.dashboards.values()].sort().map((name) => ({ configMap: { name } })) } }
                  : { name: 'dashboards', emptyDir: {} },
              ],
            }),
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: { selector, ports: [{ name: 'http', port: PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    platform.addPodDisruptionBudget(this, this.workload, this.replicas);
    props.thanosQuery.allowQueriesFrom(this.workload);
    props.alertmanager.allowClient(this.workload);
    this.declareEgress(props);
    for (const namespace of [...new Set(props.ingressNamespaces ?? [])].sort()) {
      platform.network.allow({
        description: `users reach Grafana through ${namespace}`,
        from: FlowPeer.namespace(namespace),
        to: FlowPeer.workload(this.workload),
        ports: [{ port: PORT }],
      });
    }
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'http', port: PORT, job: 'grafana' }],
    });
  }

  /**
   * Provisions a dashboard: a ConfigMap labelled `grafana_dashboard: "1"` that is
   * mounted into Grafana's dashboard folder. Returns the ConfigMap.
   */
  public addDashboard(dashboard: DashboardModel): k8s.KubeConfigMap {
    if (!/^[a-z0-9][a-z0-9-]{0,38}$/.test(dashboard.uid)) {
      throw new Error(`grafana dashboard uid "${dashboard.uid}": use 1-39 lowercase letters, digits and "-" (it names a ConfigMap)`);
    }
    if (this.dashboards.has(dashboard.uid)) throw new Error(`grafana dashboard uid "${dashboard.uid}" is provisioned twice`);
    const name = `grafana-dashboard-${dashboard.uid}`;
    this.dashboards.set(dashboard.uid, name);
    const metadata = this.platform.metadataFor(OWNER, NS, name);
    return new k8s.KubeConfigMap(this, `dashboard-${dashboard.uid}`, {
      metadata: { ...metadata, labels: { ...metadata.labels, [DASHBOARD_LABEL]: '1' } },
      data: { [`${dashboard.uid}.json`]: `${JSON.stringify(dashboard, null, 2)}\n` },
    });
  }

  private declareEgress(props: GrafanaProps): void {
    const from = FlowPeer.workload(this.workload);
    if (props.flowStore) {
      this.platform.network.allow({
        description: 'Grafana queries flows in ClickHouse',
        from,
        to: FlowPeer.workload(props.flowStore.workload),
        ports: [{ port: clickhouseEndpoint(props.flowStore).port }],
      });
      this.platform.network.allow({
        description: 'Grafana downloads the pinned ClickHouse plugin from grafana.com',
        from,
        to: FlowPeer.networks('internet', ['0.0.0.0/0']),
        ports: [{ port: 443 }],
      });
    }
    if (props.database) {
      this.platform.network.allow({
        description: 'Grafana keeps its state in PostgreSQL',
        from,
        to: FlowPeer.networks('grafana-database', props.database.networks),
        ports: [{ port: props.database.port ?? 5432 }],
      });
    }
    if (props.oidc) {
      const ports = [...new Set([urlPort(props.oidc.tokenUrl, 'oidc tokenUrl'), urlPort(props.oidc.userinfoUrl, 'oidc userinfoUrl')])].sort((a, b) => a - b);
      urlPort(props.oidc.authorizationUrl, 'oidc authorizationUrl');
      this.platform.network.allow({
        description: 'Grafana redeems sign-in codes and reads group membership at the identity provider',
        from,
        to: FlowPeer.networks('identity-provider', ['0.0.0.0/0']),
        ports: ports.map((port) => ({ port })),
      });
    }
  }
}

function clickhouseEndpoint(store: IFlowStore): { host: string; port: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(store.nativeAddress);
  if (!m) throw new Error(`flow store nativeAddress "${store.nativeAddress}" is not host:port`);
  return { host: m[1], port: Number(m[2]) };
}

function clickhouseDatasource(store: IFlowStore): object {
  const { host, port } = clickhouseEndpoint(store);
  return {
    name: 'ClickHouse flows',
    uid: 'clickhouse',
    type: CLICKHOUSE_PLUGIN.id,
    access: 'proxy',
    editable: false,
    jsonData: { host, port, protocol: 'native', secure: false, username: store.readerUser, defaultDatabase: store.database },
    // Grafana expands environment variables in provisioning files; the value comes from the Secret.
    secureJsonData: { password: '${CLICKHOUSE_PASSWORD}' },
  };
}

function databaseEnv(db: GrafanaDatabase, password: k8s.EnvVar): k8s.EnvVar[] {
  return [
    { name: 'GF_DATABASE_TYPE', value: 'postgres' },
    { name: 'GF_DATABASE_HOST', value: `${db.host}:${db.port ?? 5432}` },
    { name: 'GF_DATABASE_NAME', value: db.name ?? 'grafana' },
    { name: 'GF_DATABASE_USER', value: db.user ?? 'grafana' },
    password,
    { name: 'GF_DATABASE_SSL_MODE', value: db.sslMode ?? 'require' },
  ];
}

function oidcEnv(oidc: GrafanaOidc, clientSecret: k8s.EnvVar): k8s.EnvVar[] {
  return [
    { name: 'GF_AUTH_GENERIC_OAUTH_ENABLED', value: 'true' },
    { name: 'GF_AUTH_GENERIC_OAUTH_NAME', value: 'Single sign-on' },
    { name: 'GF_AUTH_GENERIC_OAUTH_CLIENT_ID', value: oidc.clientId },
    clientSecret,
    { name: 'GF_AUTH_GENERIC_OAUTH_SCOPES', value: 'openid profile email groups' },
    { name: 'GF_AUTH_GENERIC_OAUTH_AUTH_URL', value: oidc.authorizationUrl },
    { name: 'GF_AUTH_GENERIC_OAUTH_TOKEN_URL', value: oidc.tokenUrl },
    { name: 'GF_AUTH_GENERIC_OAUTH_API_URL', value: oidc.userinfoUrl },
    { name: 'GF_AUTH_GENERIC_OAUTH_USE_PKCE', value: 'true' },
    { name: 'GF_AUTH_GENERIC_OAUTH_ALLOW_SIGN_UP', value: 'true' },
    { name: 'GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH', value: roleAttributePath(oidc.groups) },
    // Someone in none of the groups is refused, not made a Viewer.
    { name: 'GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_STRICT', value: 'true' },
  ];
}
