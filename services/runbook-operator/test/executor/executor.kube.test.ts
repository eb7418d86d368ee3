import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import { scratch, startGnmiTarget, writeScratch } from '../../../../test/peers/harness/network-peers.js';
import { waitFor } from '../../../../test/peers/harness/process.js';
import { AUTOMATION_NAMESPACE } from '../../src/api/types.js';
import { ExecutorExit, type LogLine, MAX_SAVED_VALUE, runExecutor } from '../../src/executor/run.js';
import { GnmiClient } from '../../src/gnmi/client.js';
import { createExecution, createRunbook, memoryLog, readExecution, setsAtTarget, startWorld, type World } from './world.js';

/** Runs the executor; on a RETRY exit the error lines become the failure message. */
async function runLogged(env: NodeJS.ProcessEnv, log: (l: LogLine) => void, lines: LogLine[]): Promise<number> {
  const code = await runExecutor(env, { log });
  if (code !== ExecutorExit.DONE) throw new Error(`exit ${code}: ${JSON.stringify(lines.filter((l) => l.level === 'error'))}`);
  return code;
}

const cfg = (name: string) => `/interfaces/interface[name=${name}]/config`;

describe('the executor against a real gNMI target and kube-apiserver', () => {
  let world: World;
  let gnmi: GnmiClient;

  beforeAll(async () => {
    world = await startWorld();
    gnmi = new GnmiClient(world.device.address, { tlsMode: 'plaintext', credentials: { username: 'admin', password: 'admin' } });
  });
  afterAll(async () => {
    gnmi?.close();
    await world?.stop();
  });

  test('interface-bounce disables and re-enables the interface, verified by Get, one Set each', async () => {
    await createRunbook(world, 'interface-bounce', {
      category: 'remediation', riskLevel: 'medium',
      parameters: [{ name: 'interface', type: 'string' }, { name: 'settle', type: 'duration', default: '1s' }],
      steps: [
        { name: 'read-before', gnmiGet: { paths: [`${cfg('{{ params.interface }}')}/enabled`] } },
        { name: 'is-up', condition: { expression: 'steps["read-before"].output["/interfaces/interface[name={{ params.interface }}]/config/enabled"] == true', message: '{{ params.interface }} is not enabled' } },
        { name: 'disable', gnmiSet: { update: [{ path: `${cfg('{{ params.interface }}')}/enabled`, value: false }] } },
        { name: 'read-down', gnmiGet: { paths: [cfg('{{ params.interface }}')] } },
        { name: 'is-down', condition: { expression: 'steps.read-down.output["/interfaces/interface[name={{ params.interface }}]/config"].enabled == false && params.settle == 1' } },
        { name: 'settle', wait: { seconds: 1 } },
        { name: 'enable', gnmiSet: { update: [{ path: cfg('{{ params.interface }}'), value: { enabled: true } }] } },
        { name: 'read-up', gnmiGet: { paths: [`${cfg('{{ params.interface }}')}/enabled`, `${cfg('{{ params.interface }}')}/mtu`] } },
        { name: 'summary', script: { expression: '[steps.read-up.output["/interfaces/interface[name=Ethernet1]/config/enabled"], steps.read-up.output["/interfaces/interface[name=Ethernet1]/config/mtu"] >= 1500, len(steps.read-up.output)]' } },
        { name: 'tell', notify: { message: '{{ params.interface }} on {{ target.name }} ({{ target.labels.site }}) bounced by {{ execution.name }}' } },
      ],
    });
    await createExecution(world, 'bounce-1', { runbookRef: { name: 'interface-bounce' }, parameters: { interface: 'Ethernet1' } });
    const { lines, log } = memoryLog();
    const setsBefore = setsAtTarget(world);
    expect(await runLogged(world.env('bounce-1'), log, lines)).toBe(ExecutorExit.DONE);

    const ex = await readExecution(world, 'bounce-1');
    expect(ex.status?.result).toEqual({ outcome: 'Succeeded', message: '10 steps succeeded' });
    expect(ex.status?.steps?.map((s) => [s.name, s.phase])).toEqual([
      ['read-before', 'Succeeded'], ['is-up', 'Succeeded'], ['disable', 'Succeeded'], ['read-down', 'Succeeded'], ['is-down', 'Succeeded'],
      ['settle', 'Succeeded'], ['enable', 'Succeeded'], ['read-up', 'Succeeded'], ['summary', 'Succeeded'], ['tell', 'Succeeded'],
    ]);
    const step = (n: string) => ex.status!.steps!.find((s) => s.name === n)!;
    expect(JSON.parse(step('read-down').output!)['lab-leaf1'][cfg('Ethernet1')]).toMatchObject({ 'openconfig-interfaces:enabled': false, 'openconfig-interfaces:name': 'Ethernet1' });
    expect(JSON.parse(step('summary').output!)).toEqual({ 'lab-leaf1': [true, true, 2] });
    expect(Date.parse(step('settle').endTime!) - Date.parse(step('settle').startTime!)).toBeGreaterThanOrEqual(1000);
    // The Gets before each Set are checkpointed: what rollback would restore.
    expect(ex.status?.savedState).toEqual([
      { step: 'disable', device: 'lab-leaf1', path: '/interfaces/interface[name=Ethernet1]/config/enabled', value: 'true' },
      { step: 'enable', device: 'lab-leaf1', path: '/interfaces/interface[name=Ethernet1]/config', value: expect.stringContaining('"openconfig-interfaces:enabled":false') },
    ]);
    expect(JSON.parse(step('disable').devices![0].response!)).toMatchObject({ verified: { '/interfaces/interface[name=Ethernet1]/config/enabled': false } });
    // The operator's fields are untouched.
    expect(ex.status?.phase).toBe('Running');
    expect(ex.status?.targets).toEqual([world.target]);

    expect(await gnmi.get(`${cfg('Ethernet1')}/enabled`, 5000)).toBe(true);
    expect(setsAtTarget(world) - setsBefore).toBe(2);

    const events = await world.kube.kubeConfig().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: AUTOMATION_NAMESPACE, fieldSelector: 'involvedObject.name=bounce-1' });
    expect(events.items.map((e) => [e.reason, e.message])).toEqual([['RunbookNotify', 'Ethernet1 on lab-leaf1 (lab1) bounced by bounce-1']]);
    expect(lines.filter((l) => l.msg === 'step succeeded').map((l) => l.step)).toHaveLength(10);
    expect(lines.every((l) => l.execution === 'bounce-1' && l.namespace === AUTOMATION_NAMESPACE)).toBe(true);

    // A retried Job after the end does nothing.
    expect(await runExecutor(world.env('bounce-1'), { log })).toBe(ExecutorExit.DONE);
    expect(setsAtTarget(world) - setsBefore).toBe(2);
  });

  test('a failing step with rollbackOnFailure restores the saved state (checked by Get), runs rollbackSteps and ends RolledBack', async () => {
    const before = await gnmi.get(cfg('Ethernet2'), 5000);
    expect(before).toMatchObject({ 'openconfig-interfaces:mtu': 9100, 'openconfig-interfaces:description': 'helios test port 2' });
    await createRunbook(world, 'drain', {
      category: 'maintenance', riskLevel: 'high', rollbackOnFailure: true,
      parameters: [{ name: 'interface', type: 'string', enum: ['Ethernet2', 'Ethernet3'] }, { name: 'mtu', type: 'integer', default: '1500' }],
      steps: [
        { name: 'shrink', gnmiSet: { update: [{ path: cfg('{{ params.interface }}'), value: { mtu: '{{ params.mtu }}', description: 'drained by {{ execution.name }}' } }] } },
        { name: 'disable', gnmiSet: { replace: [{ path: `${cfg('{{ params.interface }}')}/enabled`, value: false }] } },
        { name: 'read', gnmiGet: { paths: [cfg('{{ params.interface }}')] } },
        { name: 'check', condition: { expression: 'steps.read.output["/interfaces/interface[name={{ params.interface }}]/config"].mtu == 9000', message: 'mtu is not 9000 on {{ target.name }}' } },
        { name: 'never', notify: { message: 'not reached' } },
      ],
      rollbackSteps: [
        { name: 'reread', gnmiGet: { paths: [cfg('{{ params.interface }}')] } },
        { name: 'restored', condition: { expression: 'steps.reread.output["/interfaces/interface[name={{ params.interface }}]/config"].mtu == 9100 && steps.reread.output["/interfaces/interface[name={{ params.interface }}]/config"].enabled' } },
        { name: 'tell', notify: { message: 'rolled back {{ params.interface }}' } },
      ],
    });
    await createExecution(world, 'drain-1', { runbookRef: { name: 'drain' }, parameters: { interface: 'Ethernet2' } });
    const { lines, log } = memoryLog();
    const setsBefore = setsAtTarget(world);
    expect(await runLogged(world.env('drain-1'), log, lines)).toBe(ExecutorExit.DONE);

    const ex = await readExecution(world, 'drain-1');
    expect(ex.status?.result).toEqual({ outcome: 'RolledBack', message: 'step check failed: lab-leaf1: mtu is not 9000 on lab-leaf1; saved state restored' });
    expect(ex.status?.steps?.map((s) => [s.name, s.phase])).toEqual([['shrink', 'Succeeded'], ['disable', 'Succeeded'], ['read', 'Succeeded'], ['check', 'Failed']]);
    expect(ex.status?.steps?.[3].error).toBe('lab-leaf1: mtu is not 9000 on lab-leaf1');
    expect(ex.status?.rollbackSteps?.map((s) => [s.name, s.phase])).toEqual([['restore-saved-state', 'Succeeded'], ['reread', 'Succeeded'], ['restored', 'Succeeded'], ['tell', 'Succeeded']]);
    // Two forward Sets, then one replace per saved path.
    expect(ex.status?.savedState?.map((s) => [s.step, s.path])).toEqual([['shrink', cfg('Ethernet2')], ['disable', `${cfg('Ethernet2')}/enabled`]]);
    expect(setsAtTarget(world) - setsBefore).toBe(4);
    expect(await gnmi.get(cfg('Ethernet2'), 5000)).toEqual(before);
    expect(lines.some((l) => l.msg === 'rolling back')).toBe(true);
  });

  test('dryRun reads (gnmiGet and the Gets before a Set) and sends no Set', async () => {
    await createRunbook(world, 'describe', {
      category: 'configuration', riskLevel: 'low',
      steps: [
        { name: 'set-description', gnmiSet: { update: [{ path: `${cfg('Ethernet4')}/description`, value: 'changed' }], delete: [`${cfg('Ethernet4')}/mtu`] } },
        { name: 'read', gnmiGet: { paths: [`${cfg('Ethernet4')}/description`] } },
        { name: 'unchanged', condition: { expression: 'steps.read.output["/interfaces/interface[name=Ethernet4]/config/description"] == "helios test port 4"' } },
      ],
    });
    await createExecution(world, 'describe-dry', { runbookRef: { name: 'describe' }, dryRun: true });
    const { lines, log } = memoryLog();
    const setsBefore = setsAtTarget(world);
    expect(await runLogged(world.env('describe-dry'), log, lines)).toBe(ExecutorExit.DONE);
    expect(setsAtTarget(world) - setsBefore).toBe(0);
    const ex = await readExecution(world, 'describe-dry');
    expect(ex.status?.result?.outcome).toBe('Succeeded');
    expect(ex.status?.savedState ?? []).toEqual([]);
    expect(JSON.parse(ex.status!.steps![0].devices![0].response!)).toEqual({
      dryRun: true,
      current: { [`${cfg('Ethernet4')}/description`]: 'helios test port 4', [`${cfg('Ethernet4')}/mtu`]: 9100 },
      wouldSet: { update: [{ path: `${cfg('Ethernet4')}/description`, value: 'changed' }], replace: [], delete: [`${cfg('Ethernet4')}/mtu`] },
    });
    expect(await gnmi.get(`${cfg('Ethernet4')}/description`, 5000)).toBe('helios test port 4');
  });

  test('an executor killed (SIGKILL) after a Set and restarted does not send that Set again', async () => {
    await createRunbook(world, 'slow-bounce', {
      category: 'remediation', riskLevel: 'medium',
      steps: [
        { name: 'disable', gnmiSet: { update: [{ path: `${cfg('Ethernet3')}/enabled`, value: false }] } },
        { name: 'hold', wait: { seconds: 6 } },
        { name: 'enable', gnmiSet: { update: [{ path: `${cfg('Ethernet3')}/enabled`, value: true }] } },
        { name: 'read', gnmiGet: { paths: [`${cfg('Ethernet3')}/enabled`] } },
        { name: 'up', condition: { expression: 'steps.read.output["/interfaces/interface[name=Ethernet3]/config/enabled"]' } },
      ],
    });
    await createExecution(world, 'slow-1', { runbookRef: { name: 'slow-bounce' } });
    const setsBefore = setsAtTarget(world);
    // One process (node with tsx's loader, not the tsx launcher, which would survive as a parent-less child).
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/executor/execute-cli.ts'], { env: { ...process.env, NODE_OPTIONS: undefined, ...world.env('slow-1') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += String(d); });
    child.stderr.on('data', (d) => { output += String(d); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(signal ? null : code)));
    await waitFor('the executor to checkpoint the Set and start waiting', async () => {
      const s = (await readExecution(world, 'slow-1')).status;
      return s?.steps?.find((x) => x.name === 'hold')?.phase === 'Running';
    }, 60_000, 100);
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    expect(setsAtTarget(world) - setsBefore).toBe(1);
    expect(output).toContain('"msg":"Set sent","step":"disable"');

    const { lines, log } = memoryLog();
    expect(await runLogged(world.env('slow-1'), log, lines)).toBe(ExecutorExit.DONE);
    const ex = await readExecution(world, 'slow-1');
    expect(ex.status?.result?.outcome).toBe('Succeeded');
    expect(ex.status?.steps?.map((s) => s.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
    // disable once (before the kill), enable once (after): never twice.
    expect(lines.filter((l) => l.msg === 'Set sent' || l.msg === 'step started').map((l) => [l.msg, l.step])).toEqual([['step started', 'hold'], ['step started', 'enable'], ['Set sent', 'enable'], ['step started', 'read'], ['step started', 'up']]);
    expect(setsAtTarget(world) - setsBefore).toBe(2);
    expect(await gnmi.get(`${cfg('Ethernet3')}/enabled`, 5000)).toBe(true);
  });

  test('a Set step found Running is not re-sent when the device already holds its values, and is sent when it does not', async () => {
    await createRunbook(world, 'set-mtu', {
      category: 'configuration', riskLevel: 'low',
      steps: [{ name: 'mtu', gnmiSet: { update: [{ path: `${cfg('Ethernet3')}/mtu`, value: 4000 }] } }],
    });
    // As a killed executor leaves it: the saved value checkpointed, the step Running, the Set sent but unrecorded.
    const interrupted = { steps: [{ name: 'mtu', phase: 'Running', startTime: new Date().toISOString() }], savedState: [{ step: 'mtu', device: 'lab-leaf1', path: `${cfg('Ethernet3')}/mtu`, value: '9100' }] };
    await gnmi.set({ update: [{ path: `${cfg('Ethernet3')}/mtu`, value: 4000 }] }, 5000);
    await createExecution(world, 'mtu-applied', { runbookRef: { name: 'set-mtu' } }, interrupted);
    let setsBefore = setsAtTarget(world);
    const { lines, log } = memoryLog();
    expect(await runLogged(world.env('mtu-applied'), log, lines)).toBe(ExecutorExit.DONE);
    expect(setsAtTarget(world) - setsBefore).toBe(0);
    let ex = await readExecution(world, 'mtu-applied');
    expect(ex.status?.result?.outcome).toBe('Succeeded');
    expect(JSON.parse(ex.status!.steps![0].devices![0].response!)).toMatchObject({ reconciled: expect.stringContaining('not re-sent') });
    // The first read is kept: it is the value before the change, whatever the device holds now.
    expect(ex.status?.savedState).toEqual(interrupted.savedState);

    // Killed before the Set reached the device: the device differs, so it is sent.
    await gnmi.set({ update: [{ path: `${cfg('Ethernet3')}/mtu`, value: 9100 }] }, 5000);
    await createExecution(world, 'mtu-unapplied', { runbookRef: { name: 'set-mtu' } }, interrupted);
    setsBefore = setsAtTarget(world);
    expect(await runLogged(world.env('mtu-unapplied'), log, lines)).toBe(ExecutorExit.DONE);
    expect(setsAtTarget(world) - setsBefore).toBe(1);
    ex = await readExecution(world, 'mtu-unapplied');
    expect(ex.status?.result?.outcome).toBe('Succeeded');
    expect(await gnmi.get(`${cfg('Ethernet3')}/mtu`, 5000)).toBe(4000);
  });

  test('bad parameters, a missing runbook and unreadable credentials end Failed with the reason, touching no device', async () => {
    const setsBefore = setsAtTarget(world);
    const { lines, log } = memoryLog();
    await createExecution(world, 'bad-params', { runbookRef: { name: 'drain' }, parameters: { interface: 'Ethernet9', mtu: 'big', colour: 'red' } });
    expect(await runLogged(world.env('bad-params'), log, lines)).toBe(ExecutorExit.DONE);
    expect((await readExecution(world, 'bad-params')).status?.result).toEqual({
      outcome: 'Failed',
      message: 'parameters: spec.parameters.colour: not a parameter of this runbook (allowed: interface, mtu); spec.parameters.interface: "Ethernet9" is not one of the allowed values (Ethernet2, Ethernet3); spec.parameters.mtu: "big" is not an integer',
    });
    await createExecution(world, 'no-runbook', { runbookRef: { name: 'nope' } });
    expect(await runLogged(world.env('no-runbook'), log, lines)).toBe(ExecutorExit.DONE);
    expect((await readExecution(world, 'no-runbook')).status?.result).toEqual({ outcome: 'Failed', message: 'runbook nope does not exist in helios-automation' });
    await createExecution(world, 'no-credentials', { runbookRef: { name: 'describe' } });
    expect(await runLogged({ ...world.env('no-credentials'), HELIOS_GNMI_CREDENTIALS_DIR: '/nonexistent' }, log, lines)).toBe(ExecutorExit.DONE);
    expect((await readExecution(world, 'no-credentials')).status?.result?.message).toMatch(/^gNMI credentials: cannot read \/nonexistent\/username/);
    await createExecution(world, 'bad-tls', { runbookRef: { name: 'describe' } });
    expect(await runLogged({ ...world.env('bad-tls'), HELIOS_GNMI_TLS: 'maybe' }, log, lines)).toBe(ExecutorExit.DONE);
    expect((await readExecution(world, 'bad-tls')).status?.result?.message).toBe('HELIOS_GNMI_TLS: "maybe" is not a TLS mode (allowed: tls, skip-verify, plaintext)');
    expect(setsAtTarget(world) - setsBefore).toBe(0);
    expect(await runExecutor({}, { log })).toBe(ExecutorExit.CONFIG);
  });

  test('several targets: a Set that fails on the second device rolls the first one back; that device is never touched', async () => {
    // A second device whose credentials differ from the executor's: its first Get is refused.
    const other = await startGnmiTarget(undefined, { username: 'admin', password: 'not-the-secret' });
    try {
      await createRunbook(world, 'fleet-mtu', {
        category: 'configuration', riskLevel: 'high', rollbackOnFailure: true,
        steps: [{ name: 'mtu', gnmiSet: { update: [{ path: cfg('Ethernet1'), value: { mtu: 1400 } }] } }],
      });
      const second = { name: 'lab-leaf2', address: other.address, labels: { site: 'lab1' } };
      await createExecution(world, 'fleet-1', { runbookRef: { name: 'fleet-mtu' } }, { targets: [world.target, second] });
      const setsBefore = setsAtTarget(world);
      const { lines, log } = memoryLog();
      expect(await runLogged(world.env('fleet-1'), log, lines)).toBe(ExecutorExit.DONE);
      const ex = await readExecution(world, 'fleet-1');
      expect(ex.status?.result?.outcome).toBe('RolledBack');
      const step = ex.status!.steps![0];
      expect(step.phase).toBe('Failed');
      // The test's username and password are both "admin": both are redacted.
      expect(step.error).toMatch(/^lab-leaf2: Get 127\.0\.0\.1:\d+: not authorized with "<redacted>:<redacted>"$/);
      expect(step.devices?.map((d) => [d.device, d.error === undefined])).toEqual([['lab-leaf1', true], ['lab-leaf2', false]]);
      expect(ex.status?.savedState?.map((s) => s.device)).toEqual(['lab-leaf1']);
      expect(ex.status?.rollbackSteps?.[0]).toMatchObject({ name: 'restore-saved-state', phase: 'Succeeded', devices: [{ device: 'lab-leaf1' }] });
      // The Set, then the restore, on the first device; nothing on the second.
      expect(setsAtTarget(world) - setsBefore).toBe(2);
      expect(readFileSync(other.process.logFile, 'utf8')).not.toContain('allowed a Set request');
      expect(await gnmi.get(`${cfg('Ethernet1')}/mtu`, 5000)).toBe(9100);
    } finally {
      await other.stop();
    }
  });

  test('a device that does not answer fails the step at its timeoutSeconds', async () => {
    // A TCP listener that accepts and never speaks: no gRPC answer ever comes.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      await createRunbook(world, 'read-one', {
        category: 'diagnostics', riskLevel: 'low',
        steps: [{ name: 'read', gnmiGet: { paths: [cfg('Ethernet1')] }, timeoutSeconds: 1 }],
      });
      const mute = { name: 'lab-mute', address: `127.0.0.1:${(silent.address() as AddressInfo).port}` };
      await createExecution(world, 'mute-1', { runbookRef: { name: 'read-one' } }, { targets: [mute] });
      const { lines, log } = memoryLog();
      const t0 = Date.now();
      expect(await runLogged(world.env('mute-1'), log, lines)).toBe(ExecutorExit.DONE);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const ex = await readExecution(world, 'mute-1');
      expect(ex.status?.result?.outcome).toBe('Failed');
      expect(ex.status?.steps?.[0].error).toMatch(/^lab-mute: Get 127\.0\.0\.1:\d+: Deadline exceeded/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('a Set whose before-value is too large to save whole is refused before anything is sent', async () => {
    // A device with 200 interfaces: /interfaces is far above what savedState keeps.
    const dir = scratch('big-device');
    const interfaces = Array.from({ length: 200 }, (_, i) => ({ name: `Ethernet${i + 1}`, config: { name: `Ethernet${i + 1}`, description: `port ${i + 1}`, enabled: true, mtu: 9100 } }));
    const big = await startGnmiTarget(writeScratch(dir, 'big.json', JSON.stringify({ 'openconfig-interfaces:interfaces': { interface: interfaces } })));
    try {
      await createRunbook(world, 'replace-all', {
        category: 'configuration', riskLevel: 'critical',
        steps: [{ name: 'all', gnmiSet: { replace: [{ path: '/interfaces', value: { interface: [] } }] } }],
      });
      await createExecution(world, 'replace-all-1', { runbookRef: { name: 'replace-all' } }, { targets: [{ name: 'lab-big', address: big.address }] });
      const { lines, log } = memoryLog();
      expect(await runLogged(world.env('replace-all-1'), log, lines)).toBe(ExecutorExit.DONE);
      const ex = await readExecution(world, 'replace-all-1');
      expect(ex.status?.result?.outcome).toBe('Failed');
      expect(ex.status?.steps?.[0].error).toMatch(new RegExp(`^lab-big: /interfaces: its value before the Set is \\d+ characters and savedState keeps at most ${MAX_SAVED_VALUE} \\(rollback needs it whole\\); set a narrower path. Nothing was sent$`));
      expect(ex.status?.savedState ?? []).toEqual([]);
      expect(readFileSync(big.process.logFile, 'utf8')).not.toContain('allowed a Set request');
    } finally {
      await big.stop();
    }
  });

  test('the runbook timeoutSeconds bounds the forward steps; the change is then rolled back', async () => {
    await createRunbook(world, 'slow-change', {
      category: 'configuration', riskLevel: 'medium', rollbackOnFailure: true, timeoutSeconds: 3,
      steps: [
        { name: 'mtu', gnmiSet: { update: [{ path: `${cfg('Ethernet4')}/mtu`, value: 1600 }] } },
        { name: 'hold-1', wait: { seconds: 2 } },
        { name: 'hold-2', wait: { seconds: 2 } },
        { name: 'never', notify: { message: 'not reached' } },
      ],
    });
    await createExecution(world, 'slow-change-1', { runbookRef: { name: 'slow-change' } });
    const { lines, log } = memoryLog();
    expect(await runLogged(world.env('slow-change-1'), log, lines)).toBe(ExecutorExit.DONE);
    const ex = await readExecution(world, 'slow-change-1');
    // hold-2 ends at the deadline, 3 s after the first step started, not after its whole wait (4 s).
    const forward = Date.parse(ex.status!.steps![2].endTime!) - Date.parse(ex.status!.steps![0].startTime!);
    expect(forward).toBeGreaterThanOrEqual(2900);
    expect(forward).toBeLessThan(4000);
    expect(ex.status?.steps?.map((s) => [s.name, s.phase])).toEqual([['mtu', 'Succeeded'], ['hold-1', 'Succeeded'], ['hold-2', 'Failed']]);
    expect(ex.status?.steps?.[2].error).toBe("the runbook's timeoutSeconds (3) ran out during the wait");
    expect(ex.status?.result?.outcome).toBe('RolledBack');
    expect(await gnmi.get(`${cfg('Ethernet4')}/mtu`, 5000)).toBe(9100);
  });
});
