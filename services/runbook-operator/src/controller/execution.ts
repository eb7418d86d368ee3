import { resolveTargets, type TargetInventory } from './targets.js';
import {
  type HistoryEntry, type Phase, type ResolvedTarget, type Runbook, type RunbookExecution, type RunbookExecutionStatus, type RunbookStep, TERMINAL_PHASES,
} from '../api/types.js';
import { DEFAULT_STEP_TIMEOUT_SECONDS } from '../core/validate.js';

/** @default of RunbookSpec.timeoutSeconds */
export const DEFAULT_RUNBOOK_TIMEOUT_SECONDS = 600;
/**
 * How long past the execution's deadline the operator waits for the Job to end before
 * failing the execution itself: the Job's activeDeadlineSeconds stops the Pod at the
 * deadline, and the executor needs a moment to write its result.
 */
export const TIMEOUT_GRACE_SECONDS = 30;

/** What the operator knows of an execution's Job. */
export interface JobState {
  readonly name: string;
  /** Set once the Job has a Complete or Failed condition. */
  readonly finished?: { readonly condition: 'Complete' | 'Failed'; readonly reason?: string; readonly message?: string };
}

export interface ExecutionFacts {
  readonly execution: RunbookExecution;
  readonly runbook?: Runbook;
  /** The runbook's first problem, or undefined when it is valid. */
  readonly runbookProblem?: string;
  /** The execution's parameters' first problem against the runbook, or undefined. */
  readonly parameterProblem?: string;
  /** The gnmic targets; needed only while the execution is Pending (see needsInventory). */
  readonly inventory?: TargetInventory;
  readonly job?: JobState;
  /** The execution's Job name (jobNameFor). */
  readonly jobName: string;
  readonly now: Date;
}

export interface Transition {
  readonly phase: Phase;
  readonly reason: string;
  readonly message: string;
}

/** The operator-owned status fields (see RunbookExecutionStatus) a reconcile writes. */
export type OperatorStatus = Pick<RunbookExecutionStatus, 'phase' | 'reason' | 'message' | 'targets' | 'jobName' | 'startTime' | 'completionTime' | 'history'>;

export interface Decision {
  /** Every phase change, in order: each becomes a history entry, an Event and a log line. */
  readonly transitions: readonly Transition[];
  /** The fields to write (empty when nothing changes). */
  readonly status: OperatorStatus;
  /** Create the execution's Job (idempotent: its name is deterministic). */
  readonly createJob: boolean;
  /** Look again after this long even if nothing changes (a timeout); 0: at once, from the status just written. */
  readonly requeueAfterMs?: number;
}

export function isTerminal(phase: Phase | undefined): boolean {
  return phase !== undefined && TERMINAL_PHASES.includes(phase);
}

/** Whether deciding needs the target inventory: only before the targets are resolved. */
export function needsInventory(execution: RunbookExecution): boolean {
  return execution.status?.phase === undefined || execution.status.phase === 'Pending';
}

/** Approvals by someone other than the requester (the admission policy already checked who wrote each and that they may). */
export function approvalsOf(execution: RunbookExecution): string[] {
  return (execution.spec.approvals ?? []).map((a) => a.approvedBy).filter((by) => by !== execution.spec.requestedBy);
}

function timeoutSeconds(runbook: Runbook | undefined): number {
  return runbook?.spec.timeoutSeconds ?? DEFAULT_RUNBOOK_TIMEOUT_SECONDS;
}

/**
 * The longest an execution may run on `targets` devices: the runbook's timeout bounds the
 * forward steps, and the rollback runs after it — per device, a Set replace and a
 * verifying Get for every path a gnmiSet changed, then the rollback steps, each gNMI call
 * bounded by its step's timeout. The Job's activeDeadlineSeconds must not cut the rollback.
 */
export function executionDeadlineSeconds(runbook: Runbook | undefined, targets: number): number {
  if (!runbook?.spec.rollbackOnFailure) return timeoutSeconds(runbook);
  const devices = Math.max(1, targets);
  const callSeconds = (s: RunbookStep) => s.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS;
  const paths = (s: RunbookStep) => (s.gnmiSet?.update?.length ?? 0) + (s.gnmiSet?.replace?.length ?? 0) + (s.gnmiSet?.delete?.length ?? 0);
  const restore = runbook.spec.steps.reduce((sum, s) => sum + 2 * callSeconds(s) * paths(s) * devices, 0);
  const rollbackSteps = (runbook.spec.rollbackSteps ?? []).reduce((sum, s) => sum + (s.wait?.seconds ?? 0)
    + (s.gnmiGet || s.gnmiSet ? 2 * callSeconds(s) * devices : 0), 0);
  return timeoutSeconds(runbook) + restore + rollbackSteps;
}

/**
 * The execution's state machine: from what the operator observes (the execution,
 * its runbook, the target inventory, its Job) to the next phases and the status
 * to write. Pure: the reconciler does the I/O.
 *
 * Pending → Failed (runbook missing or invalid, bad parameters, target not found)
 *         → PendingApproval (approval required, none yet) → Approved (targets recorded)
 * Approved → Running (Job created; only once the targets are in the status, requeueAfterMs 0 asks for that)
 * Running → RollingBack (the executor started rollback steps)
 * Running | RollingBack → the executor's result once the Job ended;
 *         → Failed (JobFailed: the Job failed without a result; Timeout: past the runbook's timeout)
 */
