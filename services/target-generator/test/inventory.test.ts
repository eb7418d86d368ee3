import { NetBoxError } from '@helios/netbox-client';
import { tokenFile } from './helpers.js';
import { NetBoxFake } from './netbox-fake.js';
import { NetBoxInventorySource } from '../src/netbox/inventory.js';

describe('the Target Generator\'s NetBox inventory, against the NetBox fake', () => {
  let fake: NetBoxFake;
  const source = (options: Partial<ConstructorParameters<typeof NetBoxInventorySource>[0]> = {}) => new NetBoxInventorySource({
    url: fake.url, tokenFile: tokenFile(fake), pageSize: 2, retries: 0, ...options,
  });
  const deviceRequests = () => fake.requests.filter((r) => r.url.startsWith('/api/dcim/devices/')).map((r) => r.url);

  beforeEach(async () => {
    fake = await NetBoxFake.start();
    fake.addSite('ams1', 'europe');
    fake.addSite('nyc1', 'americas');
    for (let i = 1; i <= 5; i++) fake.addDevice({ name: `leaf-${i}`, site: i <= 3 ? 'ams1' : 'nyc1', customFields: { helios_monitor: true } });
    fake.addDevice({ name: 'not-monitored', site: 'ams1', customFields: { helios_monitor: false } });
    fake.addDevice({ name: 'unset', site: 'ams1' });
  });
  afterEach(async () => {
    expect(fake.violations).toEqual([]);
    await fake.stop();
  });

  it('reads every monitored device without its config context, and every site, keeping what the generators read', async () => {
    const { devices, sites } = await source().inventory();
    expect(devices.map((d) => d.name)).toEqual(['leaf-1', 'leaf-2', 'leaf-3', 'leaf-4', 'leaf-5']);
    expect(sites.map((s) => s.region)).toEqual(['europe', 'americas']);
    expect(deviceRequests()).toEqual([0, 2, 4].map((offset) => `/api/dcim/devices/?limit=2&offset=${offset}&ordering=id&cf_helios_monitor=true&exclude=config_context`));
    expect(devices[0]).toEqual({
      id: expect.any(Number), name: 'leaf-1', siteId: expect.any(Number), site: 'ams1', role: 'leaf', vendor: 'arista', platform: 'eos',
      primaryIp: expect.stringMatching(/^10\.\d+\.\d+\.\d+\/32$/), customFields: expect.objectContaining({ helios_monitor: true, gnmi_port: null }),
    });
  });

  it('adds the configured device filter before its own', async () => {
    const { devices } = await source({ deviceFilter: new URLSearchParams('site=nyc1&status=active'), pageSize: 500 }).inventory();
    expect(devices.map((d) => d.name)).toEqual(['leaf-4', 'leaf-5']);
    expect(deviceRequests()).toEqual(['/api/dcim/devices/?limit=500&offset=0&ordering=id&site=nyc1&status=active&cf_helios_monitor=true&exclude=config_context']);
  });

  it('refuses a device filter that would change what it reads', () => {
    for (const key of ['cf_helios_monitor', 'exclude', 'offset']) {
      expect(() => source({ deviceFilter: new URLSearchParams(`${key}=1`) }))
        .toThrow(`the device filter may not set "${key}": the Target Generator sets limit, offset, ordering, exclude, cf_helios_monitor itself`);
    }
  });

  it('fails, naming the device, on a device without what the generators read', async () => {
    const error = await source({
      // A NetBox (or proxy) that drops the role from the answer.
      fetch: async (request) => {
        const response = await fetch(request);
        if (!request.url.includes('/api/dcim/devices/')) return response;
        const page = await response.json() as { results: Array<Record<string, unknown>> };
        delete page.results[0].role;
        return new Response(JSON.stringify(page), { status: 200, headers: { 'Content-Type': 'application/json' } });
      },
    }).inventory().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetBoxError);
    expect((error as NetBoxError).message).toMatch(/^NetBox GET \/api\/dcim\/devices\/\?limit=2&offset=0&ordering=id&cf_helios_monitor=true&exclude=config_context: object \d+ is not what NetBox sends: no "role" with a slug$/);
  });
});
