import type { Condition, Runbook, RunbookStatus } from '../api/types.js';
import { ParameterError, parseParameters } from '../core/params.js';
import { validateRunbook } from '../core/validate.js';

/**
 * The runbook's problems as one message (empty spec fields, bad paths, templates and
 * expressions: the executor's own validation), plus what only the operator cares
 * about: an approval nobody could give. Undefined when the runbook can run.
 */
export function runbookProblem(runbook: Runbook): string | undefined {
  const problems = validateRunbook(runbook.spec);
  if (runbook.spec.approvalRequired === true && (runbook.spec.approvers ?? []).length === 0) {
    problems.push('spec.approvers: approvalRequired is true but no approver group is named, so nobody could approve');
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

/** The execution's parameters' problems against the runbook (parsed as the executor will), or undefined. */
export function parameterProblem(runbook: Runbook, parameters: Readonly<Record<string, string>> | undefined): string | undefined {
  try {
    parseParameters(runbook.spec.parameters ?? [], parameters);
    return undefined;
  } catch (e) {
    if (e instanceof ParameterError) return e.message;
    throw e;
  }
}

/** The runbook's status for a validation result; the Ready condition keeps its transition time while its status holds. */
export function runbookStatus(runbook: Runbook, problem: string | undefined, now: Date): RunbookStatus {
  const previous = runbook.status?.conditions?.find((c) => c.type === 'Ready');
  const status = problem === undefined ? 'True' : 'False';
  const ready: Condition = {
    type: 'Ready',
    status,
    reason: problem === undefined ? 'Valid' : 'Invalid',
    message: problem ?? 'the runbook is valid',
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : now.toISOString(),
    observedGeneration: runbook.metadata.generation,
  };
  return { observedGeneration: runbook.metadata.generation, conditions: [ready] };
}

/** Whether the status to write differs from what the runbook has. */
export function runbookStatusChanged(runbook: Runbook, next: RunbookStatus): boolean {
  const essence = (st: RunbookStatus | undefined): string => JSON.stringify([
    st?.observedGeneration, ...(st?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
  ]);
  return essence(runbook.status) !== essence(next);
}
