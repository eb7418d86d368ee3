import type { StepContext } from './template.js';

/**
 * The safe expression language of `condition` and `script` steps: literals, lists,
 * references (`steps.<name>.output` with `.field` and `[index]`, `params.X`,
 * `target.name|address|labels.L`, `execution.name`), comparisons, `&&` `||` `!`,
 * `in`, parentheses and a few pure functions. It is parsed here, by hand, into a
 * tree that is walked: no eval, no Function, no I/O, no loops, so evaluation time is
 * bounded by the expression's size, itself bounded.
 */

export const MAX_EXPRESSION_LENGTH = 4096;
export const MAX_NESTING = 32;

export class ExpressionError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
type Segment = { readonly field: string } | { readonly index: Node };
export type Node =
  | { readonly k: 'lit'; readonly v: Json }
  | { readonly k: 'list'; readonly items: readonly Node[] }
  | { readonly k: 'ref'; readonly root: string; readonly path: readonly Segment[] }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Node[] }
  | { readonly k: 'not'; readonly e: Node }
  | { readonly k: 'and' | 'or'; readonly l: Node; readonly r: Node }
  | { readonly k: 'cmp'; readonly op: CompareOp; readonly l: Node; readonly r: Node };

type Token =
  | { readonly t: 'num'; readonly v: number; readonly at: number }
  | { readonly t: 'str'; readonly v: string; readonly at: number }
  | { readonly t: 'id'; readonly v: string; readonly at: number }
  | { readonly t: 'op'; readonly v: string; readonly at: number }
  | { readonly t: 'end'; readonly at: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ',', '.'];
