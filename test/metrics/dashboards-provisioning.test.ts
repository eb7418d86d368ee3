import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type Chart, Testing } from 'cdk8s';
import { all, clusterObjects, find, oneCluster, parseYaml } from './support.js';
import { MetricsStack, PlatformBase } from '../../constructs/index.js';
import { parseConfig } from '../../src/config/load.js';
import { readManifestTree } from '../../src/manifests.js';
import { planCluster } from '../../src/plan.js';
import { runSynth } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';

const NETWORK = ['helios-network-overview', 'helios-interface-analytics', 'helios-device-health', 'helios-site-overview',
  'helios-latency-reachability', 'helios-bgp-status', 'helios-top-talkers-metrics', 'helios-alerts-overview'];
const FLOWS = ['helios-flow-top-talkers', 'helios-flow-traffic-matrix', 'helios-flow-as-paths', 'helios-flow-protocols',
  'helios-flow-geo', 'helios-flow-interface-correlation'];
const NS = 'helios-visualization';

/**
 * What Grafana sees under the provider's folder: the projected volume's files, each
 * `<folder>/<uid>.json` with the ConfigMap's content, as the kubelet would write them.
 */
function mountedFiles(objects: readonly any[]): Map<string, any> {
  const pod = find(objects, 'Deployment', 'grafana', NS).spec.template.spec;
  const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'dashboards');
  const providers = parseYaml(find(objects, 'ConfigMap', 'grafana-provisioning', NS).data['dashboards.yaml']).providers;
  // One provider, reading the mounted folder, making a Grafana folder of each subdirectory.
  expect(providers).toHaveLength(1);
  expect(providers[0].options).toEqual({ path: mount.mountPath, foldersFromFilesStructure: true });
  expect(providers[0].folder).toBeUndefined();
  const files = new Map<string, any>();
  for (const source of pod.volumes.find((v: any) => v.name === 'dashboards').projected.sources) {
    const cm = find(objects, 'ConfigMap', source.configMap.name, NS);
    for (const item of source.configMap.items) files.set(item.path, JSON.parse(cm.data[item.key]));
  }
  return files;
}

/** Grafana folder → the uids in it, as foldersFromFilesStructure makes them. */
function folders(files: Map<string, any>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [path, model] of files) {
    const parts = path.split('/');
    expect(parts.at(-1)).toBe(`${model.uid}.json`);
    const folder = parts.length === 1 ? 'General' : parts[0];
    (out[folder] ??= []).push(model.uid);
  }
  for (const uids of Object.values(out)) uids.sort();
  return out;
}

