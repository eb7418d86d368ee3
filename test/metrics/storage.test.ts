import { Testing } from 'cdk8s';
import { all, clusterObjects, containerArgs, find, flagValues, oneCluster, parseYaml, renderExternalSecret, synthObjects } from './support.js';
import { Minio, PlatformBase, ThanosCompactor, ObjectStore, FlowPeer } from '../../constructs/index.js';
import { TIER_NAMES, TIERS } from '../../src/config/tiers.js';

const S3 = '{ endpoint: s3.eu-central-1.amazonaws.com, region: eu-central-1, bucket: helios-archive, accessKey: { key: helios/s3, property: access-key }, secretKey: { key: helios/s3, property: secret-key } }';
const TOPOLOGIES: Record<string, string> = {
  'single-dc-minio': '{ topology: single-dc-minio, bucket: helios-metrics }',
  'cloud-s3': `{ topology: cloud-s3, s3: ${S3} }`,
  'hybrid': `{ topology: hybrid, bucket: helios-metrics, s3: ${S3} }`,
};
const CREDENTIALS = { accessKey: 'AKIA"TEST:1', secretKey: 'se#cret: "x"' };

/** The objstore.yml every Thanos component reads, rendered as ESO would. */
function objstore(objects: any[]): any {
  return parseYaml(renderExternalSecret(find(objects, 'ExternalSecret', 'thanos-objstore', 'helios-storage'), CREDENTIALS)['objstore.yml']);
}

const THANOS_WORKLOADS: Array<[string, string]> = [['StatefulSet', 'thanos-store'], ['StatefulSet', 'thanos-ruler'], ['StatefulSet', 'thanos-compactor']];

