import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared.js';

describe('package-lock.json', () => {
  // The repository's prepare script (scripts/lockfile-platform-stubs.mjs) adds them after `npm install`.
  it('lists every optional platform package, so `npm ci` on a clean clone accepts it', () => {
    const { packages } = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    const missing = Object.entries<any>(packages).flatMap(([path, entry]) => Object.keys(entry.optionalDependencies ?? {})
      .filter((dep) => !packages[`node_modules/${dep}`] && !packages[`${path}/node_modules/${dep}`])
      .map((dep) => `${dep} (optional dependency of ${path || 'the root'})`));
    expect(missing).toEqual([]);
    expect(packages['node_modules/@chdb/lib-darwin-arm64']).toMatchObject({ optional: true, os: ['darwin'], cpu: ['arm64'] });
  });

  it('is kept by a script of this repository only, never by one that runs where the package is installed', () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(scripts.prepare).toBe('node scripts/lockfile-platform-stubs.mjs');
    expect(Object.keys(scripts).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s))).toEqual([]);
    expect(JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')).packages[''].hasInstallScript).toBeUndefined();
  });
});
