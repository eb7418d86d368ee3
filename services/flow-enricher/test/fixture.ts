import { peerData } from '../../../test/peers/harness/paths.js';
import { device, iface, ipAddress, prefix, region, site, type NetboxFixture } from './netbox-fake.js';

/**
 * The NetBox inventory the service tests enrich against. Exporters sit on
 * loopback addresses (the flow generator sends from 127.0.0.x) and on an sFlow
 * agent address; the expectations in the tests are written out by hand from
 * these objects and from the MaxMind test databases' source data.
 */
export const NORDICS = region(1, 'nordics');
export const UK = region(2, 'uk');
export const STO1 = site(1, 'sto1', NORDICS);
export const LON2 = site(2, 'lon2', UK);
export const FRA1 = site(3, 'fra1', null);

export const EDGE_STO1 = device({
  id: 11, name: 'edge-sto1-01', site: STO1, role: 'border', tenant: 'netops', platform: 'eos', manufacturer: 'Arista', tier: 'gold', primaryIp4: '127.0.0.21/32',
});
export const EDGE_LON2 = device({
  id: 12, name: 'edge-lon2-01', site: LON2, role: 'edge', platform: 'junos', manufacturer: 'Juniper', tier: 'silver', primaryIp4: '127.0.0.22/32', primaryIp6: '2001:db8:ffff::22/128',
});
export const SPINE_FRA1 = device({
  id: 13, name: 'spine-fra1-01', site: FRA1, role: 'spine', tenant: 'dc-fabric', manufacturer: 'Nvidia', primaryIp4: '192.0.2.13/32', oobIp: '127.0.0.23/24',
});
/** A device without addresses: never an exporter. */
export const PATCH_PANEL = device({ id: 14, name: 'pp-sto1-01', site: STO1, role: 'patch-panel', manufacturer: 'Generic' });

/** The fixture's interfaces, new objects on every call (tests change them). */
function interfaces() {
  return {
    ethernet1: iface(101, EDGE_STO1, 'Ethernet1', 10_000_000, 10),
    ethernet2: iface(102, EDGE_STO1, 'Ethernet2', 100_000_000, 20),
    management1: iface(103, EDGE_STO1, 'Management1', 1_000_000, null),
    xe0: iface(201, EDGE_LON2, 'xe-0/0/0', 10_000_000, 5),
    xe1: iface(202, EDGE_LON2, 'xe-0/0/1', null, '6'),
    swp1: iface(301, SPINE_FRA1, 'swp1', 25_000_000, 1),
    swp2: iface(302, SPINE_FRA1, 'swp2', 25_000_000, 2),
  };
}

export function netboxFixture(): NetboxFixture {
  const i = interfaces();
  return {
    sites: [STO1, LON2, FRA1],
    devices: [EDGE_STO1, EDGE_LON2, SPINE_FRA1, PATCH_PANEL],
    interfaces: Object.values(i),
    prefixes: [
      prefix(1, '10.1.0.0/16', { type: 'dcim.site', object: STO1 }, { role: 'campus' }),
      prefix(2, '10.1.5.0/24', { type: 'dcim.site', object: FRA1 }, { tenant: 'dc-fabric', role: 'servers', vlan: { id: 51, vid: 105, name: 'servers-105' } }),
      prefix(3, '10.2.0.0/16', { type: 'dcim.site', object: LON2 }),
      prefix(4, '89.160.20.0/24', { type: 'dcim.site', object: STO1 }, { tenant: 'hosting', role: 'public', vlan: { id: 53, vid: 20, name: 'dmz-20' } }),
      prefix(5, '2001:db8:1::/48', { type: 'dcim.site', object: LON2 }, { tenant: 'transit', vlan: { id: 52, vid: 600, name: 'transit-600' } }),
      prefix(6, '10.0.0.0/8', { type: 'dcim.region', object: NORDICS }, { tenant: 'netops' }),
      prefix(7, '172.16.0.0/12', null),
      // Inside 10.1.5.0/24 without a site, tenant or VLAN of its own: it takes those from the /24.
      prefix(8, '10.1.5.0/28', null, { role: 'lab' }),
      prefix(9, '2001:db8:1:5::/64', null, { role: 'p2p' }),
    ],
    ipAddresses: [
      ipAddress(1001, '10.1.5.7/28', i.swp1),
      ipAddress(1002, '10.2.3.4/16', i.xe0),
      ipAddress(1003, '2001:db8:1::9/64', i.xe1),
      ipAddress(1004, '10.1.9.9/16', i.ethernet1),
      ipAddress(1006, '89.160.20.128/24', i.ethernet2),
      ipAddress(1007, '89.160.20.200/24', i.swp2),
      // Not on an interface (a reservation): never a host, and NetBox is not asked for it.
      ipAddress(1005, '10.2.0.1/16', null),
    ],
  };
}

