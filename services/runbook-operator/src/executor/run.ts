import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ExecutionApi, type ExecutorStatus, StatusWriteError } from './kube.js';
import {
  type DeviceResponse, EXECUTOR_ENV, GNMI_CREDENTIALS_DIR, type ResolvedTarget, type RunbookExecution, type RunbookExecutionStatus,
  type RunbookSpec, type RunbookStep, type SavedValue, type StepPhase, type StepStatus,
} from '../api/types.js';
import { evaluate, type Expression, renderExpression } from '../core/expression.js';
import { type ParsedParameter, ParameterError, parseParameters } from '../core/params.js';
import { holds, nextStep, setResume } from '../core/progress.js';
import { renderText, renderValue, type StepContext } from '../core/template.js';
import { DEFAULT_STEP_TIMEOUT_SECONDS, RESTORE_STEP, stepKind, validateRunbook } from '../core/validate.js';
import { GnmiClient, type GnmiOptions, readCredentials, TLS_MODES, type TlsMode } from '../gnmi/client.js';

/** Where the executor reads the gNMI credentials files; tests point it elsewhere. @default GNMI_CREDENTIALS_DIR */
export const CREDENTIALS_DIR_ENV = 'HELIOS_GNMI_CREDENTIALS_DIR';

/**
 * Exit codes of `runbook-operator execute`. DONE: the outcome (any of them) is in
 * status.result. RETRY: the API server could not be read or written; the Job's retry
 * resumes from the checkpoints. CONFIG: the Job's environment is incomplete.
 */
export const ExecutorExit = { DONE: 0, RETRY: 1, CONFIG: 2 } as const;

export type LogLine = Record<string, unknown>;
export interface ExecutorOptions {
  /** @default in-cluster config, or KUBECONFIG */
  readonly kubeConfig?: KubeConfig;
  /** @default one JSON line per call on stdout */
  readonly log?: (line: LogLine) => void;
}

const DEFAULT_RUNBOOK_TIMEOUT_SECONDS = 600;
const MAX_TEXT = 4096;
/** The CRD's limit on a savedState value; rollback needs it whole, so it is never truncated. */
export const MAX_SAVED_VALUE = 8192;

type Outcome = NonNullable<RunbookExecutionStatus['result']>;

class StepFailure extends Error {}

