import { memoryLogger, sample } from './helpers.js';
import { SyncMetrics } from '../src/metrics.js';
import { TargetGeneratorServer } from '../src/server.js';
import { signBody } from '../src/webhook.js';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The long-running mode's HTTP side and scheduling, around a sync that only records its calls. */
describe('the long-running server', () => {
  let server: TargetGeneratorServer;
  let syncs: string[];
  let syncMs: number;
  const secret = 'webhook-s3cret';
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  const webhook = (body: string, signature?: string) => fetch(url('/webhook'), {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Hook-Signature': signature } : {}) },
  });
  const device = JSON.stringify({ event: 'updated', object_type: 'dcim.device', data: { id: 4 } });

  async function start(options: { webhookSecret?: string; debounceMs?: number; intervalMs?: number } = {}): Promise<void> {
    syncs = [];
    server = new TargetGeneratorServer({
      port: 0,
      host: '127.0.0.1',
      intervalMs: options.intervalMs ?? 3_600_000,
      webhookSecret: 'webhookSecret' in options ? options.webhookSecret : secret,
      debounceMs: options.debounceMs ?? 50,
      metrics: new SyncMetrics(),
      log: memoryLogger(),
      sync: async (reason) => {
        syncs.push(reason);
        await sleep(syncMs);
        if (reason === 'fail') throw new Error('boom');
      },
    });
    await server.start();
  }

  beforeEach(() => { syncMs = 10; });
  afterEach(async () => { await server?.stop(); });

  it('syncs at start, serves metrics, liveness and readiness, and nothing else', async () => {
    await start();
    await sleep(100);
    expect(syncs).toEqual(['start']);
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(sample(metrics, 'helios_target_webhooks_total', { result: 'accepted' })).toBe(0);
    expect(sample(metrics, 'helios_target_sync_errors_total')).toBe(0);
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect(await (await fetch(url('/readyz'))).text()).toBe('ready\n');
    expect((await fetch(url('/nothing'))).status).toBe(404);
    expect((await fetch(url('/metrics'), { method: 'POST' })).status).toBe(405);
    expect((await fetch(url('/webhook'))).status).toBe(405);
  });

  it('syncs shortly after a signed webhook, coalescing a burst into one sync', async () => {
    await start({ debounceMs: 300 });
    await sleep(100);
    const statuses = await Promise.all(Array.from({ length: 5 }, () => webhook(device, signBody(device, secret)).then((r) => r.status)));
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    await sleep(600);
    expect(syncs).toEqual(['start', 'webhook dcim.device updated']);
    expect(sample(await (await fetch(url('/metrics'))).text(), 'helios_target_webhooks_total', { result: 'accepted' })).toBe(5);
  });

  it('refuses unsigned and wrongly signed webhooks, and bodies that are not NetBox webhooks, without syncing', async () => {
    await start();
    await sleep(100);
    const unsigned = await webhook(device);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.text()).toMatch(/^unsigned/);
    expect((await webhook(device, signBody(device, 'guess'))).status).toBe(403);
    expect((await webhook(device, signBody(`${device} `, secret))).status).toBe(403);
    expect((await webhook('[1,2]', signBody('[1,2]', secret))).status).toBe(400);
    const huge = 'x'.repeat(1024 * 1024 + 1);
    expect((await webhook(huge, signBody(huge, secret))).status).toBe(413);
    await sleep(200);
    expect(syncs).toEqual(['start']);
    const metrics = await (await fetch(url('/metrics'))).text();
    expect([
      sample(metrics, 'helios_target_webhooks_total', { result: 'unsigned' }),
      sample(metrics, 'helios_target_webhooks_total', { result: 'wrong_signature' }),
      sample(metrics, 'helios_target_webhooks_total', { result: 'malformed' }),
    ]).toEqual([1, 2, 1]);
  });

  it('refuses every webhook when no secret is configured', async () => {
    await start({ webhookSecret: undefined });
    const r = await webhook(device, signBody(device, secret));
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/WEBHOOK_SECRET_FILE/);
  });

  it('never runs two syncs at once: a request during a sync runs one more after it', async () => {
    syncMs = 300;
    await start({ debounceMs: 0 });
    await sleep(50);
    server.request('fail', 0);
    server.request('again', 0);
    await sleep(900);
    expect(syncs).toEqual(['start', 'changes during the last sync']);
    server.request('fail', 0);
    await sleep(400);
    server.request('after a failure', 0);
    await sleep(400);
    expect(syncs).toEqual(['start', 'changes during the last sync', 'fail', 'after a failure']);
  });

  it('syncs on its interval', async () => {
    await start({ intervalMs: 150 });
    await sleep(500);
    expect(syncs.filter((s) => s === 'interval').length).toBeGreaterThanOrEqual(2);
  });
});