describe('the Thanos object-store config, one rendering per topology', () => {
  it('single-dc-minio: the bucket in the cluster\'s MinIO, path-style, plain HTTP inside the cluster', () => {
    const objects = clusterObjects(oneCluster({ storage: TOPOLOGIES['single-dc-minio'] }));
    expect(objstore(objects)).toEqual({
      type: 'S3',
      config: {
        bucket: 'helios-metrics',
        endpoint: 'minio.helios-storage.svc.cluster.local:9000',
        insecure: true,
        bucket_lookup_type: 'path',
        access_key: CREDENTIALS.accessKey,
        secret_key: CREDENTIALS.secretKey,
      },
    });
    const secret = find(objects, 'ExternalSecret', 'thanos-objstore', 'helios-storage');
    expect(secret.spec.data.map((d: any) => d.remoteRef)).toEqual([
      { key: 'helios/minio', property: 'thanos-access-key' },
      { key: 'helios/minio', property: 'thanos-secret-key' },
    ]);
    expect(all(objects, 'StatefulSet').map((s) => s.metadata.name)).toContain('minio');
  });

  it('cloud-s3: the S3 bucket over TLS, its credentials from the store, and no MinIO', () => {
    const objects = clusterObjects(oneCluster({ storage: TOPOLOGIES['cloud-s3'] }));
    expect(objstore(objects).config).toEqual({
      bucket: 'helios-archive',
      endpoint: 's3.eu-central-1.amazonaws.com',
      region: 'eu-central-1',
      insecure: false,
      bucket_lookup_type: 'auto',
      access_key: CREDENTIALS.accessKey,
      secret_key: CREDENTIALS.secretKey,
    });
    expect(find(objects, 'ExternalSecret', 'thanos-objstore', 'helios-storage').spec.data.map((d: any) => d.remoteRef))
      .toEqual([{ key: 'helios/s3', property: 'access-key' }, { key: 'helios/s3', property: 'secret-key' }]);
    expect(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name']?.startsWith('minio'))).toEqual([]);
    const store = find(objects, 'NetworkPolicy', 'thanos-store', 'helios-storage');
    expect(store.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] });
  });

  it('hybrid: Thanos writes to MinIO, which moves objects older than 30 days to the S3 tier', () => {
    const objects = clusterObjects(oneCluster({ storage: TOPOLOGIES.hybrid }));
    expect(objstore(objects).config.endpoint).toBe('minio.helios-storage.svc.cluster.local:9000');
    expect(objstore(objects).config.bucket).toBe('helios-metrics');
    const setup = find(objects, 'ConfigMap', 'minio-setup', 'helios-storage');
    expect(JSON.parse(setup.data['lifecycle.json']).Rules).toContainEqual({
      ID: 'tier-to-s3', Status: 'Enabled', Filter: { Prefix: '' }, Transition: { Days: 30, StorageClass: 'HELIOS-S3' },
    });
    expect(setup.data['setup.sh']).toContain('mc ilm tier add s3 helios HELIOS-S3 --endpoint "https://s3.eu-central-1.amazonaws.com" --region "eu-central-1"');
    expect(setup.data['setup.sh']).toContain('--bucket "helios-archive"');
    const minioPolicy = find(objects, 'NetworkPolicy', 'minio', 'helios-storage');
    expect(minioPolicy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] });
  });

  it('multi-dc-minio: each cluster writes its own MinIO; only the compactor cluster compacts', () => {
    const fleet = synthObjects(`defaults:
  managementNetworks: [10.0.0.0/8]
  netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
  storage: { topology: multi-dc-minio, replicationGroup: eu }
clusters:
  - { name: fra1, datacenter: fra1, tier: large, role: { compactor: true }, storage: { site: { url: "https://minio.fra1.example.net", networks: [192.0.2.0/28] } } }
  - { name: ams1, datacenter: ams1, tier: medium, storage: { site: { url: "https://minio.ams1.example.net", networks: [192.0.2.16/28] } } }
`);
    for (const cluster of ['fra1', 'ams1']) {
      expect(objstore(fleet.get(cluster)!).config.endpoint).toBe('minio.helios-storage.svc.cluster.local:9000');
    }
    expect(all(fleet.get('fra1')!, 'StatefulSet').map((s) => s.metadata.name)).toContain('thanos-compactor');
    expect(all(fleet.get('ams1')!, 'StatefulSet').map((s) => s.metadata.name)).not.toContain('thanos-compactor');
    expect(all(fleet.get('ams1')!, 'PrometheusRule').map((r) => r.metadata.name)).not.toContain('thanos-compactor');
  });

  it('is the one Secret the sidecars and every Thanos component mount', () => {
    const objects = clusterObjects(oneCluster());
    for (const [kind, name] of THANOS_WORKLOADS) {
      const pod = find(objects, kind, name, 'helios-storage').spec.template.spec;
      expect(pod.volumes).toContainEqual({ name: 'objstore', secret: { secretName: 'thanos-objstore', items: [{ key: 'objstore.yml', path: 'objstore.yml' }] } });
      expect(flagValues(pod.containers[0].args, 'objstore.config-file')).toEqual(['/etc/thanos/objstore/objstore.yml']);
    }
    expect(find(objects, 'Prometheus', 'helios', 'helios-storage').spec.thanos.objectStorageConfig).toEqual({ name: 'thanos-objstore', key: 'objstore.yml' });
    expect(all(objects, 'Secret')).toEqual([]);
  });
});

