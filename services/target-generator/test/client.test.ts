import { NetBoxFake } from './netbox-fake.js';
import { NetBoxClient, NetBoxError } from '../src/netbox/client.js';

describe('the NetBox client, against the NetBox fake', () => {
  let fake: NetBoxFake;
  const client = (options: Partial<ConstructorParameters<typeof NetBoxClient>[0]> = {}) => new NetBoxClient({
    url: fake.url, token: fake.token, pageSize: 2, timeoutMs: 2000, retries: 2, backoffMs: 10, ...options,
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

  it('reads every monitored device page by page, following next, and every site', async () => {
    const { devices, sites } = await client().inventory();
    expect(devices.map((d) => d.name)).toEqual(['leaf-1', 'leaf-2', 'leaf-3', 'leaf-4', 'leaf-5']);
    expect(sites.map((s) => s.region)).toEqual(['europe', 'americas']);
    expect(deviceRequests()).toEqual([0, 2, 4].map((offset) => `/api/dcim/devices/?limit=2&offset=${offset}&ordering=id&cf_helios_monitor=true&exclude=config_context`));
    // Of each device, only what the generators read is kept.
    expect(devices[0]).toEqual({
      id: expect.any(Number), name: 'leaf-1', siteId: expect.any(Number), site: 'ams1', role: 'leaf', vendor: 'arista', platform: 'eos',
      primaryIp: expect.stringMatching(/^10\.\d+\.\d+\.\d+\/32$/), customFields: expect.objectContaining({ helios_monitor: true, gnmi_port: null }),
    });
  });

  it('adds the configured device filter and sends the token as NetBox expects', async () => {
    const { devices } = await client({ deviceFilter: new URLSearchParams('site=nyc1&status=active'), pageSize: 500 }).inventory();
    expect(devices.map((d) => d.name)).toEqual(['leaf-4', 'leaf-5']);
    expect(deviceRequests()).toEqual(['/api/dcim/devices/?limit=500&offset=0&ordering=id&site=nyc1&status=active&cf_helios_monitor=true&exclude=config_context']);
    await expect(client({ token: 'wrong' }).inventory()).rejects.toThrow('NetBox GET /api/dcim/sites/?limit=2&offset=0&ordering=id: HTTP 403: Invalid token');
  });

  it('refuses a filter that would change what it reads', () => {
    expect(() => client({ deviceFilter: new URLSearchParams('cf_helios_monitor=false') }))
      .toThrow('the device filter may not set "cf_helios_monitor": the Target Generator sets limit, offset, ordering, exclude, cf_helios_monitor itself');
  });

  it('follows next links by their query, whatever host NetBox prints behind a proxy', async () => {
    const proxied = await NetBoxFake.start({ advertisedUrl: 'https://netbox.internal.example:8443' });
    try {
      for (let i = 0; i < 3; i++) proxied.addDevice({ name: `d${i}`, site: 's', customFields: { helios_monitor: true } });
      const { devices } = await new NetBoxClient({ url: `${proxied.url}/`, token: proxied.token, pageSize: 2 }).inventory();
      expect(devices).toHaveLength(3);
    } finally {
      await proxied.stop();
    }
  });

  it('retries a failing page with backoff and carries on', async () => {
    fake.fail({ kind: 'status', status: 502 }, 2);
    const { devices } = await client().inventory();
    expect(devices).toHaveLength(5);
    expect(fake.requests.slice(0, 3).map((r) => r.url.split('?')[0])).toEqual(Array(3).fill('/api/dcim/sites/'));
  });

  it('gives up after the retries, naming the request, the failure and the attempts', async () => {
    fake.fail({ kind: 'status', status: 500 });
    const error = await client().inventory().catch((e) => e);
    expect(error).toBeInstanceOf(NetBoxError);
    expect(error.message).toBe('NetBox GET /api/dcim/sites/?limit=2&offset=0&ordering=id: HTTP 500 (after 3 attempts)');
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry what time will not fix (a refused token)', async () => {
    await expect(client({ token: 'nope' }).inventory()).rejects.toThrow(/HTTP 403/);
    expect(fake.requests).toHaveLength(1);
  });

  it('times out a NetBox that does not answer in time', async () => {
    fake.fail({ kind: 'delay', ms: 1500 });
    const started = Date.now();
    await expect(client({ timeoutMs: 200, retries: 1 }).inventory()).rejects.toThrow('NetBox GET /api/dcim/sites/?limit=2&offset=0&ordering=id: no complete answer within 0.2 s (NETBOX_TIMEOUT_SECONDS) (after 2 attempts)');
    expect(Date.now() - started).toBeLessThan(1400);
  });

  it('fails on a body that is not JSON, or JSON that is not a NetBox list', async () => {
    fake.fail({ kind: 'malformed' });
    await expect(client({ retries: 0 }).inventory()).rejects.toThrow(/^NetBox GET \/api\/dcim\/sites\/\?limit=2&offset=0&ordering=id: the response is not JSON: /);
    fake.fail({ kind: 'not-a-list' });
    await expect(client({ retries: 0 }).inventory()).rejects.toThrow('the response is not a NetBox list: "results" is not a list');
  });

  it('reads the list again when it changes during the read, and fails if it keeps changing', async () => {
    let added = 0;
    const changing = (limit: number) => client({
      fetch: async (request) => {
        const response = await fetch(request);
        if (request.url.includes('/api/dcim/devices/') && request.url.includes('offset=2') && added < limit) {
          added++;
          fake.addDevice({ name: `new-${added}`, site: 'ams1', customFields: { helios_monitor: true } });
        }
        return response;
      },
    });
    const { devices } = await changing(1).inventory();
    expect(devices.map((d) => d.name)).toEqual(['leaf-1', 'leaf-2', 'leaf-3', 'leaf-4', 'leaf-5', 'new-1']);
    added = 0;
    await expect(changing(2).inventory()).rejects.toThrow(/NetBox GET \/api\/dcim\/devices\/: the list changed while it was read twice in a row/);
  });
});
