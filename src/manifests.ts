import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { HeliosLabel } from '../constructs/platform/labels.js';

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** One file of synthesized output and the objects it holds, in order. */
export interface ManifestFile {
  /** Path relative to the output folder, with "/" separators. */
  readonly path: string;
  readonly objects: readonly KubeObject[];
}

/** The folder of a cluster's output that holds objects without a namespace. */
export const CLUSTER_SCOPED_DIR = 'cluster';

/**
 * The layout of dist/: `<cluster>/<namespace>/<component>.yaml`, with cluster-scoped
 * objects under `<cluster>/cluster/`. A component is the `app.kubernetes.io/name` of
 * the objects; paths depend only on names Helios fixes, never on synthesis order,
 * so a diff of dist/ shows what changed and where.
 */
export function layoutCluster(cluster: string, objects: readonly KubeObject[]): ManifestFile[] {
  const files = new Map<string, KubeObject[]>();
  for (const obj of objects) {
    const component = obj.metadata.labels?.[HeliosLabel.NAME];
    if (!component) {
      throw new Error(`${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name} has no ${HeliosLabel.NAME} label, so it belongs to no output file`);
    }
    const path = `${cluster}/${obj.metadata.namespace ?? CLUSTER_SCOPED_DIR}/${component}.yaml`;
    files.set(path, [...(files.get(path) ?? []), obj]);
  }
  return [...files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, objs]) => ({ path, objects: objs }));
}

/**
 * The output in YAML that YAML 1.1 readers (kubectl, the API server, Argo CD) read back
 * the same: strings such as `off`, `yes` or `0755` are quoted, or they would arrive
 * as booleans and numbers.
 */
export function renderYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false, version: '1.1' })).join('---\n');
}

/** Reads a synthesized tree back (for validation and tests). */
export function readManifestTree(root: string): ManifestFile[] {
  const files: ManifestFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.name.endsWith('.yaml')) {
        const docs = parseAllDocuments(readFileSync(full, 'utf8'));
        const objects = docs.map((d) => d.toJS() as KubeObject).filter((o) => o !== null);
        files.push({ path: relative(root, full).split('\\').join('/'), objects });
      }
    }
  };
  walk(root);
  return files;
}