describe('the Thanos Compactor', () => {
  const compactor = () => find(clusterObjects(oneCluster()), 'StatefulSet', 'thanos-compactor', 'helios-storage');

  it('is a singleton: one replica of a StatefulSet that deletes the old pod before starting a new one', () => {
    const c = compactor();
    expect(c.spec.replicas).toBe(1);
    expect(c.spec.podManagementPolicy).toBe('OrderedReady');
    expect(c.spec.updateStrategy).toEqual({ type: 'RollingUpdate' });
    expect(all(clusterObjects(oneCluster()), 'PodDisruptionBudget').map((p) => p.metadata.name)).not.toContain('thanos-compactor');
  });

  it('keeps raw data 14 days, 5-minute 30 days, 1-hour 90 days, downsamples and keeps running', () => {
    const args = containerArgs(compactor());
    expect(args[0]).toBe('compact');
    expect(flagValues(args, 'retention.resolution-raw')).toEqual(['14d']);
    expect(flagValues(args, 'retention.resolution-5m')).toEqual(['30d']);
    expect(flagValues(args, 'retention.resolution-1h')).toEqual(['90d']);
    expect(args).toContain('--wait');
    expect(args.filter((a) => a.startsWith('--downsampling.disable'))).toEqual([]);
  });

  it('refuses retentions the compactor would refuse at start, saying why', () => {
    const platform = new PlatformBase(Testing.chart(), 'p', { clusterName: 'c', site: 's' });
    const objectStore = new ObjectStore(platform, 'os', {
      platform,
      location: { bucket: 'b', endpoint: 'minio:9000', insecure: true, pathStyle: true },
      accessKey: { key: 'k' },
      secretKey: { key: 'k' },
      peer: FlowPeer.networks('x', ['10.0.0.0/8']),
    });
    const make = (retention: object) => () => new ThanosCompactor(platform, `c${JSON.stringify(retention).length}`, {
      platform, objectStore, volumeGiB: 10, resources: TIERS.small.thanosCompactor.resources, retention,
    });
    expect(make({ rawDays: 1 })).toThrow('thanos-compactor: retention.rawDays 1 is shorter than the 40 hours after which raw data is downsampled; allowed: 2 or more');
    expect(make({ fiveMinuteDays: 7 })).toThrow(/retention.fiveMinuteDays 7 is shorter than the 10 days/);
    expect(make({ rawDays: 40, fiveMinuteDays: 30 })).toThrow(/must not shrink/);
  });
});

