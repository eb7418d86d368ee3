/**
 * The contract between the Target Generator, which writes device targets into
 * ConfigMaps in helios-collection, and the collectors, which mount them.
 *
 * A target set can outgrow one ConfigMap (1 MiB) at 8,000+ devices, so each set is
 * written as numbered shards, `helios-targets-<set>-<n>`, each holding one file
 * `<set>-<n>.<ext>`. Collectors mount every possible shard (optional) into one
 * folder and read them all: Prometheus file_sd by glob, gnmic through one merged
 * file (its file loader reads a single path).
 */
export enum TargetSet {
  /** gnmic file-loader targets: a YAML map of target name → {address, tags, subscriptions}. */
  GNMIC = 'gnmic',
  /** Prometheus file_sd for snmp_exporter, with __param_module and __param_auth. */
  SNMP = 'snmp',
  /** Prometheus file_sd for blackbox_exporter, one entry per probe (module in __param_module). */
  BLACKBOX = 'blackbox',
  /** Prometheus file_sd for devices' own metrics endpoints and anything else scraped directly. */
  PROMETHEUS = 'prometheus',
}

/** How many shards of one set the collectors mount; ~900 KiB each. */
export const TARGET_SHARDS_MAX = 8;

/** The label every target ConfigMap carries, so the writer can list and prune its own. */
export const TARGET_SET_LABEL = 'helios.io/target-set';

/** Where collectors mount the target files. */
export const TARGETS_MOUNT_PATH = '/etc/helios/targets';

export function targetConfigMapName(set: TargetSet, shard: number): string {
  checkShard(shard);
  return `helios-targets-${set}-${shard}`;
}

export function targetFileName(set: TargetSet, shard: number): string {
  checkShard(shard);
  return `${set}-${shard}.${set === TargetSet.GNMIC ? 'yaml' : 'json'}`;
}

function checkShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= TARGET_SHARDS_MAX) {
    throw new Error(`target shard ${shard} is not between 0 and ${TARGET_SHARDS_MAX - 1}`);
  }
}
