import { isIP } from 'node:net';
import type { components } from '@helios/netbox-client';
import {
  BLACKBOX_MODULES, type BlackboxModule, DEFAULT_SNMP_AUTH, DEFAULT_TELEMETRY_PROFILE, type GnmiSubscription,
  SNMP_AUTHS, SNMP_MODULES, type SnmpAuth, type SnmpModule, type Taxonomy, TELEMETRY_PROFILES,
} from '../contract.js';

export type NetBoxDevice = components['schemas']['DeviceWithConfigContext'];
export type NetBoxSite = components['schemas']['Site'];

/**
 * The part of a NetBox device the Target Generator reads. The client keeps only
 * this of each page it reads: a full device is ~2 KiB of JSON, and a fleet of them
 * would otherwise stay in memory for the whole sync.
 */
export interface DeviceRecord {
  readonly id: number;
  readonly name: string;
  readonly siteId: number;
  readonly site: string;
  readonly role: string;
  readonly vendor: string;
  readonly platform: string;
  /** The primary IP with its prefix length, as NetBox has it ("10.0.0.1/24"), or "". */
  readonly primaryIp: string;
  readonly customFields: Readonly<Record<string, unknown>>;
}

export function deviceRecord(raw: NetBoxDevice): DeviceRecord {
  return {
    id: raw.id,
    name: raw.name ?? '',
    siteId: raw.site.id,
    site: raw.site.slug,
    role: raw.role.slug,
    vendor: raw.device_type.manufacturer.slug,
    platform: raw.platform?.slug ?? '',
    // NetBox's own choice between the v4 and v6 primary address (its PREFER_IPV4 setting).
    primaryIp: raw.primary_ip?.address ?? raw.primary_ip4?.address ?? raw.primary_ip6?.address ?? '',
    customFields: (raw.custom_fields ?? {}) as Record<string, unknown>,
  };
}

/** The part of a site the Target Generator reads: a device's site carries no region. */
export interface SiteRecord {
  readonly id: number;
  /** The region's slug, or "" for a site without one. */
  readonly region: string;
}

export function siteRecord(raw: NetBoxSite): SiteRecord {
  return { id: raw.id, region: raw.region?.slug ?? '' };
}

/** Site id → the slug of its region. */
export function regionsBySite(sites: readonly SiteRecord[]): Map<number, string> {
  return new Map(sites.map((s) => [s.id, s.region]));
}

/**
 * The NetBox custom fields the Target Generator reads, with the value a device gets
 * when the field is empty (null) or does not exist. README.md documents each one.
 */
export const CUSTOM_FIELD_DEFAULTS = {
  helios_gnmi: true,
  helios_snmp: true,
  gnmi_port: 57400,
  telemetry_profile: DEFAULT_TELEMETRY_PROFILE,
  snmp_module: [] as readonly SnmpModule[],
  snmp_auth: DEFAULT_SNMP_AUTH as SnmpAuth,
  blackbox_probes: ['icmp'] as readonly BlackboxModule[],
  monitoring_tier: 'standard',
  metrics_port: undefined as number | undefined,
} as const;

export type CustomField = keyof typeof CUSTOM_FIELD_DEFAULTS;

/** A monitored device as the generators see it: everything validated, defaults applied. */
export interface MonitoredDevice {
  readonly id: number;
  /** The device name in NetBox. */
  readonly name: string;
  /** The primary IP address, without its prefix length. */
  readonly address: string;
  readonly taxonomy: Taxonomy;
  /** @default - no gnmic target */
  readonly gnmi?: { readonly port: number; readonly subscriptions: readonly GnmiSubscription[] };
  /** @default - no SNMP target */
  readonly snmp?: { readonly modules: readonly SnmpModule[]; readonly auth: SnmpAuth };
  readonly probes: readonly BlackboxModule[];
  /** @default - no Prometheus target */
  readonly metricsPort?: number;
}

/** Why a device, or one of its target sets, is left out. */
export interface DeviceProblem {
  readonly deviceId: number;
  readonly device: string;
  /** The custom field (or `name`, `primary_ip`) at fault. */
  readonly field: CustomField | 'name' | 'primary_ip';
  readonly message: string;
  /** What the Target Generator does about it. */
  readonly consequence: string;
}

