import type { RunbookSpec, StepStatus } from '../../src/api/types.js';
import { holds, nextStep, setResume } from '../../src/core/progress.js';
import { stepKind, validateRunbook } from '../../src/core/validate.js';
import { jsonToTypedValue, typedValueToJson } from '../../src/gnmi/client.js';
import { formatPath, parsePath } from '../../src/gnmi/path.js';

describe('runbook validation', () => {
  const valid: RunbookSpec = {
    category: 'remediation', riskLevel: 'low', rollbackOnFailure: true,
    parameters: [{ name: 'interface', type: 'string' }],
    steps: [
      { name: 'read', gnmiGet: { paths: ['/interfaces/interface[name={{ params.interface }}]/config'] } },
      { name: 'set', gnmiSet: { update: [{ path: '/interfaces/interface[name={{ params.interface }}]/config', value: { enabled: false } }], delete: ['/x'] } },
      { name: 'pause', wait: { seconds: 5 } },
      { name: 'check', condition: { expression: 'steps.read.output.enabled', message: '{{ target.name }} down' } },
      { name: 'say', notify: { message: 'done on {{ target.name }}' } },
      { name: 'calc', script: { expression: 'len(steps.read.output)' } },
    ],
    rollbackSteps: [{ name: 'after', condition: { expression: 'steps.calc.output > 0' } }],
  };

  test('a valid runbook has no problems', () => {
    expect(validateRunbook(valid)).toEqual([]);
    expect(valid.steps.map(stepKind)).toEqual(['gnmiGet', 'gnmiSet', 'wait', 'condition', 'notify', 'script']);
  });

  test('each problem names the field, the value and what is allowed', () => {
    expect(validateRunbook({
      category: 'remediation', riskLevel: 'low', timeoutSeconds: -1,
      parameters: [{ name: 'p', type: 'integer', default: 'x' }],
      steps: [
        { name: 'Bad_Name', notify: { message: 'hi' } },
        { name: 'two', notify: { message: 'a' }, wait: { seconds: 1 } },
        { name: 'none' },
        { name: 'get', gnmiGet: { paths: ['interfaces/x', '/a[name=b/c'] } },
        { name: 'set', gnmiSet: { update: [{ path: '/a/{{ params.q }}', value: '{{ params.r }}' }] }, timeoutSeconds: 0 },
        { name: 'empty-set', gnmiSet: {} },
        { name: 'long', wait: { seconds: 600 } },
        { name: 'cond', condition: { expression: 'steps.future.output == params.zz && (' } },
        { name: 'cond2', condition: { expression: 'steps.future.output == params.zz' } },
        { name: 'future', script: { expression: 'true' } },
        { name: 'future', notify: { message: '{{ secrets.x }}' } },
        { name: 'restore-saved-state', notify: { message: 'x' } },
        { name: 'tpl', condition: { expression: '{{ params.p }} == 1' } },
      ],
      rollbackSteps: [{ name: 'rb', notify: { message: 'x' } }],
    })).toEqual([
      'spec.parameters[0].default: "x" is not an integer',
      'spec.rollbackSteps: set but spec.rollbackOnFailure is not true, so they would never run',
      'spec.timeoutSeconds: -1 is not a positive whole number of seconds',
      'spec.steps[0].name: "Bad_Name" is not a DNS label (lower-case letters, digits, "-")',
      'spec.steps[1]: has several kinds (wait, notify) (allowed: exactly one of gnmiGet, gnmiSet, wait, condition, notify, script)',
      'spec.steps[2]: has no kind (allowed: exactly one of gnmiGet, gnmiSet, wait, condition, notify, script)',
      'spec.steps[3].gnmiGet.paths[0]: "interfaces/x" is not a gNMI path (it starts with "/", e.g. /interfaces/interface[name=Ethernet1]/config)',
      'spec.steps[3].gnmiGet.paths[1]: "/a[name=b/c": unclosed "[" in a',
      'spec.steps[4].timeoutSeconds: 0 is not a positive whole number of seconds',
      'spec.steps[4].gnmiSet.update[0].path: "{{ params.q }}" names no declared parameter (declared: p)',
      'spec.steps[4].gnmiSet.update[0].value: "{{ params.r }}" names no declared parameter',
      'spec.steps[5].gnmiSet: at least one of update, replace, delete',
      "spec.steps[6].wait.seconds: 600 is not shorter than the runbook's timeoutSeconds (600)",
      'spec.steps[7].condition.expression: expected a value but found the end at 37',
      'spec.steps[8].condition.expression: reads steps.future.output, which is not an earlier step (earlier: Bad_Name, two, none, get, set, empty-set, long, cond)',
      'spec.steps[8].condition.expression: reads params.zz, which is not declared (declared: p)',
      'spec.steps[10].name: "future" is used twice (names are unique across steps and rollbackSteps)',
      'spec.steps[10].notify.message: unknown template name "{{ secrets.x }}" (allowed: params.NAME, target.name, target.address, target.labels.LABEL, execution.name)',
      'spec.steps[11].name: "restore-saved-state" is reserved for the automatic restore',
      'spec.steps[12].condition.expression: a template {{ ... }} in an expression must stand inside a string literal (to compare a value, read params.NAME)',
    ]);
    expect(validateRunbook({ category: 'backup', riskLevel: 'low', steps: [] })).toEqual(['spec.steps: a runbook needs at least one step']);
  });
});