describe('dashboard provisioning', () => {
  it('`npm run synth` with no config writes the 8 network and 6 flow dashboards into helios-visualization', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helios-dashboards-'));
    try {
      const r = runSynth(['--out', 'out'], dir);
      expect(r.stderr).toMatch(/embedded default/);
      expect(r.status).toBe(0);
      const objects = readManifestTree(join(dir, 'out')).flatMap((f) => f.objects);
      const labelled = all(objects, 'ConfigMap').filter((o) => o.metadata.labels?.grafana_dashboard === '1');
      expect(labelled).toHaveLength(14);
      expect(labelled.every((cm) => cm.metadata.namespace === NS)).toBe(true);
      expect(folders(mountedFiles(objects))).toEqual({ Network: [...NETWORK].sort(), Flows: [...FLOWS].sort() });
      // The file in dist/ is one per namespace and component: Grafana's.
      expect(readFileSync(join(dir, 'out', 'helios', NS, 'grafana.yaml'), 'utf8')).toContain('name: grafana-dashboard-helios-flow-geo\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cluster without the FlowStack gets the 8 network dashboards only', () => {
    const objects = clusterObjects(oneCluster({ extra: '    stacks: { flows: false }\n' }));
    expect(all(objects, 'ConfigMap').filter((o) => o.metadata.labels?.grafana_dashboard === '1').map((cm) => cm.metadata.name).sort())
      .toEqual(NETWORK.map((uid) => `grafana-dashboard-${uid}`).sort());
    expect(folders(mountedFiles(objects))).toEqual({ Network: [...NETWORK].sort() });
  });

  it('every dashboard reads a datasource Grafana provisions', () => {
    const objects = clusterObjects(oneCluster());
    const datasources = parseYaml(find(objects, 'ConfigMap', 'grafana-provisioning', NS).data['datasources.yaml']).datasources.map((d: any) => d.uid);
    for (const [path, model] of mountedFiles(objects)) {
      const panels = (model.panels ?? []).flatMap((p: any) => [p, ...(p.panels ?? [])]);
      const used = new Set<string>(panels.flatMap((p: any) => [p.datasource, ...(p.targets ?? []).map((t: any) => t.datasource)])
        .filter((d: any) => d?.uid && !String(d.uid).startsWith('$') && d.uid !== '-- Grafana --').map((d: any) => d.uid));
      expect([path, [...used].filter((uid) => !datasources.includes(uid))]).toEqual([path, []]);
    }
  });
});

/** A MetricsStack of a one-cluster config, as the app builds it. */
function stack(config: string): { chart: Chart; metrics: MetricsStack } {
  const plan = planCluster(parseConfig(config, 'test.yaml').clusters[0]);
  const chart = Testing.chart();
  const platform = new PlatformBase(chart, 'platform', plan.platform);
  return { chart, metrics: new MetricsStack(chart, 'metrics', { platform, ...plan.metrics! }) };
}

describe('addDashboard', () => {
  it('puts a dashboard without a folder in General, and refuses folders that are not a plain directory name', () => {
    const { chart, metrics } = stack(oneCluster({ extra: '    stacks: { flows: false }\n' }));
    metrics.grafana.addDashboard({ uid: 'team-overview', title: 'Team overview' });
    expect(() => metrics.grafana.addDashboard({ uid: 'x', title: 'x' }, { folder: '../etc' })).toThrow('folder "../etc" must be 1-63 letters');
    expect(() => metrics.grafana.addDashboard({ uid: 'y', title: 'y' }, { folder: 'General' })).toThrow(/not General/);
    expect(() => metrics.grafana.addDashboard({ uid: 'helios-bgp-status', title: 'again' })).toThrow('grafana dashboard uid "helios-bgp-status" is provisioned twice');
    expect(folders(mountedFiles(Testing.synth(chart)))).toEqual({ General: ['team-overview'], Network: [...NETWORK].sort() });
  });
});

/** The TypeScript example of the README's "Your own dashboards" section. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^### /m).find((s) => s.startsWith('Your own dashboards'));
  if (!section) throw new Error('README.md has no "### Your own dashboards" section');
  const code = /```ts\n([\s\S]*?)```/.exec(section);
  if (!code) throw new Error('the "Your own dashboards" section has no ts example');
  return code[1];
}

/**
 * The README's example, as a user's file importing the package, type-checked with the
 * repository's TypeScript and run against a MetricsStack built from a config.
 */
describe('the README example of your own dashboard', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'helios-readme-dashboard-'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    const repo = relative(dir, REPO_ROOT);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-netops-app', type: 'module', private: true }));
    writeFileSync(join(dir, 'example.ts'), readmeExample().replace(/'@helios\/platform'/g, `'${repo}/constructs/index.js'`));
    writeFileSync(join(dir, 'main.ts'), `
import { Testing } from 'cdk8s';
import { addPowerDashboard } from './example.js';
import { MetricsStack, PlatformBase } from '${repo}/constructs/index.js';
import { parseConfig } from '${repo}/src/config/load.js';
import { planCluster } from '${repo}/src/plan.js';

const plan = planCluster(parseConfig(process.argv[2], 'helios.yaml').clusters[0]);
const chart = Testing.chart();
const metrics = new MetricsStack(chart, 'metrics', { platform: new PlatformBase(chart, 'platform', plan.platform), ...plan.metrics! });
addPowerDashboard(metrics.grafana);
process.stdout.write(JSON.stringify(Testing.synth(chart)));
`);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
      files: ['example.ts', 'main.ts'],
    }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('type-checks', () => {
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('provisions the dashboard in its own folder beside the Helios ones', () => {
    const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), 'main.ts', oneCluster()], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const objects = JSON.parse(run.stdout);
    const cm = all(objects, 'ConfigMap').find((o) => o.metadata.name === 'grafana-dashboard-facilities-pdu-load');
    expect(cm.metadata).toMatchObject({ namespace: NS, labels: { grafana_dashboard: '1' } });
    // No FlowStack here, so no flow store and no flow dashboards.
    expect(folders(mountedFiles(objects))).toEqual({ Facilities: ['facilities-pdu-load'], Network: [...NETWORK].sort() });
  });
});