function truncate(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 14)}...(truncated)`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The checkpointed state of the executor's status fields, written through after each change. */
class Checkpoint {
  public steps: StepStatus[];
  public rollbackSteps: StepStatus[];
  public savedState: SavedValue[];
  /** Step outputs of this run by step name and device, complete even where status holds a truncated text. */
  private readonly outputs = new Map<string, Record<string, unknown>>();

  public constructor(private readonly api: ExecutionApi, status: RunbookExecutionStatus | undefined) {
    this.steps = [...(status?.steps ?? [])];
    this.rollbackSteps = [...(status?.rollbackSteps ?? [])];
    this.savedState = [...(status?.savedState ?? [])];
  }

  public list(which: 'steps' | 'rollbackSteps'): StepStatus[] {
    return this[which];
  }

  public get(which: 'steps' | 'rollbackSteps', name: string): StepStatus | undefined {
    return this[which].find((s) => s.name === name);
  }

  public async put(which: 'steps' | 'rollbackSteps', status: StepStatus): Promise<void> {
    const list = this[which];
    const i = list.findIndex((s) => s.name === status.name);
    if (i >= 0) list[i] = status; else list.push(status);
    await this.flush();
  }

  public setOutputs(step: string, byDevice: Record<string, unknown>): string {
    this.outputs.set(step, byDevice);
    return truncate(JSON.stringify(byDevice));
  }

  /** Outputs of earlier succeeded steps as one target sees them. */
  public outputsFor(device: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of [...this.steps, ...this.rollbackSteps]) {
      if (s.phase !== 'Succeeded') continue;
      let byDevice = this.outputs.get(s.name);
      if (!byDevice && s.output !== undefined) {
        try {
          byDevice = JSON.parse(s.output) as Record<string, unknown>;
        } catch {
          continue; // truncated by an earlier run: reading it is an error in the expression
        }
      }
      if (byDevice && Object.prototype.hasOwnProperty.call(byDevice, device)) out[s.name] = byDevice[device];
    }
    return out;
  }

  public async flush(result?: Outcome): Promise<void> {
    const status: ExecutorStatus = {
      steps: this.steps, rollbackSteps: this.rollbackSteps, savedState: this.savedState, ...(result ? { result } : {}),
    };
    await this.api.writeStatus(status);
  }
}

interface Run {
  readonly execution: RunbookExecution;
  readonly spec: RunbookSpec;
  readonly params: Record<string, ParsedParameter>;
  readonly targets: readonly ResolvedTarget[];
  readonly dryRun: boolean;
  readonly clients: Map<string, GnmiClient>;
  readonly gnmi: GnmiOptions;
  readonly cp: Checkpoint;
  readonly api: ExecutionApi;
  readonly log: (line: LogLine) => void;
}

function client(run: Run, target: ResolvedTarget): GnmiClient {
  let c = run.clients.get(target.name);
  if (!c) {
    c = new GnmiClient(target.address, run.gnmi);
    run.clients.set(target.name, c);
  }
  return c;
}

function context(run: Run, target: ResolvedTarget): StepContext {
  return { params: run.params, target, execution: { name: run.execution.metadata.name }, steps: run.cp.outputsFor(target.name) };
}

/** The Set a step sends to one target, with its templates rendered. */
function renderSet(step: RunbookStep, ctx: StepContext) {
  const s = step.gnmiSet!;
  const render = (u: { path: string; value: unknown }) => ({ path: renderText(u.path, ctx), value: renderValue(u.value, ctx) });
  return {
    update: (s.update ?? []).map(render),
    replace: (s.replace ?? []).map(render),
    delete: (s.delete ?? []).map((p) => renderText(p, ctx)),
  };
}

type Rendered = ReturnType<typeof renderSet>;
interface Holding {
  readonly ok: boolean;
  readonly read: Record<string, unknown>;
  readonly mismatch?: string;
}

/** An expression with its templates (inside string literals) rendered for one target. */
function expression(source: string, ctx: StepContext): Expression {
  return renderExpression(source, (t) => renderText(t, ctx));
}

/** Whether the device holds every value the Set writes (and none of the deleted paths). */
async function deviceHolds(c: GnmiClient, set: Rendered, timeoutMs: number): Promise<Holding> {
  const read: Record<string, unknown> = {};
  let mismatch: string | undefined;
  for (const u of [...set.replace, ...set.update]) {
    const v = await c.get(u.path, timeoutMs);
    read[u.path] = v ?? null;
    if (!mismatch && !holds(v, u.value)) mismatch = `${u.path} holds ${JSON.stringify(v ?? null)}, expected ${JSON.stringify(u.value)}`;
  }
  for (const p of set.delete) {
    const v = await c.get(p, timeoutMs);
    read[p] = v ?? null;
    if (!mismatch && v !== undefined) mismatch = `${p} still exists (${JSON.stringify(v)}) after its delete`;
  }
  return { ok: mismatch === undefined, read, mismatch };
}

/**
 * One gnmiSet on one target. Before the Set, the paths it changes are read and
 * checkpointed into savedState (kept from the first read if already there: a re-read
 * after an interrupted Set could see the new value). After it, a second Get verifies.
 */
async function setOnDevice(run: Run, step: RunbookStep, target: ResolvedTarget, previous: StepStatus | undefined, timeoutMs: number): Promise<{ response: DeviceResponse; output: unknown } | 'skip'> {
  const resume = setResume(previous, target.name);
  if (resume === 'skip') return 'skip';
  const c = client(run, target);
  const set = renderSet(step, context(run, target));
  const paths = [...set.replace.map((u) => u.path), ...set.update.map((u) => u.path), ...set.delete];
  if (run.dryRun) {
    const current: Record<string, unknown> = {};
    for (const p of paths) current[p] = (await c.get(p, timeoutMs)) ?? null;
    return { response: { device: target.name, response: truncate(JSON.stringify({ dryRun: true, current, wouldSet: set })) }, output: current };
  }
  let saved = false;
  for (const p of paths) {
    if (run.cp.savedState.some((s) => s.step === step.name && s.device === target.name && s.path === p)) continue;
    const v = await c.get(p, timeoutMs);
    const value = v === undefined ? undefined : JSON.stringify(v);
    if (value !== undefined && value.length > MAX_SAVED_VALUE) {
      throw new StepFailure(`${p}: its value before the Set is ${value.length} characters and savedState keeps at most ${MAX_SAVED_VALUE} (rollback needs it whole); set a narrower path. Nothing was sent`);
    }
    run.cp.savedState.push({ step: step.name, device: target.name, path: p, ...(value === undefined ? {} : { value }) });
    saved = true;
  }
  if (saved) await run.cp.flush();
  if (resume === 'reconcile') {
    const now = await deviceHolds(c, set, timeoutMs);
    if (now.ok) {
      run.log({ level: 'info', msg: 'interrupted Set already applied; not re-sent', step: step.name, device: target.name });
      return { response: { device: target.name, response: truncate(JSON.stringify({ reconciled: 'the device already held the intended values; the Set was not re-sent', verified: now.read })) }, output: now.read };
    }
  }
  const results = await c.set(set, timeoutMs);
  run.log({ level: 'info', msg: 'Set sent', step: step.name, device: target.name, operations: results.length });
  const after = await deviceHolds(c, set, timeoutMs);
  if (!after.ok) throw new StepFailure(`verify after Set: ${after.mismatch}`);
  return { response: { device: target.name, response: truncate(JSON.stringify({ set: results, verified: after.read })) }, output: after.read };
}

/** Runs one step on every target in order; throws StepFailure (or any error) when it fails. */
async function runStep(run: Run, which: 'steps' | 'rollbackSteps', step: RunbookStep, interrupted: boolean, deadline: number): Promise<void> {
  const previous = run.cp.get(which, step.name);
  const startTime = (interrupted && previous?.startTime) || new Date().toISOString();
  const kind = stepKind(step);
  const timeoutMs = Math.max(1, Math.min((step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS) * 1000, deadline - Date.now()));
  const timedOut = `the runbook's timeoutSeconds (${run.spec.timeoutSeconds ?? DEFAULT_RUNBOOK_TIMEOUT_SECONDS}) ran out`;
  // Only a Set keeps what an interrupted run recorded: its devices that acknowledged are never sent again.
  const devices: DeviceResponse[] = interrupted && kind === 'gnmiSet' ? (previous?.devices ?? []).filter((d) => d.error === undefined) : [];
  const outputs: Record<string, unknown> = {};
  if (interrupted && kind === 'gnmiSet' && previous?.output) {
    try { Object.assign(outputs, JSON.parse(previous.output)); } catch { /* truncated: re-read below where needed */ }
  }
  const running = (): StepStatus => ({
    name: step.name,
    phase: 'Running',
    startTime,
    ...(Object.keys(outputs).length ? { output: run.cp.setOutputs(step.name, outputs) } : {}),
    ...(devices.length ? { devices: [...devices] } : {}),
  });
  await run.cp.put(which, running());
  run.log({ level: 'info', msg: 'step started', step: step.name, kind, resumed: interrupted });
  const finish = async (phase: StepPhase, error?: string): Promise<void> => {
    const hasOutput = Object.keys(outputs).length > 0;
    await run.cp.put(which, {
      name: step.name,
      phase,
      startTime,
      endTime: new Date().toISOString(),
      ...(hasOutput ? { output: run.cp.setOutputs(step.name, outputs) } : {}),
      ...(error ? { error: truncate(error) } : {}),
      ...(devices.length ? { devices } : {}),
    });
    run.log({ level: phase === 'Succeeded' ? 'info' : 'error', msg: `step ${phase.toLowerCase()}`, step: step.name, kind, ...(error ? { error } : {}) });
  };
  let current: ResolvedTarget | undefined;
  try {
    if (Date.now() >= deadline) throw new StepFailure(timedOut);
    if (kind === 'wait') {
      const end = Date.parse(startTime) + step.wait!.seconds * 1000;
      await sleep(Math.max(0, Math.min(end, deadline) - Date.now()));
      if (end > deadline) throw new StepFailure(`${timedOut} during the wait`);
    } else {
      for (const target of run.targets) {
        current = target;
        const ctx = (): StepContext => context(run, target);
        switch (kind) {
          case 'gnmiGet': {
            const c = client(run, target);
            const read: Record<string, unknown> = {};
            for (const p of step.gnmiGet!.paths) {
              const path = renderText(p, ctx());
              read[path] = (await c.get(path, timeoutMs)) ?? null;
            }
            outputs[target.name] = read;
            devices.push({ device: target.name, response: truncate(JSON.stringify(read)) });
            break;
          }
          case 'gnmiSet': {
            const r = await setOnDevice(run, step, target, previous, timeoutMs);
            if (r === 'skip') continue;
            outputs[target.name] = r.output;
            devices.push(r.response);
            // Each acknowledged device is checkpointed, so a restart never re-sends it.
            await run.cp.put(which, running());
            break;
          }
          case 'condition': {
            const v = evaluate(expression(step.condition!.expression, ctx()), ctx());
            if (typeof v !== 'boolean') throw new StepFailure(`the condition gave ${JSON.stringify(v)}, not true or false`);
            outputs[target.name] = v;
            if (!v) throw new StepFailure(step.condition!.message !== undefined ? renderText(step.condition!.message, ctx()) : `condition is false on ${target.name}: ${step.condition!.expression}`);
            break;
          }
          case 'script':
            outputs[target.name] = evaluate(expression(step.script!.expression, ctx()), ctx());
            break;
          case 'notify': {
            const text = renderText(step.notify!.message, ctx());
            run.log({ level: 'info', msg: 'notify', step: step.name, device: target.name, notification: text });
            try {
              await run.api.event(run.execution, `${which}/${step.name}/${target.name}`, 'RunbookNotify', text);
            } catch (e) {
              // The log line above is the record; a missing Event must not fail (and roll back) a change.
              run.log({ level: 'warn', msg: 'notification Event not recorded', step: step.name, device: target.name, error: message(e) });
            }
            outputs[target.name] = text;
            break;
          }
        }
      }
    }
  } catch (e) {
    if (e instanceof StatusWriteError) throw e;
    const err = current ? `${current.name}: ${message(e)}` : message(e);
    if (current && kind.startsWith('gnmi')) devices.push({ device: current.name, error: truncate(message(e)) });
    await finish('Failed', err);
    throw new StepFailure(`step ${step.name} failed on ${err}`);
  }
  await finish('Succeeded');
}

