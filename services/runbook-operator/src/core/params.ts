import type { ParameterType, RunbookParameter } from '../api/types.js';

/** A parameter value after parsing by its type; durations are whole seconds. */
export type ParamValue = string | number | boolean;

export interface ParsedParameter {
  readonly type: ParameterType;
  /** The value as used in expressions (durations in seconds). */
  readonly value: ParamValue;
  /** The value as written into templates: the text the user gave, normalised for integers and booleans. */
  readonly text: string;
}

export const PARAMETER_NAME = /^[a-z][a-zA-Z0-9_]*$/;

const DURATION = /^(?:\d+(?:h|ms|m|s))+$/;
const DURATION_PART = /(\d+)(h|ms|m|s)/g;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/** Why a value does not fit a type, or undefined when it does. */
function parseByType(type: ParameterType, raw: string): { value: ParamValue; text: string } | string {
  switch (type) {
    case 'string':
      return { value: raw, text: raw };
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) return 'is not an integer';
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return `is outside ±${Number.MAX_SAFE_INTEGER}`;
      return { value: n, text: String(n) };
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') return 'is not a boolean (allowed: true, false)';
      return { value: raw === 'true', text: raw };
    case 'duration': {
      if (!DURATION.test(raw)) return 'is not a duration (e.g. 30s, 5m, 1h30m, 500ms)';
      let seconds = 0;
      for (const m of raw.matchAll(DURATION_PART)) seconds += Number(m[1]) * UNIT_SECONDS[m[2]];
      return { value: seconds, text: raw };
    }
  }
}

/** Problems in the parameter declarations themselves (names, types, defaults, enums). */
export function checkParameterDeclarations(parameters: readonly RunbookParameter[], field = 'spec.parameters'): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  parameters.forEach((p, i) => {
    const at = `${field}[${i}]`;
    if (!PARAMETER_NAME.test(p.name ?? '')) problems.push(`${at}.name: "${p.name}" is not a parameter name (allowed: [a-z][a-zA-Z0-9_]*)`);
    if (seen.has(p.name)) problems.push(`${at}.name: "${p.name}" is declared twice`);
    seen.add(p.name);
    const parsers = ['string', 'integer', 'boolean', 'duration'];
    if (!parsers.includes(p.type)) {
      problems.push(`${at}.type: "${p.type}" is not a parameter type (allowed: ${parsers.join(', ')})`);
      return;
    }
    for (const [j, e] of (p.enum ?? []).entries()) {
      const r = parseByType(p.type, e);
      if (typeof r === 'string') problems.push(`${at}.enum[${j}]: "${e}" ${r}`);
    }
    if (p.default !== undefined) {
      const r = parseByType(p.type, p.default);
      if (typeof r === 'string') problems.push(`${at}.default: "${p.default}" ${r}`);
      else if (p.enum && !p.enum.includes(p.default)) problems.push(`${at}.default: "${p.default}" is not one of the allowed values (${p.enum.join(', ')})`);
    }
  });
  return problems;
}

export class ParameterError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ParameterError';
  }
}

/**
 * Parses the execution's parameter strings by the runbook's declarations: required
 * parameters must be given, defaults fill the rest, enums restrict the values and
 * undeclared names are refused. Every problem is reported, each naming the parameter,
 * the value and what is allowed.
 */
export function parseParameters(
  declared: readonly RunbookParameter[],
  given: Readonly<Record<string, string>> = {},
): Record<string, ParsedParameter> {
  const problems: string[] = [];
  const out: Record<string, ParsedParameter> = {};
  const names = new Set(declared.map((p) => p.name));
  for (const name of Object.keys(given).sort()) {
    if (!names.has(name)) {
      problems.push(`spec.parameters.${name}: not a parameter of this runbook (allowed: ${[...names].sort().join(', ') || 'none'})`);
    }
  }
  for (const p of declared) {
    const raw = given[p.name] ?? p.default;
    if (raw === undefined) {
      if (p.required !== false) problems.push(`spec.parameters.${p.name}: required (${p.type}) but not given`);
      continue;
    }
    if (typeof raw !== 'string') {
      problems.push(`spec.parameters.${p.name}: ${JSON.stringify(raw)} must be written as a string`);
      continue;
    }
    const r = parseByType(p.type, raw);
    if (typeof r === 'string') {
      problems.push(`spec.parameters.${p.name}: "${raw}" ${r}`);
      continue;
    }
    if (p.enum && !p.enum.includes(raw)) {
      problems.push(`spec.parameters.${p.name}: "${raw}" is not one of the allowed values (${p.enum.join(', ')})`);
      continue;
    }
    out[p.name] = { type: p.type, ...r };
  }
  if (problems.length > 0) throw new ParameterError(problems);
  return out;
}
