import { Testing } from 'cdk8s';
import { all, clusterObjects, find, oneCluster } from './support.js';
import { PlatformBase } from '../../constructs/index.js';
import { PROMETHEUS_TARGET_SETS, SCRAPE_OBJECT_SELECTOR } from '../../constructs/metrics/prometheus.js';
import { HELIOS_NAMESPACES } from '../../constructs/platform/namespaces.js';
import { TARGETS_MOUNT_PATH, targetConfigMapName, TARGET_SHARDS_MAX } from '../../constructs/platform/targets.js';
import { TIER_NAMES, TIERS } from '../../src/config/tiers.js';

const objects = clusterObjects(oneCluster({ tier: 'large' }));
const prometheus = find(objects, 'Prometheus', 'helios', 'helios-storage');

describe('the Prometheus resource', () => {
  it.each(TIER_NAMES)('%s: shards, replicas, local retention and volume from the tier table', (tier) => {
    const p = find(clusterObjects(oneCluster({ tier })), 'Prometheus', 'helios', 'helios-storage');
    const t = TIERS[tier].prometheus;
    expect([p.spec.shards, p.spec.replicas, p.spec.retention, p.spec.storage.volumeClaimTemplate.spec.resources.requests.storage])
      .toEqual([t.shards, t.replicasPerShard, `${t.retentionHours}h`, `${t.volumeGiB}Gi`]);
  });

  it('labels its pods so that the platform\'s scrape flows select them', () => {
    const platform = new PlatformBase(Testing.chart(), 'p', { clusterName: 'c', site: 's' });
    // The operator adds operator.prometheus.io/name=<resource name>; podMetadata gives the rest.
    const podLabels = { ...prometheus.spec.podMetadata.labels, 'operator.prometheus.io/name': prometheus.metadata.name };
    expect(podLabels).toMatchObject(platform.metricsScraper.podSelector);
    expect(podLabels).toMatchObject({ 'app.kubernetes.io/part-of': 'helios', 'helios.io/cluster': 'dc1', 'helios.io/site': 'ams1' });
  });

  it('names the cluster and datacenter in external labels, the replica in the operator\'s label, and nothing per shard', () => {
    expect(prometheus.spec.externalLabels).toEqual({ cluster: 'dc1', datacenter: 'ams1' });
    expect(prometheus.spec.replicaExternalLabelName).toBe('prometheus_replica');
  });

  it('loads scrape objects and rules labelled part-of=helios from the Helios namespaces only', () => {
    for (const kind of ['serviceMonitor', 'podMonitor', 'probe', 'scrapeConfig', 'rule']) {
      expect(prometheus.spec[`${kind}Selector`]).toEqual({ matchLabels: SCRAPE_OBJECT_SELECTOR });
      expect(prometheus.spec[`${kind}NamespaceSelector`]).toEqual({
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...HELIOS_NAMESPACES] }],
      });
    }
  });

  it('mounts every possible shard of the file_sd target sets, each optional, whole (no subPath), at the contract\'s path', () => {
    expect(prometheus.spec.volumeMounts).toEqual([{ name: 'targets', mountPath: TARGETS_MOUNT_PATH, readOnly: true }]);
    const [volume] = prometheus.spec.volumes;
    const expected = [...PROMETHEUS_TARGET_SETS].sort().flatMap((set) => Array.from(
      { length: TARGET_SHARDS_MAX },
      (_, n) => ({ configMap: { name: targetConfigMapName(set, n), optional: true } }),
    ));
    expect(volume.projected.sources).toEqual(expected);
    expect(volume.projected.sources).toHaveLength(3 * TARGET_SHARDS_MAX);
  });

  it('runs pinned Prometheus and Thanos sidecar images, restricted, with requests and limits', () => {
    expect(prometheus.spec.image).toBe('quay.io/prometheus/prometheus:v3.5.0');
    expect(prometheus.spec.version).toBe('v3.5.0');
    expect(prometheus.spec.thanos.image).toBe('quay.io/thanos/thanos:v0.42.4');
    expect(prometheus.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(prometheus.spec.resources.limits).toEqual({ cpu: '4000m', memory: '8192Mi' });
    expect(prometheus.spec.thanos.resources.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(prometheus.spec.alerting.alertmanagers).toEqual([{ apiVersion: 'v2', name: 'alertmanager-operated', namespace: 'helios-visualization', port: 'web' }]);
  });

  it('may discover targets in the Helios namespaces and nowhere else, and has a disruption budget', () => {
    const bindings = all(objects, 'RoleBinding').filter((b) => b.roleRef.name === 'helios-prometheus');
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual([...HELIOS_NAMESPACES].sort());
    expect(all(objects, 'ClusterRoleBinding').filter((b) => b.roleRef.name === 'helios-prometheus')).toEqual([]);
    expect(find(objects, 'ClusterRole', 'helios-prometheus').rules.flatMap((r: any) => r.verbs)).toEqual(['get', 'list', 'watch', 'get', 'list', 'watch']);
    expect(find(objects, 'PodDisruptionBudget', 'prometheus', 'helios-storage').spec.maxUnavailable).toBe(1);
  });
});

describe('the storage flows', () => {
  const ingress = (workload: string) => find(objects, 'NetworkPolicy', workload, workload === 'alertmanager' ? 'helios-visualization' : 'helios-storage').spec.ingress;
  const fromPod = (name: string, port: number) => expect.objectContaining({
    from: [expect.objectContaining({ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': name }) } })],
    ports: [{ port, protocol: 'TCP' }],
  });

  it('Thanos Query reaches the sidecars\' StoreAPI; Prometheus and the Ruler reach Alertmanager', () => {
    expect(ingress('prometheus')).toContainEqual(fromPod('thanos-query', 10901));
    expect(ingress('alertmanager')).toContainEqual(fromPod('prometheus', 9093));
    expect(ingress('alertmanager')).toContainEqual(fromPod('thanos-ruler', 9093));
  });

  it('only the sidecars, Store Gateway, Ruler, Compactor, the setup Job and Prometheus\'s scrape reach MinIO\'s S3 port', () => {
    const from = ingress('minio').flatMap((r: any) => r.from.map((p: any) => p.podSelector.matchLabels['app.kubernetes.io/name']));
    expect([...new Set(from)].sort()).toEqual(['minio', 'minio-setup', 'prometheus', 'thanos-compactor', 'thanos-ruler', 'thanos-store']);
  });

  it('every platform component is scraped by every shard (sharding off for platform targets)', () => {
    const platformMonitors = all(objects, 'PodMonitor').filter((m) => ['helios-storage', 'helios-visualization'].includes(m.metadata.namespace));
    expect(platformMonitors.map((m) => m.metadata.name).sort()).toEqual(['alertmanager', 'grafana', 'minio', 'prometheus', 'thanos-compactor', 'thanos-query', 'thanos-ruler', 'thanos-store']);
    for (const monitor of platformMonitors) {
      for (const endpoint of monitor.spec.podMetricsEndpoints) {
        expect(endpoint.relabelings).toContainEqual({ action: 'replace', replacement: 'true', targetLabel: '__tmp_disable_sharding' });
      }
    }
  });
});
