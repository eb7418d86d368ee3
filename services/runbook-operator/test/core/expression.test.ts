import fc from 'fast-check';
import { checkExpressionTemplates, evaluate, ExpressionError, type Json, MAX_EXPRESSION_LENGTH, MAX_NESTING, parseExpression, renderExpression } from '../../src/core/expression.js';
import type { StepContext } from '../../src/core/template.js';

const ctx = (steps: Record<string, unknown> = {}): StepContext => ({
  params: {
    interface: { type: 'string', value: 'Ethernet1', text: 'Ethernet1' },
    count: { type: 'integer', value: 3, text: '3' },
    hold: { type: 'duration', value: 90, text: '1m30s' },
    force: { type: 'boolean', value: false, text: 'false' },
  },
  target: { name: 'leaf1', address: '10.0.0.1:6030', labels: { site: 'par1', role: 'leaf' } },
  execution: { name: 'bounce-7' },
  steps,
});

const gnmiOutput = { 'openconfig-interfaces:enabled': true, 'openconfig-interfaces:mtu': 9100, counters: { 'in-errors': '7' }, peers: [{ state: 'ESTABLISHED' }, { state: 'IDLE' }] };

describe('the safe expression language', () => {
  test.each<[string, Json]>([
    ['steps.read.output.enabled == true', true],
    ['steps.read.output.mtu >= 1500 && steps.read.output.mtu < 10000', true],
    ['steps.read.output["openconfig-interfaces:mtu"]', 9100],
    ['steps.read.output.peers[1].state', 'IDLE'],
    ['steps.read.output.peers[-1].state == "IDLE"', true],
    ['steps.read.output.peers[5]', null],
    ['steps.read.output.missing == null', true],
    ['steps.read.output.missing.deeper', null],
    ['number(steps.read.output.counters.in-errors) > 5', true],
    ['len(steps.read.output.peers)', 2],
    ['"ESTABLISHED" in ["IDLE", "ESTABLISHED"]', true],
    ['"eth" in lower(params.interface)', true],
    ['"mtu" in steps.read.output', false],
    ['contains(steps.read.output.peers, steps.read.output.peers[1])', true],
    ['contains(["a", "b"], "b") && !contains("abc", "z")', true],
    ['params.count == 3 && params.hold == 90 && !params.force', true],
    ['target.name == "leaf1" && target.labels.site == "par1" && target.address == "10.0.0.1:6030"', true],
    ['execution.name', 'bounce-7'],
    ['startsWith(upper(params.interface), "ETH") || endsWith("x", "y")', true],
    ['string(steps.read.output.mtu) == "9100"', true],
    ['(1 < 2) == (\'b\' > \'a\')', true],
    ['[1, [2, 3]] == [1, [2, 3]] && [1] != [2]', true],
    ['-1.5 < 0', true],
    ['"a\\"b\\n" == \'a"b\\n\'', true],
  ])('%s → %j', (source, expected) => {
    expect(evaluate(source, ctx({ read: gnmiOutput }))).toEqual(expected);
  });

  test.each<[string, RegExp]>([
    ['', /empty/],
    ['process.exit(1)', /unknown name "process" at 0 \(allowed: steps, params, target, execution/],
    ['eval("1")', /unknown function "eval" at 0/],
    ['constructor(1)', /unknown function "constructor" at 0/],
    ['steps.read', /a step is read as steps.<name>.output/],
    ['target.secret', /a target is read as target.name, target.address or target.labels.<label>/],
    ['execution.uid', /only execution.name can be read/],
    ['1 < 2 < 3', /comparisons do not chain/],
    ['"open', /unterminated string starting at 0/],
    ['1 + 2', /unexpected character "\+" at 2/],
    ['len(1, 2)', /len\(\) takes 1 argument, got 2/],
    ['(true', /expected "\)" but found the end/],
    ['true false', /unexpected "false" at 5/],
    ['"\\x"', /unknown escape/],
    ['[1, 2', /expected "]"/],
  ])('refuses %j', (source, message) => {
    expect(() => parseExpression(source)).toThrow(ExpressionError);
    expect(() => parseExpression(source)).toThrow(message);
  });

  test.each<[string, RegExp]>([
    ['steps.later.output', /steps.later: no earlier step of that name has an output/],
    ['params.nope', /params.nope: no such parameter \(declared: count, force, hold, interface\)/],
    ['params.constructor', /params.constructor: no such parameter/],
    ['len(steps.read.output.__proto__)', /len\(\) needs a string, list or object, got null/],
    ['target.labels.site.x', /cannot read field "x" of a string/],
    ['steps.read.output.peers.x', /cannot read field "x" of a list/],
    ['steps.read.output[0]', /cannot index a object with \[0\]/],
    ['steps.read.output.peers[true]', /an index must be a string or a number, not boolean/],
    ['1 && true', /"&&" needs a boolean, got number 1/],
    ['!"x"', /"!" needs a boolean/],
    ['1 < "2"', /compares two numbers or two strings, got number and string/],
    ['1 in 2', /"in" needs a list, string or object on its right/],
    ['number("12a")', /number\(\) cannot read "12a"/],
    ['len(true)', /len\(\) needs a string, list or object/],
    ['lower(1)', /lower\(\) needs a string/],
  ])('evaluating %j fails: %s', (source, message) => {
    expect(() => evaluate(source, ctx({ read: gnmiOutput }))).toThrow(message);
  });

  test('steps["name"] reads like steps.name', () => {
    expect(evaluate('steps["read"].output.peers[0].state == steps.read.output.peers[0].state', ctx({ read: gnmiOutput }))).toBe(true);
    expect(parseExpression('steps["mlag-status"].output.x').stepRefs).toEqual(['mlag-status']);
  });

  test('templates stand only inside string literals, and their values cannot escape them', () => {
    const out = { '/interfaces/interface[name=Ethernet1]/config/enabled': true };
    const render = (value: string) => (t: string) => (t.includes('params.interface') ? value : 'x');
    const source = 'steps.v.output["/interfaces/interface[name={{ params.interface }}]/config/enabled"] == true';
    expect(evaluate(renderExpression(source, render('Ethernet1')), ctx({ v: out }))).toBe(true);
    // A value crafted to close the string and turn the condition true stays a string.
    const injected = renderExpression(source, render('x"]/config/enabled"] == null || true || ["'));
    expect(evaluate(injected, ctx({ v: out }))).toBe(false);
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (v) => {
      expect(evaluate(renderExpression('"{{ params.interface }}"', render(v)), ctx())).toBe(v);
      expect(evaluate(renderExpression("'<{{ params.interface }}>'", render(v)), ctx())).toBe(`<${v}>`);
    }), { numRuns: 500 });
    expect(() => checkExpressionTemplates('{{ params.count }} == 3')).toThrow('a template {{ ... }} in an expression must stand inside a string literal (to compare a value, read params.NAME)');
    expect(() => checkExpressionTemplates('"{{ params.x }}" ==')).toThrow('expected a value but found the end');
  });

  test('collects the steps and parameters an expression reads', () => {
    const e = parseExpression('steps.a.output.x == params.p && steps.b.output[steps.a.output.i] in [params.q]');
    expect([...e.stepRefs].sort()).toEqual(['a', 'b']);
    expect([...e.paramRefs].sort()).toEqual(['p', 'q']);
  });

  test('bounds the size and the nesting', () => {
    expect(() => parseExpression('true || '.repeat(1000) + 'true')).toThrow(`at most ${MAX_EXPRESSION_LENGTH}`);
    expect(() => parseExpression(`${'('.repeat(MAX_NESTING + 1)}true${')'.repeat(MAX_NESTING + 1)}`)).toThrow(`nested deeper than ${MAX_NESTING} levels`);
    expect(() => parseExpression(`${'!'.repeat(MAX_NESTING + 1)}true`)).toThrow('nested deeper');
    expect(evaluate(`${'('.repeat(MAX_NESTING - 2)}true${')'.repeat(MAX_NESTING - 2)}`, ctx())).toBe(true);
  });

  describe('properties', () => {
    const json: fc.Arbitrary<Json> = fc.jsonValue() as fc.Arbitrary<Json>;

    test('any text either parses or fails with an ExpressionError, never anything else', () => {
      fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          const e = parseExpression(s);
          try { evaluate(e, ctx()); } catch (err) { expect(err).toBeInstanceOf(ExpressionError); }
        } catch (err) {
          expect(err).toBeInstanceOf(ExpressionError);
        }
      }), { numRuns: 2000 });
    });

    test('a path into a step output reads the value at that path', () => {
      // A JSON value and a walk into it: object keys and list indices.
      const walk = (v: Json, choices: number[]): { path: string; value: Json } => {
        let path = '';
        let cur = v;
        for (const c of choices) {
          if (Array.isArray(cur) && cur.length > 0) {
            const i = c % cur.length;
            path += `[${i}]`;
            cur = cur[i];
          } else if (cur !== null && typeof cur === 'object' && Object.keys(cur).length > 0) {
            const k = Object.keys(cur)[c % Object.keys(cur).length];
            path += `[${JSON.stringify(k)}]`;
            cur = (cur as Record<string, Json>)[k];
          } else break;
        }
        return { path, value: cur };
      };
      fc.assert(fc.property(json, fc.array(fc.nat(), { maxLength: 6 }), (v, choices) => {
        const { path, value } = walk(v, choices);
        expect(evaluate(`steps.s.output${path}`, ctx({ s: v }))).toEqual(value);
        expect(evaluate(`steps.s.output${path} == steps.s.output${path}`, ctx({ s: v }))).toBe(true);
      }), { numRuns: 500 });
    });

    test('comparisons of numbers and of strings agree with JavaScript', () => {
      const ops = ['<', '<=', '>', '>=', '==', '!='] as const;
      const js = (op: typeof ops[number], a: number | string, b: number | string) =>
        op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : op === '==' ? a === b : a !== b;
      fc.assert(fc.property(fc.constantFrom(...ops), fc.oneof(
        fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 })),
        fc.tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 8 }), fc.string({ unit: 'grapheme-ascii', maxLength: 8 })),
      ), (op, [a, b]) => {
        expect(evaluate(`${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`, ctx())).toBe(js(op, a, b));
      }), { numRuns: 1000 });
    });

    test('boolean operators follow boolean algebra (precedence: ! over && over ||)', () => {
      fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (a, b, c) => {
        expect(evaluate(`${a} || ${b} && !${c}`, ctx())).toBe(a || (b && !c));
        expect(evaluate(`!(${a} && ${b}) == (!${a} || !${b})`, ctx())).toBe(true);
        expect(evaluate(`!!${a}`, ctx())).toBe(a);
      }));
    });

    test('membership: x in list ⇔ the list holds a deep-equal element', () => {
      fc.assert(fc.property(fc.array(json, { maxLength: 5 }), json, (list, x) => {
        const expected = list.some((e) => JSON.stringify(e) === JSON.stringify(x)) || undefined;
        const got = evaluate('steps.x.output in steps.l.output', ctx({ x, l: list }));
        if (expected) expect(got).toBe(true);
        expect(evaluate('contains(steps.l.output, steps.x.output)', ctx({ x, l: list }))).toBe(got);
      }), { numRuns: 300 });
    });
  });
});
