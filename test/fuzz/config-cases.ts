import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { EMBEDDED_DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { ConfigError, parseConfig, type HeliosConfig } from '../../src/config/load.js';
import { checkPolicy, formatFinding } from '../../src/policy/policy.js';
import { synthesize, type SynthOutput } from '../../src/synth.js';
import { EXAMPLES } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';

/**
 * Mutated Helios configs for property-based tests: each case starts from a valid
 * config (the embedded default or an example) and changes its values, types, keys
 * and structure, then writes it as YAML, sometimes with YAML's rarer features
 * (anchors and aliases, tags, several documents, odd scalars) or broken text.
 */

export const SEEDS: ReadonlyArray<{ readonly name: string; readonly text: string }> = [
  { name: 'embedded default', text: EMBEDDED_DEFAULT_CONFIG },
  ...EXAMPLES.map((e) => ({ name: `examples/${e}`, text: readFileSync(join(REPO_ROOT, 'examples', e, 'helios.yaml'), 'utf8') })),
];

/** A password planted in URLs: no message may ever show it. */
export const PLANTED_PASSWORD = 'Plant3dPassw0rd';

type Json = unknown;
type Path = Array<string | number>;

const WEIRD_STRINGS = [
  '', ' ', 'x', 'UPPER', 'with space', '-leading', 'trailing-', 'a..b', 'a_b', 'ünïcödé', '\u0000', '\t\n', '"quoted"', '$(rm -rf /)', '`id`',
  '{{ .secret }}', '{{', '}}', 'x'.repeat(64), 'y'.repeat(300), 'latest', '@daily', '@every 5m', '@every', '61 * * * *', '*/0 * * * *',
  '0 6 * * MON-FRI', 'CRON_TZ=UTC 0 * * * *', '* * * * 7', '1-70 * * * *', '*/5 * * *', '0.0.0.0/0', '::/0', 'fe80::%eth0/64', '10.0.0.1/8',
  '10.0.0.0/33', '::ffff:10.0.0.0/104', '2001:db8::/32', '10.0.0.0', 'https://s3.example.net', 's3.example.net:99999', '[2001:db8::1]:443',
  '2001:db8::1', 's3.example.net:0', 'bucket..name', '192.168.1.1', 'xn--bucket', 'bucket-s3alias', 'Bad_Name', 'ok-name',
  `https://admin:${PLANTED_PASSWORD}@netbox.example.net`, `https://:${PLANTED_PASSWORD}@h.example.net/x`, 'ftp://example.net',
  'http://', 'https://[::1]:8443/path', 'https://netbox.example.net:0', 'http://[fe80::1%25eth0]/', 'not a url', 'smtp.example.net', 'smtp.example.net:25', 'a@b.example', 'ClusterSecretStore',
  'SecretStore', 'single-dc-minio', 'multi-dc-minio', 'cloud-s3', 'hybrid', 'small', 'xl', 'webhook', 'cronjob', 'site=ams1&status=active',
  'limit=5', '#noc', 'true', 'null', '0x1F', '1e309', 'NaN', 'thanos.dc1.example.net:10901', 'LoadBalancer', 'argocd',
];

const KNOWN_KEYS = [
  'name', 'datacenter', 'region', 'tier', 'storage', 'role', 'managementNetworks', 'kubernetesApiNetworks', 'images', 'secretStore', 'netbox',
  'alerting', 'oidc', 'grafana', 'flows', 'automation', 'stacks', 'topology', 'bucket', 's3', 'endpoint', 'vault', 'server', 'kind', 'url',
  'networks', 'schedule', 'targetGenerator', 'mode', 'geoipStorageClass', 'replicationGroup', 'compactor', 'globalQuery', 'federation',
  'site', 'hubNetworks', 'serverName', 'address', 'serviceType', 'tls', 'certManager', 'issuer', 'retention', 'rawDays', 'gitops', 'repoUrl', 'automatedSync',
  'tierAfterDays', 'database', 'email', 'smarthost', 'username', 'slack', 'pagerduty', 'tags', 'registry', 'defaults', 'clusters', 'key', 'property',
  '__proto__', 'constructor', 'toString',
];

/** Any JSON-like value, biased towards the ones config rules are about. */
const valueArb: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WEIRD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.constantFrom(0, -1, 0.5, 65536, 2 ** 53, 1e21)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...WEIRD_STRINGS), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...KNOWN_KEYS), fc.constantFrom(...WEIRD_STRINGS), { maxKeys: 2 }) },
  { weight: 1, arbitrary: fc.constant({ key: 'helios/x', property: 'y' }) },
);

