/**
 * NetBox 4.3 objects as its REST API serializes them, for the NetBox fakes of
 * the Target Generator and the Flow Enricher. The fakes choose what a test is
 * about (names, site, role, addresses, custom fields); every other field gets the
 * value NetBox sends when it is unset, so each record passes NetBox's OpenAPI
 * document (the fakes check that on every answer).
 */

type Json = Record<string, unknown>;

/** The `family` NetBox gives an address or prefix. */
export function addressFamily(address: string): Json {
  return address.includes(':') ? { value: 6, label: 'IPv6' } : { value: 4, label: 'IPv4' };
}

/** An IP address nested in a device (primary_ip4, primary_ip6, oob_ip). */
export function nestedIpAddress(origin: string, id: number, address: string): Json {
  return {
    id,
    url: `${origin}/api/ipam/ip-addresses/${id}/`,
    display: address,
    family: addressFamily(address),
    address,
    description: '',
  };
}

export interface DeviceRecordFields {
  /** Where the fake says NetBox lives, e.g. "http://netbox.example.net". */
  readonly origin: string;
  readonly id: number;
  readonly name: string | null;
  /** Nested objects, as NetBox nests them. */
  readonly deviceType: Json;
  readonly role: Json;
  readonly site: Json;
  readonly tenant: Json | null;
  readonly platform: Json | null;
  /** e.g. { value: "active", label: "Active" } */
  readonly status: Json;
  readonly primaryIp4: Json | null;
  readonly primaryIp6: Json | null;
  readonly oobIp: Json | null;
  /** NetBox lists every custom field defined on devices, null when unset. */
  readonly customFields: Json;
  readonly created: string;
  readonly lastUpdated: string;
}

/**
 * A device as GET /api/dcim/devices/ lists it (DeviceWithConfigContext). `face`
 * and `airflow` are left out: NetBox sends null for a device without them, which
 * its own document does not allow (a drf-spectacular quirk), and leaving them out
 * is allowed.
 */
export function deviceRecord(f: DeviceRecordFields): Json {
  return {
    id: f.id,
    url: `${f.origin}/api/dcim/devices/${f.id}/`,
    display_url: `${f.origin}/dcim/devices/${f.id}/`,
    display: f.name ?? `Unnamed device (${f.id})`,
    name: f.name,
    device_type: f.deviceType,
    role: f.role,
    tenant: f.tenant,
    platform: f.platform,
    serial: '',
    asset_tag: null,
    site: f.site,
    location: null,
    rack: null,
    position: null,
    latitude: null,
    longitude: null,
    parent_device: null,
    status: f.status,
    primary_ip: f.primaryIp4 ?? f.primaryIp6,
    primary_ip4: f.primaryIp4,
    primary_ip6: f.primaryIp6,
    oob_ip: f.oobIp,
    cluster: null,
    virtual_chassis: null,
    vc_position: null,
    vc_priority: null,
    description: '',
    comments: '',
    config_template: null,
    config_context: {},
    local_context_data: null,
    tags: [],
    custom_fields: f.customFields,
    created: f.created,
    last_updated: f.lastUpdated,
    console_port_count: 0,
    console_server_port_count: 0,
    power_port_count: 0,
    power_outlet_count: 0,
    interface_count: 0,
    front_port_count: 0,
    rear_port_count: 0,
    device_bay_count: 0,
    module_bay_count: 0,
    inventory_item_count: 0,
  };
}

export interface SiteRecordFields {
  /** Where the fake says NetBox lives, e.g. "http://netbox.example.net". */
  readonly origin: string;
  readonly id: number;
  readonly name: string;
  readonly slug: string;
  /** The brief region, as NetBox nests it, or null. */
  readonly region: Json | null;
  readonly created: string;
  readonly lastUpdated: string;
}

/** A site as GET /api/dcim/sites/ lists it (Site), active, in no group and of no tenant. */
export function siteRecord(f: SiteRecordFields): Json {
  return {
    id: f.id,
    url: `${f.origin}/api/dcim/sites/${f.id}/`,
    display_url: `${f.origin}/dcim/sites/${f.id}/`,
    display: f.name,
    name: f.name,
    slug: f.slug,
    status: { value: 'active', label: 'Active' },
    region: f.region,
    group: null,
    tenant: null,
    facility: '',
    time_zone: null,
    description: '',
    physical_address: '',
    shipping_address: '',
    latitude: null,
    longitude: null,
    comments: '',
    asns: [],
    tags: [],
    custom_fields: {},
    created: f.created,
    last_updated: f.lastUpdated,
  };
}
