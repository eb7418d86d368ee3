import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  FlowPeer, HeliosNamespace, PlatformBase, Protocol, ScalableKind, type WorkloadRef,
} from '../../constructs/index.js';
import { resolveImage } from '../../constructs/platform/images.js';
import { HELIOS_NAMESPACES } from '../../constructs/platform/namespaces.js';
import { isPinnedImage, secureContainer, httpProbe } from '../../constructs/platform/security.js';
import { TAXONOMY_LABELS } from '../../constructs/platform/taxonomy.js';

function platform(props: Partial<ConstructorParameters<typeof PlatformBase>[2]> = {}): { chart: Chart; platform: PlatformBase } {
  const chart = Testing.chart();
  const p = new PlatformBase(chart, 'platform', { clusterName: 'dc1', site: 'ams1', region: 'eu-west', ...props });
  return { chart, platform: p };
}

const byKind = (objs: any[], kind: string) => objs.filter((o) => o.kind === kind);

describe('PlatformBase', () => {
  it('creates the six namespaces with Pod Security "restricted" enforced', () => {
    const objs = Testing.synth(platform().chart);
    const namespaces = byKind(objs, 'Namespace');
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual([...HELIOS_NAMESPACES].sort());
    expect(HELIOS_NAMESPACES).toHaveLength(6);
    for (const ns of namespaces) {
      expect(ns.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'helios.io/site': 'ams1',
        'helios.io/region': 'eu-west',
        'helios.io/cluster': 'dc1',
      });
    }
  });

  it('denies all traffic in every namespace except DNS lookups', () => {
    const policies = byKind(Testing.synth(platform().chart), 'NetworkPolicy');
    for (const ns of HELIOS_NAMESPACES) {
      const deny = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === 'default-deny');
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const dns = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === 'allow-dns');
      expect(dns.spec.policyTypes).toEqual(['Egress']);
      expect(dns.spec.egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
      expect(dns.spec.egress[0].to[0].podSelector.matchLabels).toEqual({ 'k8s-app': 'kube-dns' });
    }
  });

  it('defines the three Helios roles, each including the one below, and never grants Secrets', () => {
    const roles = byKind(Testing.synth(platform().chart), 'ClusterRole');
    expect(roles.map((r) => r.metadata.name)).toEqual(['helios-viewer', 'helios-engineer', 'helios-admin']);
    const [viewer, engineer, admin] = roles;
    expect(engineer.rules).toEqual(expect.arrayContaining(viewer.rules));
    expect(admin.rules).toEqual(expect.arrayContaining(engineer.rules));
    expect(engineer.rules).toContainEqual({ apiGroups: ['automation.helios.io'], resources: ['runbookexecutions'], verbs: ['create'] });
    expect(viewer.rules.flatMap((r: any) => r.verbs)).not.toContain('create');
    expect(admin.rules).toContainEqual({ apiGroups: ['automation.helios.io'], resources: ['runbookexecutions/approval'], verbs: ['approve'] });
    expect(engineer.rules.flatMap((r: any) => r.verbs)).not.toContain('approve');
    for (const role of roles) expect(role.rules.flatMap((r: any) => r.resources)).not.toContain('secrets');
  });

  it('binds identity-provider groups to the roles in every Helios namespace only', () => {
    const objs = Testing.synth(platform({ accessGroups: { admin: ['noc-admins'] } }).chart);
    const bindings = byKind(objs, 'RoleBinding');
    expect(bindings).toHaveLength(6);
    expect(new Set(bindings.map((b) => b.metadata.namespace))).toEqual(new Set(HELIOS_NAMESPACES));
    expect(bindings[0].subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'noc-admins' }]);
    expect(byKind(objs, 'ClusterRoleBinding')).toHaveLength(0);
  });

  it('creates a Vault ClusterSecretStore only when asked, and binds ExternalSecrets to the configured store', () => {
    expect(byKind(Testing.synth(platform().chart), 'ClusterSecretStore')).toHaveLength(0);
    const { chart, platform: p } = platform({ secretStore: { name: 'corp-vault' }, vault: { server: 'https://vault:8200', role: 'helios' } });
    p.addExternalSecret(chart, 'creds', {
      namespace: HeliosNamespace.COLLECTION,
      secretName: 'gnmic-credentials',
      owner: { name: 'gnmic', component: 'collector' },
      data: { password: { key: 'helios/devices', property: 'password' }, username: { key: 'helios/devices', property: 'username' } },
    });
    const objs = Testing.synth(chart);
    const [store] = byKind(objs, 'ClusterSecretStore');
    expect(store.metadata.name).toBe('corp-vault');
    expect(store.spec.provider.vault).toEqual({ server: 'https://vault:8200', path: 'secret', version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes', role: 'helios' } } });
    const [es] = byKind(objs, 'ExternalSecret');
    expect(es.spec.secretStoreRef).toEqual({ name: 'corp-vault', kind: 'ClusterSecretStore' });
    expect(es.spec.target).toEqual({ name: 'gnmic-credentials', creationPolicy: 'Owner' });
    expect(es.spec.data.map((d: any) => d.secretKey)).toEqual(['password', 'username']);
    expect(byKind(objs, 'Secret')).toHaveLength(0);
  });

  it('adds a PodDisruptionBudget only for workloads with more than one replica', () => {
    const { chart, platform: p } = platform();
    const w: WorkloadRef = { name: 'thanos-query', namespace: HeliosNamespace.STORAGE, component: 'query', podSelector: { 'app.kubernetes.io/name': 'thanos-query' } };
    expect(p.addPodDisruptionBudget(new Construct(chart, 'one'), w, 1)).toBeUndefined();
    expect(p.addPodDisruptionBudget(new Construct(chart, 'two'), w, 2)).toBeDefined();
    const [pdb] = byKind(Testing.synth(chart), 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'thanos-query' } } });
  });

  it('autoscales a workload on CPU between the given bounds and rejects inverted bounds', () => {
    const { chart, platform: p } = platform();
    const w: WorkloadRef = { name: 'goflow2', namespace: HeliosNamespace.FLOWS, component: 'collector', podSelector: { 'app.kubernetes.io/name': 'goflow2' } };
    p.addHorizontalPodAutoscaler(new Construct(chart, 'ok'), w, { kind: ScalableKind.DEPLOYMENT, replicasMin: 2, replicasMax: 6 });
    const [hpa] = byKind(Testing.synth(chart), 'HorizontalPodAutoscaler');
    expect(hpa.metadata.namespace).toBe('helios-flows');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'goflow2' });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 6]);
    expect(hpa.spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: 70 });
    expect(() => p.addHorizontalPodAutoscaler(new Construct(chart, 'bad'), w, { kind: ScalableKind.DEPLOYMENT, replicasMin: 4, replicasMax: 2 }))
      .toThrow('helios-flows/goflow2: autoscaling bounds 4–2 are invalid');
    expect(() => p.addHorizontalPodAutoscaler(new Construct(chart, 'zero'), w, { kind: ScalableKind.STATEFUL_SET, replicasMin: 0, replicasMax: 2 }))
      .toThrow('bounds 0–2 are invalid');
  });
});

