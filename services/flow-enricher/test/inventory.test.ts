import { TwoGenerationCache } from '../src/enrich/address-cache.js';
import { buildInventory, emptyInventory, type NetboxData } from '../src/enrich/inventory.js';
import { addressKey, formatKey, keyOf, parseAddress, parseCidr } from '../src/enrich/ip.js';
import { PrefixTable } from '../src/enrich/prefix-table.js';
import { EDGE_LON2, EDGE_STO1, netboxFixture, STO1 } from './fixture.js';
import { device, iface, ipAddress, prefix } from './netbox-fake.js';

const key = (text: string) => keyOf(parseAddress(text)!);

describe('addresses', () => {
  it('parses IPv4 and IPv6 text, with and without prefix lengths', () => {
    expect(parseAddress('192.0.2.1')).toEqual(Uint8Array.from([192, 0, 2, 1]));
    expect(parseAddress('2001:db8::1')).toEqual(Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]));
    expect(parseAddress('::ffff:10.0.0.1')).toEqual(Uint8Array.from([...new Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1]));
    expect(parseAddress('fe80::1%eth0')).toHaveLength(16);
    expect(parseAddress('1:2:3:4:5:6:7:8')).toHaveLength(16);
    expect(parseCidr('10.1.0.0/16')).toEqual({ address: Uint8Array.from([10, 1, 0, 0]), length: 16 });
    expect(parseCidr('2001:db8::/32')?.length).toBe(32);
    expect(parseCidr('10.0.0.1')).toEqual({ address: Uint8Array.from([10, 0, 0, 1]), length: 32 });
  });

  it('rejects what is not an address', () => {
    for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.x', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', '::1.2.3']) {
      expect([bad, parseAddress(bad)]).toEqual([bad, undefined]);
    }
    for (const bad of ['10.0.0.0/33', '10.0.0.0/x', 'x/8', '10.0.0.0/8/8', '::/129']) {
      expect([bad, parseCidr(bad)]).toEqual([bad, undefined]);
    }
  });

  it('keys IPv4 (also IPv4-mapped) by number and IPv6 by bytes, and prints keys back', () => {
    expect(key('10.0.0.1')).toBe(0x0a000001);
    expect(key('::ffff:10.0.0.1')).toBe(0x0a000001);
    expect(typeof key('2001:db8::1')).toBe('string');
    expect(addressKey(new Uint8Array(5), 0, 5)).toBeUndefined();
    expect(formatKey(key('255.1.2.3'))).toBe('255.1.2.3');
    expect(formatKey(key('2001:db8::1'))).toBe('2001:db8:0:0:0:0:0:1');
  });
});

describe('PrefixTable', () => {
  it('answers with the longest prefix holding an address, IPv4 and IPv6', () => {
    const t = new PrefixTable<string>();
    expect(t.add('10.0.0.0/8', 'eight')).toBe(true);
    t.add('10.1.0.0/16', 'sixteen');
    t.add('10.1.2.3/32', 'host');
    t.add('0.0.0.0/0', 'default');
    t.add('2001:db8::/32', 'v6-32');
    t.add('2001:db8:1:ff00::/57', 'v6-57');
    expect(t.add('not a prefix', 'x')).toBe(false);
    expect(t.add('10.0.0.0/8', 'second')).toBe(true);
    expect(['10.1.2.3', '10.1.2.4', '10.2.0.1', '192.0.2.1'].map((a) => t.lookup(key(a)))).toEqual(['host', 'sixteen', 'eight', 'default']);
    expect(['2001:db8:1:ff40::1', '2001:db8:1:ff80::1', '2001:db9::1'].map((a) => t.lookup(key(a)))).toEqual(['v6-57', 'v6-32', undefined]);
    expect(t.size).toBe(6);
  });
});

