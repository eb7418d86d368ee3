import { createHash } from 'node:crypto';
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Alertmanager } from './alertmanager.js';
import { SelfMonitoring } from './self-monitoring.js';
import type { ThanosQuery } from './thanos-query.js';
import { Certificate } from '../../imports/certificate-cert-manager.io.js';
import { HttpRoute } from '../../imports/httproute-gateway.networking.k8s.io.js';
import { ReferenceGrant } from '../../imports/referencegrant-gateway.networking.k8s.io.js';
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

/** Where a dashboard goes in Grafana. */
export interface DashboardOptions {
  /**
   * The Grafana folder it is listed in, created when the first dashboard names it.
   * @default - Grafana's General folder
   */
  readonly folder?: string;
}

/** A listener of a Gateway (Gateway API) that Grafana's HTTPRoute attaches to. */
export interface GatewayListener {
  readonly name: string;
  /** The Gateway's namespace; its pods are admitted to Grafana. */
  readonly namespace: string;
  /** The listener's name. @default - every listener of the Gateway whose hostname and allowed routes match */
  readonly sectionName?: string;
}

/** An ingress controller Grafana's Ingress is served by. */
export interface IngressController {
  /** The IngressClass. */
  readonly className: string;
  /** The namespace the controller's pods run in; they are admitted to Grafana. */
  readonly namespace: string;
}