describe('resuming from checkpoints', () => {
  const steps = [{ name: 'a', notify: { message: 'x' } }, { name: 'b', notify: { message: 'x' } }, { name: 'c', notify: { message: 'x' } }];
  const st = (name: string, phase: StepStatus['phase'], error?: string): StepStatus => ({ name, phase, ...(error ? { error } : {}) });

  test('skips Succeeded and Skipped steps, resumes a Running one, stops at a Failed one', () => {
    expect(nextStep(steps)).toEqual({ kind: 'run', index: 0, interrupted: false });
    expect(nextStep(steps, [st('a', 'Succeeded')])).toEqual({ kind: 'run', index: 1, interrupted: false });
    expect(nextStep(steps, [st('a', 'Succeeded'), st('b', 'Running')])).toEqual({ kind: 'run', index: 1, interrupted: true });
    expect(nextStep(steps, [st('a', 'Skipped'), st('b', 'Failed', 'boom')])).toEqual({ kind: 'failed', index: 1, error: 'boom' });
    expect(nextStep(steps, [st('c', 'Succeeded'), st('a', 'Succeeded'), st('b', 'Succeeded')])).toEqual({ kind: 'done' });
    expect(nextStep(steps, [st('a', 'Pending')])).toEqual({ kind: 'run', index: 0, interrupted: false });
  });

  test('a Set acknowledged by a device is never re-sent; an interrupted one is reconciled', () => {
    expect(setResume(undefined, 'd1')).toBe('send');
    const running: StepStatus = { name: 's', phase: 'Running', devices: [{ device: 'd1', response: '{}' }, { device: 'd2', error: 'timeout' }] };
    expect(setResume(running, 'd1')).toBe('skip');
    expect(setResume(running, 'd2')).toBe('reconcile');
    expect(setResume(running, 'd3')).toBe('reconcile');
    expect(setResume({ name: 's', phase: 'Pending' }, 'd3')).toBe('send');
  });

  test('holds: what a device returns contains what was written', () => {
    expect(holds({ 'openconfig-interfaces:enabled': false, 'openconfig-interfaces:mtu': 9100 }, { enabled: false })).toBe(true);
    expect(holds({ 'openconfig-interfaces:enabled': true }, { enabled: false })).toBe(false);
    expect(holds({ a: 1 }, { b: 1 })).toBe(false);
    expect(holds('openconfig-if-ethernet:SPEED_10GB', 'SPEED_10GB')).toBe(true);
    expect(holds('5000000', 5000000)).toBe(true);
    expect(holds([1, 2, 3], [3, 1])).toBe(true);
    expect(holds([1], [2])).toBe(false);
    expect(holds(undefined, 1)).toBe(false);
    expect(holds([], {})).toBe(false);
    expect(holds(null, null)).toBe(true);
  });
});

describe('gNMI paths and values', () => {
  test('parses gnmic path strings with keys, slashes in keys and an origin', () => {
    expect(parsePath('/interfaces/interface[name=Ethernet1/1]/config/enabled')).toEqual({
      elem: [{ name: 'interfaces' }, { name: 'interface', key: { name: 'Ethernet1/1' } }, { name: 'config' }, { name: 'enabled' }],
    });
    expect(parsePath('openconfig:/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=bgp]')).toEqual({
      origin: 'openconfig',
      elem: [{ name: 'network-instances' }, { name: 'network-instance', key: { name: 'default' } }, { name: 'protocols' }, { name: 'protocol', key: { identifier: 'BGP', name: 'bgp' } }],
    });
    expect(parsePath('/a[k=x\\]y]').elem[0].key).toEqual({ k: 'x]y' });
    expect(parsePath('/')).toEqual({ elem: [] });
    for (const bad of ['', 'a/b', '/a//b', '/a/', '/a[k]', '/a[=v]', '/a[k=v']) expect(() => parsePath(bad)).toThrow(`"${bad}"`);
  });

  test('format and parse round-trip', () => {
    for (const p of ['/interfaces/interface[name=Ethernet1/1]/config', 'rfc7951:/a/b[x=1][y=2]', '/a[k=x\\]y]']) expect(formatPath(parsePath(p))).toBe(p);
  });

  test('typed values: scalars in their fields, structures as JSON_IETF, 64-bit integers safely', () => {
    expect(jsonToTypedValue(true)).toEqual({ boolVal: true });
    expect(jsonToTypedValue('x')).toEqual({ stringVal: 'x' });
    expect(jsonToTypedValue(9100)).toEqual({ uintVal: 9100 });
    expect(jsonToTypedValue(-3)).toEqual({ intVal: -3 });
    expect(jsonToTypedValue(1.5)).toEqual({ jsonIetfVal: Buffer.from('1.5') });
    expect(jsonToTypedValue({ enabled: false })).toEqual({ jsonIetfVal: Buffer.from('{"enabled":false}') });
    expect(typedValueToJson({ value: 'uintVal', uintVal: '18446744073709551615' })).toBe('18446744073709551615');
    expect(typedValueToJson({ value: 'intVal', intVal: '-42' })).toBe(-42);
    expect(typedValueToJson({ value: 'jsonIetfVal', jsonIetfVal: Buffer.from('{"a":[1]}') })).toEqual({ a: [1] });
    expect(typedValueToJson({ value: 'decimalVal', decimalVal: { digits: '12345', precision: 2 } })).toBe(123.45);
    expect(typedValueToJson({ value: 'leaflistVal', leaflistVal: { element: [{ value: 'stringVal', stringVal: 'a' }, { value: 'boolVal', boolVal: true }] } })).toEqual(['a', true]);
    expect(typedValueToJson({ value: 'bytesVal', bytesVal: Buffer.from('hi') })).toBe('aGk=');
    expect(typedValueToJson({ value: 'asciiVal', asciiVal: 'x' })).toBe('x');
    expect(typedValueToJson({})).toBeNull();
    expect(typedValueToJson(undefined)).toBeNull();
  });
});