/** What NetBox says about each fixture host address, as EnrichedFlow's src_* fields (dst_* alike). */
export const EXPECTED_HOSTS = {
  '10.1.5.7': {
    src_device: 'spine-fra1-01', src_device_role: 'spine', src_device_tenant: 'dc-fabric', src_device_site: 'fra1', src_interface: 'swp1',
    src_prefix_tenant: 'dc-fabric', src_prefix_role: 'lab', src_vlan: 105,
  },
  '10.2.3.4': {
    src_device: 'edge-lon2-01', src_device_role: 'edge', src_device_tenant: '', src_device_site: 'lon2', src_interface: 'xe-0/0/0',
    src_prefix_tenant: 'netops', src_prefix_role: '', src_vlan: 0,
  },
  '2001:db8:1::9': {
    src_device: 'edge-lon2-01', src_device_role: 'edge', src_device_tenant: '', src_device_site: 'lon2', src_interface: 'xe-0/0/1',
    src_prefix_tenant: 'transit', src_prefix_role: '', src_vlan: 600,
  },
  '10.1.9.9': {
    src_device: 'edge-sto1-01', src_device_role: 'border', src_device_tenant: 'netops', src_device_site: 'sto1', src_interface: 'Ethernet1',
    src_prefix_tenant: 'netops', src_prefix_role: 'campus', src_vlan: 0,
  },
  '89.160.20.128': {
    src_device: 'edge-sto1-01', src_device_role: 'border', src_device_tenant: 'netops', src_device_site: 'sto1', src_interface: 'Ethernet2',
    src_prefix_tenant: 'hosting', src_prefix_role: 'public', src_vlan: 20,
  },
  '89.160.20.200': {
    src_device: 'spine-fra1-01', src_device_role: 'spine', src_device_tenant: 'dc-fabric', src_device_site: 'fra1', src_interface: 'swp2',
    src_prefix_tenant: 'hosting', src_prefix_role: 'public', src_vlan: 20,
  },
} as const;

/** EXPECTED_HOSTS[address] as the fields of a flow's `side` ("src" or "dst"). */
export function hostFields(side: 'src' | 'dst', address: keyof typeof EXPECTED_HOSTS): Record<string, string | number> {
  return Object.fromEntries(Object.entries(EXPECTED_HOSTS[address]).map(([k, v]) => [`${side}${k.slice(3)}`, v]));
}

/** What each fixture exporter contributes to an EnrichedFlow (slugs, as the taxonomy labels). */
export const EXPECTED_EXPORTERS = {
  '127.0.0.21': {
    exporter_name: 'edge-sto1-01', exporter_site: 'sto1', exporter_region: 'nordics', exporter_role: 'border',
    exporter_tenant: 'netops', exporter_platform: 'eos', exporter_vendor: 'arista', exporter_tier: 'gold',
  },
  '127.0.0.22': {
    exporter_name: 'edge-lon2-01', exporter_site: 'lon2', exporter_region: 'uk', exporter_role: 'edge',
    exporter_tenant: '', exporter_platform: 'junos', exporter_vendor: 'juniper', exporter_tier: 'silver',
  },
  '192.0.2.13': {
    exporter_name: 'spine-fra1-01', exporter_site: 'fra1', exporter_region: '', exporter_role: 'spine',
    exporter_tenant: 'dc-fabric', exporter_platform: '', exporter_vendor: 'nvidia', exporter_tier: '',
  },
} as const;

/** GeoIP answers of the MaxMind test databases (GeoIP2-City-Test, GeoLite2-ASN-Test) for the addresses the tests use. */
export const GEO = {
  '89.160.20.128': { country: 'SE', city: 'Linköping', as: 29518, as_name: 'Bredband2 AB' },
  '81.2.69.142': { country: 'GB', city: 'London', as: 0, as_name: '' },
  '1.128.0.0': { country: '', city: '', as: 1221, as_name: 'Telstra Pty Ltd' },
  '216.160.83.56': { country: 'US', city: 'Milton', as: 209, as_name: '' },
  '2001:218::1': { country: 'JP', city: '', as: 0, as_name: '' },
  '2600:7000::1': { country: '', city: '', as: 6939, as_name: 'Hurricane Electric, Inc.' },
} as const;

/** The MaxMind test databases, as the peers provisioning installed them. */
export const GEOIP_FILES = {
  cityDb: peerData('maxmind', 'GeoIP2-City-Test.mmdb'),
  asnDb: peerData('maxmind', 'GeoLite2-ASN-Test.mmdb'),
};
