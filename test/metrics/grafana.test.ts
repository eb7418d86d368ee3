import { Testing } from 'cdk8s';
import { clusterObjects, find, oneCluster, parseYaml } from './support.js';
import { MetricsStack, PlatformBase, type IFlowStore, type MetricsStackProps } from '../../constructs/index.js';
import { roleAttributePath } from '../../constructs/metrics/grafana.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { TIERS } from '../../src/config/tiers.js';
import { planCluster } from '../../src/plan.js';

const flowStore: IFlowStore = {
  workload: { name: 'clickhouse', namespace: 'helios-flows', component: 'storage', podSelector: { 'clickhouse.altinity.com/chi': 'flows' } },
  nativeAddress: 'clickhouse-flows.helios-flows.svc.cluster.local:9000',
  httpUrl: 'http://clickhouse-flows.helios-flows.svc.cluster.local:8123',
  database: 'flows',
  readerUser: 'grafana',
  readerPassword: { key: 'helios/clickhouse', property: 'grafana-password' },
};

/** A MetricsStack built from a config, as the app builds it, with extra props. */
function stack(config: string, extra: Partial<MetricsStackProps> = {}): { chart: ReturnType<typeof Testing.chart>; metrics: MetricsStack } {
  const plan = planCluster(parseConfig(config, 'test.yaml').clusters[0]);
  const chart = Testing.chart();
  const platform = new PlatformBase(chart, 'platform', plan.platform);
  const metrics = new MetricsStack(chart, 'metrics', { platform, ...plan.metrics!, ...extra });
  return { chart, metrics };
}

const objectsOf = (chart: ReturnType<typeof Testing.chart>) => Testing.synth(chart) as any[];
const env = (deployment: any) => Object.fromEntries(
  deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
);

const OIDC = `    grafana:
      url: https://grafana.example.net
      database:
        host: pg.example.net
        password: { key: helios/grafana, property: db-password }
        networks: [10.20.0.0/24]
      ingressNamespaces: [ingress-nginx]
    oidc:
      issuerUrl: https://sso.example.net/realms/netops
      clientId: helios-grafana
      clientSecret: { key: helios/grafana, property: oidc-client-secret }
      authorizationUrl: https://sso.example.net/realms/netops/protocol/openid-connect/auth
      tokenUrl: https://sso.example.net/realms/netops/protocol/openid-connect/token
      userinfoUrl: https://sso.example.net:8443/realms/netops/protocol/openid-connect/userinfo
      groups:
        viewer: [netops-viewers, noc]
        engineer: [netops-engineers]
        admin: [netops-admins]
`;

describe('Grafana datasources', () => {
  it('provisions Thanos Query (default) and Alertmanager, and no ClickHouse without flows', () => {
    const objects = clusterObjects(oneCluster({ extra: '    stacks: { flows: false }\n' }));
    const file = parseYaml(find(objects, 'ConfigMap', 'grafana-provisioning', 'helios-visualization').data['datasources.yaml']);
    expect(file.datasources.map((d: any) => [d.uid, d.type, d.url, d.isDefault ?? false])).toEqual([
      ['thanos', 'prometheus', 'http://thanos-query.helios-storage.svc.cluster.local:10902', true],
      ['alertmanager', 'alertmanager', 'http://alertmanager-operated.helios-visualization.svc.cluster.local:9093', false],
    ]);
    const deployment = find(objects, 'Deployment', 'grafana', 'helios-visualization');
    expect(env(deployment).GF_PLUGINS_PREINSTALL_SYNC).toBeUndefined();
  });

  it('adds the ClickHouse datasource when a flow store is given, with the pinned plugin and the reader password from the store', () => {
    const { chart } = stack(oneCluster(), { flowStore });
    const objects = objectsOf(chart);
    const file = parseYaml(find(objects, 'ConfigMap', 'grafana-provisioning', 'helios-visualization').data['datasources.yaml']);
    expect(file.datasources[2]).toEqual({
      name: 'ClickHouse flows',
      uid: 'clickhouse',
      type: 'grafana-clickhouse-datasource',
      access: 'proxy',
      editable: false,
      jsonData: { host: 'clickhouse-flows.helios-flows.svc.cluster.local', port: 9000, protocol: 'native', secure: false, username: 'grafana', defaultDatabase: 'flows' },
      secureJsonData: { password: '${CLICKHOUSE_PASSWORD}' },
    });
    const e = env(find(objects, 'Deployment', 'grafana', 'helios-visualization'));
    expect(e.GF_PLUGINS_PREINSTALL_SYNC).toBe('grafana-clickhouse-datasource@4.11.2');
    expect(e.CLICKHOUSE_PASSWORD).toEqual({ secretKeyRef: { name: 'grafana', key: 'clickhousePassword' } });
    const secret = find(objects, 'ExternalSecret', 'grafana', 'helios-visualization');
    expect(secret.spec.data).toContainEqual({ secretKey: 'clickhousePassword', remoteRef: { key: 'helios/clickhouse', property: 'grafana-password' } });
    const policy = find(objects, 'NetworkPolicy', 'grafana', 'helios-visualization');
    expect(policy.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'helios-flows' } }, podSelector: { matchLabels: { 'clickhouse.altinity.com/chi': 'flows' } } }],
      ports: [{ port: 9000, protocol: 'TCP' }],
    });
  });
});