export interface ParsedDevice {
  /** Undefined when the device is left out entirely. */
  readonly device?: MonitoredDevice;
  readonly problems: readonly DeviceProblem[];
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** A custom field's value, or its problem. */
type Read<T> = { ok: true; value: T } | { ok: false; message: string };

function readBoolean(value: unknown, fallback: boolean): Read<boolean> {
  if (value === null || value === undefined) return { ok: true, value: fallback };
  if (typeof value === 'boolean') return { ok: true, value };
  return { ok: false, message: `${show(value)} is not true or false` };
}

function readPort(value: unknown, fallback: number | undefined): Read<number | undefined> {
  if (value === null || value === undefined) return { ok: true, value: fallback };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return { ok: true, value };
  return { ok: false, message: `${show(value)} is not a TCP port (an integer from 1 to 65535)` };
}

function readChoice<T extends string>(value: unknown, allowed: readonly T[], fallback: T): Read<T> {
  if (value === null || value === undefined || value === '') return { ok: true, value: fallback };
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return { ok: true, value: value as T };
  return { ok: false, message: `${show(value)} is not one of ${allowed.join(', ')}` };
}

/**
 * A list of choices: a multi-select custom field (a JSON list), or a text field
 * holding a comma-separated list. Returned in the order of `allowed`, without repeats.
 */
function readChoices<T extends string>(value: unknown, allowed: readonly T[], fallback: readonly T[]): Read<readonly T[]> {
  if (value === null || value === undefined) return { ok: true, value: fallback };
  const items = typeof value === 'string'
    ? value.split(',').map((s) => s.trim()).filter((s) => s !== '')
    : value;
  if (!Array.isArray(items) || items.some((i) => typeof i !== 'string')) {
    return { ok: false, message: `${show(value)} is not a list of ${allowed.join(', ')}` };
  }
  const unknown = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (unknown.length > 0) {
    return { ok: false, message: `${unknown.map(show).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not one of ${allowed.join(', ')}` };
  }
  return { ok: true, value: allowed.filter((a) => items.includes(a)) };
}

/** A Prometheus label value Helios accepts for the tier: short, lowercase, no spaces. */
const TIER = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;

function readTier(value: unknown): Read<string> {
  if (value === null || value === undefined || value === '') return { ok: true, value: CUSTOM_FIELD_DEFAULTS.monitoring_tier };
  if (typeof value === 'string' && TIER.test(value)) return { ok: true, value };
  return { ok: false, message: `${show(value)} is not a tier name (lowercase letters, digits, "-" and "_", at most 63)` };
}

/** "10.0.0.1/24" → "10.0.0.1"; undefined for anything that is not an address. */
function hostAddress(address: string): string | undefined {
  const host = address.split('/')[0];
  return host && isIP(host) ? host : undefined;
}

/**
 * Turns one NetBox device into a monitored device, applying the custom fields'
 * defaults. A bad value never stops the sync: a field that governs one target set
 * leaves out that set (and says so); a field every set depends on (the name, the
 * primary IP, the monitoring tier) leaves out the device.
 */
export function parseDevice(raw: DeviceRecord, regionBySite: ReadonlyMap<number, string>): ParsedDevice {
  const problems: DeviceProblem[] = [];
  const name = raw.name;
  const problem = (field: DeviceProblem['field'], message: string, consequence: string): void => {
    problems.push({ deviceId: raw.id, device: name || `#${raw.id}`, field, message, consequence });
  };
  const cf = raw.customFields;

  if (name === '') {
    problem('name', 'the device has no name', 'device left out');
    return { problems };
  }
  const address = hostAddress(raw.primaryIp);
  if (!address) {
    problem('primary_ip', 'the device has no primary IP address', 'device left out');
    return { problems };
  }
  const tier = readTier(cf.monitoring_tier);
  if (!tier.ok) {
    problem('monitoring_tier', tier.message, 'device left out');
    return { problems };
  }
  const taxonomy: Taxonomy = {
    device: name,
    site: raw.site,
    region: regionBySite.get(raw.siteId) ?? '',
    vendor: raw.vendor,
    platform: raw.platform,
    role: raw.role,
    tier: tier.value,
  };

  let gnmi: MonitoredDevice['gnmi'];
  const gnmiOn = readBoolean(cf.helios_gnmi, CUSTOM_FIELD_DEFAULTS.helios_gnmi);
  if (!gnmiOn.ok) {
    problem('helios_gnmi', gnmiOn.message, 'no gnmic target');
  } else if (gnmiOn.value) {
    const port = readPort(cf.gnmi_port, CUSTOM_FIELD_DEFAULTS.gnmi_port);
    const profile = readChoice(cf.telemetry_profile, Object.keys(TELEMETRY_PROFILES), CUSTOM_FIELD_DEFAULTS.telemetry_profile);
    if (!port.ok) problem('gnmi_port', port.message, 'no gnmic target');
    if (!profile.ok) problem('telemetry_profile', profile.message, 'no gnmic target');
    if (port.ok && profile.ok) gnmi = { port: port.value!, subscriptions: TELEMETRY_PROFILES[profile.value] };
  }

  let snmp: MonitoredDevice['snmp'];
  const snmpOn = readBoolean(cf.helios_snmp, CUSTOM_FIELD_DEFAULTS.helios_snmp);
  if (!snmpOn.ok) {
    problem('helios_snmp', snmpOn.message, 'no SNMP target');
  } else if (snmpOn.value) {
    const modules = readChoices(cf.snmp_module, SNMP_MODULES, CUSTOM_FIELD_DEFAULTS.snmp_module);
    const auth = readChoice(cf.snmp_auth, SNMP_AUTHS, CUSTOM_FIELD_DEFAULTS.snmp_auth);
    if (!modules.ok) problem('snmp_module', modules.message, 'no SNMP target');
    if (!auth.ok) problem('snmp_auth', auth.message, 'no SNMP target');
    // Interface counters are what every device is walked for; snmp_module adds vendor MIBs.
    if (modules.ok && auth.ok) snmp = { modules: SNMP_MODULES.filter((m) => m === 'if_mib' || modules.value.includes(m)), auth: auth.value };
  }

  let probes: readonly BlackboxModule[] = [];
  const probeList = readChoices(cf.blackbox_probes, BLACKBOX_MODULES, CUSTOM_FIELD_DEFAULTS.blackbox_probes);
  if (probeList.ok) probes = probeList.value;
  else problem('blackbox_probes', probeList.message, 'no blackbox probes');

  let metricsPort: number | undefined;
  const metrics = readPort(cf.metrics_port, CUSTOM_FIELD_DEFAULTS.metrics_port);
  if (metrics.ok) metricsPort = metrics.value;
  else problem('metrics_port', metrics.message, 'no Prometheus target');

  return { device: { id: raw.id, name, address, taxonomy, gnmi, snmp, probes, metricsPort }, problems };
}
