import { Construct } from 'constructs';
import { TargetScrape } from './target-scrape.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { TargetSet } from '../platform/targets.js';

/** The `job` label of the series devices serve themselves. */
export const DEVICE_METRICS_JOB = 'device-metrics';

const OWNER: ComponentIdentity = { name: 'device-metrics', component: 'collector' };

export interface DeviceMetricsProps {
  readonly platform: PlatformBase;
  /** The networks the devices are in. */
  readonly managementNetworks: readonly string[];
  /**
   * The ports devices serve Prometheus metrics on (NetBox custom field metrics_port):
   * Prometheus may connect to these only.
   * @default [9100] - node_exporter, as on SONiC and Cumulus switches
   */
  readonly ports?: readonly number[];
  /** @default 60 */
  readonly scrapeIntervalSec?: number;
}

/**
 * Devices that serve Prometheus metrics themselves (the Target Generator's prometheus
 * file_sd set), scraped directly by the Prometheus shards; sharded on the device's own
 * address, which is the operator's default.
 */
export class DeviceMetrics extends Construct {
  public readonly scrape: TargetScrape;

  public constructor(scope: Construct, id: string, props: DeviceMetricsProps) {
    super(scope, id);
    const ports = props.ports ?? [9100];
    const interval = props.scrapeIntervalSec ?? 60;
    this.scrape = new TargetScrape(this, 'scrape', {
      platform: props.platform,
      owner: OWNER,
      namespace: HeliosNamespace.COLLECTION,
      name: 'device-metrics',
      set: TargetSet.PROMETHEUS,
      jobName: DEVICE_METRICS_JOB,
      scrapeIntervalSec: interval,
      scrapeTimeoutSec: Math.max(10, interval - 10),
    });
    props.platform.network.allow({
      description: 'Prometheus scrapes devices that serve their own metrics',
      from: FlowPeer.workload(props.platform.metricsScraper),
      to: FlowPeer.networks('management', props.managementNetworks),
      ports: ports.map((port) => ({ port })),
    });
  }
}
