import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { parse, stringify } from 'yaml';
import { FederationStack, Minio, MinioSiteReplication, PlatformBase, StoreApiServiceType, ThanosQuery } from '../../constructs/index.js';
import { bucketOf, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { TIERS } from '../../src/config/tiers.js';
import { synthesize } from '../../src/synth.js';
import { problemsOf, runSynth, treeDigest } from '../helpers.js';
import { all, containerArgs, find, flagValues, parseYaml } from '../metrics/support.js';
import { promtool, scratch, writeScratch } from '../peers/harness/network-peers.js';
import { REPO_ROOT } from '../shared.js';

const EXAMPLE = join(REPO_ROOT, 'examples/multi-dc/helios.yaml');
const exampleText = readFileSync(EXAMPLE, 'utf8');

/** The multi-dc example, changed by `edit` (on the parsed YAML), as text. */
function fleet(edit: (doc: any) => void = () => {}): string {
  const doc = parse(exampleText);
  edit(doc);
  return stringify(doc);
}

/** Every synthesized object of a config, by cluster (and "argocd"). */
function objectsByCluster(text: string): Map<string, any[]> {
  const out = new Map<string, any[]>();
  for (const f of synthesize(parseConfig(text, 'helios.yaml')).files) {
    const cluster = f.path.split('/')[0];
    out.set(cluster, [...(out.get(cluster) ?? []), ...f.objects]);
  }
  return out;
}

const example = objectsByCluster(exampleText);
const clusterIndex = (doc: any, name: string) => doc.clusters.findIndex((c: any) => c.name === name);

describe('helios.yaml: the federation, checked across the fleet', () => {
  it('refuses two global queries, naming both clusters', () => {
    expect(problemsOf(fleet((d) => { d.clusters[0].role.globalQuery = true; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: clusters\[2\]\.role\.globalQuery: true, but clusters\[0\] \(fra1\) already hosts the global query; exactly one cluster may/),
    ]);
  });

  it('refuses a federation without a global query', () => {
    expect(problemsOf(fleet((d) => { delete d.clusters[2].role; }))).toContainEqual(expect.stringMatching(
      /^helios\.yaml: clusters\[0\]\.role\.globalQuery: is false on every cluster, but stacks\.federation is on for fra1, ams1, hub; allowed: exactly one cluster with role\.globalQuery: true/,
    ));
  });

  it('refuses a member the hub cannot reach: no endpoint, an IP address without a server name', () => {
    expect(problemsOf(fleet((d) => { delete d.clusters[clusterIndex(d, 'ams1')].federation; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: clusters\[1\]\.federation\.endpoint: is required: ams1 is a member of the federation and the hub reaches its StoreAPI there; allowed: \{ address: host:port, serverName, networks \}/),
    ]);
    expect(problemsOf(fleet((d) => { d.clusters[1].federation.endpoint.address = '198.51.100.130:10901'; }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.federation\.endpoint\.serverName: is required: the address "198\.51\.100\.130:10901" has no DNS name a certificate can carry/),
    ]);
    expect(problemsOf(fleet((d) => { d.clusters[1].federation.endpoint.address = 'thanos.ams1.example.net'; }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.federation\.endpoint\.address: "thanos\.ams1\.example\.net" has no port; write host:port/),
    ]);
    expect(problemsOf(fleet((d) => { d.clusters[1].federation.endpoint.address = 'thanos.fra1.example.net:10901'; }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.federation\.endpoint\.address: "thanos\.fra1\.example\.net:10901" is already the endpoint of clusters\[0\] \(fra1\); each member needs its own/),
    ]);
  });

  it('refuses a hub without the networks it connects from, and an endpoint on the hub', () => {
    expect(problemsOf(fleet((d) => { delete d.clusters[2].federation; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: clusters\[2\]\.federation\.hubNetworks: is required on the hub \(role\.globalQuery: true\)/),
    ]);
    expect(problemsOf(fleet((d) => { d.clusters[2].federation.endpoint = { address: 'thanos.hub.example.net:10901', networks: ['203.0.113.32/28'] }; }))).toEqual([
      expect.stringMatching(/clusters\[2\]\.federation\.endpoint: is set on the hub, which serves no member; remove it/),
    ]);
  });

  it('refuses federation without certificates, or with two issuers', () => {
    expect(problemsOf(fleet((d) => { delete d.defaults.federation; }))).toEqual([0, 1, 2].map((i) => expect.stringMatching(
      new RegExp(`^helios\\.yaml: clusters\\[${i}\\]\\.federation\\.tls: is required with stacks\\.federation: .*allowed: certManager \\{ issuer, kind \\}`),
    )));
    expect(problemsOf(fleet((d) => { d.clusters[1].federation.tls = { certManager: { issuer: 'other-ca' } }; }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.federation\.tls\.certManager: "ClusterIssuer\/other-ca" differs from clusters\[0\] \(fra1\), which uses "ClusterIssuer\/helios-federation-ca"/),
    ]);
  });

  it('refuses federation settings a cluster outside the federation would ignore', () => {
    expect(problemsOf(fleet((d) => { d.clusters[1].stacks.federation = false; }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.federation\.endpoint: is set, but stacks\.federation is false, so nothing would use it/),
    ]);
  });

  it('refuses a hub with no member, and a site URL with a path', () => {
    expect(problemsOf(fleet((d) => { d.clusters = [d.clusters[2]]; }))).toEqual([
      expect.stringMatching(/clusters\[0\]\.stacks\.federation: true, but hub is the only cluster in the federation; allowed: the hub and at least one member/),
    ]);
    expect(problemsOf(fleet((d) => { d.clusters[0].storage.site.url = 'https://minio.fra1.example.net/s3'; }))).toEqual([
      expect.stringMatching(/clusters\[0\]\.storage\.site\.url: "https:\/\/minio\.fra1\.example\.net\/s3" has a path; allowed: http\(s\):\/\/<host>\[:port\]/),
    ]);
  });

  it('refuses a service type that does not exist, listing the allowed ones', () => {
    expect(problemsOf(fleet((d) => { d.clusters[0].federation.serviceType = 'ExternalName'; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: clusters\[0\]\.federation\.serviceType: "ExternalName" is not one of ClusterIP, NodePort, LoadBalancer/),
    ]);
  });

  it('refuses gitops values Argo CD could not follow, naming the key and the value', () => {
    expect(problemsOf(fleet((d) => { d.gitops.path = '/dist/'; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: gitops\.path: "\/dist\/" is not a repository path/),
    ]);
    expect(problemsOf(fleet((d) => { d.gitops.revision = '-main'; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: gitops\.revision: "-main" is not a Git revision/),
    ]);
    expect(problemsOf(fleet((d) => { d.gitops.repoUrl = 'git@github.com:org/helios.git'; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: gitops\.repoUrl: "git@github\.com:org\/helios\.git" is not a URL/),
    ]);
    expect(problemsOf(fleet((d) => { d.gitops.autoSync = true; }))).toEqual([
      expect.stringMatching(/^helios\.yaml: gitops.*autoSync/),
    ]);
  });

  it('refuses a replication group with mixed topologies, a site without its URL, two compactors on one logical bucket', () => {
    expect(problemsOf(fleet((d) => {
      d.clusters[1].storage = { topology: 'single-dc-minio', replicationGroup: 'eu' };
    }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.storage\.replicationGroup: "eu" is set, but topology is single-dc-minio; a replication group joins multi-dc-minio clusters only/),
    ]);
    expect(problemsOf(fleet((d) => { delete d.clusters[1].storage.site; }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.storage\.site: is required for topology multi-dc-minio: \{ url, networks \}/),
    ]);
    expect(problemsOf(fleet((d) => { d.clusters[1].role = { compactor: true }; }))).toEqual([
      expect.stringMatching(/clusters\[1\]\.role\.compactor: true, but clusters\[0\] \(fra1\) already compacts minio-replication-group:\/\/eu\/helios-metrics; exactly one compactor may run per bucket/),
    ]);
  });

  it('refuses compactor retentions the compactor would refuse, naming the resolution', () => {
    expect(problemsOf(fleet((d) => { d.defaults.storage = { retention: { rawDays: 1 } }; }))).toContainEqual(expect.stringMatching(
      /clusters\[0\]\.storage\.retention\.rawDays: 1 is shorter than the 40 hours after which raw data is downsampled; allowed: 2 or more/,
    ));
    expect(problemsOf(fleet((d) => { d.clusters[0].storage.retention = { fiveMinuteDays: 100 }; }))).toEqual([
      expect.stringMatching(/clusters\[0\]\.storage\.retention\.fiveMinuteDays: 100 is longer than oneHourDays \(90\); allowed: at most oneHourDays/),
    ]);
  });

  it('leaves the output untouched when a fleet is refused', () => {
    const work = mkdtempSync(join(scratch('federation-refused'), 'out-'));
    cpSync(join(REPO_ROOT, 'examples/multi-dc/dist'), join(work, 'dist'), { recursive: true });
    const before = treeDigest(join(work, 'dist'));
    const invalid = {
      'two-hubs.yaml': fleet((d) => { d.clusters[0].role.globalQuery = true; }),
      'no-endpoint.yaml': fleet((d) => { delete d.clusters[1].federation; }),
      'mixed-group.yaml': fleet((d) => { d.clusters[1].storage = { topology: 'single-dc-minio', replicationGroup: 'eu' }; }),
      'two-compactors.yaml': fleet((d) => { d.clusters[1].role = { compactor: true }; }),
    };
    for (const [name, text] of Object.entries(invalid)) {
      writeFileSync(join(work, name), text);
      const r = runSynth(['--config', name, '--out', 'dist'], work);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`${name}: clusters[`);
      expect(treeDigest(join(work, 'dist'))).toBe(before);
    }
  });
});

describe('the global Thanos Query on the hub', () => {
  const hub = example.get('hub')!;
  const deployment = find(hub, 'Deployment', 'thanos-query-global', 'helios-storage');
  const args = containerArgs(deployment);
  const endpoints = parseYaml(find(hub, 'ConfigMap', 'thanos-query-global-endpoints', 'helios-storage').data['endpoints.yaml']).endpoints;

  it('fans out to every member\'s Query over mutual TLS, with each member\'s server name, and to its own Query inside the cluster', () => {
    expect(endpoints).toEqual([
      { address: 'dnssrv+_grpc._tcp.thanos-query.helios-storage.svc.cluster.local', strict: false, group: false },
      ...['ams1', 'fra1'].map((dc) => ({
        address: `thanos.${dc}.example.net:10901`,
        strict: true,
        group: false,
        client_config: {
          server_name: `thanos.${dc}.example.net`,
          tls_config: {
            enabled: true,
            cert_file: '/etc/thanos/client-tls/tls.crt',
            key_file: '/etc/thanos/client-tls/tls.key',
            ca_file: '/etc/thanos/client-tls/ca.crt',
            min_version: '1.3',
          },
        },
      })),
    ]);
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'client-tls', secret: { secretName: 'thanos-federation-client-tls' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'client-tls', mountPath: '/etc/thanos/client-tls', readOnly: true });
  });

  it('deduplicates replicas only, keeps the datacenter label, and answers partially when a datacenter is down', () => {
    expect(flagValues(args, 'query.replica-label')).toEqual(['prometheus_replica', 'rule_replica']);
    expect(args).toContain('--query.partial-response');
    expect(args).toContain('--store.response-timeout=30s');
    expect(args.join(' ')).not.toMatch(/datacenter|cluster=/);
    // A member that is down stays in the set and shows as a warning; the hub's own stores may come and go.
    expect(endpoints.map((e: any) => e.strict)).toEqual([false, true, true]);
  });

  it('presents a client certificate from the fleet\'s issuer', () => {
    expect(find(hub, 'Certificate', 'thanos-federation-client-tls', 'helios-storage').spec).toMatchObject({
      secretName: 'thanos-federation-client-tls',
      usages: ['digital signature', 'client auth'],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'helios-federation-ca' },
    });
  });

  it('may connect only to the members\' networks on the StoreAPI port, and to its own Query', () => {
    const policy = find(hub, 'NetworkPolicy', 'thanos-query-global', 'helios-storage');
    expect(policy.spec.egress).toEqual(expect.arrayContaining([
      { ports: [{ port: 10901, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '203.0.113.16/28' } }] },
      { ports: [{ port: 10901, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '198.51.100.128/28' } }] },
    ]));
    expect(find(hub, 'NetworkPolicy', 'thanos-query', 'helios-storage').spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'helios-storage' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'thanos-query-global', 'app.kubernetes.io/part-of': 'helios' } } }],
      ports: [{ port: 10901, protocol: 'TCP' }],
    });
  });

  it('is what the hub\'s Grafana reads; the hub\'s Ruler keeps its own Query', () => {
    const datasources = parseYaml(find(hub, 'ConfigMap', 'grafana-provisioning', 'helios-visualization').data['datasources.yaml']).datasources;
    expect(datasources.find((d: any) => d.uid === 'thanos').url).toBe('http://thanos-query-global.helios-storage.svc.cluster.local:10902');
    expect(find(hub, 'NetworkPolicy', 'thanos-query-global', 'helios-storage').spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'helios-visualization' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/part-of': 'helios' } } }],
      ports: [{ port: 10902, protocol: 'TCP' }],
    });
    for (const dc of ['fra1', 'ams1']) {
      const own = parseYaml(find(example.get(dc)!, 'ConfigMap', 'grafana-provisioning', 'helios-visualization').data['datasources.yaml']).datasources;
      expect(own.find((d: any) => d.uid === 'thanos').url).toBe('http://thanos-query.helios-storage.svc.cluster.local:10902');
    }
  });

  it('exists on the hub only', () => {
    for (const dc of ['fra1', 'ams1']) expect(all(example.get(dc)!, 'Deployment').map((d) => d.metadata.name)).not.toContain('thanos-query-global');
  });
});

