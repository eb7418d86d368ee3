import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/manifests.js';
import { checkPolicy, formatFinding } from '../../src/policy/policy.js';
import { REPO_ROOT } from '../shared.js';

/**
 * The published package as a user gets it: `npm pack`, then `npm install` of the
 * tarball, with install scripts enabled, into an empty cdk8s project that builds
 * every stack with its own props. Nothing of the repository is reachable from there.
 */

// Children run npm and node on their own: no jest flags, no settings of the npm run that started jest.
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'NODE_OPTIONS'));

function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: childEnv, timeout: 300_000 });
}

const APP = `
import { App, Chart } from 'cdk8s';
import {
  AutomationStack, FlowStack, MetricsStack, PlatformBase, StorageTopology, TargetGeneratorMode, type ResourceSizing,
} from '@helios/platform';

const small: ResourceSizing = { cpuRequestMilli: 100, cpuLimitMilli: 500, memoryRequestMiB: 128, memoryLimitMiB: 512 };
const netbox = { url: 'https://netbox.example.net', networks: ['198.51.100.0/24'], token: { key: 'netops/netbox', property: 'token' } };

const app = new App({ outdir: 'out' });
const chart = new Chart(app, 'lab', { disableResourceNameHashes: true });
const platform = new PlatformBase(chart, 'platform', { clusterName: 'lab', site: 'lab1' });
const flows = new FlowStack(chart, 'flows', {
  platform,
  exporterNetworks: ['10.0.0.0/8'],
  netbox,
  maxmind: { accountId: { key: 'netops/maxmind', property: 'account-id' }, licenseKey: { key: 'netops/maxmind', property: 'license-key' } },
  goflow2: { replicasMin: 2, replicasMax: 4, resources: small },
  kafka: { brokers: 3, volumeGiB: 20, rawTopicPartitions: 6, enrichedTopicPartitions: 6, retentionHours: 24, resources: small },
  flowEnricher: { replicasMin: 2, replicasMax: 4, resources: small },
  clickhouse: { shards: 1, replicas: 2, volumeGiB: 50, kafkaConsumers: 1, resources: small },
  clickhouseKeeper: { replicas: 3, volumeGiB: 5, resources: small },
});
new MetricsStack(chart, 'metrics', {
  platform,
  managementNetworks: ['10.0.0.0/8'],
  storage: { topology: StorageTopology.SINGLE_DC_MINIO, bucket: 'netops-metrics', compactor: true },
  flowStore: flows.flowStore,
  sizing: {
    gnmic: { replicasMin: 2, replicasMax: 4, resources: small },
    snmpExporter: { replicas: 2, resources: small },
    blackboxExporter: { replicas: 2, resources: small },
    prometheus: { shards: 1, replicasPerShard: 2, retentionHours: 24, volumeGiB: 20, resources: small, sidecarResources: small },
    thanosQuery: { replicas: 2, resources: small },
    thanosStore: { replicas: 2, indexCacheMiB: 128, volumeGiB: 10, resources: small },
    thanosCompactor: { volumeGiB: 20, resources: small },
    thanosRuler: { replicas: 2, volumeGiB: 5, resources: small },
    minio: { servers: 4, drivesPerServer: 1, volumeGiB: 100, resources: small },
    grafana: { replicas: 1, resources: small },
    alertmanager: { replicas: 2, volumeGiB: 1, resources: small },
  },
});
new AutomationStack(chart, 'automation', {
  platform,
  targetGenerator: { netbox, mode: TargetGeneratorMode.CRONJOB, resources: small, pushgatewayResources: small },
  runbookOperator: { resources: small, managementNetworks: ['10.0.0.0/8'], kubernetesApiNetworks: ['192.0.2.10/32'], approverGroups: ['netops-leads'] },
  sampleRunbooks: true,
});
app.synth();
`;

describe('the packed @helios/platform installed into an empty cdk8s project', () => {
  let work: string;
  let app: string;
  let tarball: string;
  let install: SpawnSyncReturns<string>;

  beforeAll(() => {
    if (!existsSync(join(REPO_ROOT, 'lib', 'constructs', 'index.js'))) {
      throw new Error('lib/ is not built: `npm test` compiles it first (npm run compile)');
    }

    work = mkdtempSync(join(tmpdir(), 'helios-package-'));
    // The tarball is what `npm publish` would upload; packing needs no script.
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO_ROOT);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    tarball = join(work, JSON.parse(pack.stdout)[0].filename);

    app = join(work, 'my-netops-app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-netops-app', version: '1.0.0', private: true, type: 'module' }));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: true, outDir: 'build', types: [] },
      include: ['main.ts'],
    }));
    writeFileSync(join(app, 'main.ts'), APP);
    const { dependencies } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    // Install scripts stay enabled: whatever the package runs at install, a user's install runs too.
    install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball,
      `cdk8s@${dependencies.cdk8s}`, `constructs@${dependencies.constructs}`], app);
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs with scripts enabled, and the package runs nothing at install time', () => {
    expect(install.stderr).not.toMatch(/npm error/);
    expect(install.status).toBe(0);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', '@helios', 'platform', 'package.json'), 'utf8'));
    expect(Object.keys(installed.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s))).toEqual([]);
    expect(existsSync(join(app, 'node_modules', '@helios', 'platform', 'lib', 'constructs', 'index.js'))).toBe(true);
  });

  it('exports the stacks, constructs and their types, not internal constants', async () => {
    const api = await import(join(app, 'node_modules', '@helios', 'platform', 'lib', 'constructs', 'index.js'));
    const names = Object.keys(api);
    expect(names).toEqual(expect.arrayContaining(['PlatformBase', 'MetricsStack', 'FlowStack', 'AutomationStack', 'Gnmic', 'ThanosQuery', 'KafkaCluster', 'TargetGenerator', 'FlowPeer', 'HeliosNamespace']));
    expect(names.filter((n) => /^[A-Z][A-Z0-9_]+$/.test(n))).toEqual([]);
    // The helpers that give a user's own workloads the Helios conventions (README).
    expect(names.filter((n) => /^[a-z]/.test(n)).sort()).toEqual(['httpProbe', 'secureContainer', 'securePodSecurityContext', 'tcpProbe']);
  });

  it('type-checks and synthesizes an app that builds every stack with explicit props', () => {
    const tsc = run(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const synth = run(process.execPath, [join('build', 'main.js')], app);
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const objects: KubeObject[] = parseAllDocuments(readFileSync(join(app, 'out', 'lab.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    expect(names('Namespace')).toContain('helios-flows');
    expect(names('Kafka')).toEqual(['flows']);
    expect(names('Prometheus')).toEqual(['helios']);
    expect(names('StatefulSet')).toEqual(expect.arrayContaining(['gnmic', 'minio', 'thanos-store']));
    expect(names('CronJob')).toContain('target-generator');
    expect(names('CustomResourceDefinition')).toEqual(['runbooks.automation.helios.io', 'runbookexecutions.automation.helios.io']);
    // The sample runbooks travel in the package (lib/runbooks/), read beside the construct's code.
    expect(names('Runbook')).toHaveLength(10);
    expect(checkPolicy([{ path: 'out/lab.k8s.yaml', objects }]).map(formatFinding)).toEqual([]);
  });
});
