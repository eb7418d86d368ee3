import { join } from 'node:path';
import { resolveImage } from '../../constructs/platform/images.js';
import { secureContainer } from '../../constructs/platform/security.js';
import { parseConfig } from '../../src/config/load.js';
import { readManifestTree, type KubeObject } from '../../src/manifests.js';
import { synthesize } from '../../src/synth.js';
import { EXAMPLES } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';

const resources = { cpuRequestMilli: 10, cpuLimitMilli: 20, memoryRequestMiB: 16, memoryLimitMiB: 32 };

describe('image tags', () => {
  it.each(['latest', 'Latest', 'LATEST', 'laTEst'])('refuses the tag %s when a construct resolves an image', (tag) => {
    expect(() => resolveImage('grafana', { tags: { grafana: tag } }))
      .toThrow(`images.tags.grafana: "${tag}" is not a pinned tag (latest, in any case, moves); name a version`);
  });

  it('refuses a container whose image is tagged Latest', () => {
    expect(() => secureContainer({ name: 'grafana', image: 'docker.io/grafana/grafana:Latest', resources, readinessProbe: {}, livenessProbe: {} }))
      .toThrow('container grafana: image "docker.io/grafana/grafana:Latest" is not pinned');
  });

  it('accepts a version tag that merely contains "latest"', () => {
    expect(resolveImage('grafana', { tags: { grafana: 'latest-12.1.1' } })).toBe('docker.io/grafana/grafana:latest-12.1.1');
  });
});

// With a database Grafana runs several replicas; the examples keep SQLite and one.
const GRAFANA_WITH_DATABASE = `clusters:
  - name: ams1
    datacenter: ams1
    tier: large
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
    grafana:
      database:
        host: postgres.example.net
        password: { key: helios/grafana-db, property: password }
        networks: [192.0.2.0/24]
`;

describe('every workload that may run more than one pod', () => {
  const outputs: Array<[string, KubeObject[]]> = [
    ...['dist', ...EXAMPLES.map((e) => join('examples', e, 'dist'))]
      .map((dir): [string, KubeObject[]] => [dir, readManifestTree(join(REPO_ROOT, dir)).flatMap((f) => [...f.objects])]),
    ['Grafana with a database', synthesize(parseConfig(GRAFANA_WITH_DATABASE, 'grafana.yaml')).files.flatMap((f) => [...f.objects])],
  ];

  it('includes Grafana with several replicas', () => {
    const grafana: any = outputs.at(-1)![1].find((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana');
    expect(grafana.spec.replicas).toBeGreaterThan(1);
  });

  it.each(outputs)('%s: prefers one pod per node', (_name, objects) => {
    const autoscaled = new Set(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')
      .map((o: any) => `${o.spec.scaleTargetRef.kind} ${o.metadata.namespace}/${o.spec.scaleTargetRef.name}`));
    const replicated = objects.filter((o: any) => ['Deployment', 'StatefulSet'].includes(o.kind)
      && ((o.spec.replicas ?? 1) > 1 || autoscaled.has(`${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)));
    expect(replicated.length).toBeGreaterThan(0);
    const unspread = replicated.filter((o: any) => {
      const terms = o.spec.template.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      return !terms.some((t: any) => t.podAffinityTerm.topologyKey === 'kubernetes.io/hostname'
        && Object.entries<string>(t.podAffinityTerm.labelSelector.matchLabels).every(([k, v]) => o.spec.template.metadata.labels[k] === v));
    });
    expect(unspread.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([]);
  });
});
