import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared.js';

describe('package-lock.json', () => {
  it('lists every optional platform package, so `npm ci` on a clean clone accepts it', () => {
    const { packages } = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    const missing = Object.entries<any>(packages).flatMap(([path, entry]) => Object.keys(entry.optionalDependencies ?? {})
      .filter((dep) => !packages[`node_modules/${dep}`] && !packages[`${path}/node_modules/${dep}`])
      .map((dep) => `${dep} (optional dependency of ${path || 'the root'})`));
    expect(missing).toEqual([]);
    expect(packages['node_modules/@chdb/lib-darwin-arm64']).toMatchObject({ optional: true, os: ['darwin'], cpu: ['arm64'] });
  });
});
