import { TARGET_SETS, type TargetSet } from './contract.js';
import { changedFiles, type TargetStore } from './kube/writer.js';
import type { Logger } from './log.js';
import type { SyncMetrics } from './metrics.js';
import type { NetBoxInventory } from './netbox/inventory.js';
import { type DeviceProblem, type MonitoredDevice, parseDevice, regionsBySite } from './netbox/devices.js';
import { generateTargets } from './targets/generate.js';
import { assignTargetNames } from './targets/names.js';
import { SHARD_MAX_BYTES, type ShardFile, shardAll } from './targets/shards.js';

/** Where the inventory comes from (NetBox's REST API in production). */
export interface InventorySource {
  inventory(): Promise<NetBoxInventory>;
}

export interface MassDeletionGuard {
  /** A sync may remove at most this share of a set's targets... */
  readonly maxDropPercent: number;
  /** ...unless it removes no more than this many. */
  readonly minTargets: number;
}

export interface SyncOptions {
  readonly guard: MassDeletionGuard;
  /** Write even when the guard would refuse. */
  readonly force: boolean;
  /** @default SHARD_MAX_BYTES */
  readonly shardMaxBytes?: number;
}

/** What one set would lose. */
export interface SetDrop {
  readonly set: TargetSet;
  readonly before: number;
  readonly after: number;
}

/** A sync stopped by the mass-deletion guard: nothing was written. */
export class MassDeletionRefused extends Error {
  public constructor(public readonly drops: readonly SetDrop[], guard: MassDeletionGuard) {
    super(`refused to write targets: ${drops.map((d) => `${d.set} would go from ${d.before} to ${d.after} targets`).join('; ')}`
      + ` (more than ${guard.maxDropPercent}% and more than ${guard.minTargets} of a set at once). If NetBox is right, run once with --force.`);
    this.name = 'MassDeletionRefused';
  }
}

export interface BuiltTargets {
  readonly files: readonly ShardFile[];
  readonly targets: Readonly<Record<TargetSet, number>>;
  readonly devices: number;
  readonly problems: readonly DeviceProblem[];
}

/** The pure middle of the pipeline: inventory → every shard file of every set. */
export function buildTargets(inventory: NetBoxInventory, shardMaxBytes = SHARD_MAX_BYTES): BuiltTargets {
  const regions = regionsBySite(inventory.sites);
  const devices: MonitoredDevice[] = [];
  const problems: DeviceProblem[] = [];
  for (const raw of inventory.devices) {
    const parsed = parseDevice(raw, regions);
    problems.push(...parsed.problems);
    if (parsed.device) devices.push(parsed.device);
  }
  const entries = generateTargets(devices, assignTargetNames(devices));
  const files = shardAll(entries, shardMaxBytes);
  const targets = Object.fromEntries(TARGET_SETS.map((s) => [s, entries[s].length])) as Record<TargetSet, number>;
  return { files, targets, devices: devices.length, problems };
}

/** The sets that would lose more targets than the guard allows. */
export function massDeletions(targets: Readonly<Record<TargetSet, number>>, live: readonly { set: TargetSet; targets: number }[], guard: MassDeletionGuard): SetDrop[] {
  return TARGET_SETS.flatMap((set) => {
    const before = live.filter((l) => l.set === set).reduce((n, l) => n + l.targets, 0);
    const after = targets[set];
    const dropped = before - after;
    return dropped > guard.minTargets && dropped * 100 > before * guard.maxDropPercent ? [{ set, before, after }] : [];
  });
}

export interface SyncResult {
  readonly devices: number;
  /** Seconds spent reading NetBox, building the files, reading and writing the ConfigMaps. */
  readonly phases: Readonly<Record<'netbox' | 'build' | 'read' | 'write', number>>;
  readonly targets: Readonly<Record<TargetSet, number>>;
  /** The ConfigMaps written, `namespace/name`. */
  readonly written: readonly string[];
  readonly problems: readonly DeviceProblem[];
}

/**
 * One sync: read the whole inventory, build every target file, check the mass-
 * deletion guard against what the cluster holds, and write the files that changed.
 * Any failure before the write leaves every ConfigMap as it was.
 */
export async function sync(source: InventorySource, store: TargetStore, metrics: SyncMetrics, options: SyncOptions, log: Logger): Promise<SyncResult> {
  const stop = metrics.duration.startTimer();
  let mark = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const seconds = Math.round(now - mark) / 1000;
    mark = now;
    return seconds;
  };
  try {
    const inventory = await source.inventory();
    const netbox = lap();
    const built = buildTargets(inventory, options.shardMaxBytes);
    const build = lap();
    for (const p of built.problems) {
      log('warn', `device ${p.device} (NetBox id ${p.deviceId}): ${p.field}: ${p.message}; ${p.consequence}`, { device: p.device, deviceId: p.deviceId, field: p.field });
    }
    const live = await store.read();
    const read = lap();
    const drops = massDeletions(built.targets, live, options.guard);
    if (drops.length > 0) {
      if (!options.force) {
        for (const d of drops) metrics.refusals.inc({ set: d.set });
        throw new MassDeletionRefused(drops, options.guard);
      }
      log('warn', `forced: writing despite the mass-deletion guard: ${drops.map((d) => `${d.set} ${d.before} → ${d.after}`).join(', ')}`);
    }
    const { growing, shrinking } = changedFiles(built.files, live);
    await store.write(growing);
    await store.write(shrinking);
    const changed = [...growing, ...shrinking];
    const write = lap();
    for (const f of changed) metrics.writes.inc({ set: f.set });
    for (const set of TARGET_SETS) metrics.targets.set({ type: set }, built.targets[set]);
    metrics.reportProblems(built.problems);
    metrics.succeeded(new Date());
    stop({ result: 'success' });
    return { devices: built.devices, phases: { netbox, build, read, write }, targets: built.targets, written: changed.map((f) => `${f.namespace}/${f.configMap}`), problems: built.problems };
  } catch (e) {
    if (e instanceof MassDeletionRefused) {
      stop({ result: 'refused' });
    } else {
      metrics.errors.inc();
      stop({ result: 'error' });
    }
    throw e;
  }
}