describe('Thanos Query', () => {
  const objects = clusterObjects(oneCluster());
  const query = find(objects, 'Deployment', 'thanos-query', 'helios-storage');

  it('deduplicates on the Prometheus and Ruler replica labels with the penalty algorithm', () => {
    const args = containerArgs(query);
    expect(flagValues(args, 'query.replica-label')).toEqual(['prometheus_replica', 'rule_replica']);
    expect(flagValues(args, 'deduplication.func')).toEqual(['penalty']);
    expect(find(objects, 'Prometheus', 'helios', 'helios-storage').spec.replicaExternalLabelName).toBe('prometheus_replica');
  });

  it('finds the sidecars, the Store Gateway and the Ruler through an SD config file, not the deprecated --endpoint', () => {
    const args = containerArgs(query);
    expect(args.filter((a) => a.startsWith('--endpoint=') || a.startsWith('--store='))).toEqual([]);
    expect(flagValues(args, 'endpoint.sd-config-file')).toEqual(['/etc/thanos/endpoints/endpoints.yaml']);
    const file = parseYaml(find(objects, 'ConfigMap', 'thanos-query-endpoints', 'helios-storage').data['endpoints.yaml']);
    expect(file.endpoints.map((e: any) => e.address)).toEqual([
      'dnssrv+_grpc._tcp.prometheus-operated.helios-storage.svc.cluster.local',
      'dnssrv+_grpc._tcp.thanos-ruler.helios-storage.svc.cluster.local',
      'dnssrv+_grpc._tcp.thanos-store.helios-storage.svc.cluster.local',
    ]);
    const policy = find(objects, 'NetworkPolicy', 'thanos-query', 'helios-storage');
    for (const name of ['prometheus', 'thanos-store', 'thanos-ruler']) {
      expect(policy.spec.egress).toContainEqual(expect.objectContaining({
        to: [expect.objectContaining({ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': name }) } })],
        ports: [{ port: 10901, protocol: 'TCP' }],
      }));
    }
  });

  it('runs the tier\'s replicas, the Store Gateway its index cache', () => {
    for (const tier of TIER_NAMES) {
      const o = clusterObjects(oneCluster({ tier }));
      expect(find(o, 'Deployment', 'thanos-query', 'helios-storage').spec.replicas).toBe(TIERS[tier].thanosQuery.replicas);
      const store = find(o, 'StatefulSet', 'thanos-store', 'helios-storage');
      expect(store.spec.replicas).toBe(TIERS[tier].thanosStore.replicas);
      expect(flagValues(containerArgs(store), 'index-cache-size')).toEqual([`${TIERS[tier].thanosStore.indexCacheMiB}MB`]);
    }
  });
});

describe('MinIO per tier', () => {
  it.each(TIER_NAMES)('%s: the tier\'s servers and drives, erasure-coded from four drives on', (tier) => {
    const { servers, drivesPerServer, volumeGiB } = TIERS[tier].minio;
    const minio = find(clusterObjects(oneCluster({ tier })), 'StatefulSet', 'minio', 'helios-storage');
    expect(minio.spec.replicas).toBe(servers);
    expect(minio.spec.volumeClaimTemplates.map((v: any) => v.spec.resources.requests.storage)).toEqual(Array(drivesPerServer).fill(`${volumeGiB}Gi`));
    const args = containerArgs(minio);
    const drives = drivesPerServer === 1 ? '/data0' : `/data{0...${drivesPerServer - 1}}`;
    if (servers * drivesPerServer === 1) {
      expect(args.at(-1)).toBe('/data0');
    } else {
      expect(servers * drivesPerServer).toBeGreaterThanOrEqual(4);
      expect(args.at(-1)).toBe(`http://minio-{0...${servers - 1}}.minio-hl.helios-storage.svc.cluster.local:9000${drives}`);
      expect(minio.spec.podManagementPolicy).toBe('Parallel');
    }
  });

  it('refuses a drive count that can be neither a single drive nor erasure-coded', () => {
    const platform = new PlatformBase(Testing.chart(), 'p', { clusterName: 'c', site: 's' });
    expect(() => new Minio(platform, 'm', { platform, servers: 3, drivesPerServer: 1, volumeGiB: 10, resources: TIERS.small.minio.resources, bucket: 'b' }))
      .toThrow('minio: 3 server(s) × 1 drive(s) = 3 drives; erasure coding needs at least 4 drives (or run 1 server with 1 drive)');
  });

  it('the setup Job versions the bucket, expires noncurrent versions and creates the Thanos user, idempotently', () => {
    const objects = clusterObjects(oneCluster());
    const setup = find(objects, 'ConfigMap', 'minio-setup', 'helios-storage');
    const script: string = setup.data['setup.sh'];
    expect(script).toContain('mc mb --ignore-existing helios/helios-metrics');
    expect(script).toContain('mc version enable helios/helios-metrics');
    expect(script).toContain('mc ilm import helios/helios-metrics < /config/lifecycle.json');
    expect(JSON.parse(setup.data['lifecycle.json'])).toEqual({
      Rules: [{
        ID: 'expire-noncurrent-versions',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        Expiration: { ExpiredObjectDeleteMarker: true },
        NoncurrentVersionExpiration: { NoncurrentDays: 7 },
      }],
    });
    expect(JSON.parse(setup.data['thanos-policy.json']).Statement.flatMap((s: any) => s.Resource))
      .toEqual(['arn:aws:s3:::helios-metrics', 'arn:aws:s3:::helios-metrics/*']);
    const job = all(objects, 'Job').find((j) => j.metadata.name.startsWith('minio-setup-'));
    expect(job.metadata.name).toMatch(/^minio-setup-[0-9a-f]{8}$/);
    expect(job.spec.template.spec.containers[0].image).toBe('quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z');
    // Credentials reach the Job as environment from the ExternalSecret, never as text.
    expect(job.spec.template.spec.containers[0].env.filter((e: any) => /USER|PASSWORD|KEY/.test(e.name)).every((e: any) => e.valueFrom?.secretKeyRef?.name === 'minio-setup')).toBe(true);
  });
});
