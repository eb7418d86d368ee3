import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiServer } from './harness/kube.js';
import { parseConfig } from '../../src/config/load.js';
import { TIER_NAMES } from '../../src/config/tiers.js';
import { readManifestTree } from '../../src/manifests.js';
import { synthesize } from '../../src/synth.js';
import { writeTreeAtomically } from '../../src/write.js';
import { EXAMPLES } from '../helpers.js';
import { CRD_SETS, schemaDir } from '../schema-sources.js';
import { REPO_ROOT } from '../shared.js';
import { runDir } from './harness/ledger.mjs';

/** Every synthesized output the dry-run covers: the committed ones and one per tier. */
function outputs(): Array<[string, string]> {
  const tiers = mkdtempSync(join(runDir(), 'tiers-'));
  for (const tier of TIER_NAMES) {
    const config = parseConfig(`clusters:
  - name: ${tier}
    datacenter: dc1
    tier: ${tier}
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
`, `${tier}.yaml`);
    writeTreeAtomically(join(tiers, tier), synthesize(config).rendered);
  }
  return [
    ['dist', join(REPO_ROOT, 'dist')],
    ...EXAMPLES.map((e): [string, string] => [`examples/${e}`, join(REPO_ROOT, 'examples', e, 'dist')]),
    ...TIER_NAMES.map((t): [string, string] => [`tier ${t}`, join(tiers, t)]),
  ];
}

describe('every synthesized object, server-side applied to a real kube-apiserver with dryRun=All', () => {
  let kube: KubeApiServer;

  beforeAll(async () => {
    // Every operator's CRDs are found before the API server starts, or the run stops here.
    const crdDirs = CRD_SETS.map((operator) => [operator.name, schemaDir(operator)]);
    kube = await KubeApiServer.start();
    // The prometheus-operator CRDs exceed the 256 KiB client-side annotation: server-side apply only.
    for (const [operator, dir] of crdDirs) {
      const r = kube.kubectl(['apply', '--server-side', '--field-manager=helios-tests', '-f', dir]);
      if (r.status !== 0) throw new Error(`installing the ${operator} CRDs failed:\n${r.stderr}`);
    }
    await kube.waitForCrds();
  });

  afterAll(async () => { await kube?.stop(); });

  it('installs every operator\'s CRDs', () => {
    const crds = kube.kubectl(['get', 'crd', '-o', 'name']).stdout.trim().split('\n');
    expect(crds).toEqual(expect.arrayContaining([
      'customresourcedefinition.apiextensions.k8s.io/prometheuses.monitoring.coreos.com',
      'customresourcedefinition.apiextensions.k8s.io/kafkas.kafka.strimzi.io',
      'customresourcedefinition.apiextensions.k8s.io/clickhouseinstallations.clickhouse.altinity.com',
      'customresourcedefinition.apiextensions.k8s.io/externalsecrets.external-secrets.io',
      'customresourcedefinition.apiextensions.k8s.io/applicationsets.argoproj.io',
    ]));
  });

  it.each(outputs())('%s: every object is accepted', (name, root) => {
    const files = readManifestTree(root);
    const total = files.reduce((n, f) => n + f.objects.length, 0);
    // Namespaced objects can only be dry-run into namespaces that exist.
    for (const cluster of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
      const namespaces = join(root, cluster, 'cluster', 'helios-namespaces.yaml');
      if (!existsSync(namespaces)) {
        // dist/argocd/: the Argo CD namespace is Argo CD's own; it exists where Argo CD runs.
        for (const folder of readdirSync(join(root, cluster))) {
          kube.kubectl(['create', 'namespace', folder]);
          expect(kube.kubectl(['get', 'namespace', folder]).status).toBe(0);
        }
        continue;
      }
      const ns = kube.kubectl(['apply', '--server-side', '--field-manager=helios', '-f', namespaces]);
      expect(ns.stderr).toBe('');
    }
    const r = kube.kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=helios', '--force-conflicts', '-R', '-f', root]);
    const accepted = r.stdout.split('\n').filter((l) => l.includes('(server dry run)')).length;
    const rejected = r.stderr.split('\n').filter((l) => l.startsWith('Error from server') || l.startsWith('error:'));
    console.log(`${name}: ${accepted} objects accepted, ${rejected.length} rejected`);
    expect(rejected).toEqual([]);
    expect(r.status).toBe(0);
    expect(accepted).toBe(total);
  });

  it('rejects an unknown field in a Strimzi Kafka spec, with the API server\'s message', () => {
    const r = kube.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], `apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata: { name: flows, namespace: helios-flows }
spec:
  kafka:
    listeners: [{ name: plain, port: 9092, type: internal, tls: false }]
    brokersPerRack: 3
`);
    console.log(`API server: ${r.stderr.trim()}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('(helios-flows/flows; kafka.strimzi.io/v1, Kind=Kafka): .spec.kafka.brokersPerRack: field not declared in schema');
  });

  it('rejects a string where a Deployment wants an integer, with the API server\'s message', () => {
    const r = kube.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: { name: gnmic, namespace: helios-collection }
spec:
  replicas: "three"
  selector: { matchLabels: { app: gnmic } }
  template:
    metadata: { labels: { app: gnmic } }
    spec: { containers: [{ name: gnmic, image: "ghcr.io/openconfig/gnmic:0.45.0" }] }
`);
    console.log(`API server: ${r.stderr.trim()}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('(helios-collection/gnmic; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string');
  });
});