describe('each member serves its StoreAPI to the hub only', () => {
  it.each(['fra1', 'ams1'])('%s: mutual TLS on its Query\'s gRPC, a Service for the hub, ingress from the hub\'s networks only', (dc) => {
    const objects = example.get(dc)!;
    const query = find(objects, 'Deployment', 'thanos-query', 'helios-storage');
    expect(containerArgs(query)).toEqual(expect.arrayContaining([
      '--grpc-server-tls-cert=/etc/thanos/server-tls/tls.crt',
      '--grpc-server-tls-key=/etc/thanos/server-tls/tls.key',
      '--grpc-server-tls-client-ca=/etc/thanos/server-tls/ca.crt',
    ]));
    expect(find(objects, 'Certificate', 'thanos-federation-server-tls', 'helios-storage').spec).toMatchObject({
      dnsNames: [`thanos.${dc}.example.net`], usages: ['digital signature', 'server auth'],
    });
    expect(find(objects, 'Service', 'thanos-query-federation', 'helios-storage').spec).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      loadBalancerSourceRanges: ['203.0.113.32/28'],
      ports: [{ name: 'grpc', port: 10901, targetPort: 'grpc' }],
    });
    const fromOutside = find(objects, 'NetworkPolicy', 'thanos-query', 'helios-storage').spec.ingress
      .filter((rule: any) => rule.from.some((p: any) => p.ipBlock));
    expect(fromOutside).toEqual([{ from: [{ ipBlock: { cidr: '203.0.113.32/28' } }], ports: [{ port: 10901, protocol: 'TCP' }] }]);
  });

  it('takes the Service type from federation.serviceType', () => {
    const objects = objectsByCluster(fleet((d) => { d.clusters[1].federation.serviceType = 'NodePort'; })).get('ams1')!;
    const spec = find(objects, 'Service', 'thanos-query-federation', 'helios-storage').spec;
    expect(spec.type).toBe('NodePort');
    expect(spec.loadBalancerSourceRanges).toBeUndefined();
  });
});

