import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ObjectStore } from './object-store.js';
import { AlertRules, Severity } from './rules.js';
import { SelfMonitoring } from './self-monitoring.js';
import { THANOS_HTTP_PORT, thanosContainer } from './thanos.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import type { WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { securePodSecurityContext, type ResourceSizing } from '../platform/security.js';

/** How long each resolution of the metrics is kept in the bucket (spec FR-006, SC-007). */
export interface CompactorRetention {
  /** @default 14 */
  readonly rawDays?: number;
  /** @default 30 */
  readonly fiveMinuteDays?: number;
  /** @default 90 */
  readonly oneHourDays?: number;
}

export interface ThanosCompactorProps {
  readonly platform: PlatformBase;
  readonly objectStore: ObjectStore;
  /** Scratch space for the blocks being compacted and downsampled. */
  readonly volumeGiB: number;
  readonly resources: ResourceSizing;
  /** @default - raw 14 days, 5-minute 30 days, 1-hour 90 days */
  readonly retention?: CompactorRetention;
}

const OWNER: ComponentIdentity = { name: 'thanos-compactor', component: 'storage' };
const NS = HeliosNamespace.STORAGE;
const DATA_DIR = '/var/thanos/compact';

/** A retention the compactor would refuse: which one, and why. */
export interface RetentionProblem {
  readonly field: keyof CompactorRetention;
  readonly message: string;
}

/**
 * Why retentions are refused by the compactor with downsampling on, or undefined: raw
 * data must outlive the 40 hours after which 5-minute blocks are made, and 5-minute data
 * the 10 days after which 1-hour blocks are made; no resolution may outlive a coarser one.
 */
export function retentionProblem(r: Required<CompactorRetention>): RetentionProblem | undefined {
  for (const [name, days] of Object.entries(r) as Array<[keyof CompactorRetention, number]>) {
    if (!Number.isInteger(days) || days < 1) return { field: name, message: `${days} is not a whole number of days, at least 1` };
  }
  if (r.rawDays < 2) return { field: 'rawDays', message: `${r.rawDays} is shorter than the 40 hours after which raw data is downsampled; allowed: 2 or more` };
  if (r.fiveMinuteDays < 10) return { field: 'fiveMinuteDays', message: `${r.fiveMinuteDays} is shorter than the 10 days after which 5-minute data is downsampled to 1 hour; allowed: 10 or more` };
  if (r.rawDays > r.fiveMinuteDays) return { field: 'rawDays', message: `${r.rawDays} is longer than fiveMinuteDays (${r.fiveMinuteDays}); allowed: at most fiveMinuteDays (retention must not shrink as resolution coarsens)` };
  if (r.fiveMinuteDays > r.oneHourDays) return { field: 'fiveMinuteDays', message: `${r.fiveMinuteDays} is longer than oneHourDays (${r.oneHourDays}); allowed: at most oneHourDays (retention must not shrink as resolution coarsens)` };
  return undefined;
}

/** Throws when the compactor would refuse the retentions (see {@link retentionProblem}). */
export function checkRetention(r: Required<CompactorRetention>): void {
  const problem = retentionProblem(r);
  if (problem) throw new Error(`thanos-compactor: retention.${problem.field} ${problem.message}`);
}

/**
 * The Thanos Compactor: compacts, downsamples (5 minutes, 1 hour) and applies
 * retention in the bucket. It must run as a singleton against a bucket: object stores
 * have no locks, and two compactors would write overlapping blocks. So it is a
 * StatefulSet of exactly one replica, whose controller never starts a pod before the
 * previous one is gone, and the MetricsStack creates it only in the one cluster that
 * owns the bucket's compaction.
 */
export class ThanosCompactor extends Construct {
  public readonly workload: WorkloadRef;
  public readonly args: readonly string[];

  public constructor(scope: Construct, id: string, props: ThanosCompactorProps) {
    super(scope, id);
    const { platform } = props;
    const retention = { rawDays: 14, fiveMinuteDays: 30, oneHourDays: 90, ...props.retention };
    checkRetention(retention);
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    this.args = [
      // Keep running: compact, downsample and apply retention every 5 minutes.
      '--wait',
      '--wait-interval=5m',
      `--data-dir=${DATA_DIR}`,
      `--objstore.config-file=${props.objectStore.configFile}`,
      `--retention.resolution-raw=${retention.rawDays}d`,
      `--retention.resolution-5m=${retention.fiveMinuteDays}d`,
      `--retention.resolution-1h=${retention.oneHourDays}d`,
      // Blocks marked for deletion stay readable this long, so Store Gateways never lose one mid-query.
      '--delete-delay=48h',
    ];

    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        serviceName: 'thanos-compactor',
        replicas: 1,
        // OrderedReady with a RollingUpdate replaces the one pod by deleting it first: never two at once.
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: platform.labelsFor(OWNER) },
          spec: {
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            containers: [thanosContainer(platform, {
              component: 'compact',
              args: this.args,
              grpc: false,
              resources: props.resources,
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'objstore', mountPath: ObjectStore.MOUNT_PATH, readOnly: true },
              ],
            })],
            volumes: [props.objectStore.volume()],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(`${props.volumeGiB}Gi`) } } },
        }],
      },
    });
    props.objectStore.allowClient(this.workload);
    new SelfMonitoring(this, 'monitoring', {
      platform,
      workload: this.workload,
      endpoints: [{ portName: 'http', port: THANOS_HTTP_PORT, job: 'thanos-compactor' }],
    });
    new AlertRules(this, 'alerts', {
      platform,
      owner: OWNER,
      namespace: NS,
      groups: [{
        name: 'thanos-compactor',
        alerts: [
          {
            alert: 'ThanosCompactorHalted',
            expr: 'max by (job) (thanos_compact_halted{job="thanos-compactor"}) == 1',
            forDuration: '5m',
            severity: Severity.WARNING,
            summary: 'The Thanos Compactor has halted',
            description: 'The compactor met an error it will not retry (usually overlapping blocks) and stopped compacting,'
              + ' downsampling and applying retention. Queries still work but long ranges slow down and the bucket grows.'
              + ' Read its log for the block IDs, fix or delete them with `thanos tools bucket`, then restart the pod.',
          },
          {
            alert: 'ThanosCompactorMultipleRunning',
            expr: 'sum by (job) (up{job="thanos-compactor"}) > 1',
            forDuration: '5m',
            severity: Severity.CRITICAL,
            summary: '{{ $value }} Thanos Compactors run against one bucket',
            description: 'Only one compactor may work on a bucket; two write overlapping blocks and corrupt the history.'
              + ' Scale the extra one to zero now and check that exactly one cluster has role.compactor.',
          },
          {
            alert: 'ThanosCompactorDown',
            expr: 'absent(up{job="thanos-compactor"} == 1)',
            forDuration: '15m',
            severity: Severity.WARNING,
            summary: 'The Thanos Compactor is not running',
            description: 'No compactor has been up for 15 minutes: nothing is downsampled or expired, so the bucket'
              + ' grows and long-range queries slow down. Check the thanos-compactor pod in helios-storage.',
          },
        ],
      }],
    });
  }
}
