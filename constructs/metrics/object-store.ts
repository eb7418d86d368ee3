import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AlertRules, Severity } from './rules.js';
import { secretField, yamlSecretTemplate } from './secret-template.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';

/** How a cluster stores its metrics blocks (spec FR-031). */
export enum StorageTopology {
  /** The cluster's own MinIO. */
  SINGLE_DC_MINIO = 'single-dc-minio',
  /** The cluster's own MinIO, a site replicating with other datacenters' MinIO. */
  MULTI_DC_MINIO = 'multi-dc-minio',
  /** An S3 bucket outside the cluster. */
  CLOUD_S3 = 'cloud-s3',
  /** The cluster's own MinIO, moving aged objects to an S3 tier. */
  HYBRID = 'hybrid',
}

/** Whether a topology keeps the Thanos bucket in the cluster's own MinIO. */
export function usesMinio(topology: StorageTopology): boolean {
  return topology !== StorageTopology.CLOUD_S3;
}

/** An S3 bucket outside the cluster, with credentials in the secret store. */
export interface S3Bucket {
  /** The S3 endpoint, host or host:port (`s3.eu-central-1.amazonaws.com`). */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKey: SecretReference;
  readonly secretKey: SecretReference;
}

/** Where the S3 API of a bucket is and how to address it. */
export interface ObjectStoreLocation {
  readonly bucket: string;
  /** host:port of the S3 API. */
  readonly endpoint: string;
  /** @default - the endpoint's default region */
  readonly region?: string;
  /** Plain HTTP: only for the in-cluster MinIO, whose traffic NetworkPolicies confine. */
  readonly insecure: boolean;
  /** Path-style addressing (`endpoint/bucket/key`), which MinIO needs; otherwise the client decides. */
  readonly pathStyle: boolean;
}

/**
 * Thanos's `objstore.yml` for a bucket, as an ESO template: the access and secret key
 * are placeholders the External Secrets Operator fills in. Every Thanos component and
 * the Prometheus sidecar read this one rendering.
 */
export function objstoreTemplate(location: ObjectStoreLocation): { readonly text: string; readonly fields: readonly string[] } {
  return yamlSecretTemplate({
    type: 'S3',
    config: {
      bucket: location.bucket,
      endpoint: location.endpoint,
      ...(location.region ? { region: location.region } : {}),
      insecure: location.insecure,
      bucket_lookup_type: location.pathStyle ? 'path' : 'auto',
      access_key: secretField('accessKey'),
      secret_key: secretField('secretKey'),
    },
  });
}

/** Splits `host[:port]` (an IPv6 host in brackets), defaulting to HTTPS's port. */
export function endpointPort(endpoint: string): number {
  const m = /^(?:\[[0-9A-Fa-f:.]+\]|[^:/\s[\]]+)(?::(\d{1,5}))?$/.exec(endpoint);
  if (!m) throw new Error(`object store endpoint "${endpoint}" is not host or host:port (no scheme, no path)`);
  const port = m[1] === undefined ? 443 : Number(m[1]);
  if (port < 1 || port > 65535) throw new Error(`object store endpoint "${endpoint}": port ${port} is not between 1 and 65535`);
  return port;
}

export interface ObjectStoreProps {
  readonly platform: PlatformBase;
  readonly location: ObjectStoreLocation;
  /** Credentials of a user allowed to read, write and delete in the bucket. */
  readonly accessKey: SecretReference;
  readonly secretKey: SecretReference;
  /** Where the S3 API runs, for its clients' network flows. */
  readonly peer: FlowPeer;
}

const OWNER: ComponentIdentity = { name: 'thanos-objstore', component: 'storage' };

/**
 * The Thanos bucket: one Secret `thanos-objstore` (rendered by ESO from the store's
 * credentials) that the Prometheus sidecars and every Thanos component mount, the
 * flows that let them reach it, and the alert on failing bucket operations.
 */
export class ObjectStore extends Construct {
  public static readonly SECRET_NAME = 'thanos-objstore';
  public static readonly SECRET_KEY = 'objstore.yml';
  /** Where components mount the Secret. */
  public static readonly MOUNT_PATH = '/etc/thanos/objstore';

  public readonly location: ObjectStoreLocation;
  private readonly platform: PlatformBase;
  private readonly peer: FlowPeer;
  private readonly port: number;

  public constructor(scope: Construct, id: string, props: ObjectStoreProps) {
    super(scope, id);
    this.platform = props.platform;
    this.location = props.location;
    this.peer = props.peer;
    this.port = endpointPort(props.location.endpoint);
    const rendered = objstoreTemplate(props.location);
    props.platform.addExternalSecret(this, 'secret', {
      namespace: HeliosNamespace.STORAGE,
      secretName: ObjectStore.SECRET_NAME,
      owner: OWNER,
      data: { accessKey: props.accessKey, secretKey: props.secretKey },
      template: { [ObjectStore.SECRET_KEY]: rendered.text },
    });
    new AlertRules(this, 'alerts', {
      platform: props.platform,
      owner: OWNER,
      namespace: HeliosNamespace.STORAGE,
      groups: [{
        name: 'object-storage',
        alerts: [{
          alert: 'ObjectStorageErrors',
          // Thanos clients count a missing object as success, so any failure share is real trouble.
          expr: 'sum by (job, operation) (rate(thanos_objstore_bucket_operation_failures_total[5m]))'
            + ' / sum by (job, operation) (rate(thanos_objstore_bucket_operations_total[5m])) > 0.05',
          forDuration: '15m',
          severity: Severity.CRITICAL,
          summary: '{{ $labels.job }}: {{ $value | humanizePercentage }} of {{ $labels.operation }} operations on the metrics bucket fail',
          description: 'More than 5% of the bucket operations of {{ $labels.job }} have failed for 15 minutes. Uploads, compaction'
            + ' or long-range queries are failing; blocks not uploaded before the local retention ends are lost. Check the'
            + ' object store (MinIO pods or the S3 endpoint), its credentials in the secret store and the network path.',
        }],
      }],
    });
  }

  /** The path of `objstore.yml` inside a container that mounts `volume()` at MOUNT_PATH. */
  public get configFile(): string {
    return `${ObjectStore.MOUNT_PATH}/${ObjectStore.SECRET_KEY}`;
  }

  /** The Secret as a pod volume. */
  public volume(name = 'objstore'): k8s.Volume {
    return { name, secret: { secretName: ObjectStore.SECRET_NAME, items: [{ key: ObjectStore.SECRET_KEY, path: ObjectStore.SECRET_KEY }] } };
  }

  /** Lets a workload reach the bucket's S3 API. */
  public allowClient(workload: WorkloadRef): void {
    this.platform.network.allow({
      description: `${workload.name} reads and writes metrics blocks in the bucket`,
      from: FlowPeer.workload(workload),
      to: this.peer,
      ports: [{ port: this.port }],
    });
  }
}
