import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTree } from '../helpers.js';
import { cdk8sImport } from '../schema-sources.js';
import { REPO_ROOT } from '../shared.js';

describe('imports/', () => {
  it('is exactly what `cdk8s import` generates from the pinned upstream CRDs (run `npm run import`)', () => {
    const out = mkdtempSync(join(tmpdir(), 'helios-imports-'));
    try {
      const r = cdk8sImport(out);
      expect(r.status).toBe(0);
      const fresh = readTree(out);
      const committed = readTree(join(REPO_ROOT, 'imports'));
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      expect(fresh.size).toBe(22);
      const drifted = [...fresh.keys()].filter((f) => fresh.get(f) !== committed.get(f));
      expect(drifted).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
