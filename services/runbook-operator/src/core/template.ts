import type { ParamValue, ParsedParameter } from './params.js';
import type { ResolvedTarget } from '../api/types.js';

/** What templates and expressions may read while a step runs on one target. */
export interface StepContext {
  readonly params: Readonly<Record<string, ParsedParameter>>;
  readonly target: ResolvedTarget;
  readonly execution: { readonly name: string };
  /** Outputs of the steps that ran before, for this target (absent: the step has not run). */
  readonly steps: Readonly<Record<string, unknown>>;
}

export class TemplateError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^(params\.[A-Za-z0-9_]+|target\.(?:name|address)|target\.labels\.[A-Za-z0-9_.\/-]+|execution\.name)$/;

/** The names a text's templates refer to, e.g. `params.interface`; throws on malformed ones. */
export function templateNames(text: string): string[] {
  const names: string[] = [];
  const rest = text.replace(PLACEHOLDER, (_, name: string) => {
    if (!NAME.test(name)) {
      throw new TemplateError(`unknown template name "{{ ${name} }}" (allowed: params.NAME, target.name, target.address, target.labels.LABEL, execution.name)`);
    }
    names.push(name);
    return '';
  });
  if (rest.includes('{{') || rest.includes('}}')) throw new TemplateError(`unbalanced "{{" or "}}" in "${text}"`);
  return names;
}

function lookup(name: string, ctx: StepContext): { text: string; value: ParamValue } {
  if (name.startsWith('params.')) {
    const key = name.slice('params.'.length);
    const p = Object.prototype.hasOwnProperty.call(ctx.params, key) ? ctx.params[key] : undefined;
    if (!p) throw new TemplateError(`"{{ ${name} }}": no such parameter (declared: ${Object.keys(ctx.params).sort().join(', ') || 'none'})`);
    return { text: p.text, value: p.type === 'duration' ? p.text : p.value };
  }
  if (name === 'target.name') return { text: ctx.target.name, value: ctx.target.name };
  if (name === 'target.address') return { text: ctx.target.address, value: ctx.target.address };
  if (name === 'execution.name') return { text: ctx.execution.name, value: ctx.execution.name };
  const label = name.slice('target.labels.'.length);
  const labels = ctx.target.labels ?? {};
  const v = Object.prototype.hasOwnProperty.call(labels, label) ? labels[label] : undefined;
  if (v === undefined) throw new TemplateError(`"{{ ${name} }}": target ${ctx.target.name} has no label "${label}" (it has: ${Object.keys(ctx.target.labels ?? {}).sort().join(', ') || 'none'})`);
  return { text: v, value: v };
}

/** Substitutes every `{{ name }}` in a text. */
export function renderText(text: string, ctx: StepContext): string {
  templateNames(text);
  return text.replace(PLACEHOLDER, (_, name: string) => lookup(name, ctx).text);
}

/**
 * Renders the strings inside a JSON value (a Set value). A string that is exactly
 * one placeholder takes the referenced value with its type, so
 * `"{{ params.enabled }}"` of a boolean parameter sends `true`, not `"true"`.
 */
export function renderValue(value: unknown, ctx: StepContext): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(value);
    if (whole) {
      templateNames(value);
      return lookup(whole[1], ctx).value;
    }
    return renderText(value, ctx);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, ctx));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, ctx)]));
  }
  return value;
}

/** Every template name inside a JSON value (for validation). */
export function valueTemplateNames(value: unknown): string[] {
  if (typeof value === 'string') return templateNames(value);
  if (Array.isArray(value)) return value.flatMap(valueTemplateNames);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(valueTemplateNames);
  return [];
}
