import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/**
 * The Runbook and RunbookExecution CRDs exactly as Helios synthesizes them
 * (constructs/automation/runbook-crds.ts, committed in dist/ and kept current by the
 * drift test): the API server prunes what their schemas do not name and enforces their
 * CEL rules, so the operator's and executor's writes are checked against the real thing.
 */
export function synthesizedCrds(): object[] {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'helios', 'cluster', 'helios-runbook-operator.yaml');
  const crds = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((o) => o?.kind === 'CustomResourceDefinition');
  if (crds.length !== 2) throw new Error(`expected the 2 runbook CRDs in ${file}, found ${crds.length}: run npm run synth`);
  return crds;
}