/** Runs a list of steps from its checkpoint; the error of the step that failed, or undefined. */
async function runSteps(run: Run, which: 'steps' | 'rollbackSteps', steps: readonly RunbookStep[], deadline = Infinity): Promise<string | undefined> {
  for (;;) {
    const next = nextStep(steps, run.cp.list(which));
    if (next.kind === 'done') return undefined;
    if (next.kind === 'failed') return `step ${steps[next.index].name} failed: ${next.error}`;
    try {
      await runStep(run, which, steps[next.index], next.interrupted, deadline);
    } catch (e) {
      if (!(e instanceof StepFailure)) throw e;
    }
  }
}

/**
 * The automatic part of a rollback: every saved value, latest first, is written back
 * with Set replace (or the path deleted where it did not exist), then read back. It is
 * idempotent, so an executor restarted during it simply does it again.
 */
async function restore(run: Run): Promise<string | undefined> {
  const previous = run.cp.get('rollbackSteps', RESTORE_STEP);
  if (previous?.phase === 'Succeeded') return undefined;
  const startTime = previous?.startTime ?? new Date().toISOString();
  await run.cp.put('rollbackSteps', { name: RESTORE_STEP, phase: 'Running', startTime });
  const devices: DeviceResponse[] = [];
  const errors: string[] = [];
  const timeoutMs = DEFAULT_STEP_TIMEOUT_SECONDS * 1000;
  for (const saved of [...run.cp.savedState].reverse()) {
    const target = run.targets.find((t) => t.name === saved.device);
    try {
      if (!target) throw new Error('no longer a target of this execution');
      const c = client(run, target);
      if (saved.value === undefined) {
        if ((await c.get(saved.path, timeoutMs)) !== undefined) await c.set({ delete: [saved.path] }, timeoutMs);
        if ((await c.get(saved.path, timeoutMs)) !== undefined) throw new Error('still exists after its delete');
      } else {
        const value = JSON.parse(saved.value) as unknown;
        await c.set({ replace: [{ path: saved.path, value }] }, timeoutMs);
        const now = await c.get(saved.path, timeoutMs);
        if (!holds(now, value)) throw new Error(`holds ${JSON.stringify(now ?? null)} after the restore, expected ${saved.value}`);
      }
      devices.push({ device: saved.device, response: truncate(JSON.stringify({ restored: saved.path, value: saved.value === undefined ? 'deleted' : JSON.parse(saved.value) })) });
      run.log({ level: 'info', msg: 'restored saved value', step: saved.step, device: saved.device, path: saved.path });
    } catch (e) {
      errors.push(`${saved.device} ${saved.path}: ${message(e)}`);
      devices.push({ device: saved.device, error: truncate(`${saved.path}: ${message(e)}`) });
      run.log({ level: 'error', msg: 'restore failed', step: saved.step, device: saved.device, path: saved.path, error: message(e) });
    }
  }
  const error = errors.length ? `restore failed: ${errors.join('; ')}` : undefined;
  await run.cp.put('rollbackSteps', {
    name: RESTORE_STEP,
    phase: error ? 'Failed' : 'Succeeded',
    startTime,
    endTime: new Date().toISOString(),
    ...(devices.length ? { devices } : {}),
    ...(error ? { error: truncate(error) } : {}),
  });
  return error;
}

