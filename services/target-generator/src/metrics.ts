import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TARGET_SETS } from './contract.js';
import type { DeviceProblem } from './netbox/devices.js';

/** The Pushgateway job the CronJob pushes to (the alerts do not depend on it: they aggregate by name). */
export const PUSH_JOB = 'helios-target-generator';
const LAST_SUCCESS = 'helios_target_sync_last_success_timestamp_seconds';

/**
 * The Target Generator's metrics. In the long-running mode Prometheus scrapes them
 * from /metrics; a CronJob run pushes them to the Pushgateway, continuing the
 * counters and the last success from the values the previous run left there.
 */
export class SyncMetrics {
  public readonly registry = new Registry();
  public readonly errors = new Counter({
    name: 'helios_target_sync_errors_total',
    help: 'Syncs that failed: NetBox or the Kubernetes API could not be read or written, or the inventory could not be turned into targets.',
    registers: [this.registry],
  });
  public readonly refusals = new Counter({
    name: 'helios_target_sync_mass_deletion_refusals_total',
    help: 'Syncs refused because they would have removed too many targets of a set at once.',
    labelNames: ['set'],
    registers: [this.registry],
  });
  public readonly targets = new Gauge({
    name: 'helios_targets',
    help: 'Targets in the target ConfigMaps after the last successful sync, by target set.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  public readonly duration = new Histogram({
    name: 'helios_target_sync_duration_seconds',
    help: 'How long a sync took, from the first NetBox request to the last ConfigMap write.',
    labelNames: ['result'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  public readonly writes = new Counter({
    name: 'helios_target_configmap_writes_total',
    help: 'Target ConfigMaps written (a ConfigMap is written only when its file changed).',
    labelNames: ['set'],
    registers: [this.registry],
  });
  public readonly deviceProblems = new Gauge({
    name: 'helios_target_device_problems',
    help: 'Monitored devices that the last successful sync left out, in part or whole, by the field at fault.',
    labelNames: ['field'],
    registers: [this.registry],
  });
  /** Registered at the first success: before it, "never succeeded" is the metric's absence. */
  public readonly lastSuccess = new Gauge({
    name: LAST_SUCCESS,
    help: 'When the last sync succeeded (Unix time).',
    registers: [],
  });

  public constructor() {
    // Every series exists from the start, so the first increase is seen as one.
    for (const set of TARGET_SETS) {
      this.refusals.inc({ set }, 0);
      this.writes.inc({ set }, 0);
    }
  }

  public succeeded(at: Date): void {
    this.markSuccess(at.getTime() / 1000);
  }

  public reportProblems(problems: readonly DeviceProblem[]): void {
    this.deviceProblems.reset();
    for (const p of problems) this.deviceProblems.inc({ field: p.field });
  }

  /** Continues counters and the last success from what an earlier run pushed. */
  public continueFrom(previous: PushedMetrics): void {
    const value = (name: string, labels: Record<string, string> = {}): number => previous.value(name, labels) ?? 0;
    this.errors.inc(value('helios_target_sync_errors_total'));
    for (const set of TARGET_SETS) {
      this.refusals.inc({ set }, value('helios_target_sync_mass_deletion_refusals_total', { set }));
      this.writes.inc({ set }, value('helios_target_configmap_writes_total', { set }));
    }
    const last = previous.value(LAST_SUCCESS, {});
    if (last !== undefined) this.markSuccess(last);
  }

  private markSuccess(seconds: number): void {
    if (!this.registry.getSingleMetric(LAST_SUCCESS)) this.registry.registerMetric(this.lastSuccess);
    this.lastSuccess.set(seconds);
  }

  /** The Pushgateway's current values for this job, or none when it cannot be read (the run goes on). */
  public static async pushed(url: string, job = PUSH_JOB): Promise<PushedMetrics> {
    const response = await fetch(`${url.replace(/\/+$/, '')}/api/v1/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`Pushgateway GET /api/v1/metrics: HTTP ${response.status}`);
    return new PushedMetrics(await response.json(), job);
  }

  /** Replaces this job's group in the Pushgateway with every metric of this run. */
  public async push(url: string, job = PUSH_JOB): Promise<void> {
    const response = await fetch(`${url.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(job)}`, {
      method: 'PUT',
      headers: { 'Content-Type': this.registry.contentType },
      body: await this.registry.metrics(),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`Pushgateway PUT /metrics/job/${job}: HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
}

interface PushgatewayGroup {
  labels?: Record<string, string>;
  [metric: string]: unknown;
}

/** One job's group as the Pushgateway's JSON API shows it. */
export class PushedMetrics {
  private readonly group?: PushgatewayGroup;

  public constructor(body: unknown, job: string) {
    const groups = (body as { data?: PushgatewayGroup[] })?.data ?? [];
    this.group = groups.find((g) => g.labels?.job === job && Object.keys(g.labels).length === 1);
  }

  /** A sample's value; `labels` are the sample's own (job and instance aside). */
  public value(name: string, labels: Record<string, string>): number | undefined {
    const family = this.group?.[name] as { metrics?: Array<{ labels?: Record<string, string>; value?: string }> } | undefined;
    const sample = family?.metrics?.find((m) => {
      const own = Object.entries(m.labels ?? {}).filter(([k]) => k !== 'job' && k !== 'instance');
      return own.length === Object.keys(labels).length && own.every(([k, v]) => labels[k] === v);
    });
    const value = Number(sample?.value);
    return sample && Number.isFinite(value) ? value : undefined;
  }
}
