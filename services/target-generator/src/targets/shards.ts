import { createHash } from 'node:crypto';
import {
  TARGET_SETS, TARGET_SHARDS_MAX, TargetSet, targetConfigMapName, targetFileName, targetNamespace,
} from '../contract.js';
import type { TargetEntries, TargetEntry } from './generate.js';

/**
 * The most a shard's file may hold. A ConfigMap holds at most 1 MiB, its metadata
 * included (with the managed-fields record the API server adds on every apply).
 */
export const SHARD_MAX_BYTES = 900 * 1024;

/** One target file, as it goes into its ConfigMap. */
export interface ShardFile {
  readonly set: TargetSet;
  readonly shard: number;
  readonly namespace: string;
  readonly configMap: string;
  readonly fileName: string;
  readonly content: string;
  /** `sha256:<hex>` of the content. */
  readonly hash: string;
  /** How many targets the file holds. */
  readonly targets: number;
}

export function contentHash(content: string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** FNV-1a: a fast, stable string hash (the same in every process and version). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The file text of a set's entries (already sorted). An empty gnmic file is empty: it concatenates to nothing. */
export function renderFile(set: TargetSet, entries: readonly TargetEntry[]): string {
  if (set === TargetSet.GNMIC) return entries.map((e) => `${e.text}\n`).join('');
  return entries.length === 0 ? '[]\n' : `[\n${entries.map((e) => e.text).join(',\n')}\n]\n`;
}

/** The size renderFile's text will have (for JSON at most one byte more). */
function fileBytes(set: TargetSet, entries: readonly TargetEntry[]): number {
  const perLine = set === TargetSet.GNMIC ? 1 : 2;
  const lines = entries.reduce((n, e) => n + Buffer.byteLength(e.text) + perLine, 0);
  return set === TargetSet.GNMIC ? lines : lines + 4;
}

/**
 * Splits one set into shards. A device goes to shard hash(target name) mod N, with N
 * the fewest shards that keep every file under `maxBytes`: a device stays in its
 * shard from one sync to the next, so adding a device rewrites one ConfigMap, not
 * every one after it (as cutting a sorted list would). Shards from N up to
 * TARGET_SHARDS_MAX are returned empty: they exist so the collectors' mounts see a
 * file, and emptying them is how targets leave a shard that is no longer used.
 */
export function shardSet(set: TargetSet, entries: readonly TargetEntry[], maxBytes = SHARD_MAX_BYTES): ShardFile[] {
  const total = fileBytes(set, entries);
  const buckets = entries.map((e) => fnv1a(e.device));
  for (let n = Math.max(1, Math.ceil(total / maxBytes)); n <= TARGET_SHARDS_MAX; n++) {
    const shards: TargetEntry[][] = Array.from({ length: n }, () => []);
    entries.forEach((e, i) => shards[buckets[i] % n].push(e));
    if (shards.every((s) => fileBytes(set, s) <= maxBytes)) {
      return Array.from({ length: TARGET_SHARDS_MAX }, (_, shard) => {
        const content = renderFile(set, shards[shard] ?? []);
        return {
          set,
          shard,
          namespace: targetNamespace(set),
          configMap: targetConfigMapName(set, shard),
          fileName: targetFileName(set, shard),
          content,
          hash: contentHash(content),
          targets: shards[shard]?.length ?? 0,
        };
      });
    }
  }
  throw new Error(`${entries.length} ${set} targets (${Math.ceil(total / 1024)} KiB) do not fit in ${TARGET_SHARDS_MAX} ConfigMaps of ${Math.floor(maxBytes / 1024)} KiB, the most the collectors mount (TARGET_SHARDS_MAX)`);
}

/** Every shard file of every set: TARGET_SHARDS_MAX per set. */
export function shardAll(entries: TargetEntries, maxBytes = SHARD_MAX_BYTES): ShardFile[] {
  return TARGET_SETS.flatMap((set) => shardSet(set, entries[set], maxBytes));
}
