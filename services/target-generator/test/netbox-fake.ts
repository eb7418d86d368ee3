import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetBoxSchemas } from '../../../test/peers/harness/netbox-openapi.js';
import { deviceRecord, nestedIpAddress, siteRecord } from '../../../test/peers/harness/netbox-records.js';

/**
 * A FAKE NetBox for tests: NetBox itself cannot run here (it needs Python 3.12+,
 * PostgreSQL and Redis). It serves the two lists the Target Generator reads,
 * GET /api/dcim/devices/ and GET /api/dcim/sites/, from an inventory the test
 * edits, as NetBox 4.3 serves them: token authentication, limit/offset pages with
 * absolute `next` links, the filters the client sends, custom-field filters; and
 * every answer is checked against NetBox's OpenAPI document (`violations` lists
 * what failed, and the fake's own tests require it to stay empty). On demand it
 * fails: an HTTP status, a body that is not JSON, a JSON body that is not a list,
 * or an answer that comes late. It also sends NetBox's signed webhooks.
 */

/** The custom fields a Helios NetBox defines on devices; NetBox lists every defined field, null when unset. */
export const HELIOS_CUSTOM_FIELDS = [
  'helios_monitor', 'helios_gnmi', 'helios_snmp', 'gnmi_port', 'snmp_module', 'snmp_auth',
  'telemetry_profile', 'monitoring_tier', 'blackbox_probes', 'metrics_port',
] as const;

export interface FakeDeviceSpec {
  readonly name: string | null;
  /** A site slug (the site is created if it does not exist). */
  readonly site: string;
  /** @default "leaf" */
  readonly role?: string;
  /** @default "arista" */
  readonly manufacturer?: string;
  /** @default "eos"; null for none */
  readonly platform?: string | null;
  /** @default - none */
  readonly tenant?: string;
  /** e.g. "10.0.0.1/32"; null for none. @default - 10.<id>/32 */
  readonly primaryIp?: string | null;
  /** @default "active" */
  readonly status?: string;
  /** Merged over every Helios custom field set to null. */
  readonly customFields?: Readonly<Record<string, unknown>>;
}

/** How the fake fails, for the next `times` API requests. */
export type FakeFailure =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'not-a-list' }
  | { readonly kind: 'delay'; readonly ms: number };

export interface FakeOptions {
  /** @default "0123456789abcdef0123456789abcdef01234567" */
  readonly token?: string;
  /** Check every answer against the OpenAPI document (slow for 10,000 devices). @default true */
  readonly validate?: boolean;
  /** What NetBox prints as its own address in `next` links, as behind a reverse proxy. @default - the address it was called on */
  readonly advertisedUrl?: string;
  /** NetBox's MAX_PAGE_SIZE: a larger limit is cut to it. @default 1000 */
  readonly maxPageSize?: number;
}

interface Region { id: number; name: string; slug: string }
interface Site { id: number; name: string; slug: string; regionId?: number }
interface Named { id: number; name: string; slug: string }

const TIMESTAMP = '2025-06-01T08:00:00.000000Z';

