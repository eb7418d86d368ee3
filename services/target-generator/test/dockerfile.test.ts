import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_DIR } from './helpers.js';

/**
 * Docker cannot run here, so the image is checked by its recipe: the build context
 * lets through, and the image carries, the NetBox client the service imports.
 */
const dockerfile = readFileSync(join(SERVICE_DIR, 'Dockerfile'), 'utf8');
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l && !l.startsWith('#'));
const finalStage = instructions.slice(instructions.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
const dockerignore = readFileSync(join(SERVICE_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n');

describe('the target-generator Dockerfile', () => {
  it('carries the NetBox client, a workspace package it imports, compiled first, where node_modules links to it', () => {
    const pkg = JSON.parse(readFileSync(join(SERVICE_DIR, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@helios/'))).toEqual(['@helios/netbox-client']);
    // The context is a whitelist: the client's sources must be on it.
    expect(dockerignore).toEqual(expect.arrayContaining(['*', '!services/netbox-client/tsconfig.json', '!services/netbox-client/src/', '!services/target-generator/src/']));
    expect(instructions).toContain('RUN npx tsc -p services/netbox-client/tsconfig.json && npx tsc -p services/target-generator/tsconfig.json');
    // npm links the workspace as node_modules/@helios/netbox-client -> ../../services/netbox-client; the image keeps node_modules in /app.
    expect(readlinkSync(join(SERVICE_DIR, '../../node_modules/@helios/netbox-client'))).toBe('../../services/netbox-client');
    expect(finalStage).toEqual(expect.arrayContaining([
      'WORKDIR /app',
      'COPY --from=dependencies /src/node_modules node_modules',
      'COPY services/netbox-client/package.json services/netbox-client/package.json',
      'COPY --from=build /src/services/netbox-client/lib services/netbox-client/lib',
      `ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/services/target-generator/${pkg.main}"]`,
    ]));
  });
});