/**
 * The runbook's timeoutSeconds bounds the forward steps, counted from the first step's
 * start as checkpointed (so restarts do not extend it); rollback runs after it.
 */
function forwardDeadline(run: Run): number {
  const starts = run.cp.steps.map((s) => Date.parse(s.startTime ?? '')).filter(Number.isFinite);
  return (starts.length ? Math.min(...starts) : Date.now()) + (run.spec.timeoutSeconds ?? DEFAULT_RUNBOOK_TIMEOUT_SECONDS) * 1000;
}

async function execute(run: Run): Promise<Outcome> {
  const failure = await runSteps(run, 'steps', run.spec.steps, forwardDeadline(run));
  if (failure === undefined) return { outcome: 'Succeeded', message: run.dryRun ? 'dry run: every step ran, no Set was sent' : `${run.spec.steps.length} steps succeeded` };
  if (run.spec.rollbackOnFailure !== true || run.dryRun) return { outcome: 'Failed', message: truncate(failure) };
  run.log({ level: 'warn', msg: 'rolling back', reason: failure });
  const restoreError = await restore(run);
  if (restoreError) return { outcome: 'RollbackFailed', message: truncate(`${failure}; ${restoreError}`) };
  const rollbackError = await runSteps(run, 'rollbackSteps', run.spec.rollbackSteps ?? []);
  if (rollbackError) return { outcome: 'RollbackFailed', message: truncate(`${failure}; rollback ${rollbackError}`) };
  return { outcome: 'RolledBack', message: truncate(`${failure}; saved state restored`) };
}