describe('one compactor per logical bucket across the fleet', () => {
  it('the example: fra1 compacts the replicated bucket of eu, the hub its own S3 bucket, ams1 none', () => {
    const config = loadConfigFile(EXAMPLE);
    const compactors = new Map<string, string[]>();
    for (const c of config.clusters) {
      const has = all(example.get(c.name)!, 'StatefulSet').some((s) => s.metadata.name === 'thanos-compactor');
      if (has) compactors.set(bucketOf(c), [...(compactors.get(bucketOf(c)) ?? []), c.name]);
    }
    expect(Object.fromEntries(compactors)).toEqual({
      'minio-replication-group://eu/helios-metrics': ['fra1'],
      's3://s3.eu-central-1.amazonaws.com/helios-hub-metrics': ['hub'],
    });
    const buckets = new Set(config.clusters.map(bucketOf));
    expect([...buckets].sort()).toEqual([...compactors.keys()].sort());
  });

  it('retention per resolution reaches the compactor', () => {
    const objects = objectsByCluster(fleet((d) => { d.clusters[0].storage.retention = { rawDays: 7, fiveMinuteDays: 60, oneHourDays: 365 }; })).get('fra1')!;
    const args = containerArgs(find(objects, 'StatefulSet', 'thanos-compactor', 'helios-storage'));
    expect(args).toEqual(expect.arrayContaining(['--retention.resolution-raw=7d', '--retention.resolution-5m=60d', '--retention.resolution-1h=365d']));
  });
});

