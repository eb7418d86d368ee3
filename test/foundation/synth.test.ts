import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_DEFAULT_CONFIG, EMBEDDED_DEFAULT_SOURCE } from '../../src/config/defaults.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { synthesize } from '../../src/synth.js';
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT, writeTreeAtomically } from '../../src/write.js';
import { EXAMPLES, readTree, runSynth, treeDigest } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';

const BAD_TIER = `clusters:
  - name: dc1
    datacenter: dc1
    tier: huge
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
`;

function expectSameTree(committed: Map<string, string>, fresh: ReadonlyMap<string, string>, where: string): void {
  // The marker is what lets the next synth replace the folder; it is no manifest.
  expect(committed.get(OUTPUT_MARKER)).toBe(OUTPUT_MARKER_TEXT);
  committed.delete(OUTPUT_MARKER);
  const missing = [...fresh.keys()].filter((p) => !committed.has(p));
  const extra = [...committed.keys()].filter((p) => !fresh.has(p));
  const changed = [...fresh.keys()].filter((p) => committed.has(p) && committed.get(p) !== fresh.get(p));
  if (missing.length || extra.length || changed.length) {
    throw new Error(`${where} has drifted from its config; run \`npm run synth:all\` and commit.\n`
      + `  missing: ${missing.join(', ') || '-'}\n  stale: ${extra.join(', ') || '-'}\n  changed: ${changed.join(', ') || '-'}`);
  }
}

describe('npm run synth', () => {
  let work: string;
  beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'helios-synth-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('synthesizes the embedded default when there is no helios.yaml, byte-identical on rerun', () => {
    const first = runSynth([], work);
    expect(first.stderr).toContain('no helios.yaml; synthesizing the embedded default');
    expect(first.status).toBe(0);
    const files = readdirSync(join(work, 'dist', 'helios', 'cluster'));
    expect(files).toContain('helios-namespaces.yaml');
    const digest = treeDigest(join(work, 'dist'));
    expect(runSynth([], work).status).toBe(0);
    expect(treeDigest(join(work, 'dist'))).toBe(digest);
  });

  it('replaces the output as a whole: files of a removed component disappear', () => {
    writeFileSync(join(work, 'dist', 'helios', 'cluster', 'stale.yaml'), 'kind: Stale\n');
    expect(runSynth([], work).status).toBe(0);
    expect(existsSync(join(work, 'dist', 'helios', 'cluster', 'stale.yaml'))).toBe(false);
  });

  it('rejects tier: huge, naming the path, the value and the allowed values, and leaves dist/ untouched', () => {
    const before = treeDigest(join(work, 'dist'));
    writeFileSync(join(work, 'helios.yaml'), BAD_TIER);
    const r = runSynth([], work);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('helios.yaml: clusters[0].tier: "huge" is not one of small, medium, large, xl (line 4)');
    expect(r.stderr).toContain('dist/ is unchanged');
    expect(treeDigest(join(work, 'dist'))).toBe(before);
    expect(readdirSync(work).filter((f) => f.startsWith('.dist-'))).toEqual([]);
  });

  it('rejects a management network that is not a CIDR and leaves dist/ untouched', () => {
    const before = treeDigest(join(work, 'dist'));
    writeFileSync(join(work, 'bad-cidr.yaml'), BAD_TIER.replace('huge', 'small').replace('10.0.0.0/8', 'mgmt-net'));
    const r = runSynth(['--config', 'bad-cidr.yaml'], work);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bad-cidr.yaml: clusters[0].managementNetworks[0]: "mgmt-net" is not a CIDR: write an address and a prefix length, such as 10.20.0.0/16 or 2001:db8:100::/48 (line 6)');
    expect(treeDigest(join(work, 'dist'))).toBe(before);
  });

  it('takes the config from HELIOS_CONFIG and the output folder from --out', () => {
    const r = runSynth(['--out', 'elsewhere'], work, { HELIOS_CONFIG: join(REPO_ROOT, 'examples', 'single-dc', 'helios.yaml') });
    expect(r.status).toBe(0);
    expect(readdirSync(join(work, 'elsewhere')).sort()).toEqual([OUTPUT_MARKER, 'ams1']);
  });

  it('answers an unknown flag with the usage and exit code 2', () => {
    const r = runSynth(['--cofnig', 'x'], work);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: npm run synth');
  });
});

describe('atomic output', () => {
  it('keeps the previous tree when writing the new one fails', () => {
    const parent = mkdtempSync(join(tmpdir(), 'helios-atomic-'));
    const out = join(parent, 'dist');
    writeTreeAtomically(out, new Map([['a/one.yaml', 'one\n']]));
    const before = treeDigest(out);
    // "x" is both a file and a folder: the second write fails half-way.
    expect(() => writeTreeAtomically(out, new Map([['x', 'file\n'], ['x/y.yaml', 'nested\n']]))).toThrow();
    expect(treeDigest(out)).toBe(before);
    expect(readdirSync(parent)).toEqual(['dist']);
    rmSync(parent, { recursive: true, force: true });
  });
});

describe('committed output', () => {
  it('dist/ is what the embedded default synthesizes', () => {
    const fresh = synthesize(parseConfig(EMBEDDED_DEFAULT_CONFIG, EMBEDDED_DEFAULT_SOURCE)).rendered;
    expectSameTree(readTree(join(REPO_ROOT, 'dist')), fresh, 'dist/');
  });

  it.each(EXAMPLES)('examples/%s/dist/ is what its helios.yaml synthesizes', (example) => {
    const config = loadConfigFile(join(REPO_ROOT, 'examples', example, 'helios.yaml'));
    const fresh = synthesize(config).rendered;
    // One folder per cluster, and the fleet's Argo CD objects when gitops is set.
    expect(new Set([...fresh.keys()].map((p) => p.split('/')[0]))).toEqual(new Set([...config.clusters.map((c) => c.name), ...(config.gitops ? ['argocd'] : [])]));
    expectSameTree(readTree(join(REPO_ROOT, 'examples', example, 'dist')), fresh, `examples/${example}/dist/`);
  });

  it('has at least a single-DC and a multi-DC example', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining(['single-dc', 'multi-dc']));
    const multi = loadConfigFile(join(REPO_ROOT, 'examples', 'multi-dc', 'helios.yaml'));
    expect(multi.clusters.filter((c) => c.role.globalQuery)).toHaveLength(1);
    expect(new Set(multi.clusters.map((c) => c.datacenter)).size).toBeGreaterThanOrEqual(2);
  });
});

describe('the layout of dist/', () => {
  it('puts every object at <cluster>/<namespace or "cluster">/<component>.yaml', () => {
    const { files } = synthesize(parseConfig(EMBEDDED_DEFAULT_CONFIG, EMBEDDED_DEFAULT_SOURCE));
    for (const f of files) {
      const [cluster, folder, file] = f.path.split('/');
      expect(cluster).toBe('helios');
      for (const o of f.objects) {
        expect(folder).toBe(o.metadata.namespace ?? 'cluster');
        expect(file).toBe(`${o.metadata.labels!['app.kubernetes.io/name']}.yaml`);
      }
    }
    // Names in dist/ never carry the synthesis order.
    expect(files.every((f) => !/\/\d{4}-/.test(f.path))).toBe(true);
    expect(readFileSync(join(REPO_ROOT, 'dist', 'helios', 'cluster', 'helios-namespaces.yaml'), 'utf8')).toMatch(/^apiVersion: v1\nkind: Namespace\n/);
  });
});