function gnmiOptions(env: NodeJS.ProcessEnv): GnmiOptions {
  const mode = (env[EXECUTOR_ENV.tlsMode] ?? 'tls') as TlsMode;
  if (!TLS_MODES.includes(mode)) throw new Error(`${EXECUTOR_ENV.tlsMode}: "${mode}" is not a TLS mode (allowed: ${TLS_MODES.join(', ')})`);
  let ca: Buffer | undefined;
  if (mode === 'tls') {
    const file = env[EXECUTOR_ENV.caFile];
    if (!file) throw new Error(`${EXECUTOR_ENV.caFile}: not set, but ${EXECUTOR_ENV.tlsMode}=tls verifies the device certificate against it`);
    try {
      ca = readFileSync(file);
    } catch (e) {
      throw new Error(`${EXECUTOR_ENV.caFile}: cannot read "${file}": ${message(e)}`);
    }
  }
  return { tlsMode: mode, ca, credentials: readCredentials(env[CREDENTIALS_DIR_ENV] ?? GNMI_CREDENTIALS_DIR) };
}

function jsonLog(line: LogLine): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
}

/**
 * `runbook-operator execute`: runs the execution named by the environment, from its
 * checkpoints, and writes the outcome into status.result. Returns the exit code.
 */
export async function runExecutor(env: NodeJS.ProcessEnv, options: ExecutorOptions = {}): Promise<number> {
  const namespace = env[EXECUTOR_ENV.namespace];
  const name = env[EXECUTOR_ENV.name];
  const base = options.log ?? jsonLog;
  if (!namespace || !name) {
    base({ level: 'error', msg: `${EXECUTOR_ENV.namespace} and ${EXECUTOR_ENV.name} name the execution to run; one is not set` });
    return ExecutorExit.CONFIG;
  }
  const log = (line: LogLine): void => base({ ...line, namespace, execution: name });
  let kc = options.kubeConfig;
  if (!kc) {
    kc = new KubeConfig();
    // The environment given, not process.env, decides (the tests run several executors in one process).
    if (env.KUBECONFIG) kc.loadFromFile(env.KUBECONFIG); else kc.loadFromDefault();
  }
  const api = new ExecutionApi(kc, namespace, name);
  const clients = new Map<string, GnmiClient>();
  try {
    const execution = await api.readExecution();
    if (execution.status?.result) {
      log({ level: 'info', msg: 'already finished', outcome: execution.status.result.outcome });
      return ExecutorExit.DONE;
    }
    const cp = new Checkpoint(api, execution.status);
    const fail = async (msg: string): Promise<number> => {
      log({ level: 'error', msg: 'execution failed', reason: msg });
      await cp.flush({ outcome: 'Failed', message: truncate(msg) });
      return ExecutorExit.DONE;
    };
    const runbook = await api.readRunbook(execution.spec.runbookRef.name);
    if (!runbook) return await fail(`runbook ${execution.spec.runbookRef.name} does not exist in ${namespace}`);
    const problems = validateRunbook(runbook.spec);
    if (problems.length) return await fail(`runbook ${runbook.metadata.name} is invalid: ${problems.join('; ')}`);
    let params: Record<string, ParsedParameter>;
    try {
      params = parseParameters(runbook.spec.parameters ?? [], execution.spec.parameters);
    } catch (e) {
      if (e instanceof ParameterError) return await fail(`parameters: ${e.message}`);
      throw e;
    }
    const targets = execution.status?.targets ?? [];
    if (targets.length === 0) return await fail('status.targets is empty: no device to run on');
    let gnmi: GnmiOptions;
    try {
      gnmi = gnmiOptions(env);
    } catch (e) {
      return await fail(message(e));
    }
    const dryRun = execution.spec.dryRun === true;
    log({ level: 'info', msg: 'execution started', runbook: runbook.metadata.name, targets: targets.map((t) => t.name), dryRun });
    const run: Run = { execution, spec: runbook.spec, params, targets, dryRun, clients, gnmi, cp, api, log };
    const outcome = await execute(run);
    await cp.flush(outcome);
    log({ level: outcome.outcome === 'Succeeded' ? 'info' : 'error', msg: 'execution finished', outcome: outcome.outcome, message: outcome.message });
    return ExecutorExit.DONE;
  } catch (e) {
    log({ level: 'error', msg: e instanceof StatusWriteError ? 'cannot reach the API server; the retry resumes from the checkpoints' : 'executor error', error: message(e) });
    return ExecutorExit.RETRY;
  } finally {
    for (const c of clients.values()) c.close();
  }
}