const STRING_EDITS: ReadonlyArray<(s: string) => string> = [
  (s) => `${s}x`,
  (s) => s.toUpperCase(),
  (s) => `https://${s}`,
  (s) => `${s}:99999`,
  (s) => `${s}:0`,
  (s) => s.replace('/', '%eth0/'),
  (s) => s.replace(/\d+/, '999'),
  (s) => s.replace(/\d+/, '0'),
  (s) => s.replace('://', `://user:${PLANTED_PASSWORD}@`),
  (s) => `{{${s}`,
  (s) => s.slice(0, Math.floor(s.length / 2)),
  (s) => ` ${s}`,
  (s) => s.replace('.', '..'),
  (s) => s.replace(/\*/, '*/0'),
  (s) => `${s}.`,
  (s) => s.replace(/^(https?:\/\/[^/]+)/, '$1:0'),
  (s) => s.replace(/^(https?:\/\/[^/]+)/, '$1:8443'),
];

type Op =
  | { readonly kind: 'set'; readonly at: number; readonly value: Json }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'add'; readonly at: number; readonly key: string; readonly value: Json }
  | { readonly kind: 'wrap' | 'unwrap' | 'stringify'; readonly at: number }
  | { readonly kind: 'edit'; readonly at: number; readonly edit: number }
  | { readonly kind: 'alias'; readonly at: number; readonly from: number }
  | { readonly kind: 'duplicate-cluster' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: valueArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ maxLength: 8 })), value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('wrap' as const, 'unwrap' as const, 'stringify' as const), at: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('edit' as const), at: fc.nat(), edit: fc.nat({ max: STRING_EDITS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('alias' as const), at: fc.nat(), from: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'duplicate-cluster' as const }) },
);

/** Scalars YAML reads in surprising ways, written raw (unquoted) into the text. */
const ODD_SCALARS = [
  '.inf', '-.nan', '0x1F', '0o17', '1_000', '~', 'yes', 'No', '2001-12-14', '!!binary aGVsbG8=', '!!str 5', '!!int "7"', '!custom x',
  '!!set {a, b}', '!!omap [a: 1]', '*undefinedalias', '"\\u0000"', "'it''s'", '[a, [b, {c: d}]]', '{}', '[]', '!!null', '!!bool true',
  '!!float 1', '|\n      block', '&anc value', '"\\x41"', '0777', '+12', '1e3', '!!timestamp 2001-12-14t21:59:43.10-05:00',
];

type TextEdit =
  | { readonly kind: 'none' }
  | { readonly kind: 'odd-scalar'; readonly line: number; readonly scalar: string }
  | { readonly kind: 'yaml-1.1' | 'second-document' | 'end-marker' | 'map-tag' | 'bom' | 'crlf' | 'tab-indent' }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string };

const textEditArb: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('odd-scalar' as const), line: fc.nat(), scalar: fc.constantFrom(...ODD_SCALARS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('yaml-1.1' as const, 'second-document' as const, 'end-marker' as const, 'map-tag' as const, 'bom' as const, 'crlf' as const, 'tab-indent' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(':', '- ', '{', ']', '&a ', '*a', '!', '%', '\t', '"', '\n  x: 1\n', '<<: *a\n') }) },
);

function paths(root: Json): Path[] {
  const out: Path[] = [];
  const ancestors = new Set<Json>();
  const walk = (v: Json, p: Path) => {
    out.push(p);
    // An alias op may have made the tree a graph with a cycle: never walk into a value twice.
    if (v === null || typeof v !== 'object' || ancestors.has(v)) return;
    ancestors.add(v);
    if (Array.isArray(v)) v.forEach((c, i) => walk(c, [...p, i]));
    else for (const [k, c] of Object.entries(v)) walk(c, [...p, k]);
    ancestors.delete(v);
  };
  walk(root, []);
  return out;
}