describe('Grafana dashboards', () => {
  it('mounts every dashboard ConfigMap labelled grafana_dashboard: "1" into its folder\'s subdirectory of the folder the provider reads', () => {
    const { chart, metrics } = stack(oneCluster());
    metrics.grafana.addDashboard({ uid: 'test-only', title: 'Test only', panels: [] }, { folder: 'Lab' });
    const objects = objectsOf(chart);
    const cm = find(objects, 'ConfigMap', 'grafana-dashboard-test-only', 'helios-visualization');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(cm.data['test-only.json'])).toEqual({ uid: 'test-only', title: 'Test only', panels: [] });
    const deployment = find(objects, 'Deployment', 'grafana', 'helios-visualization');
    const pod = deployment.spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === 'dashboards').projected.sources).toContainEqual({
      configMap: { name: 'grafana-dashboard-test-only', items: [{ key: 'test-only.json', path: 'Lab/test-only.json' }] },
    });
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'dashboards');
    const providers = parseYaml(find(objects, 'ConfigMap', 'grafana-provisioning', 'helios-visualization').data['dashboards.yaml']);
    expect(providers.providers[0].options).toEqual({ path: mount.mountPath, foldersFromFilesStructure: true });
    expect(providers.providers[0]).toMatchObject({ type: 'file', disableDeletion: true, allowUiUpdates: false });
    expect(() => metrics.grafana.addDashboard({ uid: 'test-only', title: 'again' })).toThrow('grafana dashboard uid "test-only" is provisioned twice');
  });
});

describe('Grafana sign-in, database and access', () => {
  const objects = clusterObjects(oneCluster({ extra: OIDC }));
  const deployment = find(objects, 'Deployment', 'grafana', 'helios-visualization');
  const e = env(deployment);

  it('maps identity-provider groups to Admin, Editor and Viewer, and refuses users in none', () => {
    expect(e.GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH).toBe(
      "(contains(groups[*], 'netops-admins')) && 'Admin' || (contains(groups[*], 'netops-engineers')) && 'Editor'"
      + " || (contains(groups[*], 'netops-viewers') || contains(groups[*], 'noc')) && 'Viewer'",
    );
    expect(e.GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_STRICT).toBe('true');
    expect(e.GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET).toEqual({ secretKeyRef: { name: 'grafana', key: 'oidcClientSecret' } });
    expect(e.GF_AUTH_GENERIC_OAUTH_TOKEN_URL).toBe('https://sso.example.net/realms/netops/protocol/openid-connect/token');
    expect(e.GF_SERVER_ROOT_URL).toBe('https://grafana.example.net');
    expect(roleAttributePath({ admin: ["it's"] })).toBe("(contains(groups[*], 'it\\'s')) && 'Admin'");
  });

  it('keeps its state in PostgreSQL, so it runs the tier\'s replicas, and reads every credential from the store', () => {
    expect(deployment.spec.replicas).toBe(TIERS.medium.grafana.replicas);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    expect(e.GF_DATABASE_TYPE).toBe('postgres');
    expect(e.GF_DATABASE_HOST).toBe('pg.example.net:5432');
    expect(e.GF_DATABASE_SSL_MODE).toBe('require');
    expect(e.GF_DATABASE_PASSWORD).toEqual({ secretKeyRef: { name: 'grafana', key: 'databasePassword' } });
    expect(e.GF_SECURITY_ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: 'grafana', key: 'adminPassword' } });
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.namespace === 'helios-visualization')).toEqual([]);
    expect(find(objects, 'PodDisruptionBudget', 'grafana', 'helios-visualization').spec.maxUnavailable).toBe(1);
  });

  it('opens its egress to the database, the identity provider\'s token and userinfo ports, and its ingress to the ingress namespace', () => {
    const policy = find(objects, 'NetworkPolicy', 'grafana', 'helios-visualization');
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/24' } }], ports: [{ port: 5432, protocol: 'TCP' }] });
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }, { port: 8443, protocol: 'TCP' }] });
    expect(policy.spec.ingress).toContainEqual({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 3000, protocol: 'TCP' }] });
  });

  it('without a database runs one replica on SQLite with a Recreate strategy', () => {
    const plain = clusterObjects(oneCluster({ tier: 'large' }));
    const d = find(plain, 'Deployment', 'grafana', 'helios-visualization');
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'grafana' } });
    expect(env(d).GF_DATABASE_TYPE).toBeUndefined();
  });

  it('refuses OIDC without the URL Grafana is reached at, or without any group', () => {
    const noUrl = oneCluster({ extra: OIDC.replace('      url: https://grafana.example.net\n', '') });
    expect(() => parseConfig(noUrl, 'helios.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(noUrl, 'helios.yaml')).toThrow('helios.yaml: clusters[0].grafana.url: is required with oidc: the identity provider sends users back to Grafana at this URL');
    const noGroups = oneCluster({ extra: OIDC.replace(/      groups:\n(        .*\n){3}/, '') });
    expect(() => parseConfig(noGroups, 'helios.yaml')).toThrow(/clusters\[0\]\.oidc\.groups: names no group for any role/);
  });
});
