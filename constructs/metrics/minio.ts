import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { endpointPort, type ObjectStoreLocation, type S3Bucket } from './object-store.js';
import { AlertRules, Severity } from './rules.js';
import { SelfMonitoring } from './self-monitoring.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { httpProbe, secureContainer, secureJobContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

/** Where MinIO moves aged objects in the hybrid topology. */
export interface MinioRemoteTier {
  readonly s3: S3Bucket;
  /** Objects older than this move to S3; MinIO keeps serving them transparently. */
  readonly transitionAfterDays: number;
}

/** The MinIO credentials in the secret store. */
export interface MinioCredentials {
  /** @default { key: "helios/minio", property: "root-user" } */
  readonly rootUser?: SecretReference;
  /** @default { key: "helios/minio", property: "root-password" } */
  readonly rootPassword?: SecretReference;
  /** The access key of the user Thanos writes as. @default { key: "helios/minio", property: "thanos-access-key" } */
  readonly thanosAccessKey?: SecretReference;
  /** @default { key: "helios/minio", property: "thanos-secret-key" } */
  readonly thanosSecretKey?: SecretReference;
}

export interface MinioProps {
  readonly platform: PlatformBase;
  /** One server runs without erasure coding; from four drives in total on, objects are erasure-coded. */
  readonly servers: number;
  readonly drivesPerServer: number;
  /** The size of each drive. */
  readonly volumeGiB: number;
  readonly resources: ResourceSizing;
  /** The bucket the setup Job creates, versions and gives a lifecycle. */
  readonly bucket: string;
  /** @default - the helios/minio key of the secret store */
  readonly credentials?: MinioCredentials;
  /**
   * Thanos deletes blocks, and a versioned bucket keeps each deleted object as a
   * noncurrent version; this many days later they are expired for good.
   * @default 7
   */
  readonly noncurrentVersionExpiryDays?: number;
  /** Move aged objects to S3 (hybrid topology). @default - every object stays in MinIO */
  readonly remoteTier?: MinioRemoteTier;
  /**
   * Whether this MinIO's setup Job creates and configures the bucket and the Thanos
   * user. A site that joins a site replication must be empty: it receives the bucket,
   * its versioning and lifecycle and the users from the group's first site.
   * @default true
   */
  readonly setup?: boolean;
}

const OWNER: ComponentIdentity = { name: 'minio', component: 'storage' };
const SETUP: ComponentIdentity = { name: 'minio-setup', component: 'storage' };
const PORT = 9000;
const NS = HeliosNamespace.STORAGE;
const HEADLESS = 'minio-hl';
/** The MinIO tier name the hybrid topology's transition rule refers to. */
export const MINIO_REMOTE_TIER = 'HELIOS-S3';

/** The drive arguments of `minio server`: one local path, local paths, or every server's paths. */
export function minioServerArgs(servers: number, drivesPerServer: number): string[] {
  checkDrives(servers, drivesPerServer);
  const drives = drivesPerServer === 1 ? '/data0' : `/data{0...${drivesPerServer - 1}}`;
  if (servers === 1) return [drives];
  return [`http://minio-{0...${servers - 1}}.${HEADLESS}.${NS}.svc.cluster.local:${PORT}${drives}`];
}

function checkDrives(servers: number, drivesPerServer: number): void {
  if (!Number.isInteger(servers) || servers < 1 || !Number.isInteger(drivesPerServer) || drivesPerServer < 1) {
    throw new Error(`minio: servers (${servers}) and drivesPerServer (${drivesPerServer}) must be whole numbers of at least 1`);
  }
  const drives = servers * drivesPerServer;
  if (drives > 1 && drives < 4) {
    throw new Error(`minio: ${servers} server(s) × ${drivesPerServer} drive(s) = ${drives} drives; erasure coding needs at least 4 drives (or run 1 server with 1 drive)`);
  }
}

/** The bucket's S3 lifecycle as `mc ilm import` reads it. */
export function minioLifecycle(noncurrentVersionExpiryDays: number, remoteTier?: MinioRemoteTier): object {
  return {
    Rules: [
      {
        ID: 'expire-noncurrent-versions',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        // Once its noncurrent versions are gone, a deleted block leaves only a delete marker; clear it too.
        Expiration: { ExpiredObjectDeleteMarker: true },
        NoncurrentVersionExpiration: { NoncurrentDays: noncurrentVersionExpiryDays },
      },
      ...(remoteTier ? [{
        ID: 'tier-to-s3',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        Transition: { Days: remoteTier.transitionAfterDays, StorageClass: MINIO_REMOTE_TIER },
      }] : []),
    ],
  };
}