function get(root: Json, path: Path): Json {
  return path.reduce<Json>((v, k) => (v as any)?.[k], root);
}

/** Replaces (or, with `value` undefined, deletes) the value at a non-empty path. */
function put(root: Json, path: Path, value: Json | undefined): void {
  const parent = get(root, path.slice(0, -1)) as any;
  const key = path[path.length - 1];
  if (value !== undefined) parent[key] = value;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
}

function applyOp(root: Json, op: Op): Json {
  if (op.kind === 'duplicate-cluster') {
    const clusters = (root as any)?.clusters;
    if (Array.isArray(clusters) && clusters.length > 0) clusters.push(structuredClone(clusters[0]));
    return root;
  }
  const all = paths(root);
  const path = all[op.at % all.length];
  const current = get(root, path);
  const replace = (value: Json | undefined): Json => {
    if (path.length === 0) return value === undefined ? null : value;
    put(root, path, value);
    return root;
  };
  switch (op.kind) {
    case 'set': return replace(structuredClone(op.value));
    case 'delete': return replace(undefined);
    case 'add':
      if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
        // defineProperty, so "__proto__" becomes a key like any other rather than the prototype.
        Object.defineProperty(current, op.key, { value: structuredClone(op.value), enumerable: true, writable: true, configurable: true });
      } else if (Array.isArray(current)) {
        current.push(structuredClone(op.value));
      }
      return root;
    case 'wrap': return replace([current]);
    case 'unwrap': return Array.isArray(current) ? replace(current[0] ?? null) : root;
    case 'stringify': return replace(typeof current === 'object' ? stringify(current).trim() : String(current));
    case 'edit': return typeof current === 'string' ? replace(STRING_EDITS[op.edit](current)) : root;
    case 'alias': {
      // The same object in two places: YAML writes an anchor and an alias (or a cycle, when one holds the other).
      const source = get(root, all[op.from % all.length]);
      return source !== null && typeof source === 'object' && path.length > 0 ? replace(source) : root;
    }
  }
}

function applyTextEdit(text: string, edit: TextEdit): string {
  switch (edit.kind) {
    case 'none': return text;
    case 'odd-scalar': {
      const lines = text.split('\n');
      const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*(- )?[A-Za-z][\w-]*: \S/.test(l));
      if (candidates.length === 0) return text;
      const [line, index] = candidates[edit.line % candidates.length];
      lines[index] = line.replace(/^(\s*(?:- )?[A-Za-z][\w-]*: ).*$/, `$1${edit.scalar}`);
      return lines.join('\n');
    }
    case 'yaml-1.1': return `%YAML 1.1\n---\n${text}`;
    case 'second-document': return `${text}\n---\nclusters: []\n`;
    case 'end-marker': return `${text}\n...\n`;
    case 'map-tag': return `--- !!map\n${text}`;
    case 'bom': return `\ufeff${text}`;
    case 'crlf': return text.replace(/\n/g, '\r\n');
    case 'tab-indent': return text.replace(/\n {2}/, '\n\t');
    case 'truncate': return text.slice(0, edit.at % (text.length + 1));
    case 'insert': {
      const at = edit.at % (text.length + 1);
      return text.slice(0, at) + edit.text + text.slice(at);
    }
  }
}

export interface ConfigCase {
  readonly seed: string;
  readonly text: string;
}

/** A mutated config: a seed, up to four changes to its values and structure, maybe one change to its text. */
export const configCaseArb: fc.Arbitrary<ConfigCase> = fc
  .tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(opArb, { maxLength: 4 }), textEditArb)
  .map(([seedIndex, ops, textEdit]) => {
    const seed = SEEDS[seedIndex];
    let root: Json = parse(seed.text);
    for (const op of ops) root = applyOp(root, op);
    // Without ops the seed's own text is kept, comments and flow style included.
    const text = ops.length > 0 ? stringify(root, { aliasDuplicateObjects: true }) : seed.text;
    return { seed: seed.name, text: applyTextEdit(text, textEdit) };
  });