describe('multi-dc-minio: MinIO site replication', () => {
  const fra1 = example.get('fra1')!;
  const ams1 = example.get('ams1')!;
  const job = all(fra1, 'Job').find((j) => j.metadata.name.startsWith('minio-site-replication-'));

  it('the compactor\'s site holds the bucket and reconciles; the other site starts empty', () => {
    expect(job).toBeDefined();
    expect(all(fra1, 'Job').filter((j) => j.metadata.namespace === 'helios-storage').map((j) => j.metadata.name.replace(/-[0-9a-f]{8}$/, '')).sort()).toEqual(['minio-setup', 'minio-site-replication']);
    expect(all(ams1, 'Job').filter((j) => j.metadata.namespace === 'helios-storage')).toEqual([]);
    const image = job.spec.template.spec.containers[0].image;
    expect(image).toMatch(/^[^:]+\/mc:RELEASE\.[0-9T-]+Z$/);
    // The credentials of every site come from the secret store, never from the manifest.
    const secret = find(fra1, 'ExternalSecret', 'minio-site-replication', 'helios-storage');
    expect(secret.spec.data.map((d: any) => [d.secretKey, d.remoteRef.key, d.remoteRef.property])).toEqual([
      ['site0Password', 'helios/minio-fra1', 'root-password'], ['site0User', 'helios/minio-fra1', 'root-user'],
      ['site1Password', 'helios/minio-ams1', 'root-password'], ['site1User', 'helios/minio-ams1', 'root-user'],
    ]);
  });

  it('a changed member list is a new Job', () => {
    const changed = objectsByCluster(fleet((d) => { d.clusters[1].storage.site.url = 'https://minio2.ams1.example.net'; })).get('fra1')!;
    const other = all(changed, 'Job').find((j) => j.metadata.name.startsWith('minio-site-replication-'));
    expect(other.metadata.name).not.toBe(job.metadata.name);
  });

  it('each site admits only the other sites\' networks to MinIO, behind a Service limited to them', () => {
    expect(find(ams1, 'Service', 'minio-site', 'helios-storage').spec.loadBalancerSourceRanges).toEqual(['203.0.113.16/28']);
    const ingress = find(ams1, 'NetworkPolicy', 'minio', 'helios-storage').spec.ingress.filter((r: any) => r.from.some((p: any) => p.ipBlock));
    expect(ingress).toEqual([{ from: [{ ipBlock: { cidr: '203.0.113.16/28' } }], ports: [{ port: 9000, protocol: 'TCP' }] }]);
  });

  /**
   * The reconciliation's decisions, run by sh against a recording `mc` that answers
   * `replicate info` with a given member list (MinIO itself is AGPL and is not run here).
   */
  function reconcile(replicating: string[]): string[] {
    const dir = scratch('minio-replicate');
    const script = find(fra1, 'ConfigMap', 'minio-site-replication', 'helios-storage').data['replicate.sh'];
    writeScratch(dir, 'replicate.sh', script);
    const info = JSON.stringify({ status: 'success', enabled: replicating.length > 0, sites: replicating.map((name) => ({ name })) });
    const mc = writeScratch(dir, 'mc', `#!/bin/sh\necho "$*" >> "${dir}/calls"\ncase "$*" in "admin replicate info fra1 --json") echo '${info}' ;; esac\n`);
    chmodSync(mc, 0o755);
    const env = { PATH: `${dir}:/usr/bin:/bin`, SITE0_USER: 'u0', SITE0_PASSWORD: 'p0', SITE1_USER: 'u1', SITE1_PASSWORD: 'p1' };
    const r = spawnSync('/bin/sh', [join(dir, 'replicate.sh')], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').filter((c) => c.startsWith('admin replicate') && !c.startsWith('admin replicate info') && !c.startsWith('admin replicate status'));
  }

  it('adds the sites when none replicate, does nothing when they match, removes a departed site', () => {
    expect(reconcile([])).toEqual(['admin replicate add fra1 ams1']);
    expect(reconcile(['ams1', 'fra1'])).toEqual([]);
    expect(reconcile(['ams1', 'fra1', 'lon1'])).toEqual(['admin replicate rm fra1 lon1 --force']);
  });
});

describe('promtool: the MinIO site replication alerts', () => {
  const rule = find(example.get('ams1')!, 'PrometheusRule', 'minio-site-replication', 'helios-storage');
  const dir = scratch('minio-replication-rules');
  const file = writeScratch(dir, 'rules.yaml', stringify(rule.spec));
  const logic = writeScratch(dir, 'logic.yaml', stringify({
    groups: rule.spec.groups.map((g: any) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }: any) => r) })),
  }));

  it('pass check rules and link to their runbook headings', () => {
    const r = promtool(['check', 'rules', file]);
    expect(r.status).toBe(0);
    const alerts = rule.spec.groups.flatMap((g: any) => g.rules);
    expect(alerts.map((a: any) => a.alert)).toEqual(['MinioSiteReplicationLinkDown', 'MinioSiteReplicationFailing']);
    const runbooks = readFileSync(join(REPO_ROOT, 'constructs/metrics/README.md'), 'utf8');
    for (const a of alerts) {
      expect(a.annotations.runbook_url).toMatch(new RegExp(`/constructs/metrics/README\\.md#${a.alert.toLowerCase()}$`));
      expect(runbooks).toContain(`### ${a.alert}\n`);
    }
  });

  it('fire on a link offline for 10 minutes and on failures for 15 minutes, not before', () => {
    const labels = 'job="minio", namespace="helios-storage"';
    const test = {
      rule_files: [logic],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          { series: `minio_cluster_replication_link_online{${labels}, endpoint="minio.fra1.example.net", server="minio-0"}`, values: '1 1 0x20' },
          { series: `minio_cluster_replication_last_minute_failed_count{${labels}, server="minio-0"}`, values: '0 0 3x25' },
          { series: `minio_cluster_replication_recent_backlog_count{${labels}, server="minio-0"}`, values: '0x30' },
        ],
        alert_rule_test: [
          { eval_time: '10m', alertname: 'MinioSiteReplicationLinkDown', exp_alerts: [] },
          { eval_time: '13m', alertname: 'MinioSiteReplicationLinkDown', exp_alerts: [{ exp_labels: { job: 'minio', namespace: 'helios-storage', endpoint: 'minio.fra1.example.net', severity: 'critical' } }] },
          { eval_time: '15m', alertname: 'MinioSiteReplicationFailing', exp_alerts: [] },
          { eval_time: '18m', alertname: 'MinioSiteReplicationFailing', exp_alerts: [{ exp_labels: { job: 'minio', namespace: 'helios-storage', severity: 'warning' } }] },
        ],
      }],
    };
    const r = promtool(['test', 'rules', writeScratch(dir, 'test.yaml', stringify(test))]);
    if (r.status !== 0) throw new Error(`${r.stdout}\n${r.stderr}`);
    expect(r.stdout).toMatch(/SUCCESS/);
  });
});

