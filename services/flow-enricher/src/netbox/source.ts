import { type components, NetBoxClient, type NetBoxClientOptions } from '@helios/netbox-client';
import type { NetboxSource } from './refresher.js';
import type { NetboxBrief, NetboxData, NetboxIpAddress, NetboxPrefix } from '../enrich/inventory.js';

const brief = (b: NetboxBrief | null | undefined): NetboxBrief | null => (b ? { id: b.id, slug: b.slug } : null);

function prefixFields(p: components['schemas']['Prefix']): NetboxPrefix {
  return {
    id: p.id,
    prefix: p.prefix,
    scope_type: p.scope_type,
    // The document types `scope` as any object: NetBox nests the brief site, region, site group or location.
    scope: brief(p.scope as NetboxBrief | null | undefined),
    tenant: brief(p.tenant),
    role: brief(p.role),
    vlan: p.vlan ? { id: p.vlan.id, vid: p.vlan.vid } : null,
  };
}

function ipAddressFields(ip: components['schemas']['IPAddress']): NetboxIpAddress {
  // For dcim.interface, NetBox's brief interface with its brief device (the document types it as any object).
  const a = ip.assigned_object as { id: number; name: string; device?: { id: number } } | null | undefined;
  return {
    id: ip.id,
    address: ip.address,
    assigned_object_type: ip.assigned_object_type,
    assigned_object: a?.device ? { id: a.id, name: a.name, device: { id: a.device.id } } : null,
  };
}

/** The five NetBox lists the enricher's inventory is built from, read with the services' NetBox client. */
export class NetboxReader implements NetboxSource {
  private readonly client: NetBoxClient;

  public constructor(options: NetBoxClientOptions) {
    this.client = new NetBoxClient(options);
  }

  public async fetchAll(): Promise<NetboxData> {
    // Sequential on purpose: NetBox is shared with people and other tools.
    // NetBox always sends a device's name (null when unset); the document makes it optional.
    const devices = await this.client.list('/api/dcim/devices/', { keep: (d) => ({ ...d, name: d.name ?? null }) });
    const sites = await this.client.list('/api/dcim/sites/');
    const interfaces = await this.client.list('/api/dcim/interfaces/');
    // The two long lists keep only the fields read, page by page: a full NetBox
    // ip-address is over a kilobyte, which for 100k addresses would be the
    // enricher's largest allocation (see bench/inventory-memory.ts).
    const prefixes = await this.client.list('/api/ipam/prefixes/', { keep: prefixFields });
    // Addresses on virtual machines' interfaces are not devices': not asked for. (The document
    // types this filter as a content-type id; NetBox takes the app_label.model name as well.)
    const ipAddresses = await this.client.list('/api/ipam/ip-addresses/', { filter: new URLSearchParams({ assigned_object_type: 'dcim.interface' }), keep: ipAddressFields });
    return { devices, sites, interfaces, prefixes, ipAddresses };
  }
}
