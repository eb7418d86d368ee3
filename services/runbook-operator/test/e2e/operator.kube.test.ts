import { EXECUTION_LABEL } from '../../src/api/types.js';
import { ALERT_KEY_LABEL } from '../../src/webhook.js';
import { sleep, waitFor } from '../../../../test/peers/harness/process.js';
import { type OperatorProcess, World, WEBHOOK_TOKEN } from './world.js';

/**
 * The operator process (`runbook-operator operate`, from source) against a real
 * kube-apiserver: approvals hold an execution, a device missing from the target
 * ConfigMaps fails it without a Job, the Alertmanager webhook starts one execution
 * per alert + device, and of two replicas only the Lease holder acts.
 */
describe('runbook operator on the API server', () => {
  let world: World;
  let operator: OperatorProcess;

  beforeAll(async () => {
    world = await World.start();
    // The address is never dialled here: these executions stop before a Job runs.
    await world.setDevices([{ name: 'leaf1', address: '127.0.0.1:1' }, { name: 'leaf2', address: '127.0.0.1:2' }, { name: 'leaf9', address: '127.0.0.1:9' }]);
    await world.createRunbook('read-interfaces', { category: 'diagnostics', riskLevel: 'low', steps: [{ name: 'read', gnmiGet: { paths: ['/interfaces'] } }] });
    await world.createRunbook('clear-bgp', {
      riskLevel: 'high', approvalRequired: true, approvers: ['netops'],
      parameters: [{ name: 'neighbor', type: 'string' }],
      steps: [{ name: 'note', notify: { message: 'clearing {{ params.neighbor }}' } }],
    });
    await world.createRunbook('interface-bounce', {
      parameters: [{ name: 'interface', type: 'string' }],
      steps: [{ name: 'note', notify: { message: 'bouncing {{ params.interface }}' } }],
    });
    operator = await world.startOperator('op-a');
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    await world?.stop();
  });

  test('a runbook gets Ready', async () => {
    await waitFor('runbooks to be Ready', async () => {
      const r = world.kube.kubectl(['get', 'runbooks.automation.helios.io', '-n', 'helios-automation', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[0].status}{"\\n"}{end}']);
      return r.stdout.split('\n').filter((l) => l.endsWith('=True')).length === 3;
    }, 30_000, 200);
  });

  test('a device not in the target ConfigMaps fails the execution with TargetNotFound and creates no Job', async () => {
    await world.createExecution('read-gone', { runbookRef: { name: 'read-interfaces' }, target: { device: 'gone1' } });
    const ex = await world.waitForPhase('read-gone', ['Failed']);
    expect(ex.status!.reason).toBe('TargetNotFound');
    expect(ex.status!.message).toContain('"gone1"');
    expect(ex.status!.history!.map((h) => [h.phase, h.reason])).toEqual([['Pending', 'Created'], ['Failed', 'TargetNotFound']]);
    expect(ex.status!.completionTime).toBeDefined();
    await sleep(1000);
    expect((await world.jobs()).filter((j) => j.metadata!.labels![EXECUTION_LABEL] === 'read-gone')).toEqual([]);
    const events = await world.events('read-gone');
    expect(events.map((e) => [e.type, e.reason])).toEqual(expect.arrayContaining([['Normal', 'Created'], ['Warning', 'TargetNotFound']]));
    const logged = operator.logLines().filter((l) => l.execution === 'read-gone' && l.message === 'execution phase changed');
    expect(logged.map((l) => [l.from, l.phase, l.reason])).toEqual([[null, 'Pending', 'Created'], ['Pending', 'Failed', 'TargetNotFound']]);
  });

  test('a device removed from NetBox (gone from the target files) fails a new execution with TargetNotFound', async () => {
    await world.setDevices([{ name: 'leaf1', address: '127.0.0.1:1' }, { name: 'leaf2', address: '127.0.0.1:2' }]);
    // The operator's cache of the files follows within moments; executions come long after a sync.
    await sleep(1000);
    await world.createExecution('read-leaf9', { runbookRef: { name: 'read-interfaces' }, target: { device: 'leaf9' } });
    const ex = await world.waitForPhase('read-leaf9', ['Failed', 'Running']);
    expect([ex.status!.phase, ex.status!.reason]).toEqual(['Failed', 'TargetNotFound']);
    expect((await world.jobs()).filter((j) => j.metadata!.labels![EXECUTION_LABEL] === 'read-leaf9')).toEqual([]);
  });

  test('an execution of a runbook needing approval stays PendingApproval until someone else approves it, then gets its Job', async () => {
    await world.createExecution('clear-leaf1', { runbookRef: { name: 'clear-bgp' }, target: { device: 'leaf1' }, parameters: { neighbor: '10.0.0.2' } });
    await world.waitForPhase('clear-leaf1', ['PendingApproval']);
    await sleep(1500);
    expect((await world.execution('clear-leaf1')).status!.phase).toBe('PendingApproval');
    const metrics = await (await fetch(`${operator.metrics}/metrics`)).text();
    expect(metrics).toMatch(/helios_runbook_pending_approvals\{runbook="clear-bgp"\} 1/);
    // The requester approving their own execution does not count (the admission policy refuses it anyway).
    await world.approve('clear-leaf1', 'admin');
    await sleep(1500);
    expect((await world.execution('clear-leaf1')).status!.phase).toBe('PendingApproval');
    expect((await world.jobs()).filter((j) => j.metadata!.labels![EXECUTION_LABEL] === 'clear-leaf1')).toEqual([]);

    await world.approve('clear-leaf1', 'bob');
    const ex = await world.waitForPhase('clear-leaf1', ['Running']);
    expect(ex.status!.history!.map((h) => h.phase)).toEqual(['Pending', 'PendingApproval', 'Approved', 'Running']);
    expect(ex.status!.history![2].message).toBe('approved by bob');
    expect(ex.status!.targets).toEqual([{ name: 'leaf1', address: '127.0.0.1:1', labels: expect.objectContaining({ device: 'leaf1', site: 'lab1' }) }]);
    const jobs = (await world.jobs()).filter((j) => j.metadata!.labels![EXECUTION_LABEL] === 'clear-leaf1');
    expect(jobs.map((j) => j.metadata!.name)).toEqual([ex.status!.jobName]);
    expect(jobs[0].metadata!.ownerReferences![0]).toMatchObject({ kind: 'RunbookExecution', name: 'clear-leaf1', uid: ex.metadata.uid });
    expect(jobs[0].spec!.template.spec!.containers[0].command).toEqual(['runbook-operator', 'execute']);
  });

  test('a label selector targets every matching device from the files', async () => {
    await world.createExecution('read-lab1', { runbookRef: { name: 'read-interfaces' }, target: { selector: { matchLabels: { site: 'lab1', role: 'leaf' } } } });
    const ex = await world.waitForPhase('read-lab1', ['Running', 'Failed']);
    expect(ex.status!.phase).toBe('Running');
    expect(ex.status!.targets!.map((t) => [t.name, t.address])).toEqual([['leaf1', '127.0.0.1:1'], ['leaf2', '127.0.0.1:2']]);
  });

  test('the webhook refuses a wrong token and starts one execution per alert + device while it runs', async () => {
    const post = (body: unknown, token = WEBHOOK_TOKEN): Promise<Response> => fetch(`${operator.webhook}/api/v1/alerts`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body),
    });
    const alert = (device: string, fingerprint: string): unknown => ({
      status: 'firing', fingerprint,
      labels: { alertname: 'InterfaceFlapping', runbook: 'interface-bounce', device, interface: 'Ethernet1', severity: 'warning' },
    });
    const payload = (...alerts: unknown[]): unknown => ({ version: '4', status: 'firing', receiver: 'helios-runbooks', alerts });

    expect((await post(payload(alert('leaf1', 'a1')), 'wrong')).status).toBe(401);
    expect((await fetch(`${operator.webhook}/api/v1/alerts`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await world.executions()).filter((e) => e.spec.triggerSource === 'alertmanager')).toEqual([]);
    const bad = await post({ alerts: 'nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'alerts: expected a list, got string' });

    // Alertmanager sends the same group again (repeat interval, a retry) and in parallel: one execution.
    const responses = await Promise.all([post(payload(alert('leaf1', 'a1'))), post(payload(alert('leaf1', 'a1'))), post(payload(alert('leaf1', 'a1')))]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ created: string[]; deduplicated: string[] }>));
    expect(bodies.flatMap((b) => b.created)).toHaveLength(1);
    expect(bodies.flatMap((b) => b.deduplicated)).toHaveLength(2);
    const second = await (await post(payload(alert('leaf1', 'a1'), alert('leaf2', 'b2')))).json() as { created: string[]; deduplicated: string[] };
    expect(second.created).toHaveLength(1);
    expect(second.deduplicated).toEqual(bodies.flatMap((b) => b.created));

    const started = (await world.executions()).filter((e) => e.spec.triggerSource === 'alertmanager');
    expect(started.map((e) => e.spec.target.device).sort()).toEqual(['leaf1', 'leaf2']);
    const leaf1 = started.find((e) => e.spec.target.device === 'leaf1')!;
    expect(leaf1.spec).toMatchObject({ runbookRef: { name: 'interface-bounce' }, parameters: { interface: 'Ethernet1' }, requestedBy: 'admin', triggeredBy: 'InterfaceFlapping a1' });
    expect(leaf1.metadata.labels).toHaveProperty([ALERT_KEY_LABEL]);
    await world.waitForPhase(leaf1.metadata.name, ['Running']);
  });

  test('of two replicas only the Lease holder acts; the other takes over once the lease expires', async () => {
    expect(await world.leaseHolder()).toBe('op-a');
    const standby = await world.startOperator('op-b');
    try {
      await world.createExecution('read-leaf2', { runbookRef: { name: 'read-interfaces' }, target: { device: 'leaf2' } });
      await world.waitForPhase('read-leaf2', ['Running']);
      await sleep(1000);
      const acted = (p: OperatorProcess, name: string): unknown[] => p.logLines().filter((l) => l.execution === name && l.message === 'execution phase changed');
      expect(acted(operator, 'read-leaf2').length).toBeGreaterThan(0);
      expect(standby.logLines().filter((l) => l.message === 'execution phase changed' || l.message === 'became the leader')).toEqual([]);
      expect(await world.leaseHolder()).toBe('op-a');

      await operator.kill();
      const killedAt = Date.now();
      await world.createExecution('read-leaf1', { runbookRef: { name: 'read-interfaces' }, target: { device: 'leaf1' } });
      await world.waitForPhase('read-leaf1', ['Running'], 30_000);
      // Not before the 4 s lease ran out since op-a's last renewal.
      expect(Date.now() - killedAt).toBeGreaterThan(2_000);
      expect(await world.leaseHolder()).toBe('op-b');
      expect(acted(standby, 'read-leaf1').length).toBeGreaterThan(0);
      const jobs = (await world.jobs()).filter((j) => ['read-leaf1', 'read-leaf2'].includes(j.metadata!.labels![EXECUTION_LABEL]));
      expect(jobs).toHaveLength(2);
      operator = standby;
    } catch (e) {
      await standby.stop();
      throw e;
    }
  });
});
