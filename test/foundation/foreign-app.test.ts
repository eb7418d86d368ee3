import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../shared.js';

/**
 * A user's own cdk8s app, in its own folder, importing the built package by name
 * (node_modules/@helios/platform is the repository, as `npm install` of a git
 * dependency would give): nothing under src/ is used.
 */
describe('a foreign cdk8s app importing @helios/platform', () => {
  let app: string;

  beforeAll(() => {
    if (!existsSync(join(REPO_ROOT, 'lib', 'constructs', 'index.js'))) {
      throw new Error('lib/ is not built: `npm test` compiles it first (npm run compile)');
    }
    app = mkdtempSync(join(tmpdir(), 'helios-foreign-'));
    mkdirSync(join(app, 'node_modules', '@helios'), { recursive: true });
    symlinkSync(REPO_ROOT, join(app, 'node_modules', '@helios', 'platform'));
    for (const dep of ['cdk8s', 'constructs', '@types']) symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(app, 'node_modules', dep));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-netops-app', type: 'module', private: true }));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: true, noEmit: true, types: [] },
      include: ['main.ts'],
    }));
    writeFileSync(join(app, 'main.ts'), `
import { App, Chart } from 'cdk8s';
import { FlowPeer, HeliosNamespace, PlatformBase } from '@helios/platform';

const app = new App({ outdir: 'out' });
const chart = new Chart(app, 'netops', { disableResourceNameHashes: true });
const helios = new PlatformBase(chart, 'helios', { clusterName: 'lab', site: 'lab1' });
helios.network.allow({
  description: 'our exporter is scraped by nobody yet',
  from: FlowPeer.namespace('monitoring'),
  to: FlowPeer.workload({ name: 'my-exporter', namespace: HeliosNamespace.COLLECTION, component: 'collector', podSelector: { app: 'my-exporter' } }),
  ports: [{ port: 9100 }],
});
app.synth();
`);
  });

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('type-checks against the published typings', () => {
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('synthesizes the platform base', () => {
    const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), 'main.ts'], { cwd: app, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const objects = parseAllDocuments(readFileSync(join(app, 'out', 'netops.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
    expect(namespaces).toEqual(['helios-integration', 'helios-collection', 'helios-storage', 'helios-visualization', 'helios-automation', 'helios-flows']);
    expect(objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name)).toEqual(['helios-viewer', 'helios-engineer', 'helios-admin']);
    const exporterPolicy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'my-exporter');
    expect(exporterPolicy.spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    expect(objects.find((o) => o.kind === 'Namespace').metadata.labels['helios.io/cluster']).toBe('lab');
  });
});
