import type { ClusterConfig } from './config/schema.js';
import type { PlatformBaseProps } from '../constructs/platform/platform-base.js';
import { SecretStoreKind } from '../constructs/platform/platform-base.js';

/**
 * Everything needed to build one cluster's charts, resolved from its config:
 * construct props with numbers, never tier names.
 */
export interface ClusterPlan {
  readonly name: string;
  readonly platform: PlatformBaseProps;
}

export function planCluster(cluster: ClusterConfig): ClusterPlan {
  return {
    name: cluster.name,
    platform: {
      clusterName: cluster.name,
      site: cluster.datacenter,
      region: cluster.region,
      secretStore: {
        name: cluster.secretStore.name,
        kind: cluster.secretStore.kind === 'SecretStore' ? SecretStoreKind.SECRET_STORE : SecretStoreKind.CLUSTER_SECRET_STORE,
      },
      vault: cluster.secretStore.vault,
      images: cluster.images,
      accessGroups: cluster.oidc?.groups,
    },
  };
}
