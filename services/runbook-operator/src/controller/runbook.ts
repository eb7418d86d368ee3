import type { Condition, Runbook, RunbookStatus } from '../api/types.js';

/**
 * STAND-IN for the executor package's runbook validation (rb-exec's core), used
 * until it is merged: the structural checks the controller needs to refuse a
 * runbook, returning the first problem naming its field, or undefined.
 */
export function minimalRunbookProblem(runbook: Runbook): string | undefined {
  const steps = runbook.spec?.steps;
  if (!Array.isArray(steps) || steps.length === 0) return 'spec.steps: a runbook needs at least one step';
  const names = new Set<string>();
  const all = [...steps.map((s, i) => [`spec.steps[${i}]`, s] as const), ...(runbook.spec.rollbackSteps ?? []).map((s, i) => [`spec.rollbackSteps[${i}]`, s] as const)];
  for (const [path, step] of all) {
    if (names.has(step.name)) return `${path}.name: ${JSON.stringify(step.name)} is used twice; step names are unique within steps and rollbackSteps`;
    names.add(step.name);
    const kinds = ['gnmiGet', 'gnmiSet', 'wait', 'condition', 'notify', 'script'].filter((k) => (step as unknown as Record<string, unknown>)[k] !== undefined);
    if (kinds.length !== 1) return `${path}: set exactly one of gnmiGet, gnmiSet, wait, condition, notify, script (found ${kinds.length === 0 ? 'none' : kinds.join(', ')})`;
  }
  if (runbook.spec.approvalRequired === true && (runbook.spec.approvers ?? []).length === 0) {
    return 'spec.approvers: approvalRequired is true but no approver group is named, so nobody could approve';
  }
  return undefined;
}

/**
 * STAND-IN for the executor package's parameter parsing, until merged: every
 * parameter the execution sets is declared, and every required one is set.
 */
export function minimalParameterProblem(runbook: Runbook, parameters: Readonly<Record<string, string>> | undefined): string | undefined {
  const declared = new Map((runbook.spec.parameters ?? []).map((p) => [p.name, p]));
  for (const name of Object.keys(parameters ?? {})) {
    if (!declared.has(name)) return `spec.parameters.${name}: runbook ${runbook.metadata.name} has no such parameter (it has ${[...declared.keys()].join(', ') || 'none'})`;
  }
  for (const p of declared.values()) {
    const required = p.required ?? p.default === undefined;
    if (required && parameters?.[p.name] === undefined) return `spec.parameters.${p.name}: required by runbook ${runbook.metadata.name} and not set`;
  }
  return undefined;
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