export type Outcome = 'config-error' | 'synthesized' | 'accepted';

/**
 * Synthesis costs a few hundred milliseconds a cluster, parsing a few: each
 * accepted cluster not seen before is synthesized while the budget lasts (so a
 * run stays deterministic for its seed); the rest are counted as accepted only.
 */
export class SynthBudget {
  public synthesized = 0;
  public objects = 0;
  private readonly seen = new Set<string>();

  public constructor(private remaining: number, private readonly validate?: (files: SynthOutput['files']) => string[]) {}

  /**
   * Synthesizes a config that holds clusters not seen before, as long as the budget lasts
   * (one unit a new cluster); returns how many new clusters it counted. The whole fleet is
   * synthesized: a cluster's output depends on the others (the federation's members, a
   * replication group's sites, who compacts a shared bucket).
   */
  public synthesizeNew(config: HeliosConfig, text: string): number {
    const fresh = config.clusters.filter((cluster) => !this.seen.has(JSON.stringify(cluster)));
    if (fresh.length === 0 || this.remaining <= 0) return 0;
    for (const cluster of fresh) this.seen.add(JSON.stringify(cluster));
    const counted = Math.min(fresh.length, this.remaining);
    this.remaining -= counted;
    let output: SynthOutput;
    try {
      output = synthesize(config);
    } catch (e) {
      throw new Error(`the config passed the checks but synthesize threw ${(e as Error)?.stack ?? e}\n--- config ---\n${text}`);
    }
    const findings = checkPolicy(output.files);
    if (findings.length > 0) throw new Error(`the config passed the checks but its output breaks policy:\n${findings.map(formatFinding).join('\n')}\n--- config ---\n${text}`);
    const problems = this.validate?.(output.files) ?? [];
    if (problems.length > 0) throw new Error(`the config passed the checks but its output breaks the API schemas:\n${problems.join('\n')}\n--- config ---\n${text}`);
    for (const [path, body] of output.rendered) {
      if (body.includes(PLANTED_PASSWORD)) throw new Error(`${path} holds a password from a URL\n--- config ---\n${text}`);
    }
    this.synthesized += counted;
    this.objects += output.files.reduce((n, f) => n + f.objects.length, 0);
    return counted;
  }
}

const FILE = 'helios.yaml';
const KEY = String.raw`(?:[A-Za-z_][\w-]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])`;
/** `<file>: <path>: ...`, or `<file>:<line>:<col>: ...` for YAML that does not parse. */
const NAMES_A_PATH = new RegExp(String.raw`^helios\.yaml(?:: (?:\(top level\)|${KEY}(?:\.[A-Za-z_][\w-]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])*): |:\d+:\d+: not valid YAML: )\S`);

/**
 * The invariant: a config either synthesizes into output that passes the policy
 * checks (and, when given, the API schemas), or is refused with a ConfigError whose
 * every problem names the file and a config path and shows no planted password.
 * Anything else (another exception, a finding) fails with the text of the case.
 */
export function checkConfigCase(text: string, budget: SynthBudget): Outcome {
  let config: HeliosConfig;
  try {
    config = parseConfig(text, FILE);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw new Error(`parseConfig threw ${(e as Error)?.stack ?? e}\n--- config ---\n${text}`);
    if (e.problems.length === 0) throw new Error(`a ConfigError without problems\n--- config ---\n${text}`);
    for (const p of e.problems) {
      if (!NAMES_A_PATH.test(p)) throw new Error(`a problem that names no config path: ${JSON.stringify(p)}\n--- config ---\n${text}`);
      if (p.includes(PLANTED_PASSWORD)) throw new Error(`a problem that shows a password: ${JSON.stringify(p)}\n--- config ---\n${text}`);
    }
    return 'config-error';
  }
  return budget.synthesizeNew(config, text) > 0 ? 'synthesized' : 'accepted';
}