/** cert-manager's issuer kinds. */
export enum CertIssuerKind {
  /** An Issuer in Grafana's namespace. */
  ISSUER = 'Issuer',
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/** Where Grafana's TLS certificate comes from: a cert-manager issuer, or a TLS Secret that exists. */
export interface GrafanaTls {
  /** cert-manager issues and renews it into the Secret "grafana-tls". @default - the existing secretName */
  readonly certManager?: { readonly issuer: string; readonly kind: CertIssuerKind };
  /** A TLS Secret (kubernetes.io/tls) in Grafana's namespace that you keep up to date. @default - required without certManager */
  readonly secretName?: string;
}

/** Grafana over HTTPS at its rootUrl's host: an HTTPRoute on a Gateway, or an Ingress. */
export interface GrafanaHttps {
  /** @default - no HTTPRoute (an ingress is required) */
  readonly gateway?: GatewayListener;
  /** @default - no Ingress (a gateway is required) */
  readonly ingress?: IngressController;
  /**
   * With a gateway, the listener must name the Secret in its certificateRefs (a
   * ReferenceGrant allows it); with an ingress, the Ingress names it.
   * @default - with a gateway, the listener's own certificate; required with an ingress
   */
  readonly tls?: GrafanaTls;
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
  /** Serve Grafana over HTTPS at rootUrl. @default - no route into the cluster (kubectl port-forward) */
  readonly https?: GrafanaHttps;
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
const TLS_SECRET = 'grafana-tls';

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
 * subdirectory, named after its Grafana folder, of the directory Grafana rereads every
 * 30 seconds. Roles come from the identity provider's groups; credentials come from
 * the secret store. Optionally served over HTTPS through a Gateway or an Ingress.
 */
export class Grafana extends Construct {
  public readonly workload: WorkloadRef;
  public readonly replicas: number;
  /** The datasources file, as provisioned. */
  public readonly datasources: object;
  private readonly platform: PlatformBase;
  /** uid → the ConfigMap and the path of the dashboard file under the provider's folder. */
  private readonly dashboards = new Map<string, { readonly configMap: string; readonly key: string; readonly path: string }>();

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
          url: props.thanosQuery.url,
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
        type: 'file',
        // Dashboards are code: edits in the UI are not saved, deleting one brings it back.
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        // Each subdirectory is a Grafana folder of that name; files at the top go to General.
        options: { path: DASHBOARDS_DIR, foldersFromFilesStructure: true },
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
                  ? {
                    name: 'dashboards',
                    projected: {
                      sources: [...this.dashboards.values()].sort((a, b) => a.configMap.localeCompare(b.configMap))
                        .map(({ configMap, key, path }) => ({ configMap: { name: configMap, items: [{ key, path }] } })),
                    },
                  }
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
    const https = props.https ? this.serveHttps(props.https, props.rootUrl) : undefined;
    for (const namespace of [...new Set([...props.ingressNamespaces ?? [], ...https ? [https] : []])].sort()) {
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

  /** The uids of the dashboards provisioned so far. */
  public get dashboardUids(): string[] {
    return [...this.dashboards.keys()].sort();
  }

  /**
   * Provisions a dashboard: a ConfigMap labelled `grafana_dashboard: "1"` whose file
   * is mounted into the subdirectory of the provider's folder named after the Grafana
   * folder. Returns the ConfigMap.
   */
  public addDashboard(dashboard: DashboardModel, options: DashboardOptions = {}): k8s.KubeConfigMap {
    if (!/^[a-z0-9][a-z0-9-]{0,38}$/.test(dashboard.uid)) {
      throw new Error(`grafana dashboard uid "${dashboard.uid}": use 1-39 lowercase letters, digits and "-" (it names a ConfigMap)`);
    }
    if (this.dashboards.has(dashboard.uid)) throw new Error(`grafana dashboard uid "${dashboard.uid}" is provisioned twice`);
    const { folder } = options;
    // The folder is a directory name; "General" is where files at the top go already.
    if (folder !== undefined && (!/^[A-Za-z0-9][A-Za-z0-9 _-]{0,62}$/.test(folder) || folder === 'General')) {
      throw new Error(`grafana dashboard "${dashboard.uid}": folder "${folder}" must be 1-63 letters, digits, " ", "_" and "-", and not General (leave it out for General)`);
    }
    const name = `grafana-dashboard-${dashboard.uid}`;
    const key = `${dashboard.uid}.json`;
    this.dashboards.set(dashboard.uid, { configMap: name, key, path: folder ? `${folder}/${key}` : key });
    const metadata = this.platform.metadataFor(OWNER, NS, name);
    return new k8s.KubeConfigMap(this, `dashboard-${dashboard.uid}`, {
      metadata: { ...metadata, labels: { ...metadata.labels, [DASHBOARD_LABEL]: '1' } },
      data: { [key]: `${JSON.stringify(dashboard, null, 2)}\n` },
    });
  }

  /** The HTTPRoute or Ingress, and the certificate; returns the namespace whose pods forward users to Grafana. */
  private serveHttps(https: GrafanaHttps, rootUrl: string | undefined): string {
    if (!rootUrl) throw new Error('grafana: rootUrl is required to serve Grafana over HTTPS: its host is the name Grafana is served at');
    const url = URL.canParse(rootUrl) ? new URL(rootUrl) : undefined;
    if (url?.protocol !== 'https:' || url.pathname !== '/') {
      throw new Error(`grafana: rootUrl "${rootUrl}" must be https://<host>[:port] with no path to serve Grafana over HTTPS`);
    }
    if (!https.gateway === !https.ingress) throw new Error('grafana https: name either a gateway or an ingress, not both or neither');
    if (https.ingress && !https.tls) throw new Error('grafana https: an ingress needs tls (a cert-manager issuer or a TLS secret)');
    const tls = https.tls;
    if (tls && !tls.certManager === !tls.secretName) throw new Error('grafana https tls: name either certManager or secretName, not both or neither');
    const host = url.hostname;
    const secretName = tls?.certManager ? TLS_SECRET : tls?.secretName;
    if (tls?.certManager) {
      new Certificate(this, 'certificate', {
        metadata: this.platform.metadataFor(OWNER, NS, TLS_SECRET),
        spec: {
          secretName: TLS_SECRET,
          dnsNames: [host],
          issuerRef: { group: 'cert-manager.io', kind: tls.certManager.kind, name: tls.certManager.issuer },
        },
      });
    }
    if (https.ingress) {
      new k8s.KubeIngress(this, 'ingress', {
        metadata: this.platform.metadataFor(OWNER, NS),
        spec: {
          ingressClassName: https.ingress.className,
          tls: [{ hosts: [host], secretName }],
          rules: [{
            host,
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'grafana', port: { name: 'http' } } } }] },
          }],
        },
      });
      return https.ingress.namespace;
    }
    const gateway = https.gateway!;
    new HttpRoute(this, 'route', {
      metadata: this.platform.metadataFor(OWNER, NS),
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.name, namespace: gateway.namespace, sectionName: gateway.sectionName }],
        hostnames: [host],
        rules: [{ backendRefs: [{ name: 'grafana', port: PORT }] }],
      },
    });
    if (secretName) {
      // The listener lives in the Gateway's namespace; it may read this Secret only by grant.
      new ReferenceGrant(this, 'tls-grant', {
        metadata: this.platform.metadataFor(OWNER, NS, `grafana-tls-${gateway.namespace}`),
        spec: {
          from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: gateway.namespace }],
          to: [{ group: '', kind: 'Secret', name: secretName }],
        },
      });
    }
    return gateway.namespace;
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
