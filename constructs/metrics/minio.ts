import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { endpointPort, type ObjectStoreLocation, type S3Bucket } from './object-store.js';
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

    this.setupJob(props, expiry);
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
