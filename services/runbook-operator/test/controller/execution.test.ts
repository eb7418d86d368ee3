import type { Phase, RunbookExecutionStatus } from '../../src/api/types.js';
import { decide, type ExecutionFacts, type JobState, TIMEOUT_GRACE_SECONDS } from '../../src/controller/execution.js';
import { execution, INVENTORY, runbook } from './fixtures.js';

const NOW = new Date('2026-01-01T00:10:00Z');
const JOB = 'rbx-ex-12345678';
const running = (extra: RunbookExecutionStatus = {}): RunbookExecutionStatus => ({
  phase: 'Running', jobName: JOB, startTime: '2026-01-01T00:09:00Z', targets: [{ name: 'leaf1', address: '10.0.0.1:57400' }],
  history: [{ time: '2026-01-01T00:09:00Z', phase: 'Running', reason: 'JobCreated' }], ...extra,
});
const finished = (condition: 'Complete' | 'Failed', reason?: string): JobState => ({ name: JOB, finished: { condition, reason } });

interface Row {
  readonly name: string;
  readonly facts: Partial<ExecutionFacts>;
  /** Every phase the decision goes through, in order. */
  readonly phases: readonly Phase[];
  readonly reason?: string;
  readonly createJob: boolean;
}

const approvalRunbook = runbook('rb', { approvalRequired: true, approvers: ['netops'] });

const ROWS: readonly Row[] = [
  { name: 'new, runbook without approval → Approved, targets recorded, no Job yet', facts: {}, phases: ['Pending', 'Approved'], reason: 'ApprovalNotRequired', createJob: false },
  {
    name: 'Approved with the targets recorded → Running, Job created',
    facts: { execution: execution('ex', { status: { phase: 'Approved', targets: [{ name: 'leaf1', address: '10.0.0.1:57400' }] } }) },
    phases: ['Running'], reason: 'JobCreated', createJob: true,
  },
  { name: 'runbook missing → Failed', facts: { runbook: undefined }, phases: ['Pending', 'Failed'], reason: 'RunbookNotFound', createJob: false },
  { name: 'runbook invalid → Failed', facts: { runbookProblem: 'spec.steps: empty' }, phases: ['Pending', 'Failed'], reason: 'RunbookNotReady', createJob: false },
  { name: 'bad parameters → Failed', facts: { parameterProblem: 'spec.parameters.x: unknown' }, phases: ['Pending', 'Failed'], reason: 'InvalidParameters', createJob: false },
  { name: 'device not in the targets → Failed, no Job', facts: { execution: execution('ex', { spec: { target: { device: 'gone' } } }) }, phases: ['Pending', 'Failed'], reason: 'TargetNotFound', createJob: false },
  { name: 'approval required → PendingApproval', facts: { runbook: approvalRunbook }, phases: ['Pending', 'PendingApproval'], reason: 'AwaitingApproval', createJob: false },
  {
    name: 'PendingApproval without approvals stays', facts: { runbook: approvalRunbook, execution: execution('ex', { status: { phase: 'PendingApproval' } }) },
    phases: [], createJob: false,
  },
  {
    name: 'PendingApproval with only the requester\'s own approval stays',
    facts: { runbook: approvalRunbook, execution: execution('ex', { spec: { approvals: [{ approvedBy: 'alice' }] }, status: { phase: 'PendingApproval' } }) },
    phases: [], createJob: false,
  },
  {
    name: 'PendingApproval approved by another user → Approved → Running',
    facts: { runbook: approvalRunbook, execution: execution('ex', { spec: { approvals: [{ approvedBy: 'bob' }] }, status: { phase: 'PendingApproval', targets: [{ name: 'leaf1', address: '10.0.0.1:57400' }] } }) },
    phases: ['Approved', 'Running'], reason: 'JobCreated', createJob: true,
  },
  { name: 'Running, Job not seen → create it again (same name)', facts: { execution: execution('ex', { status: running() }) }, phases: [], createJob: true },
  { name: 'Running, Job running → nothing', facts: { execution: execution('ex', { status: running() }), job: { name: JOB } }, phases: [], createJob: false },
  {
    name: 'Running, result Succeeded and Job complete → Succeeded',
    facts: { execution: execution('ex', { status: running({ result: { outcome: 'Succeeded' } }) }), job: finished('Complete') },
    phases: ['Succeeded'], reason: 'Completed', createJob: false,
  },
  {
    name: 'Running, result but Job not finished yet → wait',
    facts: { execution: execution('ex', { status: running({ result: { outcome: 'Succeeded' } }) }), job: { name: JOB } },
    phases: [], createJob: false,
  },
  {
    name: 'Running, result Failed, Job failed → Failed', facts: { execution: execution('ex', { status: running({ result: { outcome: 'Failed', message: 'step x' } }) }), job: finished('Failed') },
    phases: ['Failed'], reason: 'Failed', createJob: false,
  },
  { name: 'Job failed without result → Failed JobFailed', facts: { execution: execution('ex', { status: running() }), job: finished('Failed', 'BackoffLimitExceeded') }, phases: ['Failed'], reason: 'JobFailed', createJob: false },
  { name: 'Job past its deadline → Failed Timeout', facts: { execution: execution('ex', { status: running() }), job: finished('Failed', 'DeadlineExceeded') }, phases: ['Failed'], reason: 'Timeout', createJob: false },
  { name: 'Job complete without result → Failed NoResult', facts: { execution: execution('ex', { status: running() }), job: finished('Complete') }, phases: ['Failed'], reason: 'NoResult', createJob: false },
  {
    name: 'rollback steps appear → RollingBack',
    facts: { execution: execution('ex', { status: running({ rollbackSteps: [{ name: 'restore', phase: 'Running' }] }) }), job: { name: JOB } },
    phases: ['RollingBack'], reason: 'RollbackStarted', createJob: false,
  },
  {
    name: 'RollingBack, result RolledBack, Job failed → RolledBack',
    facts: { execution: execution('ex', { status: running({ phase: 'RollingBack', rollbackSteps: [{ name: 'restore', phase: 'Succeeded' }], result: { outcome: 'RolledBack' } }) }), job: finished('Failed') },
    phases: ['RolledBack'], reason: 'RolledBack', createJob: false,
  },
  {
    name: 'Running, rollback done in one go → RollingBack then RollbackFailed',
    facts: { execution: execution('ex', { status: running({ result: { outcome: 'RollbackFailed' } }) }), job: finished('Failed') },
    phases: ['RollingBack', 'RollbackFailed'], reason: 'RollbackFailed', createJob: false,
  },
  { name: 'terminal → nothing', facts: { execution: execution('ex', { status: { phase: 'Succeeded' } }), job: finished('Complete') }, phases: [], createJob: false },
];

