import { parse as parseYaml } from 'yaml';
import type { ExecutionTarget, ResolvedTarget } from '../api/types.js';

/**
 * Where the Target Generator writes the gnmic targets (its contract.ts; repeated
 * here because the image holds this service alone, and test/controller/targets.test.ts
 * fails when the two differ).
 */
export const GNMIC_TARGETS_NAMESPACE = 'helios-collection';
export const TARGET_SHARDS_MAX = 8;
/** The label the target ConfigMaps carry, with the set's name as value. */
export const TARGET_SET_LABEL = 'helios.io/target-set';
export function gnmicConfigMapName(shard: number): string {
  return `helios-targets-gnmic-${shard}`;
}
export function gnmicFileName(shard: number): string {
  return `gnmic-${shard}.yaml`;
}

/** Every gNMI-managed device NetBox knows, by target name. */
export type TargetInventory = ReadonlyMap<string, ResolvedTarget>;

/**
 * The devices in the gnmic target files (one per shard): each line is
 * `"name": {"address": "host:port", "event-tags": {taxonomy labels}, ...}`.
 * A file that is not such a map is an error naming its ConfigMap: resolving
 * against half an inventory could report a present device as missing.
 */
export function parseGnmicTargets(files: ReadonlyArray<{ readonly configMap: string; readonly text: string }>): TargetInventory {
  const inventory = new Map<string, ResolvedTarget>();
  for (const { configMap, text } of files) {
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new Error(`target ConfigMap ${configMap}: not YAML: ${(e as Error).message}`);
    }
    if (parsed === null || parsed === undefined) continue;
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`target ConfigMap ${configMap}: expected a map of target name to target, got ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
    for (const [name, target] of Object.entries(parsed as Record<string, unknown>)) {
      const t = target as { 'address'?: unknown; 'event-tags'?: unknown } | null;
      if (t === null || typeof t !== 'object' || typeof t.address !== 'string') {
        throw new Error(`target ConfigMap ${configMap}: target ${name} has no address`);
      }
      const tags = t['event-tags'];
      const labels = tags !== null && typeof tags === 'object'
        ? Object.fromEntries(Object.entries(tags as Record<string, unknown>).filter(([, v]) => typeof v === 'string') as Array<[string, string]>)
        : {};
      inventory.set(name, { name, address: t.address, labels });
    }
  }
  return inventory;
}

export type Resolution =
  | { readonly ok: true; readonly targets: readonly ResolvedTarget[] }
  | { readonly ok: false; readonly reason: 'TargetNotFound' | 'InvalidTarget'; readonly message: string };

/** The devices an execution acts on: the named device, or every device whose labels match the selector (sorted by name). */
export function resolveTargets(target: ExecutionTarget | undefined, inventory: TargetInventory): Resolution {
  const device = target?.device;
  const matchLabels = target?.selector?.matchLabels;
  if ((device === undefined) === (matchLabels === undefined)) {
    return { ok: false, reason: 'InvalidTarget', message: 'spec.target: set exactly one of device and selector' };
  }
  if (device !== undefined) {
    const found = inventory.get(device);
    if (found === undefined) {
      return { ok: false, reason: 'TargetNotFound', message: `spec.target.device: ${JSON.stringify(device)} is not in the gnmic target ConfigMaps (NetBox does not list it as a gNMI-managed device)` };
    }
    return { ok: true, targets: [found] };
  }
  const wanted = Object.entries(matchLabels!);
  if (wanted.length === 0) {
    return { ok: false, reason: 'InvalidTarget', message: 'spec.target.selector.matchLabels: empty; name at least one label (site, region, role, vendor, platform, tier)' };
  }
  const targets = [...inventory.values()]
    .filter((t) => wanted.every(([k, v]) => t.labels?.[k] === v))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (targets.length === 0) {
    return { ok: false, reason: 'TargetNotFound', message: `spec.target.selector.matchLabels: no device in the gnmic target ConfigMaps has ${wanted.map(([k, v]) => `${k}=${v}`).join(', ')}` };
  }
  return { ok: true, targets };
}

/** A target ConfigMap as the cache holds it. */
export interface TargetConfigMap {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * The inventory from the cached gnmic ConfigMaps, each shard parsed once per version:
 * at 10,000 devices the files hold megabytes, and executions should not parse them
 * again and again.
 */
export class InventoryFromConfigMaps {
  private readonly parsed = new Map<string, { readonly version: string; readonly inventory: TargetInventory }>();

  public constructor(private readonly get: (name: string) => TargetConfigMap | undefined) {}

  public inventory(): TargetInventory {
    const merged = new Map<string, ResolvedTarget>();
    for (let shard = 0; shard < TARGET_SHARDS_MAX; shard++) {
      const configMap = gnmicConfigMapName(shard);
      const cm = this.get(configMap);
      if (cm === undefined) {
        this.parsed.delete(configMap);
        continue;
      }
      const version = cm.metadata?.resourceVersion ?? '';
      let entry = this.parsed.get(configMap);
      if (entry === undefined || entry.version !== version || version === '') {
        entry = { version, inventory: parseGnmicTargets([{ configMap, text: cm.data?.[gnmicFileName(shard)] ?? '' }]) };
        this.parsed.set(configMap, entry);
      }
      for (const [name, target] of entry.inventory) merged.set(name, target);
    }
    return merged;
  }
}
