import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { netboxNamespace, netboxPeer } from '../../constructs/flows/flow-enricher.js';
import { KAFKA_VERSION } from '../../constructs/flows/kafka-cluster.js';
import {
  ClickHouse, ClickHouseKeeper, FlowEnricher, FlowStack, FlowTopic, Goflow2, KafkaCluster, PlatformBase,
} from '../../constructs/index.js';
import { loadConfig } from '../../services/flow-enricher/src/config.js';
import { loadMigrateConfig, parseMigrations, renderMigration, splitStatements } from '../../services/flow-enricher/src/migrate/index.js';
import { parseConfig } from '../../src/config/load.js';
import { TIER_NAMES, TIERS, type TierName } from '../../src/config/tiers.js';
import type { KubeObject } from '../../src/manifests.js';
import { synthesize } from '../../src/synth.js';
import { REPO_ROOT } from '../shared.js';

function flowObjects(tier: TierName, extra = ''): KubeObject[] {
  const config = parseConfig(`clusters:
  - name: ${tier}
    datacenter: dc1
    tier: ${tier}
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8, 192.168.0.0/16]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
${extra}`, `${tier}.yaml`);
  return synthesize(config).files.flatMap((f) => f.objects).filter((o) => o.metadata.namespace === 'helios-flows');
}

const one = (objs: KubeObject[], kind: string, name: string): any => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
};
const all = (objs: KubeObject[], kind: string): any[] => objs.filter((o) => o.kind === kind);

