import type { DeviceResponse, RunbookStep, StepStatus } from '../api/types.js';

/**
 * What the executor does next, decided from the checkpointed step statuses alone,
 * so a restarted executor resumes where the last one stopped: steps that Succeeded
 * (or were Skipped) are never run again, a Failed step ends the forward run, and a
 * step found Running was interrupted and is resumed.
 */
export type NextStep =
  | { readonly kind: 'run'; readonly index: number; readonly interrupted: boolean }
  | { readonly kind: 'failed'; readonly index: number; readonly error: string }
  | { readonly kind: 'done' };

export function nextStep(steps: readonly RunbookStep[], statuses: readonly StepStatus[] = []): NextStep {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  for (const [index, step] of steps.entries()) {
    const s = byName.get(step.name);
    switch (s?.phase) {
      case 'Succeeded': case 'Skipped': continue;
      case 'Failed': return { kind: 'failed', index, error: s.error ?? 'failed' };
      case 'Running': return { kind: 'run', index, interrupted: true };
      default: return { kind: 'run', index, interrupted: false };
    }
  }
  return { kind: 'done' };
}

/**
 * For one device of a gnmiSet step, what to do given its checkpoint:
 * - `skip`: the device acknowledged this Set before (its response is recorded) — never re-sent;
 * - `reconcile`: the step was Running when the executor died and this device has no
 *   recorded answer, so the Set may or may not have reached it: read the device and
 *   send only if it does not already hold the intended values;
 * - `send`: the Set was never attempted.
 */
export type SetResume = 'skip' | 'reconcile' | 'send';

export function setResume(status: StepStatus | undefined, device: string): SetResume {
  if (!status) return 'send';
  const d: DeviceResponse | undefined = status.devices?.find((x) => x.device === device);
  if (d && d.error === undefined && d.response !== undefined) return 'skip';
  return status.phase === 'Running' ? 'reconcile' : 'send';
}

function stripModule(s: string): string {
  const i = s.indexOf(':');
  return i > 0 ? s.slice(i + 1) : s;
}

/**
 * Whether a value read from a device holds what a Set wrote: equal scalars (module
 * prefixes of identity names ignored, 64-bit integers compared as text), and for
 * objects every intended field present with a held value (the device may add more:
 * defaults, state). Lists must hold every intended element, in any order.
 */
export function holds(actual: unknown, intended: unknown): boolean {
  if (intended === null || typeof intended !== 'object') {
    if (actual === intended) return true;
    if ((typeof actual === 'string' || typeof actual === 'number') && (typeof intended === 'string' || typeof intended === 'number')) {
      return stripModule(String(actual)) === stripModule(String(intended));
    }
    return false;
  }
  if (Array.isArray(intended)) {
    return Array.isArray(actual) && intended.every((i) => actual.some((a) => holds(a, i)));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  const a = actual as Record<string, unknown>;
  const byName = new Map(Object.keys(a).map((k) => [stripModule(k), a[k]]));
  return Object.entries(intended as Record<string, unknown>).every(([k, v]) => {
    const got = Object.prototype.hasOwnProperty.call(a, k) ? a[k] : byName.get(stripModule(k));
    return got !== undefined && holds(got, v);
  });
}
