import fc from 'fast-check';
import type { RunbookStep, StepStatus } from '../../src/api/types.js';
import { holds, nextStep, setResume } from '../../src/core/progress.js';

/**
 * A model of the executor's Set loop driven by the real decision functions (nextStep,
 * setResume, holds), with a device that is a map of paths and an executor that may die
 * at any point: before the Running checkpoint, after it, after the Set reached the device
 * but before its answer was checkpointed, or after that. Whatever the crash points, every
 * step ends Succeeded, the device holds the last value written to each path, and no Set
 * reaches the device twice.
 */
type CrashPoint = 'before-running' | 'before-set' | 'after-set' | 'after-record';

class Crash extends Error {}

function simulate(values: readonly { path: string; value: number }[], crashes: readonly { step: number; at: CrashPoint }[]) {
  const steps: RunbookStep[] = values.map((v, i) => ({ name: `s${i}`, gnmiSet: { update: [{ path: v.path, value: v.value }] } }));
  const device = new Map<string, number>();
  const sets = values.map(() => 0);
  let statuses: StepStatus[] = [];
  const put = (s: StepStatus) => { statuses = [...statuses.filter((x) => x.name !== s.name), s]; };
  const pending = [...crashes];
  const crash = (step: number, at: CrashPoint) => {
    const i = pending.findIndex((c) => c.step === step && c.at === at);
    if (i >= 0) { pending.splice(i, 1); throw new Crash(); }
  };
  let runs = 0;
  for (;;) {
    runs++;
    try {
      for (;;) {
        const next = nextStep(steps, statuses);
        if (next.kind === 'done') return { device, sets, statuses, runs };
        if (next.kind === 'failed') throw new Error('no step fails in this model');
        const i = next.index;
        const previous = statuses.find((s) => s.name === steps[i].name);
        crash(i, 'before-running');
        put({ name: steps[i].name, phase: 'Running', devices: previous?.devices });
        const decision = setResume(next.interrupted ? previous : undefined, 'd');
        if (decision !== 'skip') {
          const { path, value } = values[i];
          if (!(decision === 'reconcile' && holds(device.get(path), value))) {
            crash(i, 'before-set');
            device.set(path, value);
            sets[i]++;
            crash(i, 'after-set');
          }
          put({ name: steps[i].name, phase: 'Running', devices: [{ device: 'd', response: '{}' }] });
          crash(i, 'after-record');
        }
        put({ name: steps[i].name, phase: 'Succeeded', devices: [{ device: 'd', response: '{}' }] });
      }
    } catch (e) {
      if (!(e instanceof Crash)) throw e;
    }
  }
}

describe('resuming Sets after crashes (model of the executor loop over the real decisions)', () => {
  test('every step succeeds, the device ends as written, and no Set is sent twice', () => {
    const step = fc.record({ path: fc.constantFrom('/a', '/b', '/c'), value: fc.integer({ min: 0, max: 3 }) });
    fc.assert(fc.property(
      fc.array(step, { minLength: 1, maxLength: 8 }).chain((values) => fc.tuple(
        fc.constant(values),
        fc.array(fc.record({ step: fc.nat({ max: values.length - 1 }), at: fc.constantFrom<CrashPoint>('before-running', 'before-set', 'after-set', 'after-record') }), { maxLength: 6 }),
      )),
      ([values, crashes]) => {
        const r = simulate(values, crashes);
        expect(r.statuses.map((s) => s.phase)).toEqual(values.map(() => 'Succeeded'));
        expect(r.sets.every((n) => n <= 1)).toBe(true);
        const last = new Map(values.map((v) => [v.path, v.value]));
        expect(new Map(r.device)).toEqual(last);
      },
    ), { numRuns: 1000 });
  });

  test('a crash after the Set reached the device never sends it again', () => {
    const r = simulate([{ path: '/a', value: 1 }, { path: '/a', value: 2 }], [{ step: 0, at: 'after-set' }, { step: 1, at: 'after-set' }]);
    expect(r.sets).toEqual([1, 1]);
    expect(r.runs).toBe(3);
    expect(r.device.get('/a')).toBe(2);
  });
});