export function decide(facts: ExecutionFacts): Decision {
  const { execution, runbook, now } = facts;
  const status = execution.status ?? {};
  const transitions: Transition[] = [];
  let phase = status.phase;
  const out: { -readonly [K in keyof OperatorStatus]: OperatorStatus[K] } = {};
  let createJob = false;
  let requeueAfterMs: number | undefined;

  const go = (to: Phase, reason: string, message: string): void => {
    transitions.push({ phase: to, reason, message });
    phase = to;
    out.phase = to;
    out.reason = reason;
    out.message = message;
  };

  if (isTerminal(phase)) return { transitions, status: {}, createJob };

  if (phase === undefined) go('Pending', 'Created', `requested by ${execution.spec.requestedBy}${execution.spec.triggeredBy ? ` (${execution.spec.triggerSource ?? 'manual'}: ${execution.spec.triggeredBy})` : ''}`);

  if (phase === 'Pending') {
    const targets = pendingChecks(facts, go);
    if (targets !== undefined) {
      out.targets = targets;
      if (runbook!.spec.approvalRequired === true) {
        go('PendingApproval', 'AwaitingApproval', `runbook ${runbook!.metadata.name} needs an approval by a member of ${(runbook!.spec.approvers ?? []).join(', ')}`);
      } else {
        go('Approved', 'ApprovalNotRequired', `runbook ${runbook!.metadata.name} runs without approval`);
      }
    }
  }

  if (phase === 'PendingApproval') {
    const approvers = approvalsOf(execution);
    if (approvers.length > 0) go('Approved', 'Approved', `approved by ${approvers.join(', ')}`);
  }

  if (phase === 'Approved') {
    if (out.targets !== undefined || status.targets === undefined) {
      // The executor reads its targets from the status: they are recorded before its Job can start.
      requeueAfterMs = 0;
    } else {
      createJob = true;
      out.jobName = facts.jobName;
      out.startTime = now.toISOString();
      go('Running', 'JobCreated', `Job ${facts.jobName} runs the steps on ${status.targets.map((t) => t.name).join(', ')}`);
    }
  }

  if (phase === 'Running' || phase === 'RollingBack') {
    if (facts.job === undefined && transitions.length === 0) {
      // Created before a crash but not yet seen, or deleted: creating again is a no-op or a fresh start of the same checkpointed run.
      createJob = true;
    }
    const rollbackStarted = (status.rollbackSteps ?? []).length > 0 || status.result?.outcome === 'RolledBack' || status.result?.outcome === 'RollbackFailed';
    if (phase === 'Running' && rollbackStarted) go('RollingBack', 'RollbackStarted', 'a step failed; the executor is restoring the saved state');
    const finished = facts.job?.finished;
    if (finished !== undefined && status.result !== undefined) {
      const r = status.result;
      go(r.outcome, r.outcome === 'Succeeded' ? 'Completed' : r.outcome, r.message ?? `the executor reported ${r.outcome}`);
    } else if (finished?.condition === 'Failed') {
      const timedOut = finished.reason === 'DeadlineExceeded';
      go('Failed', timedOut ? 'Timeout' : 'JobFailed', `Job ${facts.jobName} failed without a result${finished.reason ? ` (${finished.reason}${finished.message ? `: ${finished.message}` : ''})` : ''}`);
    } else if (finished?.condition === 'Complete') {
      go('Failed', 'NoResult', `Job ${facts.jobName} completed but the executor wrote no result`);
    } else {
      const started = Date.parse(out.startTime ?? status.startTime ?? now.toISOString());
      const limit = executionDeadlineSeconds(runbook, (out.targets ?? status.targets ?? []).length);
      const deadline = started + (limit + TIMEOUT_GRACE_SECONDS) * 1000;
      if (now.getTime() >= deadline) {
        go('Failed', 'Timeout', `no result within ${limit}s (the runbook's timeout of ${timeoutSeconds(runbook)}s and its rollback)`);
      } else {
        requeueAfterMs = deadline - now.getTime();
      }
    }
  }

  if (isTerminal(phase)) out.completionTime = now.toISOString();
  if (transitions.length > 0) {
    const entries: HistoryEntry[] = transitions.map((t) => ({ time: now.toISOString(), phase: t.phase, reason: t.reason, message: t.message }));
    out.history = [...(status.history ?? []), ...entries];
  }
  return { transitions, status: out, createJob: createJob && !isTerminal(phase), requeueAfterMs: isTerminal(phase) ? undefined : requeueAfterMs };
}

/** Pending's checks in order; the resolved targets, or undefined after failing the execution. */
function pendingChecks(facts: ExecutionFacts, go: (to: Phase, reason: string, message: string) => void): readonly ResolvedTarget[] | undefined {
  const { execution, runbook } = facts;
  if (runbook === undefined) {
    go('Failed', 'RunbookNotFound', `spec.runbookRef.name: no runbook ${JSON.stringify(execution.spec.runbookRef?.name)} in namespace ${execution.metadata.namespace}`);
    return undefined;
  }
  if (facts.runbookProblem !== undefined) {
    go('Failed', 'RunbookNotReady', `runbook ${runbook.metadata.name} is invalid: ${facts.runbookProblem}`);
    return undefined;
  }
  if (facts.parameterProblem !== undefined) {
    go('Failed', 'InvalidParameters', facts.parameterProblem);
    return undefined;
  }
  if (facts.inventory === undefined) throw new Error('decide: a Pending execution needs the target inventory');
  const resolved = resolveTargets(execution.spec.target, facts.inventory);
  if (!resolved.ok) {
    go('Failed', resolved.reason, resolved.message);
    return undefined;
  }
  return resolved.targets;
}