/**
 * MinIO for the Thanos bucket: one server without erasure coding at small scale,
 * an erasure-coded distributed StatefulSet from four drives on. A setup Job creates
 * the bucket, turns on versioning (which site replication requires), expires
 * noncurrent versions, creates the least-privilege user Thanos writes as and, in the
 * hybrid topology, the S3 tier aged objects move to.
 */
export class Minio extends Construct {
  public readonly workload: WorkloadRef;
  /** The S3 API inside the cluster. */
  public readonly endpoint = `minio.${NS}.svc.cluster.local:${PORT}`;
  public readonly servers: number;
  public readonly drivesPerServer: number;
  public readonly credentials: Required<MinioCredentials>;
  public readonly bucket: string;

  public constructor(scope: Construct, id: string, props: MinioProps) {
    super(scope, id);
    const { platform } = props;
    checkDrives(props.servers, props.drivesPerServer);
    this.servers = props.servers;
    this.drivesPerServer = props.drivesPerServer;
    this.bucket = props.bucket;
    const expiry = props.noncurrentVersionExpiryDays ?? 7;
    if (!Number.isInteger(expiry) || expiry < 1) throw new Error(`minio: noncurrentVersionExpiryDays ${expiry} must be a whole number of days, at least 1`);
    if (props.remoteTier && (!Number.isInteger(props.remoteTier.transitionAfterDays) || props.remoteTier.transitionAfterDays < 1)) {
      throw new Error(`minio: remoteTier.transitionAfterDays ${props.remoteTier.transitionAfterDays} must be a whole number of days, at least 1`);
    }
    const ref = (property: string) => ({ key: 'helios/minio', property });
    this.credentials = {
      rootUser: props.credentials?.rootUser ?? ref('root-user'),
      rootPassword: props.credentials?.rootPassword ?? ref('root-password'),
      thanosAccessKey: props.credentials?.thanosAccessKey ?? ref('thanos-access-key'),
      thanosSecretKey: props.credentials?.thanosSecretKey ?? ref('thanos-secret-key'),
    };
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };

    platform.addExternalSecret(this, 'root', {
      namespace: NS,
      secretName: 'minio-root',
      owner: OWNER,
      data: { rootUser: this.credentials.rootUser, rootPassword: this.credentials.rootPassword },
    });

    const labels = platform.labelsFor(OWNER);
    for (const [name, headless] of [[HEADLESS, true], ['minio', false]] as const) {
      new k8s.KubeService(this, name, {
        metadata: platform.metadataFor(OWNER, NS, name),
        spec: {
          clusterIp: headless ? 'None' : undefined,
          // Distributed MinIO finds its peers by name before any of them is ready.
          publishNotReadyAddresses: headless ? true : undefined,
          selector,
          ports: [{ name: 's3', port: PORT, targetPort: k8s.IntOrString.fromNumber(PORT) }],
        },
      });
    }