describe('the four storage topologies side by side', () => {
  const S3 = { endpoint: 's3.eu-central-1.amazonaws.com', region: 'eu-central-1', bucket: 'helios-archive', accessKey: { key: 'helios/s3', property: 'access-key' }, secretKey: { key: 'helios/s3', property: 'secret-key' } };
  const site = (name: string, cidr: string) => ({ url: `https://minio.${name}.example.net`, networks: [cidr] });
  const base = (name: string, storage: object, extra: object = {}) => ({
    name,
    datacenter: name,
    tier: 'small',
    storage,
    managementNetworks: ['10.0.0.0/8'],
    netbox: { url: 'https://netbox.example.net', networks: ['198.51.100.0/24'] },
    ...extra,
  });
  const topologies = objectsByCluster(stringify({
    clusters: [
      base('single', { topology: 'single-dc-minio' }),
      base('multi1', { topology: 'multi-dc-minio', replicationGroup: 'g', site: site('multi1', '192.0.2.0/28') }, { role: { compactor: true } }),
      base('multi2', { topology: 'multi-dc-minio', replicationGroup: 'g', site: site('multi2', '192.0.2.16/28') }),
      base('cloud', { topology: 'cloud-s3', s3: S3 }),
      base('hybrid', { topology: 'hybrid', s3: S3, tierAfterDays: 45 }),
    ],
  }));

  /** One row of the table: what a topology deploys for the metrics bucket. */
  function row(cluster: string) {
    const objects = topologies.get(cluster)!;
    const storage = objects.filter((o) => o.metadata.namespace === 'helios-storage');
    const names = (kind: string) => all(storage, kind).map((o) => o.metadata.name.replace(/-[0-9a-f]{8}$/, '')).sort();
    const objstore = find(storage, 'ExternalSecret', 'thanos-objstore', 'helios-storage');
    const config = parseYaml(objstore.spec.target.template.data['objstore.yml'].replace(/\{\{[^}]*\}\}/g, 'x')).config;
    const setup = storage.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'minio-setup');
    const lifecycle = setup && JSON.parse(setup.data['lifecycle.json']).Rules.map((r: any) => r.ID);
    const policy = setup && JSON.parse(setup.data['thanos-policy.json']).Statement.map((s: any) => s.Resource[0]);
    const egress = (name: string) => storage.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name)?.spec.egress
      .filter((r: any) => r.to.some((p: any) => p.ipBlock)).map((r: any) => `${r.to.map((p: any) => p.ipBlock.cidr).join(',')}:${r.ports.map((p: any) => p.port).join(',')}`) ?? [];
    const minioIngress = storage.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'minio')?.spec.ingress
      .filter((r: any) => r.from.some((p: any) => p.ipBlock)).map((r: any) => r.from.map((p: any) => p.ipBlock.cidr).join(',')) ?? [];
    return {
      objstore: `${config.endpoint}/${config.bucket} insecure=${config.insecure} ${config.bucket_lookup_type}`,
      minio: names('StatefulSet').includes('minio'),
      jobs: names('Job'),
      lifecycle,
      policy,
      compactor: names('StatefulSet').includes('thanos-compactor'),
      storeEgress: egress('thanos-store'),
      minioEgress: egress('minio'),
      minioIngress,
    };
  }

  it('objstore, MinIO on/off, hot tier, bucket policy and NetworkPolicies per topology', () => {
    const inCluster = 'minio.helios-storage.svc.cluster.local:9000/helios-metrics insecure=true path';
    const policy = ['arn:aws:s3:::helios-metrics', 'arn:aws:s3:::helios-metrics/*'];
    expect(Object.fromEntries(['single', 'multi1', 'multi2', 'cloud', 'hybrid'].map((c) => [c, row(c)]))).toEqual({
      single: { objstore: inCluster, minio: true, jobs: ['minio-setup'], lifecycle: ['expire-noncurrent-versions'], policy, compactor: true, storeEgress: [], minioEgress: [], minioIngress: [] },
      // The reconciling site holds the bucket; the other receives bucket, lifecycle and users through replication.
      multi1: { objstore: inCluster, minio: true, jobs: ['minio-setup', 'minio-site-replication'], lifecycle: ['expire-noncurrent-versions'], policy, compactor: true, storeEgress: [], minioEgress: ['192.0.2.16/28:443'], minioIngress: ['192.0.2.16/28'] },
      multi2: { objstore: inCluster, minio: true, jobs: [], lifecycle: undefined, policy: undefined, compactor: false, storeEgress: [], minioEgress: ['192.0.2.0/28:443'], minioIngress: ['192.0.2.0/28'] },
      cloud: { objstore: 's3.eu-central-1.amazonaws.com/helios-archive insecure=false auto', minio: false, jobs: [], lifecycle: undefined, policy: undefined, compactor: true, storeEgress: ['0.0.0.0/0:443'], minioEgress: [], minioIngress: [] },
      hybrid: { objstore: inCluster, minio: true, jobs: ['minio-setup'], lifecycle: ['expire-noncurrent-versions', 'tier-to-s3'], policy, compactor: true, storeEgress: [], minioEgress: ['0.0.0.0/0:443'], minioIngress: [] },
    });
    // The hot tier: after tierAfterDays, objects move to the S3 bucket through MinIO's tier.
    const hybridLifecycle = JSON.parse(find(topologies.get('hybrid')!, 'ConfigMap', 'minio-setup', 'helios-storage').data['lifecycle.json']);
    expect(hybridLifecycle.Rules[1].Transition).toEqual({ Days: 45, StorageClass: 'HELIOS-S3' });
  });
});

