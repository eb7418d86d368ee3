import { checkExpressionTemplates, parseExpression } from './expression.js';
import { checkParameterDeclarations } from './params.js';
import { templateNames, valueTemplateNames } from './template.js';
import type { RunbookSpec, RunbookStep } from '../api/types.js';
import { parsePath } from '../gnmi/path.js';

export const STEP_KINDS = ['gnmiGet', 'gnmiSet', 'wait', 'condition', 'notify', 'script'] as const;
export type StepKind = typeof STEP_KINDS[number];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The name of the automatic restore in status.rollbackSteps; no step may take it. */
export const RESTORE_STEP = 'restore-saved-state';
/** @default of RunbookStep.timeoutSeconds: the deadline of each of the step's gNMI calls. */
export const DEFAULT_STEP_TIMEOUT_SECONDS = 30;

export function stepKind(step: RunbookStep): StepKind {
  const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
  if (kinds.length !== 1) throw new Error(`step ${step.name} has ${kinds.length === 0 ? 'no kind' : `several kinds (${kinds.join(', ')})`}`);
  return kinds[0];
}

/**
 * Why a runbook cannot run: each problem names the field (spec.steps[2].gnmiSet.update[0].path),
 * the bad value and what is allowed. Empty when the runbook is valid. The operator puts
 * these into Ready=False; the executor refuses to run an invalid runbook.
 */
export function validateRunbook(spec: RunbookSpec): string[] {
  const problems: string[] = [];
  const params = new Set((spec.parameters ?? []).map((p) => p.name));
  problems.push(...checkParameterDeclarations(spec.parameters ?? []));
  if (!Array.isArray(spec.steps) || spec.steps.length === 0) problems.push('spec.steps: a runbook needs at least one step');
  if ((spec.rollbackSteps ?? []).length > 0 && spec.rollbackOnFailure !== true) {
    problems.push('spec.rollbackSteps: set but spec.rollbackOnFailure is not true, so they would never run');
  }
  for (const [f, v] of [['spec.timeoutSeconds', spec.timeoutSeconds]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) problems.push(`${f}: ${JSON.stringify(v)} is not a positive whole number of seconds`);
  }
  const runbookTimeout = Number.isInteger(spec.timeoutSeconds) && spec.timeoutSeconds! > 0 ? spec.timeoutSeconds! : 600;
  const names = new Set<string>();
  const check = (steps: readonly RunbookStep[], field: string, visible: Set<string>): void => {
    steps.forEach((step, i) => {
      const at = `${field}[${i}]`;
      const text = (f: string, s: unknown): void => {
        if (typeof s !== 'string') { problems.push(`${at}.${f}: ${JSON.stringify(s)} is not text`); return; }
        try {
          for (const n of templateNames(s)) {
            if (n.startsWith('params.') && !params.has(n.slice(7))) problems.push(`${at}.${f}: "{{ ${n} }}" names no declared parameter (declared: ${[...params].sort().join(', ') || 'none'})`);
          }
        } catch (e) {
          problems.push(`${at}.${f}: ${(e as Error).message}`);
        }
      };
      const path = (f: string, p: unknown): void => {
        text(f, p);
        if (typeof p !== 'string') return;
        try { parsePath(p.replace(/\{\{[^{}]*\}\}/g, 'x')); } catch (e) { problems.push(`${at}.${f}: ${(e as Error).message}`); }
      };
      const expr = (f: string, s: unknown): void => {
        text(f, s);
        if (typeof s !== 'string') return;
        try {
          checkExpressionTemplates(s);
          const e = parseExpression(s);
          for (const r of e.stepRefs) if (!visible.has(r)) problems.push(`${at}.${f}: reads steps.${r}.output, which is not an earlier step (earlier: ${[...visible].join(', ') || 'none'})`);
          for (const p of e.paramRefs) if (!params.has(p)) problems.push(`${at}.${f}: reads params.${p}, which is not declared (declared: ${[...params].sort().join(', ') || 'none'})`);
        } catch (e) {
          problems.push(`${at}.${f}: ${(e as Error).message}`);
        }
      };
      if (typeof step.name !== 'string' || !DNS_LABEL.test(step.name) || step.name.length > 63) problems.push(`${at}.name: "${step.name}" is not a DNS label (lower-case letters, digits, "-")`);
      else if (step.name === RESTORE_STEP) problems.push(`${at}.name: "${RESTORE_STEP}" is reserved for the automatic restore`);
      else if (names.has(step.name)) problems.push(`${at}.name: "${step.name}" is used twice (names are unique across steps and rollbackSteps)`);
      names.add(step.name);
      if (step.timeoutSeconds !== undefined && !(Number.isInteger(step.timeoutSeconds) && step.timeoutSeconds > 0)) {
        problems.push(`${at}.timeoutSeconds: ${JSON.stringify(step.timeoutSeconds)} is not a positive whole number of seconds`);
      }
      const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
      if (kinds.length !== 1) {
        problems.push(`${at}: ${kinds.length === 0 ? 'has no kind' : `has several kinds (${kinds.join(', ')})`} (allowed: exactly one of ${STEP_KINDS.join(', ')})`);
      } else {
        switch (kinds[0]) {
          case 'gnmiGet':
            if (!step.gnmiGet?.paths?.length) problems.push(`${at}.gnmiGet.paths: at least one path`);
            step.gnmiGet?.paths?.forEach((p, j) => path(`gnmiGet.paths[${j}]`, p));
            break;
          case 'gnmiSet': {
            const s = step.gnmiSet!;
            if (!(s.update?.length || s.replace?.length || s.delete?.length)) problems.push(`${at}.gnmiSet: at least one of update, replace, delete`);
            for (const op of ['update', 'replace'] as const) {
              s[op]?.forEach((u, j) => {
                path(`gnmiSet.${op}[${j}].path`, u.path);
                if (u.value === undefined) problems.push(`${at}.gnmiSet.${op}[${j}].value: missing (any JSON value)`);
                try {
                  for (const n of valueTemplateNames(u.value)) if (n.startsWith('params.') && !params.has(n.slice(7))) problems.push(`${at}.gnmiSet.${op}[${j}].value: "{{ ${n} }}" names no declared parameter`);
                } catch (e) { problems.push(`${at}.gnmiSet.${op}[${j}].value: ${(e as Error).message}`); }
              });
            }
            s.delete?.forEach((p, j) => path(`gnmiSet.delete[${j}]`, p));
            break;
          }
          case 'wait':
            if (!(typeof step.wait?.seconds === 'number' && step.wait.seconds >= 0)) problems.push(`${at}.wait.seconds: ${JSON.stringify(step.wait?.seconds)} is not a number of seconds ≥ 0`);
            else if (step.wait.seconds >= runbookTimeout) problems.push(`${at}.wait.seconds: ${step.wait.seconds} is not shorter than the runbook's timeoutSeconds (${runbookTimeout})`);
            break;
          case 'condition':
            expr('condition.expression', step.condition?.expression);
            if (step.condition?.message !== undefined) text('condition.message', step.condition.message);
            break;
          case 'notify': text('notify.message', step.notify?.message); break;
          case 'script': expr('script.expression', step.script?.expression); break;
        }
      }
      visible.add(step.name);
    });
  };
  const main = new Set<string>();
  check(spec.steps ?? [], 'spec.steps', main);
  check(spec.rollbackSteps ?? [], 'spec.rollbackSteps', new Set(main));
  return problems;
}
