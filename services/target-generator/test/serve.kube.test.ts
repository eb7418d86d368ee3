import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiServer } from '../../../test/peers/harness/kube.js';
import { scratch } from '../../../test/peers/harness/network-peers.js';
import { freePort, httpOk, PeerProcess, waitFor } from '../../../test/peers/harness/process.js';
import { createTargetNamespaces, gnmicTargets, sample, SERVICE_DIR, targetConfigMaps, tokenFile } from './helpers.js';
import { NetBoxFake } from './netbox-fake.js';

/**
 * The long-running mode, as the Deployment runs it (`target-generator serve`), on
 * a real API server: NetBox's webhooks bring a change into the ConfigMaps within
 * seconds; webhooks without the right signature are refused and change nothing.
 */
describe('target-generator serve, on a real API server', () => {
  let kube: KubeApiServer;
  let fake: NetBoxFake;
  let generator: PeerProcess;
  let base: string;
  const secret = 'netbox-webhook-secret';
  let leaf: number;

  beforeAll(async () => {
    [kube, fake] = await Promise.all([KubeApiServer.start(), NetBoxFake.start()]);
    await createTargetNamespaces(kube);
    fake.addSite('ams1', 'europe');
    leaf = fake.addDevice({ name: 'ams1-leaf-1', site: 'ams1', customFields: { helios_monitor: true } });
    const secretFile = join(scratch('webhook-secret'), 'secret');
    writeFileSync(secretFile, secret);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    generator = await PeerProcess.start({
      name: 'target-generator',
      command: join(SERVICE_DIR, '..', '..', 'node_modules', '.bin', 'tsx'),
      args: [join(SERVICE_DIR, 'src', 'main.ts'), 'serve'],
      cwd: SERVICE_DIR,
      env: {
        NETBOX_URL: fake.url,
        NETBOX_TOKEN_FILE: tokenFile(fake),
        KUBECONFIG: kube.kubeconfigPath,
        LISTEN_PORT: String(port),
        // Only the start and the webhooks sync here: the interval is out of the test's way.
        SYNC_INTERVAL_SECONDS: '3600',
        WEBHOOK_SECRET_FILE: secretFile,
        WEBHOOK_DEBOUNCE_SECONDS: '0.5',
      },
      ready: () => httpOk(`${base}/readyz`),
      readyTimeoutMs: 120_000,
    });
    await waitFor('the first sync', async () => sample(await (await fetch(`${base}/metrics`)).text(), 'helios_target_sync_last_success_timestamp_seconds') !== undefined, 60_000);
  });
  afterAll(async () => {
    await generator?.stop();
    await Promise.all([kube?.stop(), fake?.stop()]);
  });

  const syncs = async () => sample(await (await fetch(`${base}/metrics`)).text(), 'helios_target_sync_duration_seconds_count', { result: 'success' });

  it('has written the inventory at start', async () => {
    expect(Object.keys(gnmicTargets(await targetConfigMaps(kube)))).toEqual(['ams1-leaf-1']);
    expect(await syncs()).toBe(1);
  });

  it('brings a device added in NetBox into the ConfigMap within 10 seconds of the webhook', async () => {
    const id = fake.addDevice({ name: 'ams1-leaf-2', site: 'ams1', customFields: { helios_monitor: true } });
    const sent = Date.now();
    expect(await fake.sendWebhook(`${base}/webhook`, { event: 'created', deviceId: id, secret })).toBe(202);
    await waitFor('ams1-leaf-2 in the gnmic ConfigMap', async () => 'ams1-leaf-2' in gnmicTargets(await targetConfigMaps(kube)), 10_000, 100);
    const elapsed = Date.now() - sent;
    process.stdout.write(`webhook → ConfigMap: ${elapsed} ms\n`);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('takes a device out as quickly when helios_monitor is set to false', async () => {
    fake.updateDevice(leaf, { customFields: { helios_monitor: false } });
    const sent = Date.now();
    expect(await fake.sendWebhook(`${base}/webhook`, { event: 'updated', deviceId: leaf, secret })).toBe(202);
    await waitFor('ams1-leaf-1 gone', async () => !('ams1-leaf-1' in gnmicTargets(await targetConfigMaps(kube))), 10_000, 100);
    expect(Date.now() - sent).toBeLessThan(10_000);
  });

  it('refuses an unsigned or wrongly signed webhook, and syncs nothing for it', async () => {
    const before = await targetConfigMaps(kube);
    const count = await syncs();
    fake.updateDevice(leaf, { customFields: { helios_monitor: true } });
    expect(await fake.sendWebhook(`${base}/webhook`, { event: 'updated', deviceId: leaf })).toBe(401);
    expect(await fake.sendWebhook(`${base}/webhook`, { event: 'updated', deviceId: leaf, secret: 'a-guess' })).toBe(403);
    expect(await fake.sendWebhook(`${base}/webhook`, { event: 'updated', deviceId: leaf, signature: 'deadbeef' })).toBe(403);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await syncs()).toBe(count);
    expect(await targetConfigMaps(kube)).toEqual(before);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(sample(metrics, 'helios_target_webhooks_total', { result: 'unsigned' })).toBe(1);
    expect(sample(metrics, 'helios_target_webhooks_total', { result: 'wrong_signature' })).toBe(2);
    expect(generator.log()).toMatch(/refused a webhook: no x-hook-signature header/);
  });

  it('stops on SIGTERM', async () => {
    await generator.stop();
    expect(generator.running).toBe(false);
    expect(generator.log()).toMatch(/"stopping: finishing the running sync"/);
  });
});
