import { readFileSync, writeFileSync } from 'node:fs';
import { withTierTable } from './config/tier-table.js';

// `npm run docs`: regenerates the parts of README.md that are derived from code.
const readme = readFileSync('README.md', 'utf8');
const updated = withTierTable(readme);
if (updated !== readme) {
  writeFileSync('README.md', updated);
  console.error('README.md: tier table regenerated');
}
