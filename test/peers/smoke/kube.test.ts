import { CoreV1Api } from '@kubernetes/client-node';
import { KubeApiServer, KubeUser } from '../harness/kube.js';

describe('kube-apiserver + etcd (real, token auth and RBAC)', () => {
  let kube: KubeApiServer;
  beforeAll(async () => { kube = await KubeApiServer.start(); });
  afterAll(async () => { await kube?.stop(); });

  it('creates and reads back a ConfigMap through @kubernetes/client-node', async () => {
    const core = kube.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'helios-collection' } } });
    await core.createNamespacedConfigMap({
      namespace: 'helios-collection',
      body: { metadata: { name: 'helios-targets-gnmic-0' }, data: { 'gnmic-0.yaml': 'leaf1:\n  address: 10.0.0.1:57400\n' } },
    });
    const read = await core.readNamespacedConfigMap({ namespace: 'helios-collection', name: 'helios-targets-gnmic-0' });
    expect(read.data).toEqual({ 'gnmic-0.yaml': 'leaf1:\n  address: 10.0.0.1:57400\n' });
    expect(read.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves kubectl with the same kubeconfig and reports its version', () => {
    const version = kube.kubectl(['version', '-o', 'json']);
    expect(version.status).toBe(0);
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toMatch(/^v1\.3[1-4]\./);
    const get = kube.kubectl(['get', 'configmap', '-n', 'helios-collection', 'helios-targets-gnmic-0', '-o', 'jsonpath={.data}']);
    expect(get.stdout).toContain('10.0.0.1:57400');
  });

  it('enforces RBAC: a user without bindings is forbidden', async () => {
    const core = kube.kubeConfig(KubeUser.NOBODY.token).makeApiClient(CoreV1Api);
    await expect(core.listNamespacedConfigMap({ namespace: 'helios-collection' })).rejects.toMatchObject({ code: 403 });
  });
});
