import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_DIR } from './helpers.js';

/**
 * Docker cannot run here, so the image is checked by its recipe: pinned bases,
 * a non-root numeric user, no GeoIP database baked in, and an entrypoint that is
 * what the TypeScript build produces.
 */
const dockerfile = readFileSync(join(SERVICE_DIR, 'Dockerfile'), 'utf8');
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, line) => {
  if (line.startsWith('FROM ')) acc.push([]);
  acc[acc.length - 1]?.push(line);
  return acc;
}, []);
const finalStage = stages[stages.length - 1];

describe('the flow-enricher Dockerfile', () => {
  it('is multi-stage, every base pinned to a version tag', () => {
    const bases = instructions.filter((l) => l.startsWith('FROM ')).map((l) => l.split(/\s+/).find((w, i, all) => i > 0 && !w.startsWith('--') && all[i - 1] !== 'AS')!);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+[\w.-]*$/);
  });

  it('builds on the builder\'s platform (multi-arch output without emulation) and runs as a numeric non-root user', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ') && l.includes('AS ')).every((l) => l.includes('--platform=$BUILDPLATFORM'))).toBe(true);
    const user = finalStage.filter((l) => l.startsWith('USER '));
    expect(user).toHaveLength(1);
    const [uid, gid] = user[0].slice(5).split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(Number(gid)).toBeGreaterThan(0);
  });

  it('bakes in no GeoIP database, and keeps them out of the build context', () => {
    expect(dockerfile).not.toMatch(/\.mmdb/i);
    expect(instructions.filter((l) => /^(COPY|ADD) /.test(l)).every((l) => !/geo|maxmind/i.test(l))).toBe(true);
    expect(readFileSync(join(SERVICE_DIR, 'Dockerfile.dockerignore'), 'utf8')).toContain('**/*.mmdb');
  });

  it('installs the workspace from the root lockfile and starts what the build compiles', () => {
    expect(instructions).toContain('COPY package.json package-lock.json ./');
    expect(instructions.filter((l) => l.includes('npm ci')).every((l) => l.includes('--workspace=services/flow-enricher'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(SERVICE_DIR, 'package.json'), 'utf8')) as { main: string };
    expect(finalStage).toContain(`ENTRYPOINT ["node", "${pkg.main}"]`);
    // tsc maps src/main.ts to lib/src/main.js (rootDir ".", outDir "lib").
    expect(existsSync(join(SERVICE_DIR, pkg.main.replace(/^lib\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    expect(finalStage).toContain('CMD ["run"]');
  });

  it('carries the NetBox client, a workspace package it imports, compiled first, where node_modules links to it', () => {
    const pkg = JSON.parse(readFileSync(join(SERVICE_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@helios/'))).toEqual(['@helios/netbox-client']);
    // npm links the workspace as node_modules/@helios/netbox-client -> ../../services/netbox-client; the image keeps node_modules in /app.
    expect(readlinkSync(join(SERVICE_DIR, '../../node_modules/@helios/netbox-client'))).toBe('../../services/netbox-client');
    expect(finalStage).toContain('WORKDIR /app');
    expect(finalStage).toContain('COPY --from=build /src/services/netbox-client/package.json ./services/netbox-client/package.json');
    expect(finalStage).toContain('COPY --from=build /src/services/netbox-client/lib ./services/netbox-client/lib');
    const compile = stages[0].find((l) => l.includes('tsc -p'))!;
    expect(compile.indexOf('npx tsc -p services/netbox-client/tsconfig.json')).toBeGreaterThan(-1);
    expect(compile.indexOf('npx tsc -p services/netbox-client/tsconfig.json')).toBeLessThan(compile.indexOf('cd services/flow-enricher'));
  });

  it('installs the target platform\'s prebuilt native binaries, and the lockfile has them for amd64 and arm64', () => {
    const runtimeDeps = stages.find((st) => st[0].includes(' AS runtime-deps'))!;
    expect(runtimeDeps).toContain('ARG TARGETARCH');
    const install = runtimeDeps.find((l) => l.includes('npm ci'))!;
    expect(install).toMatch(/amd64\) cpu=x64 ;; arm64\) cpu=arm64 ;;/);
    expect(install).toContain('--os=linux --cpu=$cpu');
    const lock = JSON.parse(readFileSync(join(SERVICE_DIR, '../../package-lock.json'), 'utf8')) as { packages: Record<string, { optionalDependencies?: Record<string, string> }> };
    const pkg = JSON.parse(readFileSync(join(SERVICE_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const native = Object.keys(pkg.dependencies).filter((d) => Object.keys(lock.packages[`node_modules/${d}`]?.optionalDependencies ?? {}).some((o) => o.endsWith('-linux-x64-gnu')));
    expect(native.sort()).toEqual(['@node-rs/crc32', 'lz4-napi']);
    for (const dep of native) {
      const platforms = Object.keys(lock.packages[`node_modules/${dep}`].optionalDependencies!);
      for (const arch of ['x64', 'arm64']) {
        const binary = platforms.find((o) => o.endsWith(`-linux-${arch}-gnu`))!;
        expect(lock.packages[`node_modules/${binary}`]).toBeDefined();
      }
    }
  });
});
