import { k8s } from 'cdk8s-plus-28';
import { HeliosNamespace, type HeliosNamespaceName } from './namespaces.js';

/**
 * The contract between the Target Generator, which writes device targets into
 * ConfigMaps, and the collectors, which mount them. A pod can mount ConfigMaps of
 * its own namespace only, so each set lives beside its reader (`targetNamespace`):
 * gnmic's in helios-collection, the Prometheus file_sd sets in helios-storage.
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

/** The namespace a set's ConfigMaps are written to: where the pods that read them run. */
export function targetNamespace(set: TargetSet): HeliosNamespaceName {
  // gnmic loads its targets itself; every other set is Prometheus file_sd, read by the
  // Prometheus shards, which run in helios-storage and so cannot mount helios-collection's.
  return set === TargetSet.GNMIC ? HeliosNamespace.COLLECTION : HeliosNamespace.STORAGE;
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

/** The glob under TARGETS_MOUNT_PATH that matches every shard file of a set (Prometheus file_sd takes it as is). */
export function targetFilesGlob(set: TargetSet): string {
  return `${TARGETS_MOUNT_PATH}/${set}-*.${set === TargetSet.GNMIC ? 'yaml' : 'json'}`;
}

/**
 * One volume showing every possible shard of the given sets in one folder, each
 * shard optional: a reader starts before the Target Generator's first sync, and a
 * shard written later appears in the running pod. Mount it whole at
 * TARGETS_MOUNT_PATH, never with subPath (subPath mounts receive no updates).
 */
export function targetFilesVolume(name: string, sets: readonly TargetSet[]): k8s.Volume {
  const namespaces = new Set(sets.map(targetNamespace));
  if (namespaces.size !== 1) {
    throw new Error(`target volume ${name}: the sets ${sets.join(', ')} live in ${[...namespaces].join(' and ')}; a pod mounts ConfigMaps of its own namespace only`);
  }
  return {
    name,
    projected: {
      sources: [...sets].sort().flatMap((set) => Array.from({ length: TARGET_SHARDS_MAX }, (_, shard) => ({
        configMap: { name: targetConfigMapName(set, shard), optional: true },
      }))),
    },
  };
}

function checkShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= TARGET_SHARDS_MAX) {
    throw new Error(`target shard ${shard} is not between 0 and ${TARGET_SHARDS_MAX - 1}`);
  }
}

/**
 * What the target files contain.
 *
 * gnmic (`gnmic-<n>.yaml`), a YAML map, one entry per device:
 *   <target name>:                      # NetBox device name as a valid Lease name: gnmicTargetNameProblem()
 *     address: "10.0.0.1:57400"         # primary IP and the gnmi_port custom field
 *     subscriptions: [interfaces, ...]  # GNMI_SUBSCRIPTIONS chosen by TELEMETRY_PROFILES[telemetry_profile]
 *     event-tags: { device, site, region, vendor, platform, role, tier }   # the taxonomy, on every series
 *     tags: ["site=ams1", ...]          # gnmic clustering: prefer an instance with matching tags
 * Credentials are never in target files: gnmic reads them from its environment (an ExternalSecret).
 * The generator writes one target per line in flow style, `"name": {"address": ..., ...}`
 * (YAML that is also JSON), so the shards' lines concatenate into one map; a shard
 * without targets is an empty file.
 *
 * Every shard of every set exists (the TargetGenerator construct creates them, empty, as
 * the generator may not create objects); shards a set does not need hold an empty list.
 *
 * snmp (`snmp-<n>.json`), Prometheus file_sd:
 *   [{ "targets": ["10.0.0.1"], "labels": { "__param_module": "if_mib,arista_eos",
 *      "__param_auth": "helios_v3", "device": ..., "site": ..., ...taxonomy } }]
 *   (a non-default SNMP port goes into the target as host:port)
 *
 * blackbox (`blackbox-<n>.json`), Prometheus file_sd, one entry per device and probe:
 *   [{ "targets": ["10.0.0.1"], "labels": { "__param_module": "icmp", ...taxonomy } }]
 *
 * prometheus (`prometheus-<n>.json`), Prometheus file_sd: devices that serve Prometheus
 * metrics themselves (NetBox custom field metrics_port), scraped directly:
 *   [{ "targets": ["10.0.0.1:9100"], "labels": { ...taxonomy } }]
 *
 * Every list is sorted by target name, so the same inventory gives the same bytes.
 */

/**
 * The gnmic cluster's name. gnmic's Kubernetes locker holds one Lease per target
 * named `gnmic-<cluster>-targets-<target>` and labels it with that same string as
 * a label key, which Kubernetes caps at 63 characters; hence the target-name limit.
 */
export const GNMIC_CLUSTER_NAME = 'helios';

/** The longest gnmic target name whose Lease label key stays within 63 characters. */
export const GNMIC_TARGET_NAME_MAX = 63 - `gnmic-${GNMIC_CLUSTER_NAME}-targets-`.length;

/** Why a gnmic target name is unusable as part of a Lease name and label key, or undefined when it is fine. */
export function gnmicTargetNameProblem(name: string): string | undefined {
  if (name.length > GNMIC_TARGET_NAME_MAX) {
    return `gnmic target "${name}" is ${name.length} characters; at most ${GNMIC_TARGET_NAME_MAX} fit in its Lease label key`;
  }
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name) || /\.\.|-\.|\.-/.test(name)) {
    return `gnmic target "${name}" is not a valid Lease name: use lowercase letters, digits, "-" and ".", each dot-separated part starting and ending with a letter or digit`;
  }
  return undefined;
}

/** The gnmic subscriptions the collector defines; targets name the ones they want. */
export const GNMI_SUBSCRIPTIONS = ['interfaces', 'system', 'platform', 'bgp'] as const;
export type GnmiSubscription = typeof GNMI_SUBSCRIPTIONS[number];

/** NetBox custom field telemetry_profile → the subscriptions a device gets. */
export const TELEMETRY_PROFILES: Readonly<Record<string, readonly GnmiSubscription[]>> = {
  /** Interface counters and state only: access switches, out-of-band gear. */
  minimal: ['interfaces'],
  /** Interfaces, CPU and memory, and hardware health: the default. */
  standard: ['interfaces', 'system', 'platform'],
  /** Everything, BGP included: routers, spines, borders. */
  routing: ['interfaces', 'system', 'platform', 'bgp'],
};
export const DEFAULT_TELEMETRY_PROFILE = 'standard';

/** snmp_exporter modules the collector ships (NetBox custom field snmp_module picks vendor ones). */
export const SNMP_MODULES = ['if_mib', 'arista_eos', 'cisco_iosxe', 'juniper_junos', 'paloalto_panos'] as const;
/** snmp_exporter auths the collector defines (NetBox custom field snmp_auth). */
export const SNMP_AUTHS = ['helios_v2c', 'helios_v3'] as const;
export const DEFAULT_SNMP_AUTH = 'helios_v3';

/** blackbox_exporter modules the collector defines (NetBox custom field blackbox_probes lists some). */
export const BLACKBOX_MODULES = ['icmp', 'tcp_connect', 'http_2xx', 'dns'] as const;