describe.each(TIER_NAMES)('the flow pipeline at tier %s', (tier) => {
  const sizing = TIERS[tier];
  const objs = flowObjects(tier);

  it('runs the tier\'s brokers in KRaft node pools with an odd number of controllers, and sizes the topics', () => {
    const pools = all(objs, 'KafkaNodePool');
    expect(pools.reduce((n, p) => n + p.spec.replicas, 0)).toBe(sizing.kafka.brokers);
    const voters = pools.filter((p) => p.spec.roles.includes('controller'));
    expect(voters).toHaveLength(1);
    expect(voters[0].spec.replicas % 2).toBe(1);
    expect(voters[0].spec.roles).toEqual(['controller', 'broker']);
    for (const p of pools) {
      expect(p.metadata.labels['strimzi.io/cluster']).toBe('flows');
      expect(p.spec.storage.volumes).toEqual([{ id: 0, type: 'persistent-claim', size: `${sizing.kafka.volumeGiB}Gi`, deleteClaim: false, kraftMetadata: 'shared' }]);
    }
    const kafka = one(objs, 'Kafka', 'flows');
    expect(kafka.apiVersion).toBe('kafka.strimzi.io/v1');
    expect(kafka.spec.kafka.version).toBe(KAFKA_VERSION);
    expect(kafka.spec.kafka.replicas).toBeUndefined();
    const rf = Math.min(3, sizing.kafka.brokers);
    expect(kafka.spec.kafka.config['default.replication.factor']).toBe(rf);
    expect(kafka.spec.kafka.config['min.insync.replicas']).toBe(rf >= 3 ? 2 : 1);
    const topics = [[FlowTopic.RAW, sizing.kafka.rawTopicPartitions], [FlowTopic.ENRICHED, sizing.kafka.enrichedTopicPartitions]] as const;
    for (const [topic, partitions] of topics) {
      const t = one(objs, 'KafkaTopic', topic);
      expect(t.spec.partitions).toBe(partitions);
      expect(t.spec.replicas).toBe(rf);
      expect(t.spec.config['retention.ms']).toBe(sizing.kafka.retentionHours * 3_600_000);
      // The topics together fit in 70% of the brokers' disks.
      const total = sizing.kafka.rawTopicPartitions + sizing.kafka.enrichedTopicPartitions;
      expect(t.spec.config['retention.bytes'] * total * rf).toBeLessThanOrEqual(sizing.kafka.volumeGiB * 2 ** 30 * sizing.kafka.brokers * 0.7);
    }
  });

  it('gives each Kafka client exactly the ACLs it needs, over TLS with SCRAM-SHA-512', () => {
    const acls = (user: string) => {
      const u = one(objs, 'KafkaUser', user);
      expect(u.spec.authentication).toEqual({ type: 'scram-sha-512' });
      expect(u.metadata.labels['strimzi.io/cluster']).toBe('flows');
      return u.spec.authorization.acls.map((a: any) => `${a.resource.type}:${a.resource.name ?? '*'}:${a.operations.join('+')}`).sort();
    };
    expect(acls('goflow2')).toEqual(['topic:helios-flows-raw:Write+Describe']);
    expect(acls('flow-enricher')).toEqual([
      'cluster:*:IdempotentWrite', 'group:helios-flow-enricher:Read', 'topic:helios-flows-enriched:Write+Describe', 'topic:helios-flows-raw:Read+Describe',
    ]);
    expect(acls('clickhouse')).toEqual(['group:helios-clickhouse:Read', 'topic:helios-flows-enriched:Read+Describe']);
    const listener = one(objs, 'Kafka', 'flows').spec.kafka.listeners;
    expect(listener).toHaveLength(1);
    expect(listener[0]).toMatchObject({ port: 9093, tls: true, authentication: { type: 'scram-sha-512' } });
    // Strimzi's own policy for the listener admits the three clients and nobody else.
    expect(listener[0].networkPolicyPeers.map((p: any) => p.podSelector.matchLabels['app.kubernetes.io/name'] ?? p.podSelector.matchLabels['clickhouse.altinity.com/chi']))
      .toEqual(['flows', 'flow-enricher', 'goflow2']);
  });

  it('scales goflow2 and the enricher between the tier\'s bounds and keeps exporter addresses on the way in', () => {
    for (const [name, bounds] of [['goflow2', sizing.goflow2], ['flow-enricher', sizing.flowEnricher]] as const) {
      const hpa = one(objs, 'HorizontalPodAutoscaler', name);
      expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([bounds.replicasMin, bounds.replicasMax]);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === name);
      expect(pdbs).toHaveLength(bounds.replicasMin > 1 ? 1 : 0);
      const container = one(objs, 'Deployment', name).spec.template.spec.containers[0];
      expect(container.resources.limits.cpu).toBe(`${bounds.resources.cpuLimitMilli}m`);
    }
    const service = one(objs, 'Service', 'goflow2');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    expect(service.spec.ports).toEqual([
      { name: 'netflow', port: 2055, targetPort: 'netflow', protocol: 'UDP' },
      { name: 'sflow', port: 6343, targetPort: 'sflow', protocol: 'UDP' },
    ]);
  });

  it('reads each listener with one socket per requested core, and holds flows for a Kafka outage in queues that fit in half of goflow2\'s memory limit', () => {
    const args: string[] = one(objs, 'Deployment', 'goflow2').spec.template.spec.containers[0].args;
    const queue = { small: 3728, medium: 7456, large: 14913, xl: 14913 }[tier];
    const sockets = Math.ceil(sizing.goflow2.resources.cpuRequestMilli / 1000);
    expect(sockets).toBe({ small: 1, medium: 1, large: 1, xl: 2 }[tier]);
    expect(args[0]).toBe(`-listen=netflow://:2055?count=${sockets}&queue_size=${queue},sflow://:6343?count=${sockets}&queue_size=${queue}`);
    // Both queues full, at 9000-byte buffers the collector lets double, stay within half the limit.
    expect(2 * queue * 2 * 9000).toBeLessThanOrEqual(sizing.goflow2.resources.memoryLimitMiB * 2 ** 20 / 2);
    expect(2 * (queue + 1) * 2 * 9000).toBeGreaterThan(sizing.goflow2.resources.memoryLimitMiB * 2 ** 20 / 2);
    // goflow2 2.2.6 exposes no retry, backoff or acks flag: sarama's defaults apply (README).
    expect(args.filter((a) => a.startsWith('-transport.kafka.'))).toEqual([
      expect.stringMatching(/^-transport\.kafka\.brokers=/), '-transport.kafka.topic=helios-flows-raw', '-transport.kafka.hashing=true',
      '-transport.kafka.tls=true', expect.stringMatching(/^-transport\.kafka\.tls\.ca=\/etc\/kafka-ca\//), '-transport.kafka.sasl=scram-sha512',
    ]);
  });

  it('lays ClickHouse out in the tier\'s shards and replicas, with Keeper and the tier\'s Kafka consumers', () => {
    const chi = one(objs, 'ClickHouseInstallation', 'flows');
    expect(chi.spec.configuration.clusters[0].layout).toEqual({ shardsCount: sizing.clickhouse.shards, replicasCount: sizing.clickhouse.replicas });
    expect(chi.spec.templates.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${sizing.clickhouse.volumeGiB}Gi`);
    expect(chi.spec.configuration.zookeeper.nodes).toEqual([{ host: 'keeper-flows', port: 2181 }]);
    const chk = one(objs, 'ClickHouseKeeperInstallation', 'flows');
    expect(chk.spec.configuration.clusters[0].layout.replicasCount).toBe(sizing.clickhouseKeeper.replicas);
    const job = all(objs, 'Job').find((j) => j.metadata.name.startsWith('clickhouse-migrate-'));
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env.MIGRATION_VAR_KAFKA_CONSUMERS).toBe(String(sizing.clickhouse.kafkaConsumers));
    // Every node's consumers together fit in the enriched topic's partitions.
    const { shards, replicas, kafkaConsumers } = sizing.clickhouse;
    expect(shards * replicas * kafkaConsumers).toBeLessThanOrEqual(sizing.kafka.enrichedTopicPartitions);
  });
});

describe('the Flow Enricher Deployment', () => {
  const objs = flowObjects('medium');
  const deployment = one(objs, 'Deployment', 'flow-enricher');
  const container = deployment.spec.template.spec.containers[0];

  it('sets only variables the service reads, and the service accepts every value', () => {
    const source = readFileSync(join(REPO_ROOT, 'services/flow-enricher/src/config.ts'), 'utf8');
    const schema = source.slice(source.indexOf('const EnvSchema'), source.indexOf('export interface Config'));
    const read = new Set([...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]));
    const set: string[] = container.env.map((e: any) => e.name);
    // NODE_EXTRA_CA_CERTS is Node's own: it adds Strimzi's CA to the trust store kafkajs uses.
    expect(set.filter((n) => !read.has(n))).toEqual(['NODE_EXTRA_CA_CERTS']);
    expect([...read].filter((n) => !set.includes(n))).toEqual(['LOG_LEVEL']);

    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? (e.valueFrom?.fieldRef ? 'flow-enricher-5d9c-abcde' : undefined)]));
    const config = loadConfig(env);
    expect(config).toMatchObject({
      kafka: {
        brokers: ['flows-kafka-bootstrap.helios-flows.svc:9093'],
        rawTopic: 'helios-flows-raw',
        enrichedTopic: 'helios-flows-enriched',
        groupId: 'helios-flow-enricher',
        clientId: 'flow-enricher-5d9c-abcde',
        sasl: { mechanism: 'scram-sha-512', username: 'flow-enricher', passwordFile: '/etc/kafka-user/password' },
        tls: true,
      },
      netbox: { url: 'https://netbox.example.net', tokenFile: '/etc/netbox/token', refreshSeconds: 300 },
      geoip: { cityDb: '/geoip/GeoLite2-City.mmdb', asnDb: '/geoip/GeoLite2-ASN.mmdb' },
      flowsPerMessage: 500,
      httpPort: 8080,
    });
  });

  it('mounts every file the variables name, from the Secrets that hold them', () => {
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
    const volumes = Object.fromEntries(deployment.spec.template.spec.volumes.map((v: any) => [v.name, v]));
    expect(mounts).toEqual({ 'kafka-user': '/etc/kafka-user', 'kafka-ca': '/etc/kafka-ca', 'netbox': '/etc/netbox', 'geoip': '/geoip' });
    expect(volumes['kafka-user'].secret).toEqual({ secretName: 'flow-enricher', items: [{ key: 'password', path: 'password' }] });
    expect(volumes['kafka-ca'].secret).toEqual({ secretName: 'flows-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    expect(volumes.netbox.secret.secretName).toBe(one(objs, 'ExternalSecret', 'flow-enricher-netbox').spec.target.name);
    expect(volumes.geoip.persistentVolumeClaim).toEqual({ claimName: 'flow-enricher-geoip', readOnly: true });
    expect(one(objs, 'PersistentVolumeClaim', 'flow-enricher-geoip').spec.accessModes).toEqual(['ReadWriteMany']);
    // It waits for geoipupdate's first fill rather than crash-looping without the databases.
    expect(deployment.spec.template.spec.initContainers[0].command.join(' ')).toContain('[ -s /geoip/GeoLite2-City.mmdb ] && [ -s /geoip/GeoLite2-ASN.mmdb ]');
  });

  it('fills the GeoIP volume with geoipupdate, the licence coming from the secret store', () => {
    const conf = one(objs, 'ExternalSecret', 'geoipupdate');
    expect(conf.spec.data.map((d: any) => [d.secretKey, d.remoteRef])).toEqual([
      ['accountId', { key: 'helios/maxmind', property: 'account-id' }],
      ['licenseKey', { key: 'helios/maxmind', property: 'license-key' }],
    ]);
    expect(conf.spec.target.template.data['GeoIP.conf']).toBe('AccountID {{ .accountId }}\nLicenseKey {{ .licenseKey }}\nEditionIDs GeoLite2-City GeoLite2-ASN\n');
    const job = one(objs, 'Job', 'geoipupdate-first-fill');
    const cron = one(objs, 'CronJob', 'geoipupdate');
    expect(cron.spec.jobTemplate.spec.template.spec).toEqual(job.spec.template.spec);
    expect(job.spec.template.spec.containers[0].args).toEqual(['-f', '/etc/geoipupdate/GeoIP.conf', '-d', '/geoip', '-v']);
    expect(job.spec.template.spec.containers[0].image).toMatch(/^ghcr\.io\/maxmind\/geoipupdate:v\d+\.\d+\.\d+$/);
  });
});

describe('the ClickHouse migrations Job', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'helios-migrate-job-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the runner a configuration it accepts and a value for every placeholder of every migration, for the cluster', () => {
    const objs = flowObjects('large');
    const job = all(objs, 'Job').find((j) => j.metadata.name.startsWith('clickhouse-migrate-'));
    const container = job.spec.template.spec.containers[0];
    expect(container.args).toEqual(['migrate']);
    expect(container.image).toBe('ghcr.io/helios-netobs/flow-enricher:0.1.0');
    const password = join(dir, 'password');
    writeFileSync(password, 'not-a-real-password\n');
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.name === 'CLICKHOUSE_PASSWORD_FILE' ? password : e.value]));
    const config = loadMigrateConfig(env);
    expect(config).toMatchObject({ url: 'http://clickhouse-flows.helios-flows.svc:8123', username: 'helios_migrator', database: 'helios', cluster: 'flows', migrationsDir: '/etc/helios/migrations' });
    expect(config.variables).toEqual({
      kafka_brokers: 'flows-kafka-bootstrap.helios-flows.svc:9093',
      kafka_topic: 'helios-flows-enriched',
      kafka_group: 'helios-clickhouse',
      kafka_schema: 'enriched_flow.proto:EnrichedFlow',
      kafka_consumers: '4',
    });

    // The ConfigMap the Job mounts holds the committed SQL, byte for byte.
    const configMap = one(objs, 'ConfigMap', 'clickhouse-migrations');
    const migrations = parseMigrations(Object.entries(configMap.data as Record<string, string>).map(([fileName, text]) => ({ fileName, text })));
    for (const m of migrations) {
      expect(m.sql).toBe(readFileSync(join(REPO_ROOT, 'constructs/flows/clickhouse/migrations', m.fileName), 'utf8'));
      const statements = splitStatements(renderMigration(m, { database: config.database, cluster: config.cluster, variables: config.variables }));
      expect(statements.join('\n')).not.toContain('{{');
    }
    const ingest = renderMigration(migrations[2], { database: 'helios', cluster: 'flows', variables: config.variables });
    expect(ingest).toContain("kafka_broker_list = 'flows-kafka-bootstrap.helios-flows.svc:9093'");
    expect(ingest).toContain('kafka_num_consumers = 4');
    // The Job mounts what the runner reads.
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
    expect(mounts).toEqual({ migrations: config.migrationsDir, password: '/etc/clickhouse-user' });
  });

  it('is a new Job when the schema or its settings change, and the same Job otherwise', () => {
    const name = (tier: TierName) => all(flowObjects(tier), 'Job').find((j) => j.metadata.name.startsWith('clickhouse-migrate-')).metadata.name;
    expect(name('medium')).toBe(name('medium'));
    // Medium and large differ in Kafka consumers per node.
    expect(name('medium')).not.toBe(name('large'));
    expect(name('medium')).toMatch(/^clickhouse-migrate-[0-9a-f]{10}$/);
  });
});

describe('ClickHouse', () => {
  const objs = flowObjects('medium');
  const chi = one(objs, 'ClickHouseInstallation', 'flows');

  it('mounts the committed EnrichedFlow contract where format_schema_path points', () => {
    const proto = one(objs, 'ConfigMap', 'clickhouse-format-schemas');
    expect(proto.data['enriched_flow.proto']).toBe(readFileSync(join(REPO_ROOT, 'constructs/flows/proto/enriched_flow.proto'), 'utf8'));
    const pod = chi.spec.templates.podTemplates[0].spec;
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'format-schemas');
    expect(mount.mountPath).toBe(chi.spec.configuration.settings.format_schema_path);
    expect(pod.volumes.find((v: any) => v.name === 'format-schemas').configMap.name).toBe('clickhouse-format-schemas');
  });

  it('rejects inserts on a nearly full disk and never fills it, and reads Kafka as its own SCRAM user', () => {
    const settings = chi.spec.configuration.settings;
    expect(settings['merge_tree/min_free_disk_ratio_to_perform_insert']).toBe(0.1);
    expect(settings['storage_configuration/disks/default/keep_free_space_bytes']).toBe(4 * 2 ** 30);
    expect(settings).toMatchObject({
      'kafka/security_protocol': 'sasl_ssl',
      'kafka/sasl_mechanism': 'SCRAM-SHA-512',
      'kafka/sasl_username': 'clickhouse',
      'kafka/sasl_password': { valueFrom: { secretKeyRef: { name: 'clickhouse', key: 'password' } } },
    });
  });

  it('takes user passwords from the secret store only, and keeps the dashboards\' user read-only', () => {
    const users = chi.spec.configuration.users;
    expect(users['helios_reader/password']).toEqual({ valueFrom: { secretKeyRef: { name: 'clickhouse-users', key: 'reader-password' } } });
    expect(users['helios_migrator/password']).toEqual({ valueFrom: { secretKeyRef: { name: 'clickhouse-users', key: 'migrator-password' } } });
    expect(users['helios_reader/allow_databases/database']).toEqual(['helios']);
    expect(chi.spec.configuration.profiles['helios_reader/readonly']).toBe(2);
    const secret = one(objs, 'ExternalSecret', 'clickhouse-users');
    expect(secret.spec.data.map((d: any) => d.remoteRef)).toEqual([
      { key: 'helios/clickhouse', property: 'migrator-password' },
      { key: 'helios/clickhouse', property: 'reader-password' },
    ]);
    expect(JSON.stringify(objs)).not.toMatch(/password":"(?!\/)/);
  });

  it('runs every operator-managed pod under Pod Security "restricted"', () => {
    const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
    const kafka = one(objs, 'Kafka', 'flows').spec;
    for (const context of [
      kafka.kafka.template.kafkaContainer.securityContext,
      kafka.entityOperator.template.topicOperatorContainer.securityContext,
      kafka.entityOperator.template.userOperatorContainer.securityContext,
      kafka.kafkaExporter.template.container.securityContext,
      chi.spec.templates.podTemplates[0].spec.containers[0].securityContext,
      one(objs, 'ClickHouseKeeperInstallation', 'flows').spec.templates.podTemplates[0].spec.containers[0].securityContext,
    ]) expect(context).toMatchObject(restricted);
    for (const pod of [kafka.kafka.template.pod, kafka.entityOperator.template.pod, kafka.kafkaExporter.template.pod]) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    }
  });

  it('is the flow store the MetricsStack reads: address, database and read-only user', () => {
    const chart = Testing.chart();
    const platform = new PlatformBase(chart, 'platform', { clusterName: 'lab', site: 'lab1' });
    const stack = new FlowStack(chart, 'flows', {
      platform,
      exporterNetworks: ['10.0.0.0/8'],
      netbox: { url: 'http://netbox.netbox.svc.cluster.local', token: { key: 'netbox', property: 'token' } },
      maxmind: { accountId: { key: 'maxmind', property: 'id' }, licenseKey: { key: 'maxmind', property: 'key' } },
      goflow2: TIERS.small.goflow2,
      kafka: TIERS.small.kafka,
      flowEnricher: TIERS.small.flowEnricher,
      clickhouse: TIERS.small.clickhouse,
      clickhouseKeeper: TIERS.small.clickhouseKeeper,
    });
    expect(stack.flowStore).toMatchObject({
      nativeAddress: 'clickhouse-flows.helios-flows.svc:9000',
      httpUrl: 'http://clickhouse-flows.helios-flows.svc:8123',
      database: 'helios',
      readerUser: 'helios_reader',
      readerPassword: { key: 'helios/clickhouse', property: 'reader-password' },
    });
    expect(stack.flowStore.workload.podSelector).toEqual({ 'clickhouse.altinity.com/chi': 'flows' });
    const rendered = Testing.synth(chart);
    // An in-cluster NetBox is reached in its namespace, on the Service's port and NetBox's own.
    const enricherPolicy = rendered.find((o: any) => o.kind === 'NetworkPolicy' && o.metadata.name === 'flow-enricher');
    expect(enricherPolicy.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'netbox' } } }],
      ports: [{ port: 80, protocol: 'TCP' }, { port: 8080, protocol: 'TCP' }],
    });
  });
});

describe('network flows', () => {
  const objs = flowObjects('medium');
  const policy = (name: string) => one(objs, 'NetworkPolicy', name).spec;

  it('admits NetFlow, IPFIX and sFlow only from the management networks', () => {
    expect(policy('goflow2').ingress).toContainEqual({
      from: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { ipBlock: { cidr: '192.168.0.0/16' } }],
      ports: [{ port: 2055, protocol: 'UDP' }, { port: 6343, protocol: 'UDP' }],
    });
  });

  it('has the LoadBalancer itself admit only the management networks, keeping the exporters\' addresses', () => {
    const service = one(objs, 'Service', 'goflow2').spec;
    expect(service.type).toBe('LoadBalancer');
    expect(service.loadBalancerSourceRanges).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(service.externalTrafficPolicy).toBe('Local');
  });

  it('lets the clients reach the brokers on the TLS listener and nothing more', () => {
    for (const client of ['goflow2', 'flow-enricher', 'clickhouse']) {
      expect(policy(client).egress).toContainEqual(expect.objectContaining({ ports: [{ port: 9093, protocol: 'TCP' }] }));
    }
    const fromClients = policy('kafka').ingress.filter((r: any) => r.ports.some((p: any) => p.port === 9093));
    expect(fromClients).toHaveLength(3);
  });

  it('sends the enricher to NetBox\'s networks and the operators to their pods', () => {
    expect(policy('flow-enricher').egress).toContainEqual({ to: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] });
    expect(policy('kafka').ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'strimzi' } } }],
      ports: [{ port: 9090, protocol: 'TCP' }, { port: 9091, protocol: 'TCP' }, { port: 8443, protocol: 'TCP' }],
    });
    const custom = flowObjects('small', '    flows: { strimziNamespace: kafka-operators, clickhouseOperatorNamespace: clickhouse-operator }\n');
    expect(JSON.stringify(one(custom, 'NetworkPolicy', 'kafka').spec.ingress)).toContain('"kafka-operators"');
    expect(JSON.stringify(one(custom, 'NetworkPolicy', 'clickhouse').spec.ingress)).toContain('"clickhouse-operator"');
  });
});

describe('bad input', () => {
  const chart = () => {
    const c: Chart = Testing.chart();
    return { chart: c, platform: new PlatformBase(c, 'platform', { clusterName: 'lab', site: 'lab1' }) };
  };
  const kafka = (scope: Chart, platform: PlatformBase, partitions = 4) => new KafkaCluster(scope, 'kafka', { platform, ...TIERS.small.kafka, enrichedTopicPartitions: partitions, rawTopicPartitions: partitions });

  it('names the field, the value and what is allowed', () => {
    const { chart: c, platform } = chart();
    const k = kafka(c, platform);
    const keeper = new ClickHouseKeeper(c, 'keeper', { platform, ...TIERS.small.clickhouseKeeper });
    expect(() => new ClickHouse(c, 'ch', { platform, kafka: k, keeper, ...TIERS.small.clickhouse, shards: 2, replicas: 2, kafkaConsumers: 2 }))
      .toThrow('clickhouse: 2 shards × 2 replicas × 2 kafkaConsumers = 8 Kafka consumers, more than the 4 partitions of helios-flows-enriched; consumers beyond one per partition sit idle (lower kafkaConsumers or add partitions)');
    expect(() => new ClickHouseKeeper(c, 'keeper2', { platform, ...TIERS.small.clickhouseKeeper, replicas: 2 }))
      .toThrow('clickhouseKeeper.replicas: 2 is not an odd number of at least 1 (a Raft majority must survive a failure)');
    expect(() => new FlowEnricher(c, 'fe', {
      platform,
      kafka: k,
      ...TIERS.small.flowEnricher,
      replicasMax: 5,
      netbox: { url: 'https://netbox.example.net', token: { key: 'x' } },
      maxmind: { accountId: { key: 'a' }, licenseKey: { key: 'b' } },
    })).toThrow('flow-enricher: replicasMax 5 exceeds the 4 partitions of helios-flows-raw; pods beyond one per partition would sit idle');
    expect(() => netboxPeer({ url: 'netbox.example.net', token: { key: 'x' } }))
      .toThrow('netbox.url: "netbox.example.net" is not a URL; expected http:// or https://host[:port][/path]');
    expect(() => new KafkaCluster(c, 'k2', { platform, ...TIERS.small.kafka, brokers: 0 })).toThrow('kafka.brokers: 0 is not a whole number of at least 1');
  });

  it('refuses a goflow2 port below 1024 or two protocols on one port', () => {
    const { chart: c, platform } = chart();
    const k = kafka(c, platform);
    expect(() => new Goflow2(c, 'g', { platform, kafka: k, exporterNetworks: ['10.0.0.0/8'], ...TIERS.small.goflow2, netflowPort: 514 }))
      .toThrow('goflow2.netflowPort: 514 is not a port from 1024 to 65535 other than 8080');
    expect(() => new Goflow2(c, 'g2', { platform, kafka: k, exporterNetworks: ['10.0.0.0/8'], ...TIERS.small.goflow2, sflowPort: 2055 }))
      .toThrow('goflow2: netflowPort and sflowPort are both 2055; give each protocol its own port');
  });

  it('tells an in-cluster NetBox Service from an outside NetBox, which needs its networks', () => {
    expect(netboxNamespace('http://netbox.netbox.svc.cluster.local')).toBe('netbox');
    expect(netboxNamespace('https://netbox-web.dcim.svc:8443/api')).toBe('dcim');
    expect(netboxNamespace('http://netbox.netbox.svc.cluster.local.')).toBe('netbox');
    // A public name that merely contains ".svc" is outside the cluster.
    expect(netboxNamespace('https://netbox.corp.svc.example.net')).toBeUndefined();
    expect(netboxNamespace('https://netbox.example.net')).toBeUndefined();
    expect(netboxPeer({ url: 'https://netbox-web.dcim.svc:8443', token: { key: 'x' } }).ports).toEqual([{ port: 8080 }, { port: 8443 }]);
    expect(() => netboxPeer({ url: 'https://netbox.example.net', token: { key: 'x' } }))
      .toThrow('netbox.networks: required because netbox.url "https://netbox.example.net" is outside the cluster; list the networks NetBox\'s addresses are in');
    expect(netboxPeer({ url: 'https://netbox.example.net:8443', token: { key: 'x' }, networks: ['198.51.100.0/24'] }).ports).toEqual([{ port: 8443 }]);
  });

  it('reports a bad CIDR in netbox.networks against the config file', () => {
    expect(() => parseConfig(`clusters:
  - name: lab
    datacenter: dc1
    tier: small
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [10.0.0.1/8] }
`, 'helios.yaml')).toThrow('helios.yaml: clusters[0].netbox.networks[0]: "10.0.0.1/8" is not a CIDR: it has host bits set; did you mean 10.0.0.0/8? (line 7)');
  });
});