describe('TwoGenerationCache', () => {
  it('keeps recently used entries and forgets the rest, between capacity and twice it', () => {
    const c = new TwoGenerationCache<number, string>(2);
    c.set(1, 'a');
    c.set(2, 'b');
    c.set(3, 'c'); // young {3}, old {1, 2}
    expect(c.get(1)).toBe('a'); // promoted: young {3, 1}
    c.set(4, 'd'); // young {4}, old {3, 1}
    expect([c.get(2), c.get(3), c.get(1), c.get(4)]).toEqual([undefined, 'c', 'a', 'd']);
    expect(c.size).toBeLessThanOrEqual(4);
    expect({ hits: c.hits, misses: c.misses }).toEqual({ hits: 4, misses: 1 });
    c.clear();
    expect(c.get(4)).toBeUndefined();
    expect(() => new TwoGenerationCache(0)).toThrow('cache capacity 0 is not a positive integer');
  });
});

describe('buildInventory (NetBox 4.3 objects → lookups)', () => {
  const inv = buildInventory(netboxFixture() as unknown as NetboxData);

  it('maps primary IPv4, primary IPv6 and out-of-band addresses to the device, in taxonomy slugs', () => {
    expect(inv.exporters.get(key('127.0.0.21'))).toEqual({
      deviceId: 11, name: 'edge-sto1-01', site: 'sto1', region: 'nordics', role: 'border', tenant: 'netops', platform: 'eos', vendor: 'arista', tier: 'gold',
    });
    expect(inv.exporters.get(key('2001:db8:ffff::22'))?.name).toBe('edge-lon2-01');
    expect(inv.exporters.get(key('127.0.0.23'))?.name).toBe('spine-fra1-01');
    expect(inv.exporters.get(key('192.0.2.13'))).toMatchObject({ region: '', platform: '', tier: '' });
    expect(inv.stats).toEqual({ devices: 4, exporterAddresses: 5, interfaces: 6, hostAddresses: 6, prefixes: 9, warnings: [] });
  });

  it('reads interfaces by their ifindex custom field, speed from Kbps to bit/s', () => {
    expect(inv.interfaces.get(11)?.get(10)).toEqual({ name: 'Ethernet1', speedBps: 10_000_000_000 });
    expect(inv.interfaces.get(12)?.get(6)).toEqual({ name: 'xe-0/0/1', speedBps: 0 });
    expect([...inv.interfaces.get(11)!.keys()]).toEqual([10, 20]);
  });

  it('maps every address on a device interface to the device\'s name, role, tenant and site and the interface, IPv4 and IPv6', () => {
    expect(inv.hosts.get(key('10.1.5.7'))).toEqual({ device: 'spine-fra1-01', role: 'spine', tenant: 'dc-fabric', site: 'fra1', interface: 'swp1' });
    expect(inv.hosts.get(key('::ffff:10.2.3.4'))).toEqual({ device: 'edge-lon2-01', role: 'edge', tenant: '', site: 'lon2', interface: 'xe-0/0/0' });
    expect(inv.hosts.get(key('2001:db8:1::9'))).toEqual({ device: 'edge-lon2-01', role: 'edge', tenant: '', site: 'lon2', interface: 'xe-0/0/1' });
    // An address on no interface, and an address NetBox does not have.
    expect([inv.hosts.get(key('10.2.0.1')), inv.hosts.get(key('10.1.5.8'))]).toEqual([undefined, undefined]);
  });

  it('answers with the most specific prefix, each field from the most specific prefix that sets it', () => {
    const facts = (a: string) => inv.prefixes.lookup(key(a));
    // 10.1.5.0/28 (role lab) in 10.1.5.0/24 (fra1, dc-fabric, servers, VLAN 105) in 10.1.0.0/16 (sto1) in 10.0.0.0/8 (region-scoped, netops).
    expect(facts('10.1.5.7')).toEqual({ site: 'fra1', tenant: 'dc-fabric', role: 'lab', vlan: 105 });
    expect(facts('10.1.5.200')).toEqual({ site: 'fra1', tenant: 'dc-fabric', role: 'servers', vlan: 105 });
    expect(facts('10.1.9.9')).toEqual({ site: 'sto1', tenant: 'netops', role: 'campus', vlan: 0 });
    // A region is not a site.
    expect(facts('10.3.0.1')).toEqual({ site: '', tenant: 'netops', role: '', vlan: 0 });
    expect(facts('172.16.0.1')).toEqual({ site: '', tenant: '', role: '', vlan: 0 });
    expect(facts('192.0.2.1')).toBeUndefined();
    expect(facts('2001:db8:1:5::1')).toEqual({ site: 'lon2', tenant: 'transit', role: 'p2p', vlan: 600 });
    expect(facts('2001:db8:1:6::1')).toEqual({ site: 'lon2', tenant: 'transit', role: '', vlan: 600 });
    expect(facts('2001:db8:2::1')).toBeUndefined();
  });

  it('gives the same answers whatever order NetBox lists prefixes and addresses in', () => {
    const fixture = netboxFixture();
    const reversed = buildInventory({ ...fixture, prefixes: [...fixture.prefixes].reverse(), ipAddresses: [...fixture.ipAddresses].reverse() } as unknown as NetboxData);
    for (const a of ['10.1.5.7', '10.1.5.200', '10.1.9.9', '10.3.0.1', '2001:db8:1:5::1', '2001:db8:1::9', '10.2.3.4']) {
      expect([a, reversed.prefixes.lookup(key(a)), reversed.hosts.get(key(a))]).toEqual([a, inv.prefixes.lookup(key(a)), inv.hosts.get(key(a))]);
    }
  });

  it('warns about shared addresses, bad addresses, bad ifindexes and duplicate ifindexes, and stays deterministic', () => {
    const twin = device({ id: 50, name: 'twin', site: STO1, role: 'border', manufacturer: 'Arista', primaryIp4: '127.0.0.21/32' });
    const broken = device({ id: 51, name: 'broken', site: STO1, role: 'border', manufacturer: 'Arista', primaryIp4: 'garbage' });
    const data = {
      sites: [STO1],
      devices: [twin, broken, EDGE_STO1, EDGE_LON2],
      interfaces: [iface(1, EDGE_STO1, 'a', 1000, 'x1'), iface(2, EDGE_STO1, 'b', 1000, 0), iface(3, EDGE_STO1, 'c', 1000, 7), iface(4, EDGE_STO1, 'd', 1000, 7)],
      prefixes: [prefix(1, '10.0.0.0/33', { type: 'dcim.site', object: STO1 })],
      ipAddresses: [
        ipAddress(7, '10.9.0.1/24', iface(3, EDGE_STO1, 'c', 1000, 7)),
        ipAddress(8, '10.9.0.1/24', iface(5, EDGE_LON2, 'vrrp', 1000, null)),
        ipAddress(9, 'nonsense', iface(3, EDGE_STO1, 'c', 1000, 7)),
        ipAddress(10, '10.9.0.2/24', iface(6, device({ id: 99, name: 'gone', site: STO1, role: 'x', manufacturer: 'X' }), 'e', 1000, null)),
      ],
    } as unknown as NetboxData;
    const built = buildInventory(data);
    expect(built.exporters.get(key('127.0.0.21'))?.name).toBe('edge-sto1-01');
    expect(built.stats.warnings).toEqual([
      'address 127.0.0.21/32 belongs to devices edge-sto1-01 and twin; flows from it are attributed to edge-sto1-01',
      'device broken (id 51): address "garbage" is not an IP address',
      'interface a (id 1): custom field ifindex "x1" is not an SNMP ifIndex (1 to 4294967295)',
      'interface b (id 2): custom field ifindex 0 is not an SNMP ifIndex (1 to 4294967295)',
      'interface d (id 4): ifindex 7 is already c on the same device',
      'address 10.9.0.1/24 is on edge-sto1-01 c and edge-lon2-01 vrrp; flows with it are attributed to edge-sto1-01',
      'address "nonsense" (id 9) is not an IP address',
      'address 10.9.0.2/24 (id 10) is on interface e of device id 99, which NetBox did not list',
      'prefix "10.0.0.0/33" (id 1) is not a prefix',
    ]);
    const again = buildInventory({ ...data, devices: [...data.devices].reverse(), ipAddresses: [...data.ipAddresses].reverse() });
    expect(again.exporters.get(key('127.0.0.21'))?.name).toBe('edge-sto1-01');
    expect(again.hosts.get(key('10.9.0.1'))?.device).toBe('edge-sto1-01');
  });

  it('has an empty form', () => {
    expect(emptyInventory().stats).toEqual({ devices: 0, exporterAddresses: 0, interfaces: 0, hostAddresses: 0, prefixes: 0, warnings: [] });
  });
});
