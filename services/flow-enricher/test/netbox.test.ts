import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../src/enrich/inventory.js';
import { keyOf, parseAddress } from '../src/enrich/ip.js';
import { Logger } from '../src/log.js';
import { NetboxRefresher } from '../src/netbox/refresher.js';
import { NetboxReader } from '../src/netbox/source.js';
import { runDir } from '../../../test/peers/harness/process.js';
import { netboxFixture } from './fixture.js';
import { NetboxFake } from './netbox-fake.js';

const TOKEN = '0123456789abcdef0123456789abcdef01234567';

function tokenFile(text = `${TOKEN}\n`): string {
  const path = join(runDir(), `token-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text);
  return path;
}

const quiet = () => {
  const lines: Array<Record<string, unknown>> = [];
  return { log: new Logger('debug', (l) => { lines.push(JSON.parse(l)); }), lines };
};

describe('NetboxReader against the NetBox fake', () => {
  it('reads the five lists, asks only for addresses on device interfaces, and keeps only the fields read of prefixes and addresses', async () => {
    const fake = await NetboxFake.start(netboxFixture(), { token: TOKEN, maxPageSize: 2 });
    try {
      const data = await new NetboxReader({ url: fake.url, tokenFile: tokenFile() }).fetchAll();
      expect(data.devices.map((d) => d.name)).toEqual(['edge-sto1-01', 'edge-lon2-01', 'spine-fra1-01', 'pp-sto1-01']);
      expect([data.sites.length, data.interfaces.length, data.prefixes.length]).toEqual([3, 7, 9]);
      expect(fake.requests.filter((r) => r.includes('/ipam/ip-addresses/'))).toEqual([0, 2, 4].map((offset) => `GET /api/ipam/ip-addresses/?limit=1000&offset=${offset}&ordering=id&assigned_object_type=dcim.interface`));
      expect(data.ipAddresses).toEqual([
        { id: 1001, address: '10.1.5.7/28', assigned_object_type: 'dcim.interface', assigned_object: { id: 301, name: 'swp1', device: { id: 13 } } },
        { id: 1002, address: '10.2.3.4/16', assigned_object_type: 'dcim.interface', assigned_object: { id: 201, name: 'xe-0/0/0', device: { id: 12 } } },
        { id: 1003, address: '2001:db8:1::9/64', assigned_object_type: 'dcim.interface', assigned_object: { id: 202, name: 'xe-0/0/1', device: { id: 12 } } },
        { id: 1004, address: '10.1.9.9/16', assigned_object_type: 'dcim.interface', assigned_object: { id: 101, name: 'Ethernet1', device: { id: 11 } } },
        { id: 1006, address: '89.160.20.128/24', assigned_object_type: 'dcim.interface', assigned_object: { id: 102, name: 'Ethernet2', device: { id: 11 } } },
        { id: 1007, address: '89.160.20.200/24', assigned_object_type: 'dcim.interface', assigned_object: { id: 302, name: 'swp2', device: { id: 13 } } },
      ]);
      expect(data.prefixes.find((p) => p.id === 2)).toEqual({
        id: 2, prefix: '10.1.5.0/24', scope_type: 'dcim.site', scope: { id: 3, slug: 'fra1' }, tenant: { id: 902, slug: 'dc-fabric' }, role: { id: 802, slug: 'servers' }, vlan: { id: 51, vid: 105 },
      });
    } finally {
      await fake.stop();
    }
  });
});

describe('NetboxRefresher over NetboxReader against the NetBox fake', () => {
  it('loads every page of the five lists into the inventory, keeps the last good inventory when a page fails, and reports its age', async () => {
    const fake = await NetboxFake.start(netboxFixture(), { token: TOKEN, maxPageSize: 2 });
    try {
      const { log, lines } = quiet();
      const inventories: Inventory[] = [];
      let failures = 0;
      const refresher = new NetboxRefresher({
        source: new NetboxReader({ url: fake.url, tokenFile: tokenFile(), retries: 1, backoffMs: 1 }),
        intervalSeconds: 3600,
        log,
        onInventory: (i) => inventories.push(i),
        onFailure: () => failures++,
      });
      expect(await refresher.refresh()).toBe(true);
      const first = refresher.loadedAt!;
      expect(inventories[0].stats).toMatchObject({ devices: 4, hostAddresses: 6, prefixes: 9 });
      expect(inventories[0].hosts.get(keyOf(parseAddress('10.1.9.9')!))).toEqual({ device: 'edge-sto1-01', role: 'border', tenant: 'netops', site: 'sto1', interface: 'Ethernet1' });
      expect(lines.find((l) => l.msg === 'NetBox inventory loaded')).toMatchObject({ hostAddresses: 6, prefixes: 9, warnings: 0 });

      // NetBox fails on the second page of addresses: nothing half-loaded replaces the inventory.
      fake.fixture.ipAddresses.splice(0, 1);
      fake.requests.length = 0;
      fake.failWith = { status: 500, where: 'ip-addresses/?limit=1000&offset=2&ordering=id&assigned_object_type=dcim.interface' };
      expect(await refresher.refresh()).toBe(false);
      expect(fake.requests.filter((r) => r.includes('offset=2') && r.includes('ip-addresses'))).toHaveLength(2);
      expect([inventories.length, failures, refresher.loadedAt]).toEqual([1, 1, first]);
      expect(refresher.ageSeconds(first + 90_000)).toBe(90);
      expect(lines[lines.length - 1]).toMatchObject({ level: 'warn', msg: 'NetBox refresh failed; enriching from the last inventory', inventoryAgeSeconds: 0 });
      expect(lines[lines.length - 1].error).toBe('NetBox GET /api/ipam/ip-addresses/?limit=1000&offset=2&ordering=id&assigned_object_type=dcim.interface: HTTP 500: netbox-fake: failing on purpose (after 2 attempts)');

      // NetBox is back: the new inventory replaces the old one whole.
      fake.failWith = undefined;
      expect(await refresher.refresh()).toBe(true);
      expect(inventories).toHaveLength(2);
      expect(inventories[1].stats.hostAddresses).toBe(5);
      expect(inventories[1].hosts.get(keyOf(parseAddress('10.1.5.7')!))).toBeUndefined();
      expect(refresher.loadedAt!).toBeGreaterThanOrEqual(first);
    } finally {
      await fake.stop();
    }
  });
});

describe('NetboxRefresher', () => {
  it('loads on an interval, keeps the last inventory when NetBox fails, and reports its age', async () => {
    let calls = 0;
    let failing = false;
    const inventories: Inventory[] = [];
    const failures: number[] = [];
    const { log, lines } = quiet();
    const refresher = new NetboxRefresher({
      source: {
        fetchAll: async () => {
          calls++;
          if (failing || calls === 1) throw new Error('NetBox is down');
          return netboxFixture() as never;
        },
      },
      intervalSeconds: 3600,
      log,
      onInventory: (i) => inventories.push(i),
      onFailure: () => failures.push(calls),
      firstRetryMs: 10,
    });
    expect(refresher.ageSeconds()).toBeUndefined();
    expect(await refresher.loadFirst()).toBe(true);
    expect(calls).toBe(2);
    expect(inventories).toHaveLength(1);
    expect(lines.map((l) => l.msg)).toEqual(['NetBox inventory not loaded yet', 'NetBox inventory loaded']);
    expect(refresher.ageSeconds(refresher.loadedAt! + 42_000)).toBe(42);

    failing = true;
    expect(await refresher.refresh()).toBe(false);
    expect(inventories).toHaveLength(1);
    expect(refresher.loaded).toBe(true);
    expect(failures).toEqual([1, 3]);
    expect(lines[lines.length - 1]).toMatchObject({ level: 'warn', msg: 'NetBox refresh failed; enriching from the last inventory', error: 'NetBox is down' });

    failing = false;
    const [a, b] = await Promise.all([refresher.refresh(), refresher.refresh()]);
    expect([a, b, calls]).toEqual([true, true, 4]);
    refresher.start();
    refresher.stop();
  });

  it('logs inventory warnings, and stops waiting for a first inventory when stopped', async () => {
    const { log, lines } = quiet();
    const fixture = netboxFixture();
    fixture.interfaces[0].custom_fields = { ifindex: 'eth0' };
    const ok = new NetboxRefresher({ source: { fetchAll: async () => fixture as never }, intervalSeconds: 10, log, onInventory: () => {} });
    await ok.refresh();
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'NetBox inventory: interface Ethernet1 (id 101): custom field ifindex "eth0" is not an SNMP ifIndex (1 to 4294967295)' });
    expect(lines[1]).toMatchObject({ msg: 'NetBox inventory loaded', devices: 4, interfaces: 5, warnings: 1 });

    const never = new NetboxRefresher({ source: { fetchAll: async () => { throw new Error('down'); } }, intervalSeconds: 10, log, onInventory: () => {}, firstRetryMs: 60_000 });
    const loading = never.loadFirst();
    await new Promise((r) => setTimeout(r, 50));
    never.stop();
    expect(await loading).toBe(false);
  });
});
