import { createHash } from 'node:crypto';
import { TARGETS_MOUNT_PATH } from '../../constructs/platform/targets.js';

/**
 * Prometheus's `hashmod` relabel action, reimplemented (model/relabel/relabel.go,
 * case HashMod): md5 of the joined source label values, the last 8 bytes of the
 * digest read as a big-endian uint64, modulo the modulus.
 */
export function hashmod(value: string, modulus: number): number {
  const digest = createHash('md5').update(value).digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(modulus));
}

const RELABEL_KEYS: Record<string, string> = {
  sourceLabels: 'source_labels',
  targetLabel: 'target_label',
  replacement: 'replacement',
  regex: 'regex',
  action: 'action',
  modulus: 'modulus',
  separator: 'separator',
};

/** A ScrapeConfig relabeling as Prometheus's relabel_config (the operator copies the fields over). */
function relabelToPrometheus(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [RELABEL_KEYS[k] ?? k, v]));
}

/**
 * A synthesized ScrapeConfig adjusted for a test and nothing else: its file_sd glob
 * in a scratch folder instead of the Prometheus pod's mount, and (optionally) the
 * exporter it sends devices to at a loopback address instead of its Service.
 */
export function forTest(scrapeConfig: any, sdDir: string, exporterAddress?: string): any {
  const relabelings = (scrapeConfig.spec.relabelings ?? []).map((r: any) => (exporterAddress && r.targetLabel === '__address__' ? { ...r, replacement: exporterAddress } : r));
  const files = scrapeConfig.spec.fileSDConfigs.map((f: any) => ({ ...f, files: f.files.map((g: string) => g.replace(TARGETS_MOUNT_PATH, sdDir)) }));
  return { ...scrapeConfig, spec: { ...scrapeConfig.spec, relabelings, fileSDConfigs: files } };
}

export interface OperatorRenderOptions {
  /** Prometheus.spec.shards. */
  readonly shards: number;
  /** The shard whose configuration to render ($(SHARD), which the config reloader substitutes). */
  readonly shard: number;
}

/**
 * The scrape_config the Prometheus Operator (v0.93, pkg/prometheus/promcfg.go
 * generateScrapeConfig) writes for a ScrapeConfig, for the fields Helios sets: job
 * name, path, interval, timeout, file_sd, and relabel_configs = the job-name
 * bookkeeping rule, the jobName rule, the object's relabelings, then (shards > 1 and
 * no hashmod of its own) the sharding rules on __address__ unless __tmp_hash is set.
 */
export function operatorScrapeJob(scrapeConfig: any, options: OperatorRenderOptions): Record<string, unknown> {
  const spec = scrapeConfig.spec;
  const relabelings: Array<Record<string, unknown>> = [{ source_labels: ['job'], target_label: '__tmp_prometheus_job_name' }];
  if (spec.jobName) relabelings.push({ target_label: 'job', action: 'replace', replacement: spec.jobName });
  relabelings.push(...(spec.relabelings ?? []).map(relabelToPrometheus));
  if (options.shards !== 1 && !relabelings.some((r) => r.action === 'hashmod')) {
    relabelings.push(
      { source_labels: ['__address__', '__tmp_hash'], target_label: '__tmp_hash', regex: '(.+);', replacement: '$1', action: 'replace' },
      { source_labels: ['__tmp_hash'], target_label: '__tmp_hash', modulus: options.shards, action: 'hashmod' },
      { source_labels: ['__tmp_hash', '__tmp_disable_sharding'], regex: `${options.shard};|.+;.+`, action: 'keep' },
    );
  }
  return {
    job_name: `scrapeConfig/${scrapeConfig.metadata.namespace}/${scrapeConfig.metadata.name}`,
    ...(spec.metricsPath ? { metrics_path: spec.metricsPath } : {}),
    ...(spec.scrapeInterval ? { scrape_interval: spec.scrapeInterval } : {}),
    ...(spec.scrapeTimeout ? { scrape_timeout: spec.scrapeTimeout } : {}),
    file_sd_configs: (spec.fileSDConfigs ?? []).map((f: any) => ({
      files: f.files,
      ...(f.refreshInterval ? { refresh_interval: f.refreshInterval } : {}),
    })),
    relabel_configs: relabelings,
  };
}

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Samples of a Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/**
 * The labels a scraped sample is stored with (honor_labels: false, Prometheus's
 * default): the target's labels win, a clashing exposed label is kept as exported_<name>.
 */
export function withTargetLabels(sample: Sample, targetLabels: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(sample.labels)) {
    labels[k in targetLabels ? `exported_${k}` : k] = v;
  }
  return { ...labels, ...targetLabels };
}
