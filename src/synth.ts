import { App, Chart } from 'cdk8s';
import { ClusterChart } from './app.js';
import type { HeliosConfig } from './config/load.js';
import { layoutCluster, renderYaml, type KubeObject, type ManifestFile } from './manifests.js';
import { clusterWarnings, planCluster } from './plan.js';
import { ARGOCD_FOLDER, ArgoCdFleet } from '../constructs/federation/argocd.js';

export interface SynthOutput {
  /** Files per cluster, in path order. */
  readonly files: readonly ManifestFile[];
  /** The bytes of each file, keyed by path relative to the output folder. */
  readonly rendered: ReadonlyMap<string, string>;
  /** What the config leaves open, each as `<file>: clusters[i].<path>: <message>`; synth succeeds regardless. */
  readonly warnings: readonly string[];
}

/** Builds every cluster of a config in memory; writes nothing. */
export function synthesize(config: HeliosConfig): SynthOutput {
  const app = new App();
  const charts = config.clusters.map((cluster) => new ClusterChart(app, planCluster(cluster, config.clusters)));
  const files = charts.flatMap((chart) => layoutCluster(chart.node.id, chart.toJson() as KubeObject[]));
  if (config.gitops) {
    const chart = new Chart(app, ARGOCD_FOLDER, { disableResourceNameHashes: true });
    new ArgoCdFleet(chart, 'fleet', {
      ...config.gitops,
      clusters: config.clusters.map((c) => ({ name: c.name })),
      clusterScopedKinds: files.flatMap((f) => f.objects).filter((o) => o.metadata.namespace === undefined)
        .map((o) => ({ group: o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '', kind: o.kind })),
    });
    files.push(...layoutCluster(ARGOCD_FOLDER, chart.toJson() as KubeObject[]));
  }
  const rendered = new Map(files.map((f) => [f.path, renderYaml(f.objects)]));
  const warnings = config.clusters.flatMap((cluster, i) => clusterWarnings(cluster)
    .map((w) => `${config.source}: clusters[${i}].${w.path}: ${w.message}`));
  return { files, rendered, warnings };
}
