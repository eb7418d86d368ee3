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

/**
 * What the target files contain.
 *
 * gnmic (`gnmic-<n>.yaml`), a YAML map, one entry per device:
 *   <target name>:                      # NetBox device name as a valid Lease name: lowercase, [a-z0-9.-]
 *     address: "10.0.0.1:57400"         # primary IP and the gnmi_port custom field
 *     subscriptions: [interfaces, ...]  # GNMI_SUBSCRIPTIONS chosen by TELEMETRY_PROFILES[telemetry_profile]
 *     event-tags: { device, site, region, vendor, platform, role, tier }   # the taxonomy, on every series
 *     tags: ["site=ams1", ...]          # gnmic clustering: prefer an instance with matching tags
 * Credentials are never in target files: gnmic reads them from its environment (an ExternalSecret).
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
