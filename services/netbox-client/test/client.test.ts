import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetboxFake, device, iface, ipAddress, prefix, region, site, validatePage, type NetboxFixture } from '../../../test/peers/harness/netbox-fake.js';
import { freePort, runDir } from '../../../test/peers/harness/process.js';
import { NetBoxClient, NetBoxError } from '../src/index.js';

const TOKEN = '0123456789abcdef0123456789abcdef01234567';

function tokenFile(text = `${TOKEN}\n`): string {
  const path = join(runDir(), `token-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text);
  return path;
}

/** Five sites and devices, an interface on each, a prefix and an address per device; listed out of id order. */
function fixture(): NetboxFixture {
  const nordics = region(1, 'nordics');
  const sites = [5, 3, 1, 4, 2].map((id) => site(id, `site-${id}`, id % 2 ? nordics : null));
  const devices = sites.map((s, i) => device({ id: 10 + Number(s.id), name: `leaf-${s.id}`, site: s, role: 'leaf', manufacturer: 'Arista', primaryIp4: `10.0.0.${i + 1}/32` }));
  const interfaces = devices.map((d) => iface(100 + Number(d.id), d, 'Ethernet1', 10_000_000, 1));
  return {
    devices,
    sites,
    interfaces,
    prefixes: devices.map((_, i) => prefix(20 + i, `10.${i}.0.0/16`, null)),
    ipAddresses: [...interfaces.map((f, i) => ipAddress(1000 + i, `10.${i}.0.1/16`, f)), ipAddress(2000, '192.0.2.1/24', null)],
  };
}

describe('NetBoxClient against the NetBox fake (answers checked against NetBox 4.3\'s OpenAPI document)', () => {
  let fake: NetboxFake;
  beforeEach(async () => {
    // Two objects per page, and `next` links naming an origin the client cannot reach (as behind a proxy).
    fake = await NetboxFake.start(fixture(), { token: TOKEN, maxPageSize: 2, advertisedOrigin: 'https://netbox.example.net:8443' });
  });
  afterEach(() => fake.stop());

  const client = (options: Partial<ConstructorParameters<typeof NetBoxClient>[0]> = {}) =>
    new NetBoxClient({ url: `${fake.url}/`, tokenFile: tokenFile(), retries: 2, backoffMs: 10, timeoutMs: 2000, ...options });

  it('reads every page of a list in id order, following `next` by its query on its own origin, with the token', async () => {
    const sites = await client().list('/api/dcim/sites/');
    expect(sites.map((s) => s.slug)).toEqual(['site-1', 'site-2', 'site-3', 'site-4', 'site-5']);
    expect(sites[0].region?.slug).toBe('nordics');
    // The fake cuts the asked-for 1000 to 2 per page; `next` keeps the limit asked for.
    expect(fake.requests).toEqual([0, 2, 4].map((offset) => `GET /api/dcim/sites/?limit=1000&offset=${offset}&ordering=id`));
  });

  it('sends filters after the paging parameters, and keeps of each object what `keep` makes of it', async () => {
    const addresses = await client({ pageSize: 3 }).list('/api/ipam/ip-addresses/', {
      filter: new URLSearchParams({ assigned_object_type: 'dcim.interface' }),
      keep: (ip) => `${ip.address} ${(ip.assigned_object as { name: string }).name}`,
    });
    expect(addresses).toEqual(['10.0.0.1/16 Ethernet1', '10.1.0.1/16 Ethernet1', '10.2.0.1/16 Ethernet1', '10.3.0.1/16 Ethernet1', '10.4.0.1/16 Ethernet1']);
    expect(fake.requests).toEqual([0, 2, 4].map((offset) => `GET /api/ipam/ip-addresses/?limit=3&offset=${offset}&ordering=id&assigned_object_type=dcim.interface`));
    const devices = await client().list('/api/dcim/devices/', { keep: (d) => ({ name: d.name, ip: d.primary_ip4?.address }) });
    expect(devices[0]).toEqual({ name: 'leaf-1', ip: '10.0.0.3/32' });
  });

  it('fails, naming the object, when `keep` refuses one', async () => {
    const error = await client().list('/api/dcim/interfaces/', {
      keep: (i) => {
        if (i.id === 113) throw new Error('no speed');
        return i.name;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetBoxError);
    expect((error as NetBoxError).message).toBe('NetBox GET /api/dcim/interfaces/?limit=1000&offset=2&ordering=id: object 113 is not what NetBox sends: no speed');
  });

  it('refuses a filter that sets what it sets itself', async () => {
    await expect(client().list('/api/dcim/sites/', { filter: new URLSearchParams('offset=5') }))
      .rejects.toThrow('a NetBox filter may not set "offset": the client sets limit, offset, ordering itself');
    expect(fake.requests).toEqual([]);
  });

  it('retries 5xx and 429 with backoff, then carries on', async () => {
    fake.failWith = { status: 503, times: 2 };
    expect(await client().list('/api/dcim/sites/')).toHaveLength(5);
    fake.failWith = { status: 429, times: 1, where: 'offset=2' };
    expect(await client().list('/api/dcim/sites/')).toHaveLength(5);
    expect(fake.requests.filter((r) => r.includes('offset=2'))).toHaveLength(3);
  });

  it('gives up after the retries, naming the request, the failure and the attempts', async () => {
    fake.failWith = { status: 502 };
    const error = await client().list('/api/dcim/sites/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetBoxError);
    expect((error as NetBoxError).message).toBe('NetBox GET /api/dcim/sites/?limit=1000&offset=0&ordering=id: HTTP 502: netbox-fake: failing on purpose (after 3 attempts)');
    expect((error as NetBoxError).retryable).toBe(true);
    expect(fake.requests).toHaveLength(3);
    // A proxy's HTML error page says nothing the status does not; its plain text does.
    fake.failWith = { status: 504, body: '<html><body>Gateway Timeout</body></html>' };
    await expect(client({ retries: 0 }).list('/api/dcim/sites/')).rejects.toThrow(/^NetBox GET \/api\/dcim\/sites\/\?limit=1000&offset=0&ordering=id: HTTP 504$/);
    fake.failWith = { status: 503, body: 'upstream connect error' };
    await expect(client({ retries: 0 }).list('/api/dcim/sites/')).rejects.toThrow(/: HTTP 503: upstream connect error$/);
  });

  it('does not retry a refused token, and says which token file to check', async () => {
    const wrong = tokenFile('wrong');
    const error = await client({ tokenFile: wrong }).list('/api/dcim/sites/').catch((e: unknown) => e);
    expect((error as NetBoxError).message).toBe(`NetBox GET /api/dcim/sites/?limit=1000&offset=0&ordering=id: HTTP 403: the token was refused (check the token in ${wrong} and its read permissions): Invalid token`);
    expect((error as NetBoxError).retryable).toBe(false);
    expect(fake.requests).toHaveLength(1);
    await expect(client({ tokenFile: undefined }).list('/api/dcim/sites/')).rejects.toThrow(': HTTP 403: the token was refused (check that NetBox allows anonymous reads and its read permissions): Authentication credentials were not provided.');
    await expect(client({ tokenFile: '/nonexistent/token' }).list('/api/dcim/sites/')).rejects.toThrow('cannot read the NetBox token file /nonexistent/token: ENOENT');
    const empty = tokenFile('\n');
    await expect(client({ tokenFile: empty }).list('/api/dcim/sites/')).rejects.toThrow(`the NetBox token file ${empty} is empty`);
  });

  it('reads the token file for every list, so a rotated token is picked up', async () => {
    const file = tokenFile('old-token');
    const rotating = client({ tokenFile: file, retries: 0 });
    await expect(rotating.list('/api/dcim/sites/')).rejects.toThrow(/HTTP 403/);
    writeFileSync(file, TOKEN);
    expect(await rotating.list('/api/dcim/sites/')).toHaveLength(5);
  });

  it('times out a NetBox that does not answer in time', async () => {
    fake.delayMs = 2000;
    const started = Date.now();
    await expect(client({ timeoutMs: 100, retries: 1 }).list('/api/dcim/sites/')).rejects.toThrow('NetBox GET /api/dcim/sites/?limit=1000&offset=0&ordering=id: no complete answer within 0.1 s (after 2 attempts)');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('fails on a body that is not JSON, JSON that is not a NetBox list, or a URL that is not a list', async () => {
    fake.failWith = { status: 200, body: '<html>maintenance</html>' };
    await expect(client({ retries: 1 }).list('/api/dcim/sites/')).rejects.toThrow(/^NetBox GET \/api\/dcim\/sites\/\?limit=1000&offset=0&ordering=id: the response is not JSON: .* \(after 2 attempts\)$/);
    fake.failWith = { status: 200, body: '{"detail":"ok"}' };
    await expect(client({ retries: 0 }).list('/api/dcim/sites/')).rejects.toThrow('NetBox GET /api/dcim/sites/?limit=1000&offset=0&ordering=id: the response is not a NetBox list: "count" is not a number');
    fake.failWith = { status: 200, body: '{"count":1,"next":null,"results":[{"name":"x"}]}' };
    await expect(client({ retries: 0 }).list('/api/dcim/sites/')).rejects.toThrow('the response is not a NetBox list: a result has no numeric "id"');
    fake.failWith = undefined;
    await expect(new NetBoxClient({ url: `${fake.url}/nothere`, tokenFile: tokenFile() }).list('/api/dcim/sites/')).rejects.toThrow('NetBox GET /api/dcim/sites/?limit=1000&offset=0&ordering=id: HTTP 404: Not found.');
  });

  it('reports an unreachable NetBox', async () => {
    await expect(new NetBoxClient({ url: `http://127.0.0.1:${await freePort()}`, retries: 1, backoffMs: 1 }).list('/api/dcim/sites/'))
      .rejects.toThrow('NetBox GET /api/dcim/sites/?limit=1000&offset=0&ordering=id: fetch failed (ECONNREFUSED) (after 2 attempts)');
  });

  it('reads the list again when it changes during the read, and fails if it keeps changing', async () => {
    let added = 0;
    const changing = (times: number) => client({
      fetch: async (request) => {
        const response = await fetch(request);
        if (request.url.includes('offset=2') && added < times) {
          added++;
          const id = 100 + fake.fixture.sites.length;
          fake.fixture.sites.push(site(id, `new-${id}`, null));
        }
        return response;
      },
    });
    expect((await changing(1).list('/api/dcim/sites/')).map((s) => s.slug)).toEqual(['site-1', 'site-2', 'site-3', 'site-4', 'site-5', 'new-105']);
    added = 0;
    const error = await changing(2).list('/api/dcim/sites/').catch((e: unknown) => e);
    expect((error as NetBoxError).message).toBe('NetBox GET /api/dcim/sites/: the list changed while it was read twice in a row (count 7, read 4, 4 distinct); try again when NetBox is quieter');
  });

  it('refuses a `next` link that does not move forward, rather than loop', async () => {
    const looping = client({
      fetch: async (request) => {
        const page = await (await fetch(request)).json() as { next: string | null };
        if (page.next) page.next = page.next.replace(/offset=\d+/, 'offset=0');
        return new Response(JSON.stringify(page), { status: 200, headers: { 'Content-Type': 'application/json' } });
      },
    });
    await expect(looping.list('/api/dcim/sites/')).rejects.toThrow('NetBox\'s next page link "https://netbox.example.net:8443/api/dcim/sites/?limit=1000&ordering=id&offset=0" has no offset past 0 and a usable limit');
  });

  it('the fake refuses objects NetBox 4.3 would never send, and parameters NetBox does not have', async () => {
    expect(() => validatePage('/api/dcim/sites/', { count: 1, next: null, previous: null, results: [{ id: 1, name: 'x' }] }))
      .toThrow(/does not match NetBox 4.3's PaginatedSiteList: PaginatedSiteList\/results\/0: must have required property/);
    // NetBox would ignore an unknown parameter and list everything.
    await expect(client().list('/api/ipam/ip-addresses/', { filter: new URLSearchParams({ assigned_type: 'dcim.interface' }) }))
      .rejects.toThrow('NetBox GET /api/ipam/ip-addresses/?limit=1000&offset=0&ordering=id&assigned_type=dcim.interface: HTTP 400: netbox-fake: /api/ipam/ip-addresses/ has no query parameter assigned_type');
  });
});
