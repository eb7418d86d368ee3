/**
 * The parts of Helios's target contract (constructs/platform/targets.ts and
 * taxonomy.ts) this service needs at run time. The service image holds the
 * service alone, not the construct library, so the values are repeated here;
 * test/contract.test.ts fails the moment the two differ.
 */

export enum TargetSet {
  GNMIC = 'gnmic',
  SNMP = 'snmp',
  BLACKBOX = 'blackbox',
  PROMETHEUS = 'prometheus',
}

export const TARGET_SETS: readonly TargetSet[] = [TargetSet.GNMIC, TargetSet.SNMP, TargetSet.BLACKBOX, TargetSet.PROMETHEUS];

export const TARGET_SHARDS_MAX = 8;
export const TARGET_SET_LABEL = 'helios.io/target-set';

export function targetConfigMapName(set: TargetSet, shard: number): string {
  return `helios-targets-${set}-${shard}`;
}

export function targetFileName(set: TargetSet, shard: number): string {
  return `${set}-${shard}.${set === TargetSet.GNMIC ? 'yaml' : 'json'}`;
}

export function targetNamespace(set: TargetSet): string {
  return set === TargetSet.GNMIC ? 'helios-collection' : 'helios-storage';
}

/** The gnmic cluster's name: gnmic's locker names a target's Lease, and a label key, `gnmic-helios-targets-<target>`. */
export const GNMIC_CLUSTER_NAME = 'helios';
/** The longest target name whose Lease label key stays within Kubernetes's 63 characters. */
export const GNMIC_TARGET_NAME_MAX = 63 - `gnmic-${GNMIC_CLUSTER_NAME}-targets-`.length;

export const TAXONOMY_LABELS = ['device', 'site', 'region', 'vendor', 'platform', 'role', 'tier'] as const;
export type TaxonomyLabel = typeof TAXONOMY_LABELS[number];
export type Taxonomy = Readonly<Record<TaxonomyLabel, string>>;

export const GNMI_SUBSCRIPTIONS = ['interfaces', 'system', 'platform', 'bgp'] as const;
export type GnmiSubscription = typeof GNMI_SUBSCRIPTIONS[number];

export const TELEMETRY_PROFILES: Readonly<Record<string, readonly GnmiSubscription[]>> = {
  minimal: ['interfaces'],
  standard: ['interfaces', 'system', 'platform'],
  routing: ['interfaces', 'system', 'platform', 'bgp'],
};
export const DEFAULT_TELEMETRY_PROFILE = 'standard';

export const SNMP_MODULES = ['if_mib', 'arista_eos', 'cisco_iosxe', 'juniper_junos', 'paloalto_panos'] as const;
export type SnmpModule = typeof SNMP_MODULES[number];
export const SNMP_AUTHS = ['helios_v2c', 'helios_v3'] as const;
export type SnmpAuth = typeof SNMP_AUTHS[number];
export const DEFAULT_SNMP_AUTH: SnmpAuth = 'helios_v3';

export const BLACKBOX_MODULES = ['icmp', 'tcp_connect', 'http_2xx', 'dns'] as const;
export type BlackboxModule = typeof BLACKBOX_MODULES[number];