function titled(slug: string): string {
  return slug.split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

export class NetBoxFake {
  public static async start(options: FakeOptions = {}): Promise<NetBoxFake> {
    const fake = new NetBoxFake(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /**
   * A fake that does not listen: for unit tests that want NetBox's objects (the
   * same ones the server answers with) without HTTP.
   */
  public static offline(options: FakeOptions = {}): NetBoxFake {
    return new NetBoxFake({ validate: false, advertisedUrl: 'http://netbox.invalid', ...options });
  }

  public readonly token: string;
  /** Answers that did not match NetBox's OpenAPI document. */
  public readonly violations: string[] = [];
  /** Every API request: method and URL (path and query). */
  public readonly requests: Array<{ method: string; url: string }> = [];
  private readonly server: Server;
  private readonly schemas?: NetBoxSchemas;
  private readonly regions = new Map<string, Region>();
  private readonly sites = new Map<string, Site>();
  private readonly lookups = new Map<string, Map<string, Named>>();
  private readonly devices = new Map<number, { spec: FakeDeviceSpec; created: string }>();
  private nextId = 1;
  /** Counts changes to the inventory: a page of an unchanged list is cut from the list filtered for the first page. */
  private changes = 0;
  private listed?: { changes: number; query: string; rows: Array<{ id: number }> };
  private failure?: { mode: FakeFailure; times: number };

  private constructor(private readonly options: FakeOptions) {
    this.token = options.token ?? '0123456789abcdef0123456789abcdef01234567';
    if (options.validate ?? true) this.schemas = NetBoxSchemas.shared();
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ detail: `NetBox fake: ${(e as Error).message}` }));
      });
    });
  }

  public get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return address ? `http://127.0.0.1:${address.port}` : this.options.advertisedUrl!;
  }

  /** Every device (with config_context excluded, as the client asks) and site, as the API lists them. */
  public inventory(): { devices: any[]; sites: any[] } {
    const base = this.options.advertisedUrl ?? this.url;
    return {
      devices: [...this.devices.keys()].sort((a, b) => a - b).map((id) => {
        const d = this.serializeDevice(id, this.devices.get(id)!.spec, base);
        delete d.config_context;
        return d;
      }),
      sites: [...this.sites.values()].map((s) => this.serializeSite(s, base)),
    };
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  public addRegion(slug: string): void {
    this.changes++;
    if (!this.regions.has(slug)) this.regions.set(slug, { id: this.nextId++, name: titled(slug), slug });
  }

  public addSite(slug: string, region?: string): void {
    this.changes++;
    if (region) this.addRegion(region);
    const site = this.sites.get(slug);
    if (site) {
      site.regionId = region ? this.regions.get(region)!.id : undefined;
    } else {
      this.sites.set(slug, { id: this.nextId++, name: slug.toUpperCase(), slug, regionId: region ? this.regions.get(region)!.id : undefined });
    }
  }

  /** Adds a device; returns its id. */
  public addDevice(spec: FakeDeviceSpec): number {
    this.addSite(spec.site, this.sites.get(spec.site) ? this.regionOf(spec.site) : undefined);
    const id = this.nextId++;
    this.changes++;
    this.devices.set(id, { spec, created: TIMESTAMP });
    return id;
  }

  /** Changes a device; custom fields merge over the current ones. */
  public updateDevice(id: number, change: Partial<FakeDeviceSpec>): void {
    const current = this.mustGet(id);
    if (change.site) this.addSite(change.site, this.sites.get(change.site) ? this.regionOf(change.site) : undefined);
    this.changes++;
    current.spec = { ...current.spec, ...change, customFields: { ...current.spec.customFields, ...change.customFields } };
  }

  public removeDevice(id: number): void {
    this.mustGet(id);
    this.changes++;
    this.devices.delete(id);
  }

  /** A device as the API shows it. */
  public device(id: number): Record<string, unknown> {
    return this.serializeDevice(id, this.mustGet(id).spec, this.url);
  }

  /** The next `times` API requests fail as `mode` says. */
  public fail(mode: FakeFailure, times = Number.POSITIVE_INFINITY): void {
    this.failure = { mode, times };
  }

  public heal(): void {
    this.failure = undefined;
  }

  /**
   * Sends a webhook as NetBox 4 does for a device event, signed with `secret`
   * (X-Hook-Signature: hex HMAC-SHA512 of the body); `signature` overrides it,
   * null sends none. Resolves to the receiver's HTTP status.
   */
  public async sendWebhook(url: string, options: { event: 'created' | 'updated' | 'deleted'; deviceId: number; secret?: string; signature?: string | null; snapshot?: Record<string, unknown> }): Promise<number> {
    const data = options.event === 'deleted' ? (options.snapshot ?? { id: options.deviceId }) : this.device(options.deviceId);
    const body = JSON.stringify({
      event: options.event,
      timestamp: new Date().toISOString().replace('T', ' ').replace('Z', '+00:00'),
      object_type: 'dcim.device',
      username: 'helios-test',
      request_id: randomUUID(),
      data,
      snapshots: { prechange: options.event === 'created' ? null : { name: data.name }, postchange: options.event === 'deleted' ? null : { name: data.name } },
    });
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const signature = options.signature === undefined
      ? (options.secret !== undefined ? createHmac('sha512', options.secret).update(body).digest('hex') : null)
      : options.signature;
    if (signature !== null) headers['X-Hook-Signature'] = signature;
    const response = await fetch(url, { method: 'POST', headers, body });
    await response.arrayBuffer();
    return response.status;
  }

  private mustGet(id: number): { spec: FakeDeviceSpec; created: string } {
    const d = this.devices.get(id);
    if (!d) throw new Error(`NetBox fake: no device ${id}`);
    return d;
  }

  private regionOf(site: string): string | undefined {
    const id = this.sites.get(site)?.regionId;
    return [...this.regions.values()].find((r) => r.id === id)?.slug;
  }

  /** A role, manufacturer, platform or tenant by slug, created on first use. */
  private named(kind: string, slug: string): Named {
    let table = this.lookups.get(kind);
    if (!table) this.lookups.set(kind, table = new Map());
    let item = table.get(slug);
    if (!item) table.set(slug, item = { id: this.nextId++, name: titled(slug), slug });
    return item;
  }

  private brief(base: string, kind: string, item: Named, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { id: item.id, url: `${base}/api/${kind}/${item.id}/`, display: item.name, name: item.name, slug: item.slug, description: '', ...extra };
  }

  private serializeDevice(id: number, spec: FakeDeviceSpec, base: string): Record<string, unknown> {
    const site = this.sites.get(spec.site)!;
    const manufacturer = this.named('manufacturer', spec.manufacturer ?? 'arista');
    const role = this.named('role', spec.role ?? 'leaf');
    const platform = spec.platform === null ? null : this.named('platform', spec.platform ?? 'eos');
    const tenant = spec.tenant ? this.named('tenant', spec.tenant) : null;
    const address = spec.primaryIp === undefined ? `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}/32` : spec.primaryIp;
    const ip = address === null ? null : nestedIpAddress(base, 100_000 + id, address);
    const v6 = address?.includes(':') ?? false;
    const status = spec.status ?? 'active';
    return deviceRecord({
      origin: base,
      id,
      name: spec.name,
      deviceType: {
        id: manufacturer.id + 50_000,
        url: `${base}/api/dcim/device-types/${manufacturer.id + 50_000}/`,
        display: `${manufacturer.name} Switch`,
        manufacturer: this.brief(base, 'dcim/manufacturers', manufacturer),
        model: `${manufacturer.name} Switch`,
        slug: `${manufacturer.slug}-switch`,
        description: '',
      },
      role: this.brief(base, 'dcim/device-roles', role, { _depth: 0 }),
      tenant: tenant ? this.brief(base, 'tenancy/tenants', tenant) : null,
      platform: platform ? this.brief(base, 'dcim/platforms', platform) : null,
      site: { id: site.id, url: `${base}/api/dcim/sites/${site.id}/`, display: site.name, name: site.name, slug: site.slug, description: '' },
      status: { value: status, label: titled(status) },
      primaryIp4: v6 ? null : ip,
      primaryIp6: v6 ? ip : null,
      oobIp: null,
      customFields: { ...Object.fromEntries(HELIOS_CUSTOM_FIELDS.map((f) => [f, null])), ...spec.customFields },
      created: this.devices.get(id)?.created ?? TIMESTAMP,
      lastUpdated: TIMESTAMP,
    });
  }

  private serializeSite(site: Site, base: string): Record<string, unknown> {
    const region = [...this.regions.values()].find((r) => r.id === site.regionId);
    return {
      ...siteRecord({
        origin: base,
        id: site.id,
        name: site.name,
        slug: site.slug,
        region: region ? { id: region.id, url: `${base}/api/dcim/regions/${region.id}/`, display: region.name, name: region.name, slug: region.slug, description: '', site_count: 0, _depth: 0 } : null,
        created: TIMESTAMP,
        lastUpdated: TIMESTAMP,
      }),
      device_count: [...this.devices.values()].filter((d) => d.spec.site === site.slug).length,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', url: `${url.pathname}${url.search}` });
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'API-Version': '4.3' });
      res.end(JSON.stringify(body));
    };
    if (this.failure && this.failure.times > 0) {
      const { mode } = this.failure;
      this.failure.times--;
      switch (mode.kind) {
        case 'status':
          res.writeHead(mode.status, { 'Content-Type': 'text/html' });
          res.end(`<html><body><h1>Server Error (${mode.status})</h1></body></html>`);
          return;
        case 'malformed':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"count": 2, "next": null, "previous": null, "results": [{"id": 1, "name": "leaf');
          return;
        case 'not-a-list':
          return json(200, { count: 1, next: null, previous: null, results: 'oops' });
        case 'delay':
          await new Promise((r) => setTimeout(r, mode.ms));
          break;
      }
    }
    if (req.method !== 'GET') return json(405, { detail: `Method "${req.method}" not allowed.` });
    if (req.headers.authorization !== `Token ${this.token}`) return json(403, { detail: 'Invalid token' });

    const path = url.pathname;
    if (path !== '/api/dcim/devices/' && path !== '/api/dcim/sites/') return json(404, { detail: 'Not found.' });
    const known = this.schemas?.queryParameters(path);
    for (const name of url.searchParams.keys()) {
      if (name.startsWith('cf_') || name === 'exclude' || name === 'brief') continue;
      if (known && !known.has(name)) return json(400, { detail: `NetBox fake: ${name} is not a query parameter of GET ${path}` });
    }
    const base = this.options.advertisedUrl ?? this.url;
    // Filter and page on the inventory itself; only the page is serialized (10,000 devices stay quick).
    const listQuery = new URLSearchParams(url.searchParams);
    listQuery.delete('limit');
    listQuery.delete('offset');
    const query = `${path}?${listQuery.toString()}`;
    let filtered: Array<{ id: number }>;
    if (this.listed?.changes === this.changes && this.listed.query === query) {
      filtered = this.listed.rows;
    } else {
      const rows = path === '/api/dcim/devices/'
        ? [...this.devices.entries()].map(([id, d]) => ({ id, name: d.spec.name ?? '', fields: this.deviceFields(d.spec) }))
        : [...this.sites.values()].map((s) => ({ id: s.id, name: s.name, fields: this.siteFields(s) }));
      const implemented = path === '/api/dcim/devices/' ? ['site', 'role', 'manufacturer', 'platform', 'tenant', 'status'] : ['status', 'region'];
      const result = this.filter(rows, url.searchParams, implemented);
      if (typeof result === 'string') return json(501, { detail: result });
      filtered = result;
      this.listed = { changes: this.changes, query, rows: filtered };
    }
    const serialize = (id: number): Record<string, unknown> => {
      if (path === '/api/dcim/sites/') return this.serializeSite([...this.sites.values()].find((s) => s.id === id)!, base);
      const device = this.serializeDevice(id, this.devices.get(id)!.spec, base);
      for (const field of url.searchParams.getAll('exclude')) delete device[field];
      return device;
    };

    const max = this.options.maxPageSize ?? 1000;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || max, max);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const link = (o: number): string => {
      const q = new URLSearchParams(url.searchParams);
      q.set('limit', String(limit));
      q.set('offset', String(o));
      return `${base}${path}?${q.toString()}`;
    };
    const body = {
      count: filtered.length,
      next: offset + limit < filtered.length ? link(offset + limit) : null,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      results: filtered.slice(offset, offset + limit).map((r) => serialize(r.id)),
    };
    if (this.schemas) {
      this.violations.push(...this.schemas.check(this.schemas.listSchema(path), body).map((v) => `GET ${url.pathname}${url.search}: ${v}`));
    }
    return json(200, body);
  }

  /** What the filters below match on, per device: filter name → values. */
  private deviceFields(spec: FakeDeviceSpec): Record<string, string[]> {
    const cf = { ...Object.fromEntries(HELIOS_CUSTOM_FIELDS.map((f) => [f, null])), ...spec.customFields };
    return {
      site: [spec.site],
      role: [spec.role ?? 'leaf'],
      manufacturer: [spec.manufacturer ?? 'arista'],
      platform: spec.platform === null ? [] : [spec.platform ?? 'eos'],
      tenant: spec.tenant ? [spec.tenant] : [],
      status: [spec.status ?? 'active'],
      ...Object.fromEntries(Object.entries(cf).map(([k, v]) => [`cf_${k}`, [String(v)]])),
    };
  }

  private siteFields(site: Site): Record<string, string[]> {
    return { status: ['active'], region: [this.regionOf(site.slug) ?? ''] };
  }

  /** The filters the Target Generator sends, as NetBox applies them; a message for any other. */
  private filter<T extends { id: number; name: string; fields: Record<string, string[]> }>(rows: T[], params: URLSearchParams, implemented: readonly string[]): T[] | string {
    let out = rows;
    for (const name of new Set(params.keys())) {
      if (['limit', 'offset', 'exclude', 'brief'].includes(name)) continue;
      if (name === 'ordering') {
        if (!['id', '-id', 'name'].includes(params.get(name)!)) return `the NetBox fake does not order by ${params.get(name)}`;
        continue;
      }
      const wanted = params.getAll(name);
      if (!implemented.includes(name) && !name.startsWith('cf_')) return `the NetBox fake does not implement the filter ${name}`;
      // NetBox ORs the values of one filter and ANDs different filters.
      out = out.filter((r) => (r.fields[name] ?? ['undefined']).some((v) => wanted.includes(v)));
    }
    const order = params.get('ordering') ?? 'id';
    return [...out].sort((a, b) => (order === 'name' ? a.name.localeCompare(b.name) : order === '-id' ? b.id - a.id : a.id - b.id));
  }
}