describe('network flows', () => {
  const gnmic: WorkloadRef = { name: 'gnmic', namespace: HeliosNamespace.COLLECTION, component: 'collector', podSelector: { 'app.kubernetes.io/name': 'gnmic' } };
  const prometheus: WorkloadRef = { name: 'prometheus', namespace: HeliosNamespace.STORAGE, component: 'storage', podSelector: { 'app.kubernetes.io/name': 'prometheus' } };

  it('writes both ends of a flow from one declaration and keeps the matrix as data', () => {
    const { chart, platform: p } = platform();
    p.network.allow({ description: 'Prometheus scrapes gnmic', from: FlowPeer.workload(prometheus), to: FlowPeer.workload(gnmic), ports: [{ port: 9804 }] });
    p.network.allow({ description: 'gnmic dials devices', from: FlowPeer.workload(gnmic), to: FlowPeer.networks('management', ['10.0.0.0/8']), ports: [{ port: 57400 }, { port: 6030 }] });
    const policies = byKind(Testing.synth(chart), 'NetworkPolicy').filter((o) => !['default-deny', 'allow-dns'].includes(o.metadata.name));
    const gnmicPolicy = policies.find((o) => o.metadata.name === 'gnmic');
    expect(gnmicPolicy.metadata.namespace).toBe('helios-collection');
    expect(gnmicPolicy.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'helios-storage' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
      ports: [{ port: 9804, protocol: 'TCP' }],
    }]);
    expect(gnmicPolicy.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 57400, protocol: 'TCP' }, { port: 6030, protocol: 'TCP' }] }]);
    const promPolicy = policies.find((o) => o.metadata.name === 'prometheus');
    expect(promPolicy.spec.egress[0].ports).toEqual([{ port: 9804, protocol: 'TCP' }]);
    expect(promPolicy.spec.ingress).toEqual([]);
    expect(p.network.matrix.map(({ from, to, port, protocol }) => `${from} -> ${to} ${port}/${protocol}`)).toEqual([
      'helios-collection/gnmic -> management 57400/TCP',
      'helios-collection/gnmic -> management 6030/TCP',
      'helios-storage/prometheus -> helios-collection/gnmic 9804/TCP',
    ]);
  });

  it('rejects a flow without ports or with a port out of range', () => {
    const { platform: p } = platform();
    expect(() => p.network.allow({ description: 'x', from: FlowPeer.workload(gnmic), to: FlowPeer.namespace('kube-system'), ports: [] })).toThrow('network flow "x": at least one port is required');
    expect(() => p.network.allow({ description: 'y', from: FlowPeer.workload(gnmic), to: FlowPeer.namespace('kube-system'), ports: [{ port: 70000, protocol: Protocol.UDP }] })).toThrow('port 70000 is not between 1 and 65535');
  });
});

