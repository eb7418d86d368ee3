import { readFileSync } from 'node:fs';
import { startGnmiTarget } from '../../../../test/peers/harness/network-peers.js';
import { waitFor } from '../../../../test/peers/harness/process.js';
import { EXECUTION_LABEL, GNMI_CREDENTIALS_DIR } from '../../src/api/types.js';
import { CREDENTIALS_DIR_ENV } from '../../src/executor/run.js';
import { GnmiClient } from '../../src/gnmi/client.js';
import { JobRunnerStandIn, type OperatorProcess, World } from './world.js';

const DEVICE = 'lab-leaf1';
const cfg = (name: string): string => `/interfaces/interface[name=${name}]/config`;

/**
 * End to end: the operator process, the Job it creates run by the JobRunnerStandIn
 * (the real `runbook-operator execute`), the real gNMI target (gnxi gnmi_target,
 * which logs every Set it accepts) and the real API server.
 */
describe('runbook executions end to end', () => {
  let world: World;
  let device: Awaited<ReturnType<typeof startGnmiTarget>>;
  let standIn: JobRunnerStandIn;
  let operator: OperatorProcess;
  let gnmi: GnmiClient;

  const setsAtTarget = (): number => readFileSync(device.process.logFile, 'utf8').split('\n').filter((l) => l.includes('allowed a Set request')).length;
  const jobsOf = async (execution: string): Promise<string[]> => (await world.jobs()).filter((j) => j.metadata!.labels![EXECUTION_LABEL] === execution).map((j) => j.metadata!.name!);

  beforeAll(async () => {
    [world, device] = await Promise.all([World.start(), startGnmiTarget()]);
    gnmi = new GnmiClient(device.address, { tlsMode: 'plaintext', credentials: { username: 'admin', password: 'admin' } });
    await world.setDevices([{ name: DEVICE, address: device.address }]);
    standIn = await JobRunnerStandIn.start(world, {
      // The kubelet would mount the executor ServiceAccount's token; the local process gets a kubeconfig.
      env: { KUBECONFIG: world.kube.kubeconfigPath },
      mountEnv: (mountPath, dir) => (mountPath === GNMI_CREDENTIALS_DIR ? { [CREDENTIALS_DIR_ENV]: dir } : {}),
    });
    await world.createRunbook('interface-bounce', {
      parameters: [{ name: 'interface', type: 'string' }, { name: 'settleSeconds', type: 'integer', default: '1' }],
      steps: [
        { name: 'disable', gnmiSet: { update: [{ path: `${cfg('{{ params.interface }}')}/enabled`, value: false }] } },
        { name: 'settle', wait: { seconds: 1 } },
        { name: 'enable', gnmiSet: { update: [{ path: `${cfg('{{ params.interface }}')}/enabled`, value: true }] } },
        { name: 'read-up', gnmiGet: { paths: [`${cfg('{{ params.interface }}')}/enabled`] } },
        // A gnmiGet's output maps each path read to its value.
        { name: 'is-up', condition: { expression: `steps.read-up.output["${cfg('{{ params.interface }}')}/enabled"] == true`, message: '{{ params.interface }} is not enabled' } },
      ],
    });
    operator = await world.startOperator('op-1');
  }, 180_000);

  afterAll(async () => {
    gnmi?.close();
    await standIn?.stop();
    await operator?.stop();
    await Promise.all([world?.stop(), device?.stop()]);
  });

  test('an execution goes Pending → Running → Succeeded through the real executor, one Set per gnmiSet step', async () => {
    const sets = setsAtTarget();
    await world.createExecution('bounce-1', { runbookRef: { name: 'interface-bounce' }, target: { device: DEVICE }, parameters: { interface: 'Ethernet1' } });
    const ex = await world.waitForPhase('bounce-1', ['Succeeded', 'Failed', 'RolledBack', 'RollbackFailed'], 90_000);
    expect([ex.status!.phase, ex.status!.message]).toEqual(['Succeeded', expect.any(String)]);
    expect(ex.status!.history!.map((h) => h.phase)).toEqual(['Pending', 'Approved', 'Running', 'Succeeded']);
    expect(ex.status!.steps!.map((s) => [s.name, s.phase])).toEqual([['disable', 'Succeeded'], ['settle', 'Succeeded'], ['enable', 'Succeeded'], ['read-up', 'Succeeded'], ['is-up', 'Succeeded']]);
    expect(ex.status!.startTime).toBeDefined();
    expect(ex.status!.completionTime).toBeDefined();
    expect(setsAtTarget() - sets).toBe(2);
    expect(await gnmi.get(`${cfg('Ethernet1')}/enabled`, 5000)).toBe(true);
    expect(await jobsOf('bounce-1')).toEqual([ex.status!.jobName]);
    expect(standIn.exitCodes.get(ex.status!.jobName!)).toBe(0);

    await waitFor('the Completed Event', async () => (await world.events('bounce-1')).some((e) => e.reason === 'Completed'), 10_000, 100);
    const events = await world.events('bounce-1');
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Created', 'ApprovalNotRequired', 'JobCreated', 'Completed']));
    const scrape = async (): Promise<string> => (await fetch(`${operator.metrics}/metrics`)).text();
    await waitFor('the ended execution in the metrics', async () => (await scrape()).includes('result="Succeeded"'), 10_000, 100);
    const metrics = await scrape();
    expect(metrics).toMatch(/helios_runbook_executions_total\{runbook="interface-bounce",result="Succeeded"\} 1/);
    expect(metrics).toMatch(/helios_runbook_execution_duration_seconds_count\{runbook="interface-bounce",result="Succeeded"\} 1/);
    expect(metrics).toMatch(/helios_runbook_step_duration_seconds_count\{runbook="interface-bounce",step="settle"\} 1/);
  });

  test('a failing step with rollbackOnFailure goes RollingBack → RolledBack and the device is as before', async () => {
    await world.createRunbook('shrink-mtu', {
      riskLevel: 'high', rollbackOnFailure: true,
      parameters: [{ name: 'interface', type: 'string' }],
      steps: [
        { name: 'shrink', gnmiSet: { update: [{ path: `${cfg('{{ params.interface }}')}/mtu`, value: 1500 }] } },
        { name: 'read', gnmiGet: { paths: [`${cfg('{{ params.interface }}')}/mtu`] } },
        { name: 'check', condition: { expression: `steps.read.output["${cfg('{{ params.interface }}')}/mtu"] == 9000`, message: 'mtu is not 9000' } },
      ],
    });
    await world.createExecution('shrink-1', { runbookRef: { name: 'shrink-mtu' }, target: { device: DEVICE }, parameters: { interface: 'Ethernet3' } });
    const ex = await world.waitForPhase('shrink-1', ['Succeeded', 'Failed', 'RolledBack', 'RollbackFailed'], 90_000);
    expect(ex.status!.history!.map((h) => h.phase)).toEqual(['Pending', 'Approved', 'Running', 'RollingBack', 'RolledBack']);
    expect(ex.status!.message).toMatch(/mtu is not 9000/);
    expect(JSON.parse(ex.status!.steps!.find((st) => st.name === 'read')!.output!)).toEqual({ [DEVICE]: { [`${cfg('Ethernet3')}/mtu`]: 1500 } });
    expect(await gnmi.get(`${cfg('Ethernet3')}/mtu`, 5000)).toBe(9100);
    // Events follow the status write.
    const warnings = async (): Promise<unknown[]> => (await world.events('shrink-1')).filter((e) => e.type === 'Warning').map((e) => e.reason);
    await waitFor('the RolledBack Event', async () => (await warnings()).includes('RolledBack'), 10_000, 100);
    expect(await warnings()).toEqual(expect.arrayContaining(['RollbackStarted', 'RolledBack']));
  });

  test('SIGKILL of the operator mid-execution, then a restart: the execution completes, one Job, each Set once at the target', async () => {
    await world.createRunbook('slow-bounce', {
      parameters: [{ name: 'interface', type: 'string' }],
      steps: [
        { name: 'disable', gnmiSet: { update: [{ path: `${cfg('{{ params.interface }}')}/enabled`, value: false }] } },
        { name: 'hold', wait: { seconds: 4 } },
        { name: 'enable', gnmiSet: { update: [{ path: `${cfg('{{ params.interface }}')}/enabled`, value: true }] } },
      ],
    });
    const sets = setsAtTarget();
    await world.createExecution('slow-1', { runbookRef: { name: 'slow-bounce' }, target: { device: DEVICE }, parameters: { interface: 'Ethernet2' } });
    await waitFor('the first Set to be checkpointed', async () => {
      const ex = await world.execution('slow-1');
      return ex.status?.steps?.find((s) => s.name === 'disable')?.phase === 'Succeeded';
    }, 60_000, 100);
    expect((await world.execution('slow-1')).status!.phase).toBe('Running');
    await operator.kill();
    // The Job runs on while no operator is there; it ends before the new one starts.
    await waitFor('the Job to end', async () => (await jobsOf('slow-1')).every((j) => standIn.finishedAt.has(j)), 60_000, 100);
    expect((await world.execution('slow-1')).status!.phase).toBe('Running');

    // A container restart keeps the Pod name: the same identity takes its lease back at once.
    operator = await world.startOperator('op-1');
    const ex = await world.waitForPhase('slow-1', ['Succeeded', 'Failed', 'RolledBack', 'RollbackFailed'], 60_000);
    expect([ex.status!.phase, ex.status!.message]).toEqual(['Succeeded', expect.any(String)]);
    expect(ex.status!.history!.map((h) => h.phase)).toEqual(['Pending', 'Approved', 'Running', 'Succeeded']);
    expect(await jobsOf('slow-1')).toEqual([ex.status!.jobName]);
    expect(setsAtTarget() - sets).toBe(2);
    expect(await gnmi.get(`${cfg('Ethernet2')}/enabled`, 5000)).toBe(true);
  });

  test('an operator killed the moment its Job appears (before or just after it records it) creates no second Job on restart', async () => {
    const sets = setsAtTarget();
    await world.createExecution('slow-2', { runbookRef: { name: 'slow-bounce' }, target: { device: DEVICE }, parameters: { interface: 'Ethernet4' } });
    await waitFor('the Job to exist', async () => (await jobsOf('slow-2')).length > 0, 30_000, 20).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n--- operator log ---\n${operator.peer.tail(30)}`);
    });
    await operator.kill();
    operator = await world.startOperator('op-1');
    const ex = await world.waitForPhase('slow-2', ['Succeeded', 'Failed', 'RolledBack', 'RollbackFailed'], 60_000);
    expect([ex.status!.phase, ex.status!.message]).toEqual(['Succeeded', expect.any(String)]);
    expect(await jobsOf('slow-2')).toEqual([ex.status!.jobName]);
    expect(setsAtTarget() - sets).toBe(2);
  });
});