    const drives = Array.from({ length: props.drivesPerServer }, (_, i) => `data${i}`);
    const secretEnv = (name: string, key: string): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: 'minio-root', key } } });
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        serviceName: HEADLESS,
        replicas: props.servers,
        // Every server must be up before the erasure-coded cluster forms.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            securityContext: securePodSecurityContext({ uid: 1000 }),
            automountServiceAccountToken: false,
            affinity: spreadOverNodes(selector),
            containers: [secureContainer({
              name: 'minio',
              image: platform.image('minio'),
              args: ['server', `--address=:${PORT}`, '--certs-dir=/tmp/certs', ...minioServerArgs(props.servers, props.drivesPerServer)],
              env: [
                secretEnv('MINIO_ROOT_USER', 'rootUser'),
                secretEnv('MINIO_ROOT_PASSWORD', 'rootPassword'),
                // Thanos speaks the S3 API only; the web console would be one more thing to expose.
                { name: 'MINIO_BROWSER', value: 'off' },
                // Metrics need no token; the NetworkPolicy admits only Prometheus to them.
                { name: 'MINIO_PROMETHEUS_AUTH_TYPE', value: 'public' },
              ],
              ports: [{ name: 's3', containerPort: PORT }],
              resources: props.resources,
              readinessProbe: httpProbe('/minio/health/ready', PORT),
              livenessProbe: httpProbe('/minio/health/live', PORT, { initialDelaySeconds: 30 }),
              volumeMounts: [...drives.map((d) => ({ name: d, mountPath: `/${d}` })), { name: 'tmp', mountPath: '/tmp' }],
            })],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
        volumeClaimTemplates: drives.map((d) => ({
          metadata: { name: d },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(`${props.volumeGiB}Gi`) } } },
        })),
      },
    });
    platform.addPodDisruptionBudget(this, this.workload, props.servers);
    if (props.servers > 1) {
      platform.network.allow({
        description: 'MinIO servers exchange erasure-coded shards',
        from: FlowPeer.workload(this.workload),
        to: FlowPeer.workload(this.workload),
        ports: [{ port: PORT }],
      });
    }
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 's3', port: PORT, job: 'minio', path: '/minio/v2/metrics/cluster' }],
    });

    if (props.setup ?? true) this.setupJob(props, expiry);
    if (props.remoteTier) {
      platform.network.allow({
        description: 'MinIO moves aged objects to its S3 tier',
        from: FlowPeer.workload(this.workload),
        to: FlowPeer.networks('s3-tier', ['0.0.0.0/0']),
        ports: [{ port: endpointPort(props.remoteTier.s3.endpoint) }],
      });
    }
  }

  /** Where Thanos finds the bucket. */
  public get location(): ObjectStoreLocation {
    return { bucket: this.bucket, endpoint: this.endpoint, insecure: true, pathStyle: true };
  }

  private setupJob(props: MinioProps, expiry: number): void {
    const { platform } = props;
    const tier = props.remoteTier;
    const data: Record<string, SecretReference> = {
      rootUser: this.credentials.rootUser,
      rootPassword: this.credentials.rootPassword,
      thanosAccessKey: this.credentials.thanosAccessKey,
      thanosSecretKey: this.credentials.thanosSecretKey,
      ...(tier ? { s3AccessKey: tier.s3.accessKey, s3SecretKey: tier.s3.secretKey } : {}),
    };
    platform.addExternalSecret(this, 'setup-secret', { namespace: NS, secretName: 'minio-setup', owner: SETUP, data });

    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: [`arn:aws:s3:::${this.bucket}`] },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [`arn:aws:s3:::${this.bucket}/*`] },
      ],
    };
    const files: Record<string, string> = {
      'lifecycle.json': `${JSON.stringify(minioLifecycle(expiry, tier), null, 2)}\n`,
      'thanos-policy.json': `${JSON.stringify(policy, null, 2)}\n`,
      'setup.sh': setupScript(this.bucket, tier),
    };
    new k8s.KubeConfigMap(this, 'setup-config', { metadata: platform.metadataFor(SETUP, NS), data: files });

    const image = platform.image('minio-client');
    // A Job's pod template cannot change in place; a new configuration gets a new Job.
    const digest = createHash('sha256').update(JSON.stringify({ files, image, data })).digest('hex').slice(0, 8);
    const env = (name: string, key: string): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: 'minio-setup', key } } });
    const labels = platform.labelsFor(SETUP);
    new k8s.KubeJob(this, 'setup', {
      metadata: platform.metadataFor(SETUP, NS, `minio-setup-${digest}`),
      spec: {
        backoffLimit: 10,
        activeDeadlineSeconds: 1800,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            containers: [secureJobContainer({
              name: 'setup',
              image,
              command: ['/bin/sh', '/config/setup.sh'],
              env: [
                { name: 'MC_CONFIG_DIR', value: '/tmp/mc' },
                { name: 'MINIO_URL', value: `http://${this.endpoint}` },
                env('MINIO_ROOT_USER', 'rootUser'),
                env('MINIO_ROOT_PASSWORD', 'rootPassword'),
                env('THANOS_ACCESS_KEY', 'thanosAccessKey'),
                env('THANOS_SECRET_KEY', 'thanosSecretKey'),
                ...(tier ? [env('S3_ACCESS_KEY', 's3AccessKey'), env('S3_SECRET_KEY', 's3SecretKey')] : []),
              ],
              resources: { cpuRequestMilli: 10, cpuLimitMilli: 200, memoryRequestMiB: 32, memoryLimitMiB: 128 },
              volumeMounts: [{ name: 'config', mountPath: '/config', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
            })],
            volumes: [{ name: 'config', configMap: { name: 'minio-setup' } }, { name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });
    platform.network.allow({
      description: 'the setup Job configures the bucket through the MinIO admin API',
      from: FlowPeer.workload({ ...SETUP, namespace: NS, podSelector: platform.selectorFor(SETUP) }),
      to: FlowPeer.workload(this.workload),
      ports: [{ port: PORT }],
    });
  }
}

/** The setup steps; each is idempotent, so the Job may run again at any time. */
function setupScript(bucket: string, tier?: MinioRemoteTier): string {
  const lines = [
    'set -eu',
    'until mc alias set helios "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do',
    '  echo "waiting for MinIO at $MINIO_URL"; sleep 5',
    'done',
    'mc ready helios',
    `mc mb --ignore-existing helios/${bucket}`,
    `mc version enable helios/${bucket}`,
  ];
  if (tier) {
    lines.push(
      `if ! mc ilm tier info helios ${MINIO_REMOTE_TIER} >/dev/null 2>&1; then`,
      `  mc ilm tier add s3 helios ${MINIO_REMOTE_TIER} --endpoint "https://${tier.s3.endpoint}" --region "${tier.s3.region}" \\`,
      `    --bucket "${tier.s3.bucket}" --prefix "helios-tier/" --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY"`,
      'fi',
    );
  }
  lines.push(
    // Import replaces the whole lifecycle, so reruns never stack duplicate rules.
    `mc ilm import helios/${bucket} < /config/lifecycle.json`,
    'mc admin policy create helios thanos /config/thanos-policy.json',
    'mc admin user add helios "$THANOS_ACCESS_KEY" "$THANOS_SECRET_KEY"',
    'if ! out=$(mc admin policy attach helios thanos --user "$THANOS_ACCESS_KEY" 2>&1); then',
    '  case "$out" in *"already in effect"*) ;; *) echo "$out" >&2; exit 1 ;; esac',
    'fi',
    `echo "bucket ${bucket} is versioned, has its lifecycle and a Thanos user"`,
  );
  return `${lines.join('\n')}\n`;
}

/** A MinIO site of a replication group, as the other sites reach it. */
export interface MinioSite {
  /** The site's name in the replication (the cluster's name). */
  readonly name: string;
  /** The S3 API as the other sites reach it (`https://minio.fra1.example.net`). */
  readonly url: string;
  /** Where that address is, and where the site's replication traffic comes from. */
  readonly networks: readonly string[];
  readonly rootUser: SecretReference;
  readonly rootPassword: SecretReference;
}

export interface MinioSiteReplicationProps {
  readonly platform: PlatformBase;
  /** This cluster's MinIO, one of the sites. */
  readonly minio: Minio;
  /** This site's name among `sites`. */
  readonly site: string;
  /** Every site of the group, this one included; at least two. */
  readonly sites: readonly MinioSite[];
  /**
   * Whether this site runs the Job that makes the replication match `sites`: the
   * site that holds the bucket (the group's compactor site).
   */
  readonly reconciler: boolean;
  /** The Service type other sites reach this MinIO through. @default LoadBalancer */
  readonly serviceType?: string;
}

const REPLICATION: ComponentIdentity = { name: 'minio-site-replication', component: 'storage' };

/** The MinIO alerts on site replication, as `AlertRules` groups take them. */
export const MINIO_REPLICATION_ALERTS = [
  {
    alert: 'MinioSiteReplicationLinkDown',
    expr: 'max by (job, namespace, endpoint) (minio_cluster_replication_link_online) == 0',
    forDuration: '10m',
    severity: Severity.CRITICAL,
    summary: 'MinIO cannot reach the replication site {{ $labels.endpoint }}',
    description: 'The site replication link to {{ $labels.endpoint }} has been offline for 10 minutes. Blocks written here are not'
      + ' copied there, so the group\'s one compactor no longer sees this site\'s newest blocks, and the other site reads'
      + ' stale data. Check the other site\'s MinIO, the network path and its URL in helios.yaml (storage.site.url).',
  },
  {
    alert: 'MinioSiteReplicationFailing',
    expr: 'sum by (job, namespace) (minio_cluster_replication_last_minute_failed_count) > 0'
      + ' or sum by (job, namespace) (minio_cluster_replication_recent_backlog_count) > 1000',
    forDuration: '15m',
    severity: Severity.WARNING,
    summary: 'MinIO site replication is failing or lagging behind',
    description: 'For 15 minutes objects have failed to replicate every minute, or more than 1000 objects wait in the replication'
      + ' backlog. The sites drift apart: the compactor covers only what reached its site. Check `mc admin replicate status`'
      + ' on the site, the replication Job\'s log and the credentials of every site in the secret store.',
  },
] as const;

/**
 * MinIO site replication (multi-dc-minio): every site of a replication group holds the
 * same buckets, objects, versions, lifecycle and users, so the Thanos bucket is one
 * logical bucket and one compactor covers every site's data. Each site exposes its
 * S3 API to the other sites' networks only; the reconciling site runs a Job that
 * makes the replication match the member list: it adds missing sites and removes
 * departed ones, and does nothing when they match, so it may run again at any time.
 */
export class MinioSiteReplication extends Construct {
  public readonly job?: k8s.KubeJob;

  public constructor(scope: Construct, id: string, props: MinioSiteReplicationProps) {
    super(scope, id);
    const { platform, minio } = props;
    const names = props.sites.map((s) => s.name);
    if (props.sites.length < 2) throw new Error(`minio site replication: ${names.join(', ') || 'no site'} — at least two sites are needed`);
    if (new Set(names).size !== names.length) throw new Error(`minio site replication: site names repeat (${names.join(', ')})`);
    if (!names.includes(props.site)) throw new Error(`minio site replication: this site "${props.site}" is not among the sites ${names.join(', ')}`);
    const others = props.sites.filter((s) => s.name !== props.site);
    const otherNetworks = [...new Set(others.flatMap((s) => s.networks))].sort();

    const serviceType = props.serviceType ?? 'LoadBalancer';
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS, 'minio-site'),
      spec: {
        type: serviceType,
        selector: minio.workload.podSelector,
        // Keep the other sites' source addresses, which the NetworkPolicy admits.
        externalTrafficPolicy: serviceType === 'ClusterIP' ? undefined : 'Local',
        loadBalancerSourceRanges: serviceType === 'LoadBalancer' ? otherNetworks : undefined,
        ports: [{ name: 's3', port: PORT, targetPort: k8s.IntOrString.fromNumber(PORT) }],
      },
    });
    const sitePorts = [...new Set(others.map((s) => urlPort(s.url)))].sort((a, b) => a - b).map((port) => ({ port }));
    platform.network.allow({
      description: 'the other MinIO sites replicate into this one',
      from: FlowPeer.networks('minio-sites', otherNetworks),
      to: FlowPeer.workload(minio.workload),
      ports: [{ port: PORT }],
    });
    platform.network.allow({
      description: 'MinIO replicates to the other sites',
      from: FlowPeer.workload(minio.workload),
      to: FlowPeer.networks('minio-sites', otherNetworks),
      ports: sitePorts,
    });
    new AlertRules(this, 'alerts', {
      platform,
      owner: REPLICATION,
      namespace: NS,
      groups: [{ name: 'minio-site-replication', alerts: [...MINIO_REPLICATION_ALERTS] }],
    });
    if (props.reconciler) this.job = this.reconcileJob(props, others, sitePorts);
  }

  private reconcileJob(props: MinioSiteReplicationProps, others: readonly MinioSite[], sitePorts: Array<{ port: number }>): k8s.KubeJob {
    const { platform, minio } = props;
    const local: MinioSite = { ...props.sites.find((s) => s.name === props.site)!, url: `http://${minio.endpoint}` };
    // The reconciling site first: it holds the bucket the others receive.
    const sites = [local, ...[...others].sort((a, b) => a.name.localeCompare(b.name))];
    const data: Record<string, SecretReference> = {};
    sites.forEach((s, i) => { data[`site${i}User`] = s.rootUser; data[`site${i}Password`] = s.rootPassword; });
    platform.addExternalSecret(this, 'secret', { namespace: NS, secretName: 'minio-site-replication', owner: REPLICATION, data });
    const script = siteReplicationScript(minio.bucket, sites);
    new k8s.KubeConfigMap(this, 'config', { metadata: platform.metadataFor(REPLICATION, NS), data: { 'replicate.sh': script } });
    const image = platform.image('minio-client');
    // A new member list is a new Job (a Job's pod template cannot change in place).
    const digest = createHash('sha256').update(JSON.stringify({ script, image, data })).digest('hex').slice(0, 8);
    const env = (name: string, key: string): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: 'minio-site-replication', key } } });
    const selector = platform.selectorFor(REPLICATION);
    const job = new k8s.KubeJob(this, 'job', {
      metadata: platform.metadataFor(REPLICATION, NS, `minio-site-replication-${digest}`),
      spec: {
        backoffLimit: 10,
        activeDeadlineSeconds: 3600,
        template: {
          metadata: { labels: platform.labelsFor(REPLICATION) },
          spec: {
            restartPolicy: 'OnFailure',
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            containers: [secureJobContainer({
              name: 'replicate',
              image,
              command: ['/bin/sh', '/config/replicate.sh'],
              env: [
                { name: 'MC_CONFIG_DIR', value: '/tmp/mc' },
                ...sites.flatMap((_, i) => [env(`SITE${i}_USER`, `site${i}User`), env(`SITE${i}_PASSWORD`, `site${i}Password`)]),
              ],
              resources: { cpuRequestMilli: 10, cpuLimitMilli: 200, memoryRequestMiB: 32, memoryLimitMiB: 128 },
              volumeMounts: [{ name: 'config', mountPath: '/config', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
            })],
            volumes: [{ name: 'config', configMap: { name: 'minio-site-replication' } }, { name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });
    const workload: WorkloadRef = { ...REPLICATION, namespace: NS, podSelector: selector };
    platform.network.allow({
      description: 'the site replication Job configures the local MinIO',
      from: FlowPeer.workload(workload),
      to: FlowPeer.workload(minio.workload),
      ports: [{ port: PORT }],
    });
    platform.network.allow({
      description: 'the site replication Job reads the other sites\' replication state',
      from: FlowPeer.workload(workload),
      to: FlowPeer.networks('minio-sites', [...new Set(others.flatMap((s) => s.networks))].sort()),
      ports: sitePorts,
    });
    return job;
  }
}

/** The port of an http(s) URL. */
function urlPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/**
 * The reconciliation: sites in the replication that are no longer members are removed,
 * missing members are added (`mc admin replicate add` with every member joins the new
 * ones to the existing group), and nothing changes when the two lists match.
 */
export function siteReplicationScript(bucket: string, sites: readonly Pick<MinioSite, 'name' | 'url'>[]): string {
  const [first] = sites;
  const lines = [
    'set -eu',
    ...sites.flatMap((s, i) => [
      `until mc alias set ${s.name} "${s.url}" "$SITE${i}_USER" "$SITE${i}_PASSWORD" >/dev/null 2>&1; do`,
      `  echo "waiting for the MinIO site ${s.name} at ${s.url}"; sleep 10`,
      'done',
    ]),
    // The first site's setup Job creates the bucket; the others must stay empty until they join.
    `until mc stat ${first.name}/${bucket} >/dev/null 2>&1; do echo "waiting for the bucket ${bucket} on ${first.name}"; sleep 10; done`,
    `want="${sites.map((s) => s.name).join(' ')}"`,
    `have=$(mc admin replicate info ${first.name} --json | grep -o '"name":"[^"]*"' | cut -d'"' -f4 | sort -u | tr '\\n' ' ')`,
    'echo "members: $want; replicating now: ${have:-none}"',
    'for site in $have; do',
    '  case " $want " in *" $site "*) ;; *)',
    `    echo "removing $site, no longer a member"; mc admin replicate rm ${first.name} "$site" --force ;;`,
    '  esac',
    'done',
    'missing=""',
    'for site in $want; do case " $have " in *" $site "*) ;; *) missing="$missing $site" ;; esac; done',
    'if [ -n "$missing" ]; then',
    '  echo "adding:$missing"',
    '  # shellcheck disable=SC2086',
    '  mc admin replicate add $want',
    'fi',
    `mc admin replicate info ${first.name}`,
    `mc admin replicate status ${first.name}`,
  ];
  return `${lines.join('\n')}\n`;
}
