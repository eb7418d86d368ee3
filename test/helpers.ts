import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { promtool, writeScratch } from './peers/harness/network-peers.js';
import { REPO_ROOT } from './shared.js';
import { ConfigError, parseConfig } from '../src/config/load.js';

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm run synth`'s program (src/main.ts through tsx), as a user would, in `cwd`. */
export function runSynth(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const tsx = import.meta.resolve('tsx');
  const r = spawnSync(process.execPath, ['--import', tsx, join(REPO_ROOT, 'src/main.ts'), ...args], {
    cwd,
    env: { ...process.env, HELIOS_CONFIG: undefined, NODE_OPTIONS: undefined, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A digest of every file (path and bytes) under a folder; equal digests mean byte-identical trees. */
export function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  if (!existsSync(dir)) return 'absent';
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else hash.update(relative(dir, full)).update('\0').update(readFileSync(full)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** Every file under a folder, path → text. */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full, 'utf8'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

export const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(REPO_ROOT, 'examples', d.name, 'helios.yaml')))
  .map((d) => d.name)
  .sort();

/** The problems a config is refused with; fails when the config is accepted. */
export function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'helios.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

/**
 * promtool's unit tests over rule groups: each call writes its own rule and test files in
 * `dir`; a failure shows promtool's own report.
 */
export function promtoolRuleTests(dir: string): (groups: readonly object[], tests: readonly object[]) => void {
  let files = 0;
  return (groups, tests) => {
    const n = ++files;
    const rulesFile = writeScratch(dir, `rules-${n}.yml`, stringify({ groups }));
    const test = writeScratch(dir, `test-${n}.yml`, stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }, { lineWidth: 0 }));
    const r = promtool(['test', 'rules', test]);
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.status).toBe(0);
  };
}