describe('the execution state machine', () => {
  test.each(ROWS)('$name', (row) => {
    const facts: ExecutionFacts = { execution: execution('ex'), runbook: runbook('rb'), inventory: INVENTORY, jobName: JOB, now: NOW, ...row.facts };
    const d = decide(facts);
    expect(d.transitions.map((t) => t.phase)).toEqual(row.phases);
    expect(d.createJob).toBe(row.createJob);
    if (row.reason !== undefined) {
      expect(d.status.reason).toBe(row.reason);
      expect(d.transitions.at(-1)!.reason).toBe(row.reason);
    }
    // Every transition is appended to the history, after what was there.
    const before = facts.execution.status?.history ?? [];
    if (row.phases.length > 0) {
      expect(d.status.history).toEqual([...before, ...d.transitions.map((t) => ({ time: NOW.toISOString(), phase: t.phase, reason: t.reason, message: t.message }))]);
      expect(d.status.phase).toBe(row.phases.at(-1));
    } else {
      expect(d.status.history).toBeUndefined();
    }
  });

  test('the targets (address, labels) are recorded before the Job: the executor reads them from the status', () => {
    const d = decide({ execution: execution('ex'), runbook: runbook('rb'), inventory: INVENTORY, jobName: JOB, now: NOW });
    expect(d.status).toMatchObject({ phase: 'Approved', targets: [{ name: 'leaf1', address: '10.0.0.1:57400', labels: { site: 'lab1', role: 'leaf' } }] });
    expect(d.createJob).toBe(false);
    expect(d.requeueAfterMs).toBe(0);
    const next = decide({ execution: execution('ex', { status: d.status }), runbook: runbook('rb'), jobName: JOB, now: NOW });
    expect(next.createJob).toBe(true);
    expect(next.status).toMatchObject({ phase: 'Running', jobName: JOB, startTime: NOW.toISOString() });
    expect(next.status.history!.map((h) => h.phase)).toEqual(['Pending', 'Approved', 'Running']);
    expect(next.status.completionTime).toBeUndefined();
  });

  test('a failure names the missing device and sets the completion time', () => {
    const d = decide({ execution: execution('ex', { spec: { target: { device: 'gone' } } }), runbook: runbook('rb'), inventory: INVENTORY, jobName: JOB, now: NOW });
    expect(d.status.message).toContain('"gone"');
    expect(d.status.completionTime).toBe(NOW.toISOString());
  });

  test('a selector resolves to every matching device', () => {
    const d = decide({ execution: execution('ex', { spec: { target: { selector: { matchLabels: { site: 'lab1' } } } } }), runbook: runbook('rb'), inventory: INVENTORY, jobName: JOB, now: NOW });
    expect(d.status.targets!.map((t) => t.name)).toEqual(['leaf1', 'spine1']);
  });

  test('a running execution without result fails at the runbook timeout plus the grace, and is looked at again then', () => {
    const rb = runbook('rb', { timeoutSeconds: 60 });
    const ex = execution('ex', { status: running() });
    const early = decide({ execution: ex, runbook: rb, jobName: JOB, job: { name: JOB }, now: NOW });
    expect(early.transitions).toEqual([]);
    expect(early.requeueAfterMs).toBe((60 + TIMEOUT_GRACE_SECONDS) * 1000 - 60_000);
    const late = decide({ execution: ex, runbook: rb, jobName: JOB, job: { name: JOB }, now: new Date(Date.parse('2026-01-01T00:09:00Z') + (60 + TIMEOUT_GRACE_SECONDS) * 1000) });
    expect(late.transitions.map((t) => [t.phase, t.reason])).toEqual([['Failed', 'Timeout']]);
  });

  test('a Pending decision without the inventory is a programming error, not a guess', () => {
    expect(() => decide({ execution: execution('ex'), runbook: runbook('rb'), jobName: JOB, now: NOW })).toThrow(/inventory/);
  });
});
