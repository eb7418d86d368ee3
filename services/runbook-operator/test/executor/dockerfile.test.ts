import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Docker cannot run here, so the image is checked by its recipe: pinned bases, built
 * on the builder's platform, a numeric non-root user, and a `runbook-operator` command
 * on PATH that is what the TypeScript build produces (the Jobs run `runbook-operator execute`).
 */
const dir = process.cwd();
const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l && !l.startsWith('#'));
const finalStage = instructions.slice(instructions.map((l) => l.startsWith('FROM ')).lastIndexOf(true));

describe('the runbook-operator Dockerfile', () => {
  test('multi-stage, every base pinned, build stages on the builder\'s platform', () => {
    const arg = /^ARG NODE_IMAGE=(\S+)$/.exec(instructions.find((l) => l.startsWith('ARG NODE_IMAGE=')) ?? '');
    expect(arg?.[1]).toMatch(/^docker\.io\/library\/node:\d+\.\d+\.\d+-bookworm-slim$/);
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms).toHaveLength(3);
    expect(froms.every((l) => l.includes('${NODE_IMAGE}'))).toBe(true);
    expect(froms.filter((l) => l.includes(' AS ')).every((l) => l.includes('--platform=$BUILDPLATFORM'))).toBe(true);
  });

  test('runs as a numeric non-root user', () => {
    const user = finalStage.filter((l) => l.startsWith('USER '));
    expect(user).toEqual(['USER 65534:65534']);
  });

  test('installs from the root lockfile and puts the built main.js on PATH as runbook-operator', () => {
    expect(instructions).toContain('COPY package.json package-lock.json ./');
    expect(instructions.filter((l) => l.includes('npm ci')).every((l) => l.includes('--workspace services/runbook-operator'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main: string; bin: Record<string, string> };
    expect(pkg.bin['runbook-operator']).toBe(pkg.main);
    expect(finalStage).toContain(`RUN printf '#!/bin/sh\\nexec node /app/services/runbook-operator/${pkg.main} "$@"\\n' >/usr/local/bin/runbook-operator && chmod 0755 /usr/local/bin/runbook-operator`);
    expect(finalStage).toContain('COPY --from=build /src/services/runbook-operator/lib services/runbook-operator/lib');
    expect(finalStage).toContain('ENTRYPOINT ["runbook-operator"]');
    expect(finalStage).toContain('CMD ["operate"]');
    expect(readFileSync(join(dir, 'Dockerfile.dockerignore'), 'utf8')).toContain('!services/runbook-operator/src/');
  });
});
