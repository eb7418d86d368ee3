import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { sleep, waitFor } from '../../../../test/peers/harness/process.js';
import { AUTOMATION_NAMESPACE } from '../../src/api/types.js';
import { Operator } from '../../src/controller/operator.js';
import { RestartingInformer } from '../../src/kube/informer.js';
import type { Logger } from '../../src/log.js';
import { serveMetrics } from '../../src/metrics.js';
import { World } from './world.js';

function memoryLogger(): { lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }>; log: Logger } {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  return { lines, log: (level, message, fields) => { lines.push({ level, message, fields }); } };
}

/** The controller's parts in this process against the real API server: informer restarts, the Lease hand-over, the probes. */
describe('operator parts on the API server', () => {
  let world: World;

  beforeAll(async () => {
    world = await World.start();
    await world.setDevices([{ name: 'leaf1', address: '127.0.0.1:1' }]);
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  test('an informer whose list fails (its resource is not installed yet) restarts with growing delays and fills once it can', async () => {
    const { lines, log } = memoryLogger();
    const custom = world.kube.kubeConfig().makeApiClient(CustomObjectsApi);
    const seen: string[] = [];
    const informer = new RestartingInformer<KubernetesObject>(world.kube.kubeConfig(), {
      kind: 'Widget', path: '/apis/test.helios.io/v1/namespaces/helios-automation/widgets', log, restartBaseMs: 100, restartMaxMs: 800,
      list: () => custom.listNamespacedCustomObject({ group: 'test.helios.io', version: 'v1', namespace: AUTOMATION_NAMESPACE, plural: 'widgets' }),
      onChange: (o) => seen.push(o.metadata!.name!),
    });
    await informer.start();
    await waitFor('three restarts', () => lines.filter((l) => l.message === 'watch of Widget failed; restarting').length >= 4, 20_000, 50);
    expect(informer.hasSynced).toBe(false);
    const delays = lines.filter((l) => l.message.startsWith('watch of Widget')).map((l) => l.fields!.delayMs as number);
    // 100, 200, 400, 800 nominal, each drawn from its upper half.
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[3]).toBeGreaterThanOrEqual(400);
    expect(delays[3]).toBeLessThanOrEqual(800);
    expect(lines[0].fields!.error).toMatch(/404/);

    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.test.helios.io' },
      spec: {
        group: 'test.helios.io', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    expect(world.kube.kubectl(['apply', '-f', '-'], JSON.stringify(crd)).status).toBe(0);
    await world.kube.waitForCrds();
    await waitFor('the widgets to be served', async () => custom.listNamespacedCustomObject({ group: 'test.helios.io', version: 'v1', namespace: AUTOMATION_NAMESPACE, plural: 'widgets' }).then(() => true, () => false), 30_000, 100);
    await custom.createNamespacedCustomObject({ group: 'test.helios.io', version: 'v1', namespace: AUTOMATION_NAMESPACE, plural: 'widgets', body: { apiVersion: 'test.helios.io/v1', kind: 'Widget', metadata: { name: 'w1' } } });
    await waitFor('the informer to deliver w1', () => seen.includes('w1'), 20_000, 50);
    expect(informer.hasSynced).toBe(true);
    expect(informer.restarts).toBeGreaterThanOrEqual(4);
    expect(informer.get('w1', AUTOMATION_NAMESPACE)?.metadata?.name).toBe('w1');
    await informer.stop();
  });

  test('two operators in one process: one leads; stopping it releases the Lease and the other leads without waiting for expiry', async () => {
    const lease = { durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 200 };
    const make = (identity: string): { op: Operator; lines: ReturnType<typeof memoryLogger>['lines'] } => {
      const { lines, log } = memoryLogger();
      const op = new Operator({ kubeConfig: world.kube.kubeConfig(), namespace: AUTOMATION_NAMESPACE, identity, job: { image: 'img:test', gnmiTls: 'plaintext' }, log, lease, workers: 2 });
      return { op, lines };
    };
    const a = make('inproc-a');
    await a.op.start();
    await waitFor('a to lead', () => a.op.isLeader, 10_000, 50);
    const b = make('inproc-b');
    await b.op.start();
    const server = await serveMetrics(0, b.op.metrics.registry, () => b.op.ready, '127.0.0.1');
    const port = (server.address() as { port: number }).port;
    try {
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('# HELP helios_runbook_pending_approvals');

      await world.createRunbook('needs-ok', { approvalRequired: true, approvers: ['netops'], steps: [{ name: 'n', notify: { message: 'hi' } }] });
      await world.createExecution('inproc-1', { runbookRef: { name: 'needs-ok' }, target: { device: 'leaf1' } });
      await world.waitForPhase('inproc-1', ['PendingApproval']);
      await sleep(500);
      expect(b.op.isLeader).toBe(false);
      expect(b.lines.filter((l) => l.message === 'execution phase changed')).toEqual([]);
      const pending = async (): Promise<string> => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n').filter((l) => l.startsWith('helios_runbook_pending_approvals{')).join('\n');
      // A follower reports no pending approvals: summed over replicas they would count twice.
      expect(await pending()).toBe('');

      const stoppedAt = Date.now();
      await a.op.stop();
      await waitFor('b to lead', () => b.op.isLeader, 10_000, 50);
      // Released, not expired: well within the 15 s lease.
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
      expect(await world.leaseHolder()).toBe('inproc-b');
      expect(await pending()).toBe('helios_runbook_pending_approvals{runbook="needs-ok"} 1');
      await world.approve('inproc-1', 'carol');
      await world.waitForPhase('inproc-1', ['Running']);
      const phases = (): unknown[] => b.lines.filter((l) => l.message === 'execution phase changed').map((l) => l.fields!.phase);
      // The log line follows the status write.
      await waitFor('b to log Running', () => phases().length >= 2, 5_000, 20);
      expect(phases()).toEqual(['Approved', 'Running']);
    } finally {
      server.close();
      await b.op.stop();
    }
  });
});
