import fc from 'fast-check';
import { checkConfigCase, configCaseArb, SynthBudget } from './config-cases.js';
import { formatSchemaProblem, SchemaValidator } from '../validation/schemas.js';

/**
 * `npm run fuzz:config [-- --seed N --runs N --synth N]` (or FUZZ_SEED, FUZZ_RUNS,
 * FUZZ_SYNTH): a longer run of the config property than CI's, every synthesized
 * cluster also checked against the API schemas. Prints the seed, the cases and the
 * outcomes, and on failure the shrunk config that broke the invariant.
 */
function option(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  const text = i >= 0 ? process.argv[i + 1] : process.env[`FUZZ_${name.toUpperCase()}`];
  return text ? Number(text) : undefined;
}

const seed = option('seed') ?? Date.now() % 2 ** 31;
const runs = option('runs') ?? 10_000;
const validator = new SchemaValidator();
const budget = new SynthBudget(option('synth') ?? 1_000, (files) => validator.validateFiles(files).map(formatSchemaProblem));
const counts = { 'config-error': 0, 'synthesized': 0, 'accepted': 0 };
const started = process.hrtime.bigint();
const result = fc.check(fc.property(configCaseArb, (c) => {
  counts[checkConfigCase(c.text, budget)]++;
}), { seed, numRuns: runs });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`fuzz:config seed ${seed}: ${result.numRuns} cases in ${seconds.toFixed(1)} s: ${counts['config-error']} refused with config errors, `
  + `${counts.synthesized} synthesized (${budget.synthesized} new clusters, ${budget.objects} objects, all passing policy and the API schemas), `
  + `${counts.accepted} accepted with clusters already synthesized or past the synthesis budget`);
if (result.failed) {
  console.error(fc.defaultReportMessage(result));
  process.exitCode = 1;
}
