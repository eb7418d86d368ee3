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

export interface InventoryStats {
  readonly devices: number;
  readonly exporterAddresses: number;
  readonly interfaces: number;
  readonly sitePrefixes: number;
  /** Problems worth a log line: shared addresses, bad ifindex values... */
  readonly warnings: readonly string[];
}

/** Everything the enricher knows from NetBox, ready for lookups. Immutable once built. */
export interface Inventory {
  /** Exporter address key (ip.ts) → its device. */
  readonly exporters: ReadonlyMap<number | string, Exporter>;
  /** Device id → ifIndex → interface. */
  readonly interfaces: ReadonlyMap<number, ReadonlyMap<number, ExporterInterface>>;
  /** Site-scoped prefixes → site slug. */
  readonly prefixSites: PrefixTable<string>;
  readonly stats: InventoryStats;
}

export interface NetboxData {
  readonly devices: readonly NetboxDevice[];
  readonly sites: readonly NetboxSite[];
  readonly interfaces: readonly NetboxInterface[];
  readonly prefixes: readonly NetboxPrefix[];
}

const slug = (b: NetboxBrief | null | undefined): string => b?.slug ?? '';

function customText(fields: Readonly<Record<string, unknown>> | undefined, name: string): string {
  const v = fields?.[name];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/**
 * Builds the lookup tables. A device is an exporter at its primary IPv4, primary
 * IPv6 and out-of-band addresses (exporters send from a loopback or from the
 * management interface; other interface addresses are not read, to keep one
 * request per object type). Where two devices claim one address, the lower device
 * id keeps it, so the same inventory always gives the same answer.
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

  const prefixSites = new PrefixTable<string>();
  // Most specific first is not needed (the table matches longest prefixes), but the
  // same prefix in two VRFs must resolve the same way every time.
  for (const p of [...data.prefixes].sort((a, b) => a.id - b.id)) {
    if (p.scope_type !== 'dcim.site' || !p.scope?.slug) continue;
    if (!prefixSites.add(p.prefix, p.scope.slug)) warnings.push(`prefix ${JSON.stringify(p.prefix)} (id ${p.id}) is not a prefix`);
  }

  return {
    exporters,
    interfaces,
    prefixSites,
    stats: {
      devices: data.devices.length,
      exporterAddresses: exporters.size,
      interfaces: interfaceCount,
      sitePrefixes: prefixSites.size,
      warnings,
    },
  };
}

/** An inventory with nothing in it. */
export function emptyInventory(): Inventory {
  return buildInventory({ devices: [], sites: [], interfaces: [], prefixes: [] });
}
