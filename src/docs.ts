import { readFileSync, writeFileSync } from 'node:fs';
import { withCapacityTable } from './config/capacity.js';
import { loadMeasuredRates } from './config/measured-rates.js';
import { withTierTable } from './config/tier-table.js';
import { TIERS } from './config/tiers.js';

// `npm run docs`: regenerates the parts of README.md that are derived from code.
const readme = readFileSync('README.md', 'utf8');
const updated = withCapacityTable(withTierTable(readme), TIERS, loadMeasuredRates());
if (updated !== readme) {
  writeFileSync('README.md', updated);
  console.error('README.md: tier table and capacity table regenerated');
}
