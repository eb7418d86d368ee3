import { CoreV1Api } from '@kubernetes/client-node';
import { TARGET_SHARDS_MAX, TargetSet, targetConfigMapName, targetNamespace } from '../../constructs/platform/targets.js';
import { ConfigMapWriter, changedFiles } from '../../services/target-generator/src/kube/writer.js';
import { buildTargets } from '../../services/target-generator/src/sync.js';
import { renderYaml, type KubeObject } from '../../src/manifests.js';
import { clusterObjects, oneCluster } from '../metrics/support.js';
import { KubeApiServer, KubeUser } from '../peers/harness/kube.js';

/**
 * The Target Generator's RBAC, as synthesized, on a real kube-apiserver: its
 * service account may get and patch the target ConfigMaps and do nothing else, and
 * the real writer (services/target-generator) does its whole job with exactly that.
 */
describe('the Target Generator\'s permissions, on a real API server', () => {
  let kube: KubeApiServer;
  const SA = 'system:serviceaccount:helios-integration:target-generator';
  const objects = clusterObjects(oneCluster({ tier: 'small' }));
  const ours = (o: KubeObject) => o.metadata.labels?.['app.kubernetes.io/name'] === 'target-generator'
    && ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap'].includes(o.kind);
  const manifests = renderYaml([
    ...objects.filter((o) => o.kind === 'Namespace' && ['helios-integration', 'helios-collection', 'helios-storage'].includes(o.metadata.name)),
    ...objects.filter(ours),
  ]);
  const apply = () => {
    const r = kube.kubectl(['apply', '--server-side', '--field-manager=kubectl', '-f', '-'], manifests);
    if (r.status !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
  };
  const canI = (verb: string, resource: string, namespace: string) =>
    kube.kubectl(['auth', 'can-i', verb, resource, '-n', namespace, `--as=${SA}`]).stdout.trim();

  beforeAll(async () => {
    kube = await KubeApiServer.start();
    apply();
    // The same Roles bound to a user the test holds a token of, to run the writer with them.
    for (const namespace of ['helios-collection', 'helios-storage']) {
      const r = kube.kubectl(['create', 'rolebinding', 'target-generator-as-nobody', '-n', namespace, '--role=target-generator', `--user=${KubeUser.NOBODY.name}`]);
      if (r.status !== 0) throw new Error(r.stderr);
    }
  });
  afterAll(async () => { await kube?.stop(); });

  it('lets the service account get and patch each target ConfigMap, in its own set\'s namespace only', () => {
    for (const set of Object.values(TargetSet)) {
      for (const shard of [0, TARGET_SHARDS_MAX - 1]) {
        const name = `configmap/${targetConfigMapName(set, shard)}`;
        expect([set, shard, canI('get', name, targetNamespace(set)), canI('patch', name, targetNamespace(set))]).toEqual([set, shard, 'yes', 'yes']);
        const other = targetNamespace(set) === 'helios-storage' ? 'helios-collection' : 'helios-storage';
        expect(canI('get', name, other)).toBe('no');
      }
    }
  });

  it('refuses it everything else: create, delete, list, watch, update, other ConfigMaps, Secrets', () => {
    expect(canI('create', 'configmaps', 'helios-collection')).toBe('no');
    expect(canI('delete', 'configmap/helios-targets-gnmic-0', 'helios-collection')).toBe('no');
    expect(canI('list', 'configmaps', 'helios-storage')).toBe('no');
    expect(canI('watch', 'configmaps', 'helios-storage')).toBe('no');
    expect(canI('update', 'configmap/helios-targets-snmp-0', 'helios-storage')).toBe('no');
    expect(canI('get', 'configmap/gnmic-config', 'helios-collection')).toBe('no');
    expect(canI('patch', 'configmap/helios-targets-gnmic-8', 'helios-collection')).toBe('no');
    expect(canI('get', 'secrets', 'helios-integration')).toBe('no');
    expect(canI('get', 'configmap/target-generator-settings', 'helios-integration')).toBe('no');
  });

  it('is enough for the real writer: it reads every shard and writes the targets by server-side apply', async () => {
    const writer = new ConfigMapWriter(kube.kubeConfig(KubeUser.NOBODY.token));
    const live = await writer.read();
    expect(live).toHaveLength(4 * TARGET_SHARDS_MAX);
    expect(live.every((l) => l.exists && l.hash === undefined && l.targets === 0)).toBe(true);
    const built = buildTargets({
      devices: [{ id: 7, name: 'AMS1-Leaf-1', siteId: 1, site: 'ams1', role: 'leaf', vendor: 'arista', platform: 'eos', primaryIp: '10.0.0.1/32', customFields: { helios_monitor: true } }],
      sites: [{ id: 1, region: 'europe' }],
    });
    const { growing, shrinking } = changedFiles(built.files, live);
    await writer.write([...growing, ...shrinking]);

    const cm = await kube.kubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: 'helios-collection', name: 'helios-targets-gnmic-0' });
    expect(cm.data?.['gnmic-0.yaml']).toMatch(/^"ams1-leaf-1": \{"address": "10.0.0.1:57400"/);
    expect(cm.metadata?.managedFields?.map((f) => f.manager).sort()).toEqual(['helios-target-generator', 'kubectl']);
    expect((await writer.read()).every((l) => l.hash !== undefined)).toBe(true);
  });

  it('keeps the generator\'s data when the manifests are applied again, and the manifests\' labels', async () => {
    apply();
    const core = kube.kubeConfig().makeApiClient(CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ namespace: 'helios-collection', name: 'helios-targets-gnmic-0' });
    expect(cm.data?.['gnmic-0.yaml']).toContain('ams1-leaf-1');
    expect(cm.metadata?.labels?.['app.kubernetes.io/part-of']).toBe('helios');
  });

  it('cannot recreate a shard someone deleted, and says what to do', async () => {
    kube.kubectl(['delete', 'configmap', 'helios-targets-prometheus-7', '-n', 'helios-storage']);
    const writer = new ConfigMapWriter(kube.kubeConfig(KubeUser.NOBODY.token));
    const built = buildTargets({ devices: [], sites: [] });
    const file = built.files.find((f) => f.configMap === 'helios-targets-prometheus-7')!;
    await expect(writer.write([file])).rejects.toThrow('apply ConfigMap helios-storage/helios-targets-prometheus-7: forbidden. The Target Generator may get and patch the target ConfigMaps, not create them: apply the Helios manifests, which create every shard, before it runs');
  });
});
