import { Construct } from 'constructs';
import {
  ScrapeConfig, ScrapeConfigSpecRelabelingsAction as Action, type ScrapeConfigSpecRelabelings,
} from '../../imports/scrapeconfig-monitoring.coreos.com.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { targetFilesGlob, type TargetSet } from '../platform/targets.js';

/** An exporter that probes devices on Prometheus's behalf: `/<path>?target=<device>&...`. */
export interface ProbingExporter {
  /** host:port of its Service, as Prometheus resolves it. */
  readonly address: string;
  readonly metricsPath: string;
}

/**
 * The relabeling that turns a file_sd entry (the device's address, its taxonomy and
 * `__param_*` labels) into a scrape of the exporter that probes it.
 *
 * Sharding pitfall: with `shards > 1` the Prometheus Operator hashes `__address__`
 * unless `__tmp_hash` is already set, and `__address__` ends up being the exporter's,
 * the same for every target, so one shard would scrape all devices. Hashing the
 * device (`__param_target`) spreads them, and puts a device's SNMP walks and probes
 * on one shard.
 */
export function probeRelabelings(exporter: ProbingExporter, keepLabels: Readonly<Record<string, string>> = {}): ScrapeConfigSpecRelabelings[] {
  return [
    { sourceLabels: ['__address__'], targetLabel: '__param_target', action: Action.REPLACE },
    { sourceLabels: ['__param_target'], targetLabel: '__tmp_hash', action: Action.REPLACE },
    { sourceLabels: ['__param_target'], targetLabel: 'instance', action: Action.REPLACE },
    ...Object.entries(keepLabels).map(([from, to]) => ({ sourceLabels: [from], targetLabel: to, action: Action.REPLACE })),
    { targetLabel: '__address__', replacement: exporter.address, action: Action.REPLACE },
  ];
}

export interface TargetScrapeProps {
  readonly platform: PlatformBase;
  readonly owner: ComponentIdentity;
  readonly namespace: string;
  /** The ScrapeConfig's name. */
  readonly name: string;
  /** The target set whose file_sd files the scrape reads. */
  readonly set: TargetSet;
  /** The `job` label of the scraped series. */
  readonly jobName: string;
  readonly scrapeIntervalSec: number;
  readonly scrapeTimeoutSec: number;
  /** Scrape devices through this exporter. @default - scrape each target's own /metrics */
  readonly exporter?: ProbingExporter;
  /** `__param_*` labels to keep as series labels (e.g. the blackbox module). @default - none */
  readonly keepLabels?: Readonly<Record<string, string>>;
}

/**
 * A ScrapeConfig reading one target set's file_sd files.
 *
 * The files are the Target Generator's ConfigMaps `helios-targets-<set>-<n>` in
 * helios-storage, which the Prometheus resource mounts at TARGETS_MOUNT_PATH as one
 * projected volume of optional ConfigMaps (`targetFilesVolume`). The operator passes
 * `fileSDConfigs` paths through unchecked (its "mount with Prometheus.ConfigMaps"
 * note is advice, not validation), so a path outside /etc/prometheus/configmaps works.
 * Prometheus watches the folder, so a rewritten shard is read without a reload.
 */
export class TargetScrape extends Construct {
  public readonly resource: ScrapeConfig;

  public constructor(scope: Construct, id: string, props: TargetScrapeProps) {
    super(scope, id);
    if (props.scrapeTimeoutSec > props.scrapeIntervalSec) {
      throw new Error(`scrape ${props.name}: timeout ${props.scrapeTimeoutSec}s exceeds the interval ${props.scrapeIntervalSec}s`);
    }
    this.resource = new ScrapeConfig(this, 'resource', {
      metadata: props.platform.metadataFor(props.owner, props.namespace, props.name),
      spec: {
        jobName: props.jobName,
        scrapeInterval: `${props.scrapeIntervalSec}s`,
        scrapeTimeout: `${props.scrapeTimeoutSec}s`,
        metricsPath: props.exporter?.metricsPath,
        fileSdConfigs: [{ files: [targetFilesGlob(props.set)], refreshInterval: '1m' }],
        relabelings: props.exporter ? probeRelabelings(props.exporter, props.keepLabels) : undefined,
      },
    });
  }
}
