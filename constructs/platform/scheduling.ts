import type { k8s } from 'cdk8s-plus-28';

/**
 * Prefer one pod per node, so a node failure takes as few replicas as possible.
 * Every replicated workload uses it; "preferred" keeps a small cluster schedulable.
 */
export function spreadOverNodes(selector: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...selector } } },
      }],
    },
  };
}
