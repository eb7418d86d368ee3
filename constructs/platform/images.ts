import { isLatestTag } from './security.js';

/**
 * Every container image Helios deploys, pinned, in one place. A user can point all
 * of them at a mirror (`registry`) and move single components to another tag (`tags`).
 */
export const IMAGE_CATALOG = {
  'gnmic': { repository: 'ghcr.io/openconfig/gnmic', tag: '0.45.0' },
  'snmp-exporter': { repository: 'quay.io/prometheus/snmp-exporter', tag: 'v0.30.1' },
  'blackbox-exporter': { repository: 'quay.io/prometheus/blackbox-exporter', tag: 'v0.28.0' },
  'prometheus': { repository: 'quay.io/prometheus/prometheus', tag: 'v3.5.0' },
  'alertmanager': { repository: 'quay.io/prometheus/alertmanager', tag: 'v0.28.1' },
  'pushgateway': { repository: 'quay.io/prometheus/pushgateway', tag: 'v1.11.1' },
  // v0.42+: the global query's per-endpoint TLS settings (server name, client certificate) per member.
  'thanos': { repository: 'quay.io/thanos/thanos', tag: 'v0.42.4' },
  'minio': { repository: 'quay.io/minio/minio', tag: 'RELEASE.2025-04-22T22-12-26Z' },
  'minio-client': { repository: 'quay.io/minio/mc', tag: 'RELEASE.2025-04-16T18-13-26Z' },
  'grafana': { repository: 'docker.io/grafana/grafana', tag: '12.1.1' },
  'goflow2': { repository: 'docker.io/netsampler/goflow2', tag: 'v2.2.6' },
  // Built from services/flow-enricher (its Dockerfile); `images.registry` points it at a private registry.
  'flow-enricher': { repository: 'ghcr.io/helios-netobs/flow-enricher', tag: '0.1.0' },
  'geoipupdate': { repository: 'ghcr.io/maxmind/geoipupdate', tag: 'v7.1.1' },
  'clickhouse-server': { repository: 'docker.io/clickhouse/clickhouse-server', tag: '26.3' },
  'clickhouse-keeper': { repository: 'docker.io/clickhouse/clickhouse-keeper', tag: '26.3' },
  // Built from services/target-generator (its Dockerfile), like flow-enricher.
  'target-generator': { repository: 'ghcr.io/helios-netobs/target-generator', tag: '0.1.0' },
  // Built from services/runbook-operator (its Dockerfile): the operator and, in its Jobs, the executor.
  'runbook-operator': { repository: 'ghcr.io/helios-netobs/runbook-operator', tag: '0.1.0' },
} as const satisfies Record<string, { repository: string; tag: string }>;

export type ImageName = keyof typeof IMAGE_CATALOG;

export const IMAGE_NAMES = Object.keys(IMAGE_CATALOG) as readonly ImageName[];

export interface ImageOverrides {
  /**
   * A registry (with an optional path) that replaces the registry host of every image,
   * e.g. `registry.corp.example/mirror` turns `quay.io/thanos/thanos` into
   * `registry.corp.example/mirror/thanos/thanos`.
   * @default - each image's upstream registry
   */
  readonly registry?: string;
  /** Tags that replace the pinned tag of single images. @default - the pinned tags */
  readonly tags?: Readonly<Partial<Record<ImageName, string>>>;
}

/** Resolves a catalog name to the image reference a container uses. */
export function resolveImage(name: ImageName, overrides: ImageOverrides = {}): string {
  const entry = IMAGE_CATALOG[name];
  const tag = overrides.tags?.[name] ?? entry.tag;
  if (isLatestTag(tag)) {
    throw new Error(`images.tags.${name}: "${tag}" is not a pinned tag (latest, in any case, moves); name a version`);
  }
  const repository = overrides.registry
    ? `${overrides.registry.replace(/\/+$/, '')}/${entry.repository.split('/').slice(1).join('/')}`
    : entry.repository;
  return `${repository}:${tag}`;
}
