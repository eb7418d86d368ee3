import { Construct } from 'constructs';
import { PodMonitor, PodMonitorSpecPodMetricsEndpointsRelabelingsAction as Action } from '../../imports/podmonitor-monitoring.coreos.com.js';
import type { WorkloadRef } from '../platform/network.js';
import type { PlatformBase } from '../platform/platform-base.js';

/** One metrics port of a platform component. */
export interface MetricsEndpoint {
  /** The container port's name. */
  readonly portName: string;
  readonly port: number;
  /** The `job` label of its series, which the platform alerts select on. */
  readonly job: string;
  /** @default "/metrics" */
  readonly path?: string;
}

export interface SelfMonitoringProps {
  readonly platform: PlatformBase;
  readonly workload: WorkloadRef;
  readonly endpoints: readonly MetricsEndpoint[];
  /** Pod labels copied onto the series, target label → pod label. @default - none */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/**
 * Scraping of a Helios platform component (Prometheus, Thanos, MinIO, Grafana,
 * Alertmanager) by every Prometheus shard. Sharding is switched off for these few
 * targets on purpose: the platform alerts count targets and look for absent ones,
 * and only a shard that scrapes every platform target gives the same answer as the
 * others, whichever shard is down. Thanos Query merges the copies (they differ only
 * in the replica label it deduplicates on).
 */
export class SelfMonitoring extends Construct {
  public constructor(scope: Construct, id: string, props: SelfMonitoringProps) {
    super(scope, id);
    const { platform, workload } = props;
    new PodMonitor(this, 'resource', {
      metadata: platform.metadataFor(workload, workload.namespace),
      spec: {
        selector: { matchLabels: { ...workload.podSelector } },
        podMetricsEndpoints: props.endpoints.map((e) => ({
          port: e.portName,
          path: e.path ?? '/metrics',
          interval: '30s',
          relabelings: [
            { targetLabel: 'job', replacement: e.job, action: Action.REPLACE },
            { targetLabel: '__tmp_disable_sharding', replacement: 'true', action: Action.REPLACE },
            ...Object.entries(props.podLabels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([target, podLabel]) => ({
              sourceLabels: [`__meta_kubernetes_pod_label_${podLabel.replace(/[^a-zA-Z0-9_]/g, '_')}`],
              targetLabel: target,
              action: Action.REPLACE,
            })),
          ],
        })),
      },
    });
    for (const port of [...new Set(props.endpoints.map((e) => e.port))]) {
      platform.allowScrape(workload, port);
    }
  }
}