const ESCAPES: Record<string, string> = { 'n': '\n', 't': '\t', '\\': '\\', '\'': '\'', '"': '"' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    const at = i;
    const num = /^-?\d+(?:\.\d+)?/.exec(src.slice(i));
    if (num && (c !== '-' || /\d/.test(src[i + 1] ?? ''))) {
      out.push({ t: 'num', v: Number(num[0]), at });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === '\'') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ExpressionError(`unterminated string starting at ${at}`);
        const d = src[i];
        if (d === c) { i++; break; }
        if (d === '\\') {
          const e = ESCAPES[src[i + 1]];
          if (e === undefined) throw new ExpressionError(`unknown escape "\\${src[i + 1] ?? ''}" at ${i} (allowed: \\n \\t \\\\ \\' \\")`);
          s += e;
          i += 2;
          continue;
        }
        s += d;
        i++;
      }
      out.push({ t: 'str', v: s, at });
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], at });
      i += id[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected character "${c}" at ${i}`);
    out.push({ t: 'op', v: op, at });
    i += op.length;
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

const ROOTS = ['steps', 'params', 'target', 'execution'];
const FUNCTIONS: Record<string, number> = { len: 1, contains: 2, lower: 1, upper: 1, startsWith: 2, endsWith: 2, number: 1, string: 1 };

class Parser {
  private pos = 0;
  private depth = 0;
  public constructor(private readonly tokens: Token[]) {}

  public parseAll(): Node {
    const n = this.or();
    const t = this.peek();
    if (t.t !== 'end') throw new ExpressionError(`unexpected ${describe(t)} at ${t.at}`);
    return n;
  }

  private peek(): Token { return this.tokens[this.pos]; }
  private next(): Token { return this.tokens[this.pos++]; }
  private isOp(v: string): boolean { const t = this.peek(); return t.t === 'op' && t.v === v; }
  private expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new ExpressionError(`expected "${v}" but found ${describe(t)} at ${t.at}`);
  }

  private nest<T>(f: () => T): T {
    if (++this.depth > MAX_NESTING) throw new ExpressionError(`nested deeper than ${MAX_NESTING} levels`);
    try { return f(); } finally { this.depth--; }
  }

  private or(): Node {
    let l = this.and();
    while (this.isOp('||')) { this.next(); l = { k: 'or', l, r: this.and() }; }
    return l;
  }
  private and(): Node {
    let l = this.not();
    while (this.isOp('&&')) { this.next(); l = { k: 'and', l, r: this.not() }; }
    return l;
  }
  private not(): Node {
    if (this.isOp('!')) { this.next(); return this.nest(() => ({ k: 'not', e: this.not() })); }
    return this.cmp();
  }
  private cmp(): Node {
    const l = this.primary();
    const t = this.peek();
    const op = t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v) ? t.v : t.t === 'id' && t.v === 'in' ? 'in' : undefined;
    if (!op) return l;
    this.next();
    const r = this.primary();
    const u = this.peek();
    if ((u.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(u.v)) || (u.t === 'id' && u.v === 'in')) {
      throw new ExpressionError(`comparisons do not chain: use parentheses and && (at ${u.at})`);
    }
    return { k: 'cmp', op: op as CompareOp, l, r };
  }
  private primary(): Node {
    return this.nest(() => {
      const t = this.next();
      if (t.t === 'num' || t.t === 'str') return { k: 'lit', v: t.v };
      if (t.t === 'op' && t.v === '(') {
        const e = this.or();
        this.expectOp(')');
        return e;
      }
      if (t.t === 'op' && t.v === '[') {
        const items: Node[] = [];
        if (!this.isOp(']')) {
          do { items.push(this.or()); } while (this.isOp(',') && this.next());
        }
        this.expectOp(']');
        return { k: 'list', items };
      }
      if (t.t === 'id') {
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
        if (t.v === 'null') return { k: 'lit', v: null };
        if (this.isOp('(')) return this.call(t.v, t.at);
        if (!ROOTS.includes(t.v)) throw new ExpressionError(`unknown name "${t.v}" at ${t.at} (allowed: ${ROOTS.join(', ')}, true, false, null, or a function: ${Object.keys(FUNCTIONS).join(', ')})`);
        return this.ref(t.v, t.at);
      }
      throw new ExpressionError(`expected a value but found ${describe(t)} at ${t.at}`);
    });
  }
  private call(fn: string, at: number): Node {
    const arity = Object.prototype.hasOwnProperty.call(FUNCTIONS, fn) ? FUNCTIONS[fn] : undefined;
    if (arity === undefined) throw new ExpressionError(`unknown function "${fn}" at ${at} (allowed: ${Object.keys(FUNCTIONS).join(', ')})`);
    this.expectOp('(');
    const args: Node[] = [];
    if (!this.isOp(')')) {
      do { args.push(this.or()); } while (this.isOp(',') && this.next());
    }
    this.expectOp(')');
    if (args.length !== arity) throw new ExpressionError(`${fn}() takes ${arity} argument${arity > 1 ? 's' : ''}, got ${args.length} (at ${at})`);
    return { k: 'call', fn, args };
  }
  private ref(root: string, at: number): Node {
    const path: Segment[] = [];
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const f = this.next();
        if (f.t !== 'id') throw new ExpressionError(`expected a field name after "." but found ${describe(f)} at ${f.at}`);
        path.push({ field: f.v });
      } else if (this.isOp('[')) {
        this.next();
        const index = this.or();
        this.expectOp(']');
        path.push({ index });
      } else {break;}
    }
    // steps["name"] is the same as steps.name (step names may hold "-").
    const head = path[0];
    if (root === 'steps' && head && 'index' in head && head.index.k === 'lit' && typeof head.index.v === 'string') path[0] = { field: head.index.v };
    const first = path[0];
    const second = path[1];
    if (root === 'steps' && !(first && 'field' in first && second && 'field' in second && second.field === 'output')) {
      throw new ExpressionError(`at ${at}: a step is read as steps.<name>.output`);
    }
    if (root === 'params' && !(first && 'field' in first)) throw new ExpressionError(`at ${at}: a parameter is read as params.<name>`);
    if (root === 'execution' && !(path.length === 1 && 'field' in first && first.field === 'name')) throw new ExpressionError(`at ${at}: only execution.name can be read`);
    if (root === 'target' && !(first && 'field' in first && ['name', 'address', 'labels'].includes(first.field))) {
      throw new ExpressionError(`at ${at}: a target is read as target.name, target.address or target.labels.<label>`);
    }
    return { k: 'ref', root, path };
  }
}

function describe(t: Token): string {
  return t.t === 'end' ? 'the end' : t.t === 'str' ? `string ${JSON.stringify(t.v)}` : `"${t.v}"`;
}

export interface Expression {
  readonly source: string;
  readonly ast: Node;
  /** Steps whose output the expression reads. */
  readonly stepRefs: readonly string[];
  /** Parameters the expression reads. */
  readonly paramRefs: readonly string[];
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
/** Stands for a template while the expression is checked: a character no token may hold outside a string. */
const SENTINEL = '\u0001';

/**
 * Templates in an expression may stand only inside string literals
 * (`steps.read.output["/interfaces/interface[name={{ params.interface }}]/config"]`),
 * and their values are escaped there, so a parameter value can never change what the
 * expression does. Use params.X to compare a value.
 */
export function checkExpressionTemplates(source: string): void {
  const marked = source.replace(PLACEHOLDER, SENTINEL);
  try {
    parseExpression(marked);
  } catch (e) {
    if (e instanceof ExpressionError && e.message.startsWith(`unexpected character "${SENTINEL}"`)) {
      throw new ExpressionError('a template {{ ... }} in an expression must stand inside a string literal (to compare a value, read params.NAME)');
    }
    throw e;
  }
}

/** Substitutes the templates of an expression (inside its string literals), escaped, and parses it. */
export function renderExpression(source: string, render: (template: string) => string): Expression {
  checkExpressionTemplates(source);
  return parseExpression(source.replace(PLACEHOLDER, (t) => render(t).replace(/[\\"']/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\t/g, '\\t')));
}

export function parseExpression(source: string): Expression {
  if (typeof source !== 'string' || source.trim() === '') throw new ExpressionError('the expression is empty');
  if (source.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(`the expression is ${source.length} characters long (allowed: at most ${MAX_EXPRESSION_LENGTH})`);
  const ast = new Parser(tokenize(source)).parseAll();
  const stepRefs = new Set<string>();
  const paramRefs = new Set<string>();
  const walk = (n: Node): void => {
    switch (n.k) {
      case 'lit': return;
      case 'list': n.items.forEach(walk); return;
      case 'call': n.args.forEach(walk); return;
      case 'not': walk(n.e); return;
      case 'and': case 'or': case 'cmp': walk(n.l); walk(n.r); return;
      case 'ref': {
        const first = n.path[0];
        if (n.root === 'steps' && 'field' in first) stepRefs.add(first.field);
        if (n.root === 'params' && 'field' in first) paramRefs.add(first.field);
        n.path.forEach((s) => { if ('index' in s) walk(s.index); });
      }
    }
  };
  walk(ast);
  return { source, ast, stepRefs: [...stepRefs], paramRefs: [...paramRefs] };
}

function typeName(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'object' : typeof v;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b as object).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]));
}

/**
 * A field of a JSON object; gNMI JSON_IETF qualifies some names with their module
 * (`openconfig-interfaces:enabled`), so `.enabled` also finds that.
 */
function field(obj: { [k: string]: Json }, name: string): Json {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const qualified = Object.keys(obj).find((k) => k.endsWith(`:${name}`));
  return qualified === undefined ? null : obj[qualified];
}

function access(v: Json, key: Json, where: string): Json {
  if (v === null) return null;
  if (typeof key === 'string') {
    if (typeof v !== 'object' || Array.isArray(v)) throw new ExpressionError(`${where}: cannot read field "${key}" of a ${typeName(v)}`);
    return field(v, key);
  }
  if (typeof key === 'number') {
    if (!Array.isArray(v)) throw new ExpressionError(`${where}: cannot index a ${typeName(v)} with [${key}]`);
    if (!Number.isInteger(key)) throw new ExpressionError(`${where}: index ${key} is not a whole number`);
    return v[key < 0 ? v.length + key : key] ?? null;
  }
  throw new ExpressionError(`${where}: an index must be a string or a number, not ${typeName(key)}`);
}

function toJson(v: unknown): Json {
  if (v === undefined) return null;
  return v as Json;
}

function evalRef(n: Extract<Node, { k: 'ref' }>, ctx: StepContext): Json {
  let path = n.path;
  let v: Json;
  let where = n.root;
  if (n.root === 'steps') {
    const name = (path[0] as { field: string }).field;
    if (!Object.prototype.hasOwnProperty.call(ctx.steps, name)) throw new ExpressionError(`steps.${name}: no earlier step of that name has an output`);
    v = toJson(ctx.steps[name]);
    where = `steps.${name}.output`;
    path = path.slice(2);
  } else if (n.root === 'params') {
    const name = (path[0] as { field: string }).field;
    const p = Object.prototype.hasOwnProperty.call(ctx.params, name) ? ctx.params[name] : undefined;
    if (!p) throw new ExpressionError(`params.${name}: no such parameter (declared: ${Object.keys(ctx.params).sort().join(', ') || 'none'})`);
    v = p.value;
    where = `params.${name}`;
    path = path.slice(1);
  } else if (n.root === 'execution') {
    return ctx.execution.name;
  } else {
    v = { name: ctx.target.name, address: ctx.target.address, labels: { ...ctx.target.labels } };
  }
  for (const seg of path) {
    const key = 'field' in seg ? seg.field : evaluateNode(seg.index, ctx);
    v = access(v, key, where);
    where += 'field' in seg ? `.${seg.field}` : `[${JSON.stringify(key)}]`;
  }
  return v;
}

function need<T extends Json>(v: Json, type: 'string' | 'number' | 'boolean', what: string): T {
  if (typeof v !== type) throw new ExpressionError(`${what} needs a ${type}, got ${typeName(v)} ${JSON.stringify(v)}`);
  return v as T;
}

function call(fn: string, args: Json[]): Json {
  const [a, b] = args;
  switch (fn) {
    case 'len':
      if (typeof a === 'string' || Array.isArray(a)) return a.length;
      if (a !== null && typeof a === 'object') return Object.keys(a).length;
      throw new ExpressionError(`len() needs a string, list or object, got ${typeName(a)}`);
    case 'contains':
      if (typeof a === 'string') return a.includes(need<string>(b, 'string', 'contains() on a string'));
      if (Array.isArray(a)) return a.some((x) => deepEqual(x, b));
      throw new ExpressionError(`contains() needs a string or list first, got ${typeName(a)}`);
    case 'lower': return need<string>(a, 'string', 'lower()').toLowerCase();
    case 'upper': return need<string>(a, 'string', 'upper()').toUpperCase();
    case 'startsWith': return need<string>(a, 'string', 'startsWith()').startsWith(need<string>(b, 'string', 'startsWith()'));
    case 'endsWith': return need<string>(a, 'string', 'endsWith()').endsWith(need<string>(b, 'string', 'endsWith()'));
    case 'number': {
      if (typeof a === 'number') return a;
      const n = typeof a === 'string' && /^-?\d+(?:\.\d+)?$/.test(a) ? Number(a) : NaN;
      if (Number.isNaN(n)) throw new ExpressionError(`number() cannot read ${JSON.stringify(a)} as a number`);
      return n;
    }
    case 'string': return typeof a === 'string' ? a : JSON.stringify(a);
  }
  throw new ExpressionError(`unknown function ${fn}`);
}

function compare(op: CompareOp, l: Json, r: Json): boolean {
  switch (op) {
    case '==': return deepEqual(l, r);
    case '!=': return !deepEqual(l, r);
    case 'in':
      if (Array.isArray(r)) return r.some((x) => deepEqual(x, l));
      if (typeof r === 'string') return r.includes(need<string>(l, 'string', '"in" a string'));
      if (r !== null && typeof r === 'object') return Object.prototype.hasOwnProperty.call(r, need<string>(l, 'string', '"in" an object'));
      throw new ExpressionError(`"in" needs a list, string or object on its right, got ${typeName(r)}`);
    default: {
      const bothNumbers = typeof l === 'number' && typeof r === 'number';
      const bothStrings = typeof l === 'string' && typeof r === 'string';
      if (!bothNumbers && !bothStrings) throw new ExpressionError(`"${op}" compares two numbers or two strings, got ${typeName(l)} and ${typeName(r)}`);
      const a = l as number | string;
      const b = r as number | string;
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
  }
}

function evaluateNode(n: Node, ctx: StepContext): Json {
  switch (n.k) {
    case 'lit': return n.v;
    case 'list': return n.items.map((i) => evaluateNode(i, ctx));
    case 'ref': return evalRef(n, ctx);
    case 'call': return call(n.fn, n.args.map((a) => evaluateNode(a, ctx)));
    case 'not': return !need<boolean>(evaluateNode(n.e, ctx), 'boolean', '"!"');
    case 'and': return need<boolean>(evaluateNode(n.l, ctx), 'boolean', '"&&"') && need<boolean>(evaluateNode(n.r, ctx), 'boolean', '"&&"');
    case 'or': return need<boolean>(evaluateNode(n.l, ctx), 'boolean', '"||"') || need<boolean>(evaluateNode(n.r, ctx), 'boolean', '"||"');
    case 'cmp': return compare(n.op, evaluateNode(n.l, ctx), evaluateNode(n.r, ctx));
  }
}

/** Evaluates an expression (text or parsed) over a step context. */
export function evaluate(expression: string | Expression, ctx: StepContext): Json {
  const e = typeof expression === 'string' ? parseExpression(expression) : expression;
  return evaluateNode(e.ast, ctx);
}
