import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetBoxFake } from './netbox-fake.js';
import { NetBoxSchemas, toJsonSchema } from '../../../test/peers/harness/netbox-openapi.js';

/** The fake is only worth what its faithfulness is: these tests hold it to NetBox's OpenAPI document. */
describe('the NetBox fake', () => {
  let fake: NetBoxFake;
  let leaf: number;
  let unnamed: number;
  const schemas = new NetBoxSchemas();
  const get = async (path: string, token?: string): Promise<Response> => fetch(`${fake.url}${path}`, {
    headers: { Authorization: `Token ${token ?? fake.token}` },
  });

  beforeEach(async () => {
    fake = await NetBoxFake.start();
    fake.addSite('ams1', 'europe');
    fake.addSite('lab', undefined);
    leaf = fake.addDevice({ name: 'ams1-leaf-01', site: 'ams1', customFields: { helios_monitor: true, gnmi_port: 6030, blackbox_probes: ['icmp', 'dns'] } });
    fake.addDevice({ name: 'ams1-fw-01', site: 'ams1', role: 'firewall', manufacturer: 'paloalto', platform: 'panos', tenant: 'acme', primaryIp: '2001:db8::10/64', customFields: { helios_monitor: true, snmp_module: ['paloalto_panos'] } });
    unnamed = fake.addDevice({ name: null, site: 'lab', platform: null, primaryIp: null, customFields: { helios_monitor: false } });
    fake.addDevice({ name: 'lab-spare', site: 'lab', status: 'inventory' });
  });
  afterEach(async () => { await fake.stop(); });

  it('answers device and site lists that validate against NetBox 4.3\'s OpenAPI document', async () => {
    const devices: any = await (await get('/api/dcim/devices/')).json();
    const sites: any = await (await get('/api/dcim/sites/')).json();
    expect(devices.count).toBe(4);
    expect(sites.count).toBe(2);
    expect(schemas.check('PaginatedDeviceWithConfigContextList', devices)).toEqual([]);
    expect(schemas.check('PaginatedSiteList', sites)).toEqual([]);
    expect(sites.results.map((s: any) => [s.slug, s.region?.slug ?? null])).toEqual([['ams1', 'europe'], ['lab', null]]);
    expect(fake.violations).toEqual([]);
  });

  it('is checked by a validator that does reject what NetBox would never send', () => {
    const device = fake.device(unnamed);
    expect(schemas.check('DeviceWithConfigContext', device)).toEqual([]);
    const { site: _site, ...withoutSite } = device;
    expect(schemas.check('DeviceWithConfigContext', withoutSite).join('\n')).toMatch(/must have required property 'site'/);
    expect(schemas.check('DeviceWithConfigContext', { ...device, status: { value: 'broken' } }).join('\n')).toMatch(/status\/value: must be equal to one of the allowed values/);
    expect(schemas.check('DeviceWithConfigContext', { ...device, primary_ip4: null, tenant: null })).toEqual([]);
    expect(schemas.check('DeviceWithConfigContext', { ...device, site: null }).join('\n')).toMatch(/site: must be object/);
  });

  it('turns OpenAPI nullable into JSON Schema null types', () => {
    expect(toJsonSchema({ type: 'string', nullable: true, enum: ['a'] })).toEqual({ type: ['string', 'null'], enum: ['a', null] });
    expect(toJsonSchema({ allOf: [{ $ref: '#/x' }], nullable: true })).toEqual({ anyOf: [{ allOf: [{ $ref: '#/x' }] }, { type: 'null' }] });
  });

  it('pages with limit and offset and absolute next links, cutting the limit to MAX_PAGE_SIZE', async () => {
    const first: any = await (await get('/api/dcim/devices/?limit=3&ordering=id')).json();
    expect(first.results.map((d: any) => d.id)).toHaveLength(3);
    expect(first.next).toBe(`${fake.url}/api/dcim/devices/?limit=3&ordering=id&offset=3`);
    expect(first.previous).toBeNull();
    const second: any = await (await fetch(first.next, { headers: { Authorization: `Token ${fake.token}` } })).json();
    expect(second.results).toHaveLength(1);
    expect(second.next).toBeNull();
    expect(second.previous).toBe(`${fake.url}/api/dcim/devices/?limit=3&ordering=id&offset=0`);

    const capped = await NetBoxFake.start({ maxPageSize: 2, advertisedUrl: 'https://netbox.internal' });
    try {
      for (let i = 0; i < 3; i++) capped.addDevice({ name: `d${i}`, site: 's' });
      const page: any = await (await fetch(`${capped.url}/api/dcim/devices/?limit=1000`, { headers: { Authorization: `Token ${capped.token}` } })).json();
      expect(page.results).toHaveLength(2);
      expect(page.next).toBe('https://netbox.internal/api/dcim/devices/?limit=2&offset=2');
    } finally {
      await capped.stop();
    }
  });

  it('filters on custom fields and the device filters NetBox documents, and excludes the config context', async () => {
    const monitored: any = await (await get('/api/dcim/devices/?cf_helios_monitor=true&exclude=config_context')).json();
    expect(monitored.results.map((d: any) => d.name)).toEqual(['ams1-leaf-01', 'ams1-fw-01']);
    expect(monitored.results.every((d: any) => !('config_context' in d))).toBe(true);
    const bySite: any = await (await get('/api/dcim/devices/?site=lab&status=inventory')).json();
    expect(bySite.results.map((d: any) => d.name)).toEqual(['lab-spare']);
    const twoSites: any = await (await get('/api/dcim/devices/?site=lab&site=ams1&tenant=acme')).json();
    expect(twoSites.results.map((d: any) => d.name)).toEqual(['ams1-fw-01']);
    expect(fake.violations).toEqual([]);
  });

  it('refuses a wrong token, unknown parameters, and says which known filters it does not implement', async () => {
    expect((await get('/api/dcim/devices/', 'wrong')).status).toBe(403);
    const unknown = await get('/api/dcim/devices/?colour=red');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).detail).toMatch(/colour is not a query parameter/);
    const unimplemented = await get('/api/dcim/devices/?tag=core');
    expect(unimplemented.status).toBe(501);
    expect(((await unimplemented.json()) as any).detail).toMatch(/does not implement the filter tag/);
  });

  it('fails on demand: a status, a body that is not JSON, a list that is not one, an answer that comes late', async () => {
    fake.fail({ kind: 'status', status: 500 }, 1);
    const failed = await get('/api/dcim/devices/');
    expect(failed.status).toBe(500);
    expect(await failed.text()).toMatch(/Server Error/);
    expect((await get('/api/dcim/devices/')).status).toBe(200);

    fake.fail({ kind: 'malformed' }, 1);
    await expect((await get('/api/dcim/devices/')).json()).rejects.toThrow(/JSON/);
    fake.fail({ kind: 'not-a-list' }, 1);
    expect(((await (await get('/api/dcim/devices/')).json()) as any).results).toBe('oops');

    fake.fail({ kind: 'delay', ms: 400 });
    const started = Date.now();
    expect((await get('/api/dcim/sites/')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    fake.heal();
    expect(fake.requests.map((r) => r.url)).toEqual([...Array(4).fill('/api/dcim/devices/'), '/api/dcim/sites/']);
  });

  it('sends webhooks as NetBox does: the device in data, signed with the hex HMAC-SHA512 of the body', async () => {
    const received: Array<{ body: string; signature?: string }> = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['x-hook-signature'] as string | undefined });
        res.writeHead(204).end();
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => receiver.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`;
      expect(await fake.sendWebhook(url, { event: 'updated', deviceId: leaf, secret: 's3cret' })).toBe(204);
      expect(await fake.sendWebhook(url, { event: 'created', deviceId: unnamed })).toBe(204);
      const [signed, unsigned] = received;
      expect(signed.signature).toBe(createHmac('sha512', 's3cret').update(signed.body).digest('hex'));
      const body = JSON.parse(signed.body);
      expect(body).toMatchObject({ event: 'updated', object_type: 'dcim.device', data: { id: leaf, name: 'ams1-leaf-01' } });
      expect(schemas.check('DeviceWithConfigContext', body.data)).toEqual([]);
      expect(unsigned.signature).toBeUndefined();
    } finally {
      receiver.close();
    }
  });
});
