import { keyOf, parseCidr } from './ip.js';
import { PrefixTable } from './prefix-table.js';

/**
 * The NetBox objects the enricher reads, as NetBox 4.3's REST API returns them
 * (only the fields used; the API sends more). device.site is a brief site without
 * its region, which comes from /api/dcim/sites/; the vendor is the manufacturer of
 * the device type; NetBox has no SNMP ifIndex field, so Helios reads the interface
 * custom field `ifindex`; an interface's speed is in Kbps.
 */
export interface NetboxBrief {
  readonly id: number;
  readonly name?: string | null;
  readonly slug?: string;
}

export interface NetboxDevice {
  readonly id: number;
  readonly name: string | null;
  readonly display: string;
  readonly device_type: { readonly manufacturer: NetboxBrief };
  readonly role: NetboxBrief;
  readonly tenant?: NetboxBrief | null;
  readonly platform?: NetboxBrief | null;
  readonly site: NetboxBrief;
  readonly primary_ip4?: { readonly address: string } | null;
  readonly primary_ip6?: { readonly address: string } | null;
  readonly oob_ip?: { readonly address: string } | null;
  readonly custom_fields?: Readonly<Record<string, unknown>>;
}

export interface NetboxSite {
  readonly id: number;
  readonly slug: string;
  readonly region?: NetboxBrief | null;
}

export interface NetboxInterface {
  readonly id: number;
  readonly device: { readonly id: number };
  readonly name: string;
  readonly speed?: number | null;
  readonly custom_fields?: Readonly<Record<string, unknown>>;
}

export interface NetboxPrefix {
  readonly id: number;
  readonly prefix: string;
  readonly scope_type?: string | null;
  readonly scope?: NetboxBrief | null;
  readonly tenant?: NetboxBrief | null;
  readonly role?: NetboxBrief | null;
  readonly vlan?: { readonly id: number; readonly vid: number } | null;
}

/**
 * An IP address assigned to a device interface. NetBox types `assigned_object`
 * by `assigned_object_type`; for `dcim.interface` it is a brief interface with
 * its brief device.
 */
export interface NetboxIpAddress {
  readonly id: number;
  readonly address: string;
  readonly assigned_object_type?: string | null;
  readonly assigned_object?: { readonly id: number; readonly name: string; readonly device: { readonly id: number } } | null;
}

/** The NetBox custom field holding a device's monitoring tier. */
export const TIER_FIELD = 'monitoring_tier';
/** The NetBox custom field holding an interface's SNMP ifIndex (NetBox has no such field of its own). */
export const IFINDEX_FIELD = 'ifindex';

/** What a flow's exporter is, in the taxonomy's words (slugs, as the Target Generator labels metrics). */
export interface Exporter {
  readonly deviceId: number;
  readonly name: string;
  readonly site: string;
  readonly region: string;
  readonly role: string;
  readonly tenant: string;
  readonly platform: string;
  readonly vendor: string;
  readonly tier: string;
}

export interface ExporterInterface {
  readonly name: string;
  readonly speedBps: number;
}

/** The device and interface an address is assigned to in NetBox. */
export interface Host {
  readonly device: string;
  readonly role: string;
  readonly tenant: string;
  readonly site: string;
  readonly interface: string;
}

/**
 * What NetBox's prefixes say about an address: each field from the most specific
 * prefix holding the address that sets it (a /28 without a VLAN inside a /24 in
 * VLAN 10 is in VLAN 10). The site is the prefix's scope when that is a site.
 */
export interface PrefixFacts {
  readonly site: string;
  readonly tenant: string;
  readonly role: string;
  /** The VLAN ID, 0 for none. */
  readonly vlan: number;
}

export interface InventoryStats {
  readonly devices: number;
  readonly exporterAddresses: number;
  readonly interfaces: number;
  /** Addresses assigned to device interfaces. */
  readonly hostAddresses: number;
  readonly prefixes: number;
  /** Problems worth a log line: shared addresses, bad ifindex values... */
  readonly warnings: readonly string[];
}

