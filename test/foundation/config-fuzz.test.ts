import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT } from '../../src/write.js';
import { checkConfigCase, configCaseArb, PLANTED_PASSWORD, SynthBudget, type Outcome } from '../fuzz/config-cases.js';
import { runSynth, treeDigest } from '../helpers.js';
import { formatSchemaProblem, SchemaValidator } from '../validation/schemas.js';

/*
 * The config loader's promise, held for thousands of mutated configs: every input
 * either becomes output that passes the policy checks and the API schemas, or is
 * refused with problems that each name the file and a config path. A fixed seed
 * keeps CI repeatable; `npm run fuzz:config` runs longer with other seeds.
 */
const SEED = 20261207;
const CASES = 2_000;
const SYNTH_BUDGET = 40;
const CLI_CASES = 6;

describe('mutated configs', () => {
  it(`hold the invariant for ${CASES} cases (seed ${SEED}): output that passes the checks, or config errors naming a path`, () => {
    const validator = new SchemaValidator();
    const budget = new SynthBudget(SYNTH_BUDGET, (files) => validator.validateFiles(files).map(formatSchemaProblem));
    const counts: Record<Outcome, number> = { 'config-error': 0, 'synthesized': 0, 'accepted': 0 };
    const started = Date.now();
    fc.assert(fc.property(configCaseArb, (c) => {
      counts[checkConfigCase(c.text, budget)]++;
    }), { seed: SEED, numRuns: CASES });
    console.log(`config fuzz, seed ${SEED}: ${CASES} cases in ${((Date.now() - started) / 1000).toFixed(1)} s: `
      + `${counts['config-error']} refused with config errors, ${counts.synthesized} synthesized (${budget.synthesized} new clusters, `
      + `${budget.objects} objects passing policy and the API schemas), ${counts.accepted} accepted without a new cluster to synthesize`);
    // The mutations must reach both sides of the loader, or the property proves little.
    expect(counts['config-error']).toBeGreaterThan(CASES / 4);
    expect(counts.synthesized + counts.accepted).toBeGreaterThan(CASES / 10);
    expect(budget.synthesized).toBe(SYNTH_BUDGET);
  });

  describe('through the CLI', () => {
    let work: string;
    beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'helios-config-fuzz-')); });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it(`exit 0 with a fresh output or exit 1 with the previous output byte-identical, for ${CLI_CASES} sampled cases`, () => {
      const dist = join(work, 'dist');
      mkdirSync(dist, { recursive: true });
      writeFileSync(join(dist, 'previous.yaml'), 'kind: Previous\n');
      writeFileSync(join(dist, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
      const file = join(work, 'helios.yaml');
      const statuses: number[] = [];
      for (const c of fc.sample(configCaseArb, { seed: SEED, numRuns: CLI_CASES })) {
        writeFileSync(file, c.text);
        const before = treeDigest(dist);
        const r = runSynth(['--config', file, '--out', dist], work);
        if (r.status !== 0 && r.status !== 1) throw new Error(`exit ${r.status}:\n${r.stderr}\n--- config ---\n${c.text}`);
        expect(r.stderr).not.toContain('    at ');
        expect(r.stderr).not.toContain(PLANTED_PASSWORD);
        if (r.status === 1) {
          expect(r.stderr).toContain(`${dist}/ is unchanged`);
          expect(treeDigest(dist)).toBe(before);
        } else {
          expect(treeDigest(dist)).not.toBe(before);
        }
        statuses.push(r.status!);
      }
      expect(statuses).toContain(1);
    });
  });
});
