import fc from 'fast-check';
import { checkParameterDeclarations, ParameterError, parseParameters } from '../../src/core/params.js';
import { renderText, renderValue, type StepContext, TemplateError, templateNames } from '../../src/core/template.js';

describe('parameters', () => {
  const declared = [
    { name: 'interface', type: 'string' as const },
    { name: 'count', type: 'integer' as const, default: '2' },
    { name: 'force', type: 'boolean' as const, required: false },
    { name: 'hold', type: 'duration' as const, default: '1m30s' },
    { name: 'mode', type: 'string' as const, enum: ['drain', 'restore'], default: 'drain' },
  ];

  test('parses by type, fills defaults, leaves optional ones out', () => {
    expect(parseParameters(declared, { interface: 'Ethernet1/1', count: '-7', hold: '500ms' })).toEqual({
      interface: { type: 'string', value: 'Ethernet1/1', text: 'Ethernet1/1' },
      count: { type: 'integer', value: -7, text: '-7' },
      hold: { type: 'duration', value: 0.5, text: '500ms' },
      mode: { type: 'string', value: 'drain', text: 'drain' },
    });
    expect(parseParameters(declared, { interface: 'x', force: 'true', hold: '2h5s' })).toMatchObject({ force: { value: true }, hold: { value: 7205 } });
  });

  test('reports every problem, each naming the parameter, the value and what is allowed', () => {
    let err: ParameterError | undefined;
    try {
      parseParameters(declared, { count: '1.5', force: 'yes', hold: '10', mode: 'DRAIN', extra: 'x' });
    } catch (e) {
      err = e as ParameterError;
    }
    expect(err).toBeInstanceOf(ParameterError);
    expect(err!.problems).toEqual([
      'spec.parameters.extra: not a parameter of this runbook (allowed: count, force, hold, interface, mode)',
      'spec.parameters.interface: required (string) but not given',
      'spec.parameters.count: "1.5" is not an integer',
      'spec.parameters.force: "yes" is not a boolean (allowed: true, false)',
      'spec.parameters.hold: "10" is not a duration (e.g. 30s, 5m, 1h30m, 500ms)',
      'spec.parameters.mode: "DRAIN" is not one of the allowed values (drain, restore)',
    ]);
    expect(() => parseParameters(declared, { interface: 'x', count: '99999999999999999999' })).toThrow('spec.parameters.count: "99999999999999999999" is outside');
    expect(() => parseParameters(declared, { interface: 5 as unknown as string })).toThrow('spec.parameters.interface: 5 must be written as a string');
  });

  test('checks the declarations: names, types, defaults and enums', () => {
    expect(checkParameterDeclarations([
      { name: 'Bad-Name', type: 'string' },
      { name: 'a', type: 'integer', default: 'x', enum: ['1', 'two'] },
      { name: 'a', type: 'float' as 'string' },
      { name: 'b', type: 'string', enum: ['x'], default: 'y' },
    ])).toEqual([
      'spec.parameters[0].name: "Bad-Name" is not a parameter name (allowed: [a-z][a-zA-Z0-9_]*)',
      'spec.parameters[1].enum[1]: "two" is not an integer',
      'spec.parameters[1].default: "x" is not an integer',
      'spec.parameters[2].name: "a" is declared twice',
      'spec.parameters[2].type: "float" is not a parameter type (allowed: string, integer, boolean, duration)',
      'spec.parameters[3].default: "y" is not one of the allowed values (x)',
    ]);
  });

  test('any integer text round-trips; any other text is refused as an integer', () => {
    fc.assert(fc.property(fc.integer(), (n) => {
      expect(parseParameters([{ name: 'n', type: 'integer' }], { n: String(n) }).n.value).toBe(n);
    }));
    fc.assert(fc.property(fc.string().filter((s) => !/^-?\d+$/.test(s)), (s) => {
      expect(() => parseParameters([{ name: 'n', type: 'integer' }], { n: s })).toThrow(ParameterError);
    }));
  });
});

describe('templates', () => {
  const ctx: StepContext = {
    params: {
      interface: { type: 'string', value: 'Ethernet1', text: 'Ethernet1' },
      enabled: { type: 'boolean', value: false, text: 'false' },
      mtu: { type: 'integer', value: 1500, text: '1500' },
      hold: { type: 'duration', value: 30, text: '30s' },
    },
    target: { name: 'leaf1', address: '10.0.0.1:6030', labels: { site: 'par1' } },
    execution: { name: 'bounce-7' },
    steps: {},
  };

  test('substitutes params, target and execution names', () => {
    expect(renderText('/interfaces/interface[name={{ params.interface }}]/config', ctx)).toBe('/interfaces/interface[name=Ethernet1]/config');
    expect(renderText('{{target.name}}@{{ target.address }} in {{ target.labels.site }} by {{ execution.name }} for {{ params.hold }}', ctx)).toBe('leaf1@10.0.0.1:6030 in par1 by bounce-7 for 30s');
  });

  test('a value that is exactly one placeholder keeps the parameter type', () => {
    expect(renderValue({ enabled: '{{ params.enabled }}', mtu: '{{ params.mtu }}', d: 'port {{ params.interface }}', list: ['{{ target.name }}', 3, null] }, ctx))
      .toEqual({ enabled: false, mtu: 1500, d: 'port Ethernet1', list: ['leaf1', 3, null] });
  });

  test('unknown names are errors naming what is allowed', () => {
    expect(() => renderText('{{ params.nope }}', ctx)).toThrow('"{{ params.nope }}": no such parameter (declared: enabled, hold, interface, mtu)');
    expect(() => renderText('{{ params.constructor }}', ctx)).toThrow('no such parameter');
    expect(() => renderText('{{ target.labels.toString }}', ctx)).toThrow('target leaf1 has no label "toString"');
    expect(() => renderText('{{ target.labels.rack }}', ctx)).toThrow('target leaf1 has no label "rack" (it has: site)');
    expect(() => renderText('{{ env.HOME }}', ctx)).toThrow(TemplateError);
    expect(() => renderText('{{ env.HOME }}', ctx)).toThrow('unknown template name "{{ env.HOME }}" (allowed: params.NAME, target.name, target.address, target.labels.LABEL, execution.name)');
    expect(() => templateNames('{{ params.a ')).toThrow('unbalanced');
    expect(() => renderValue(['{{ steps.x.output }}'], ctx)).toThrow(TemplateError);
  });

  test('text without placeholders is unchanged', () => {
    fc.assert(fc.property(fc.string().filter((s) => !s.includes('{{') && !s.includes('}}')), (s) => {
      expect(renderText(s, ctx)).toBe(s);
    }));
  });
});