/** Everything the enricher knows from NetBox, ready for lookups. Immutable once built. */
export interface Inventory {
  /** Exporter address key (ip.ts) → its device. */
  readonly exporters: ReadonlyMap<number | string, Exporter>;
  /** Device id → ifIndex → interface. */
  readonly interfaces: ReadonlyMap<number, ReadonlyMap<number, ExporterInterface>>;
  /** Address key → the device interface it is assigned to. */
  readonly hosts: ReadonlyMap<number | string, Host>;
  /** Every prefix → what it and the prefixes around it say. */
  readonly prefixes: PrefixTable<PrefixFacts>;
  readonly stats: InventoryStats;
}

export interface NetboxData {
  readonly devices: readonly NetboxDevice[];
  readonly sites: readonly NetboxSite[];
  readonly interfaces: readonly NetboxInterface[];
  readonly prefixes: readonly NetboxPrefix[];
  readonly ipAddresses: readonly NetboxIpAddress[];
}

const slug = (b: NetboxBrief | null | undefined): string => b?.slug ?? '';

function customText(fields: Readonly<Record<string, unknown>> | undefined, name: string): string {
  const v = fields?.[name];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/**
 * Builds the lookup tables. A device is an exporter at its primary IPv4, primary
 * IPv6 and out-of-band addresses (exporters send from a loopback or from the
 * management interface). Where two devices claim one exporter address, the lower
 * device id keeps it, so the same inventory always gives the same answer. Flow
 * addresses are looked up in every address assigned to a device interface
 * (buildHosts) and in every prefix (buildPrefixes).
 */
export function buildInventory(data: NetboxData): Inventory {
  const warnings: string[] = [];
  const regionOfSite = new Map(data.sites.map((s) => [s.id, slug(s.region)]));
  const exporters = new Map<number | string, Exporter>();
  const devices = [...data.devices].sort((a, b) => a.id - b.id);
  for (const d of devices) {
    const exporter: Exporter = {
      deviceId: d.id,
      name: d.name ?? d.display,
      site: slug(d.site),
      region: regionOfSite.get(d.site.id) ?? '',
      role: slug(d.role),
      tenant: slug(d.tenant),
      platform: slug(d.platform),
      vendor: slug(d.device_type.manufacturer),
      tier: customText(d.custom_fields, TIER_FIELD),
    };
    for (const ip of [d.primary_ip4, d.primary_ip6, d.oob_ip]) {
      if (!ip) continue;
      const cidr = parseCidr(ip.address);
      if (!cidr) {
        warnings.push(`device ${exporter.name} (id ${d.id}): address ${JSON.stringify(ip.address)} is not an IP address`);
        continue;
      }
      const key = keyOf(cidr.address);
      const owner = exporters.get(key);
      if (owner && owner.deviceId !== d.id) {
        warnings.push(`address ${ip.address} belongs to devices ${owner.name} and ${exporter.name}; flows from it are attributed to ${owner.name}`);
      } else {
        exporters.set(key, exporter);
      }
    }
  }

  const interfaces = new Map<number, Map<number, ExporterInterface>>();
  let interfaceCount = 0;
  for (const i of [...data.interfaces].sort((a, b) => a.id - b.id)) {
    const raw = i.custom_fields?.[IFINDEX_FIELD];
    if (raw === null || raw === undefined || raw === '') continue;
    const ifIndex = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(ifIndex) || ifIndex < 1 || ifIndex > 0xffffffff) {
      warnings.push(`interface ${i.name} (id ${i.id}): custom field ${IFINDEX_FIELD} ${JSON.stringify(raw)} is not an SNMP ifIndex (1 to 4294967295)`);
      continue;
    }
    let byIndex = interfaces.get(i.device.id);
    if (!byIndex) interfaces.set(i.device.id, (byIndex = new Map()));
    if (byIndex.has(ifIndex)) {
      warnings.push(`interface ${i.name} (id ${i.id}): ifindex ${ifIndex} is already ${byIndex.get(ifIndex)!.name} on the same device`);
      continue;
    }
    byIndex.set(ifIndex, { name: i.name, speedBps: (i.speed ?? 0) * 1000 });
    interfaceCount++;
  }

  const hosts = buildHosts(data, warnings);
  const prefixes = buildPrefixes(data.prefixes, warnings);

  return {
    exporters,
    interfaces,
    hosts,
    prefixes,
    stats: {
      devices: data.devices.length,
      exporterAddresses: exporters.size,
      interfaces: interfaceCount,
      hostAddresses: hosts.size,
      prefixes: prefixes.size,
      warnings,
    },
  };
}

