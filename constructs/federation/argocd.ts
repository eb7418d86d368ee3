import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { HeliosLabel, PART_OF } from '../platform/labels.js';

/** A cluster of the fleet, as Argo CD knows it. */
export interface FleetCluster {
  /** The Helios cluster name: its folder in the output and its name among Argo CD's clusters. */
  readonly name: string;
}

/** A cluster-scoped kind the output holds, for the AppProject's allow-list. */
export interface ClusterScopedKind {
  /** The API group ("" for the core group). */
  readonly group: string;
  readonly kind: string;
}

export interface ArgoCdFleetProps {
  /** The Git repository that holds the committed output. */
  readonly repoUrl: string;
  /** The branch, tag or commit to follow. @default "HEAD" */
  readonly revision?: string;
  /** Where the output is in the repository. @default "dist" */
  readonly path?: string;
  /** The namespace Argo CD runs in. @default "argocd" */
  readonly namespace?: string;
  /** Sync automatically, pruning what the output no longer holds, and undo drift. @default false */
  readonly automatedSync?: boolean;
  readonly clusters: readonly FleetCluster[];
  /** The cluster-scoped kinds the output holds: the only ones the project may create. */
  readonly clusterScopedKinds: readonly ClusterScopedKind[];
}

/** The folder of each cluster's output that holds its cluster-scoped objects. */
const CLUSTER_FOLDER = 'cluster';
/** The folder of the output that holds these objects, left out of the generator. */
export const ARGOCD_FOLDER = 'argocd';
/** The label RollingSync orders Applications by: cluster-scoped objects (CRDs, namespaces, policies) first. */
export const SYNC_WAVE_LABEL = 'helios.io/sync-wave';
const PROJECT = 'helios';

/**
 * GitOps for the fleet (FR-025): an AppProject that may deploy the output's objects only
 * to the fleet's clusters, and an ApplicationSet whose Git directory generator makes one
 * Application per cluster × folder of the output (`<cluster>/<namespace>/`, and
 * `<cluster>/cluster/` for cluster-scoped objects). Each Application goes to the Argo CD
 * cluster of the folder's cluster name, applies server-side, and the RollingSync strategy
 * syncs every `cluster/` folder (wave 0) before any namespace folder (wave 1).
 */
export class ArgoCdFleet extends Construct {
  public readonly applicationSet: ApiObject;
  public readonly project: ApiObject;

  public constructor(scope: Construct, id: string, props: ArgoCdFleetProps) {
    super(scope, id);
    const namespace = props.namespace ?? 'argocd';
    const path = (props.path ?? 'dist').replace(/^\/+|\/+$/g, '');
    const revision = props.revision ?? 'HEAD';
    if (props.clusters.length === 0) throw new Error('argocd: the fleet needs at least one cluster');
    const names = props.clusters.map((c) => c.name);
    if (names.includes(ARGOCD_FOLDER)) throw new Error(`argocd: a cluster may not be named "${ARGOCD_FOLDER}", the folder of the Argo CD objects`);
    // The generator's path parameters count from the repository root: the cluster is the segment after the prefix.
    const clusterSegment = path.split('/').length;
    const labels = { [HeliosLabel.NAME]: 'helios-gitops', [HeliosLabel.COMPONENT]: 'gitops', [HeliosLabel.PART_OF]: PART_OF, [HeliosLabel.MANAGED_BY]: 'helios' };
    const isClusterFolder = `eq .path.basename "${CLUSTER_FOLDER}"`;
    const wave = `{{ if ${isClusterFolder} }}0{{ else }}1{{ end }}`;

    this.project = new ApiObject(this, 'project', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: PROJECT, namespace, labels },
      spec: {
        description: 'Helios: the synthesized output of every cluster of the fleet',
        sourceRepos: [props.repoUrl],
        destinations: [...names].sort().map((name) => ({ name, namespace: '*' })),
        clusterResourceWhitelist: dedupeKinds(props.clusterScopedKinds),
        namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });

    this.applicationSet = new ApiObject(this, 'application-set', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: PROJECT, namespace, labels },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [{
          git: {
            repoURL: props.repoUrl,
            revision,
            directories: [
              { path: `${path}/*/*` },
              { path: `${path}/${ARGOCD_FOLDER}/*`, exclude: true },
            ],
          },
        }],
        strategy: {
          type: 'RollingSync',
          rollingSync: {
            steps: ['0', '1'].map((value) => ({ matchExpressions: [{ key: SYNC_WAVE_LABEL, operator: 'In', values: [value] }] })),
          },
        },
        template: {
          metadata: {
            name: `helios-{{ index .path.segments ${clusterSegment} }}-{{ .path.basename }}`,
            labels: { ...labels, [SYNC_WAVE_LABEL]: wave },
            annotations: { 'argocd.argoproj.io/sync-wave': wave },
          },
          spec: {
            project: PROJECT,
            source: { repoURL: props.repoUrl, targetRevision: revision, path: '{{ .path.path }}', directory: { recurse: false } },
            destination: { name: `{{ index .path.segments ${clusterSegment} }}` },
            syncPolicy: {
              ...(props.automatedSync ? { automated: { prune: true, selfHeal: true } } : {}),
              // Namespaces come from the cluster/ folder; the output's objects are large (CRDs, dashboards).
              syncOptions: ['ServerSideApply=true', 'CreateNamespace=false', 'PruneLast=true'],
            },
          },
        },
      },
    });
  }
}

function dedupeKinds(kinds: readonly ClusterScopedKind[]): ClusterScopedKind[] {
  const seen = new Map(kinds.map((k) => [`${k.group}/${k.kind}`, { group: k.group, kind: k.kind }]));
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, k]) => k);
}