describe('Argo CD: the fleet\'s ApplicationSet over the real output', () => {
  const argo = example.get('argocd')!;
  const appSet = find(argo, 'ApplicationSet', 'helios', 'argocd');
  const project = find(argo, 'AppProject', 'helios', 'argocd');
  const dist = join(REPO_ROOT, 'examples/multi-dc/dist');

  /** Go's path.Match for the patterns the generator uses: `*` matches within one path segment. */
  const matches = (pattern: string, path: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(path);

  /** The git directory generator as Argo CD runs it: every directory of the repository, included and not excluded. */
  function generate(): Array<Record<string, string>> {
    const prefix = 'examples/multi-dc/dist';
    const dirs: string[] = [];
    for (const cluster of readdirSync(dist, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      dirs.push(`${prefix}/${cluster.name}`);
      for (const folder of readdirSync(join(dist, cluster.name), { withFileTypes: true }).filter((d) => d.isDirectory())) dirs.push(`${prefix}/${cluster.name}/${folder.name}`);
    }
    const { directories } = appSet.spec.generators[0].git;
    const include = directories.filter((d: any) => !d.exclude).map((d: any) => d.path);
    const exclude = directories.filter((d: any) => d.exclude).map((d: any) => d.path);
    return dirs.filter((d) => include.some((p: string) => matches(p, d)) && !exclude.some((p: string) => matches(p, d))).map((path) => ({ path }));
  }

  /** The goTemplate expressions the template uses, evaluated for one generated path. */
  function render(text: string, path: string): string {
    const segments = path.split('/');
    const basename = segments[segments.length - 1];
    return text
      .replace(/\{\{ if eq \.path\.basename "([^"]+)" \}\}([^{]*)\{\{ else \}\}([^{]*)\{\{ end \}\}/g, (_, v, a, b) => (basename === v ? a : b))
      .replace(/\{\{ index \.path\.segments (\d+) \}\}/g, (_, i) => segments[Number(i)])
      .replace(/\{\{ \.path\.basename \}\}/g, basename)
      .replace(/\{\{ \.path\.path \}\}/g, path);
  }

  const applications = generate().map(({ path }) => {
    const t = appSet.spec.template;
    return {
      name: render(t.metadata.name, path),
      wave: render(t.metadata.labels['helios.io/sync-wave'], path),
      destination: render(t.spec.destination.name, path),
      path: render(t.spec.source.path, path),
    };
  });

  it('makes exactly one Application per cluster × folder of dist/, none missing, none extra', () => {
    const expected = ['fra1', 'ams1', 'hub'].flatMap((c) => readdirSync(join(dist, c)).map((f) => `helios-${c}-${f}`)).sort();
    expect(applications.map((a) => a.name).sort()).toEqual(expected);
    expect(new Set(applications.map((a) => a.name)).size).toBe(applications.length);
    for (const a of applications) {
      const [, cluster] = a.name.match(/^helios-(fra1|ams1|hub)-/)!;
      expect(a.destination).toBe(cluster);
      expect(a.path).toBe(`examples/multi-dc/dist/${cluster}/${a.name.slice(`helios-${cluster}-`.length)}`);
    }
    expect(applications.some((a) => a.path.includes('/argocd'))).toBe(false);
  });

  it('syncs the cluster-scoped folders first: RollingSync steps wave 0, then wave 1', () => {
    expect(applications.filter((a) => a.wave === '0').map((a) => a.name).sort()).toEqual(['helios-ams1-cluster', 'helios-fra1-cluster', 'helios-hub-cluster']);
    expect(applications.filter((a) => a.wave !== '0').every((a) => a.wave === '1')).toBe(true);
    expect(appSet.spec.strategy.rollingSync.steps.map((s: any) => s.matchExpressions[0].values)).toEqual([['0'], ['1']]);
  });

  it('applies server-side, syncs automatically with prune as helios.yaml says, from its repository and revision', () => {
    const spec = appSet.spec.template.spec;
    expect(spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect(spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(spec.source).toMatchObject({ repoURL: 'https://git.example.net/netops/helios.git', targetRevision: 'main' });
    const manual = objectsByCluster(fleet((d) => { d.gitops.automatedSync = false; })).get('argocd')!;
    expect(find(manual, 'ApplicationSet', 'helios', 'argocd').spec.template.spec.syncPolicy.automated).toBeUndefined();
  });

  it('lets the project deploy only to the fleet\'s clusters and only the cluster-scoped kinds the output holds', () => {
    expect(project.spec.destinations).toEqual(['ams1', 'fra1', 'hub'].map((name) => ({ name, namespace: '*' })));
    expect(project.spec.sourceRepos).toEqual(['https://git.example.net/netops/helios.git']);
    expect(project.spec.clusterResourceWhitelist.map((k: any) => k.kind)).toEqual(expect.arrayContaining(['Namespace', 'ClusterRole']));
    expect(project.spec.clusterResourceWhitelist.find((k: any) => k.kind === '*')).toBeUndefined();
  });
});

describe('the constructs refuse what cannot work, naming it', () => {
  const platform = () => new PlatformBase(Testing.chart(), 'p', { clusterName: 'c', site: 's' });
  const resources = TIERS.small.thanosQuery.resources;

  it('FederationStack: a cluster is the hub or a member, exactly one; a member needs its Query and the hub\'s networks', () => {
    const p = platform();
    const member = { serverName: 'thanos.c.example.net', hubNetworks: ['192.0.2.0/28'], serviceType: StoreApiServiceType.NODE_PORT };
    const globalQuery = { replicas: 1, resources, members: [{ name: 'm', address: 'thanos.m.example.net:10901', serverName: 'thanos.m.example.net', networks: ['192.0.2.16/28'] }] };
    expect(() => new FederationStack(p, 'both', { platform: p, issuer: { name: 'ca' }, member, globalQuery }))
      .toThrow('federation: a cluster is either the hub (globalQuery) or a member (member), exactly one of them');
    expect(() => new FederationStack(p, 'lonely', { platform: p, issuer: { name: 'ca' }, member }))
      .toThrow('federation: a member needs its Thanos Query (localQuery) to serve the hub');
    expect(() => new FederationStack(p, 'empty', { platform: p, issuer: { name: 'ca' }, globalQuery: { ...globalQuery, members: [] } }))
      .toThrow('federation: the global query needs at least one member');
  });

  it('ThanosQuery: remote stores need a client certificate', () => {
    const p = platform();
    expect(() => new ThanosQuery(p, 'q', {
      platform: p, replicas: 1, resources, stores: [], remoteStores: [{ name: 'm', address: 'a.example.net:10901', serverName: 'a.example.net', networks: ['192.0.2.0/28'] }],
    })).toThrow('thanos-query: remoteStores need clientTls (the client certificate and CA)');
  });

  it('MinioSiteReplication: at least two distinct sites, this one among them', () => {
    const p = platform();
    const minio = new Minio(p, 'minio', { platform: p, servers: 1, drivesPerServer: 1, volumeGiB: 10, resources: TIERS.small.minio.resources, bucket: 'b' });
    const site = (name: string) => ({ name, url: `https://${name}.example.net`, networks: ['192.0.2.0/28'], rootUser: { key: 'k' }, rootPassword: { key: 'k' } });
    expect(() => new MinioSiteReplication(p, 'one', { platform: p, minio, site: 'a', sites: [site('a')], reconciler: true }))
      .toThrow('minio site replication: a — at least two sites are needed');
    expect(() => new MinioSiteReplication(p, 'twice', { platform: p, minio, site: 'a', sites: [site('a'), site('a')], reconciler: true }))
      .toThrow('minio site replication: site names repeat (a, a)');
    expect(() => new MinioSiteReplication(p, 'elsewhere', { platform: p, minio, site: 'c', sites: [site('a'), site('b')], reconciler: true }))
      .toThrow('minio site replication: this site "c" is not among the sites a, b');
  });
});