/**
 * Address → device interface. One Host object per interface, shared by its
 * addresses, and the strings shared with the device: what keeps 100k addresses
 * small (see bench/inventory-memory.ts). Where two interfaces hold one address
 * (VRRP, anycast, the same private address in two VRFs), the lower ip-address id
 * keeps it, so the same inventory always gives the same answer.
 */
function buildHosts(data: NetboxData, warnings: string[]): Map<number | string, Host> {
  const devices = new Map(data.devices.map((d) => [d.id, d]));
  const byInterface = new Map<number, Host>();
  const hosts = new Map<number | string, Host>();
  for (const ip of [...data.ipAddresses].sort((a, b) => a.id - b.id)) {
    const assigned = ip.assigned_object;
    if (ip.assigned_object_type !== 'dcim.interface' || !assigned?.device) continue;
    const d = devices.get(assigned.device.id);
    if (!d) {
      warnings.push(`address ${ip.address} (id ${ip.id}) is on interface ${assigned.name} of device id ${assigned.device.id}, which NetBox did not list`);
      continue;
    }
    const cidr = parseCidr(ip.address);
    if (!cidr) {
      warnings.push(`address ${JSON.stringify(ip.address)} (id ${ip.id}) is not an IP address`);
      continue;
    }
    let host = byInterface.get(assigned.id);
    if (!host) {
      host = { device: d.name ?? d.display, role: slug(d.role), tenant: slug(d.tenant), site: slug(d.site), interface: assigned.name };
      byInterface.set(assigned.id, host);
    }
    const key = keyOf(cidr.address);
    const owner = hosts.get(key);
    if (owner) {
      if (owner !== host) warnings.push(`address ${ip.address} is on ${owner.device} ${owner.interface} and ${host.device} ${host.interface}; flows with it are attributed to ${owner.device}`);
      continue;
    }
    hosts.set(key, host);
  }
  return hosts;
}

/** Every prefix, shortest first, so each inherits what a prefix around it sets and it does not. */
function buildPrefixes(prefixes: readonly NetboxPrefix[], warnings: string[]): PrefixTable<PrefixFacts> {
  const table = new PrefixTable<PrefixFacts>();
  const parsed: Array<{ p: NetboxPrefix; length: number; key: number | string }> = [];
  for (const p of prefixes) {
    const cidr = parseCidr(p.prefix);
    if (!cidr) warnings.push(`prefix ${JSON.stringify(p.prefix)} (id ${p.id}) is not a prefix`);
    else parsed.push({ p, length: cidr.length, key: keyOf(cidr.address) });
  }
  // The same prefix in two VRFs: the lower id, every time.
  parsed.sort((a, b) => a.length - b.length || a.p.id - b.p.id);
  for (const { p, key } of parsed) {
    const around = table.lookup(key);
    const own: PrefixFacts = {
      site: p.scope_type === 'dcim.site' ? slug(p.scope) : '',
      tenant: slug(p.tenant),
      role: slug(p.role),
      vlan: p.vlan?.vid ?? 0,
    };
    table.add(p.prefix, around ? {
      site: own.site || around.site,
      tenant: own.tenant || around.tenant,
      role: own.role || around.role,
      vlan: own.vlan || around.vlan,
    } : own);
  }
  return table;
}

/** An inventory with nothing in it. */
export function emptyInventory(): Inventory {
  return buildInventory({ devices: [], sites: [], interfaces: [], prefixes: [], ipAddresses: [] });
}