describe('secure defaults', () => {
  const probe = httpProbe('/-/healthy', 9090);
  const sizing = { cpuRequestMilli: 100, cpuLimitMilli: 500, memoryRequestMiB: 128, memoryLimitMiB: 256 };

  it('give every container the restricted security context, resources and probes', () => {
    const c = secureContainer({ name: 'x', image: 'quay.io/prometheus/prometheus:v3.5.0', resources: sizing, readinessProbe: probe, livenessProbe: probe });
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const r = c.resources!;
    expect([r.requests!.cpu.value, r.requests!.memory.value, r.limits!.cpu.value, r.limits!.memory.value]).toEqual(['100m', '128Mi', '500m', '256Mi']);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
  });

  it('refuse unpinned images and requests above limits', () => {
    expect(() => secureContainer({ name: 'x', image: 'quay.io/prometheus/prometheus:latest', resources: sizing, readinessProbe: probe, livenessProbe: probe }))
      .toThrow('container x: image "quay.io/prometheus/prometheus:latest" is not pinned');
    expect(() => secureContainer({ name: 'x', image: 'quay.io/prometheus/prometheus', resources: sizing, readinessProbe: probe, livenessProbe: probe })).toThrow(/not pinned/);
    expect(() => secureContainer({ name: 'x', image: 'a.io/b:1', resources: { ...sizing, cpuRequestMilli: 600 }, readinessProbe: probe, livenessProbe: probe })).toThrow('requests (600m, 128Mi) exceed limits (500m, 256Mi)');
    expect(isPinnedImage(`a.io/b@sha256:${'a'.repeat(64)}`)).toBe(true);
  });

  it('move images to a mirror registry and single components to another tag', () => {
    expect(resolveImage('thanos')).toMatch(/^quay\.io\/thanos\/thanos:v\d+\.\d+\.\d+$/);
    expect(resolveImage('thanos', { registry: 'registry.corp.example/mirror/', tags: { thanos: 'v0.41.0' } })).toBe('registry.corp.example/mirror/thanos/thanos:v0.41.0');
    expect(() => resolveImage('gnmic', { tags: { gnmic: 'latest' } })).toThrow('images.tags.gnmic: "latest" is not a pinned tag');
  });

  it('name the seven taxonomy labels once', () => {
    expect(TAXONOMY_LABELS).toEqual(['device', 'site', 'region', 'vendor', 'platform', 'role', 'tier']);
  });
});
