import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { NetBoxSchemas } from './netbox-openapi.js';
import { addressFamily, deviceRecord, nestedIpAddress, siteRecord } from './netbox-records.js';

/**
 * A FAKE NetBox: NetBox cannot run here (it needs PostgreSQL, Redis and Django),
 * so the tests of the NetBox client and of the Flow Enricher serve its REST API
 * from fixture objects. Every page it serves is validated against NetBox 4.3's own
 * OpenAPI document (the Paginated*List schemas), so they are tested against what
 * real NetBox sends, not what we think it sends. It pages with limit/offset and
 * absolute `next` links, orders by id, checks the token the way NetBox does, and
 * can be made to fail. (The Target Generator's fake, which edits its inventory and
 * sends webhooks, is services/target-generator/test/netbox-fake.ts.)
 */

type Json = Record<string, unknown>;

/** The list endpoints the fake serves, and the OpenAPI schema of each one's answer. */
const ENDPOINTS = {
  '/api/dcim/devices/': 'PaginatedDeviceWithConfigContextList',
  '/api/dcim/sites/': 'PaginatedSiteList',
  '/api/dcim/interfaces/': 'PaginatedInterfaceList',
  '/api/ipam/prefixes/': 'PaginatedPrefixList',
  '/api/ipam/ip-addresses/': 'PaginatedIPAddressList',
} as const;
type Endpoint = keyof typeof ENDPOINTS;

export interface NetboxFixture {
  readonly devices: Json[];
  readonly sites: Json[];
  readonly interfaces: Json[];
  readonly prefixes: Json[];
  readonly ipAddresses: Json[];
}

const FIXTURE_KEY: Record<Endpoint, keyof NetboxFixture> = {
  '/api/dcim/devices/': 'devices',
  '/api/dcim/sites/': 'sites',
  '/api/dcim/interfaces/': 'interfaces',
  '/api/ipam/prefixes/': 'prefixes',
  '/api/ipam/ip-addresses/': 'ipAddresses',
};

/** The query parameters the fake filters on, by the object field each one tests. */
const FILTERS: Record<string, string> = { assigned_object_type: 'assigned_object_type' };

/** Throws, naming the object and the schema errors, when a page is not what NetBox 4.3 would send. */
export function validatePage(endpoint: Endpoint, page: Json): void {
  const problems = NetBoxSchemas.shared().check(ENDPOINTS[endpoint], page);
  if (problems.length > 0) {
    throw new Error(`netbox-fake: ${endpoint} page does not match NetBox 4.3's ${ENDPOINTS[endpoint]}: ${problems.slice(0, 5).join('; ')}`);
  }
}

// ---------------------------------------------------------------- the server

export interface NetboxFakeOptions {
  /** The token clients must send as "Authorization: Token <token>". @default - any request is accepted */
  readonly token?: string;
  /** NetBox's MAX_PAGE_SIZE: a larger `limit` is lowered to it. @default 1000 */
  readonly maxPageSize?: number;
  /**
   * The origin NetBox writes into `next` links (as a NetBox behind a proxy does with
   * its own idea of its address). @default - the fake's own address
   */
  readonly advertisedOrigin?: string;
}

export class NetboxFake {
  public static async start(fixture: NetboxFixture, options: NetboxFakeOptions = {}): Promise<NetboxFake> {
    for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
      validatePage(endpoint, { count: fixture[FIXTURE_KEY[endpoint]].length, next: null, previous: null, results: fixture[FIXTURE_KEY[endpoint]] });
    }
    const fake = new NetboxFake(fixture, options);
    await fake.listen(0);
    return fake;
  }

  /** Every request served: "GET /api/dcim/devices/?limit=2&offset=2". */
  public readonly requests: string[] = [];
  /**
   * While set, requests get this answer instead (a NetBox that is failing, or a
   * proxy answering for it): all of them, or the next `times`; only those whose
   * path and query contain `where` when it is set.
   */
  public failWith?: { status: number; body?: string; times?: number; where?: string };
  /** Milliseconds before each answer (a slow NetBox). */
  public delayMs = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private port = 0;

  private constructor(public fixture: NetboxFixture, private readonly options: NetboxFakeOptions) {}

  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening: NetBox unreachable (connection refused). */
  public async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** Listens again on the same port: NetBox is back. */
  public async resume(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.delayMs > 0) {
      const timer = setTimeout(() => { this.timers.delete(timer); if (!res.destroyed) this.answer(req, res); }, this.delayMs);
      this.timers.add(timer);
    } else {
      this.answer(req, res);
    }
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: Json): void => { res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)); };
    if (this.failWith && (this.failWith.where === undefined || `${url.pathname}${url.search}`.includes(this.failWith.where))) {
      const { status, body, times, where } = this.failWith;
      if (times !== undefined && times <= 1) this.failWith = undefined;
      else if (times !== undefined) this.failWith = { status, body, times: times - 1, where };
      if (body !== undefined) return void res.writeHead(status, { 'Content-Type': 'text/html' }).end(body);
      return send(status, { detail: 'netbox-fake: failing on purpose' });
    }
    if (this.options.token !== undefined) {
      const auth = req.headers.authorization;
      if (!auth) return send(403, { detail: 'Authentication credentials were not provided.' });
      if (auth !== `Token ${this.options.token}`) return send(403, { detail: 'Invalid token' });
    }
    const endpoint = url.pathname as Endpoint;
    if (req.method !== 'GET' || !(endpoint in ENDPOINTS)) return send(404, { detail: 'Not found.' });
    let objects = this.fixture[FIXTURE_KEY[endpoint]];
    const known = NetBoxSchemas.shared().queryParameters(endpoint);
    for (const [name, value] of url.searchParams) {
      // A parameter NetBox does not have would be ignored by NetBox and silently return everything: refuse it here.
      if (!known.has(name)) return send(400, { detail: `netbox-fake: ${endpoint} has no query parameter ${name}` });
      if (name === 'limit' || name === 'offset') continue;
      if (name === 'ordering') {
        if (value !== 'id' && value !== '-id') return send(400, { detail: `netbox-fake: ordering by ${value} is not implemented` });
        objects = [...objects].sort((a, b) => (value === 'id' ? 1 : -1) * ((a.id as number) - (b.id as number)));
        continue;
      }
      const field = FILTERS[name];
      if (!field) return send(400, { detail: `netbox-fake: the filter ${name} is not implemented` });
      objects = objects.filter((o) => o[field] === value);
    }
    const max = this.options.maxPageSize ?? 1000;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, max);
    const offset = Number(url.searchParams.get('offset') ?? 0) || 0;
    const link = (o: number) => {
      const u = new URL(url.pathname, this.options.advertisedOrigin ?? this.url);
      for (const [k, v] of url.searchParams) if (k !== 'offset') u.searchParams.set(k, v);
      u.searchParams.set('offset', String(o));
      return u.href;
    };
    const page = {
      count: objects.length,
      next: offset + limit < objects.length ? link(offset + limit) : null,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      results: objects.slice(offset, offset + limit),
    };
    validatePage(endpoint, page);
    send(200, page);
  }
}

// ---------------------------------------------------------------- fixture builders (complete NetBox 4.3 objects)

const ORIGIN = 'http://netbox.example.net';
const API = `${ORIGIN}/api`;
const TIME = '2026-01-05T10:00:00.000000Z';

function brief(kind: string, id: number, name: string, slug: string, extra: Json = {}): Json {
  return { id, url: `${API}/${kind}/${id}/`, display: name, name, slug, description: '', ...extra };
}

export function region(id: number, slug: string): Json {
  return brief('dcim/regions', id, slug.toUpperCase(), slug, { site_count: 1, _depth: 0 });
}

export function site(id: number, slug: string, regionObject: Json | null): Json {
  return siteRecord({ origin: ORIGIN, id, name: `Site ${slug}`, slug, region: regionObject, created: TIME, lastUpdated: TIME });
}

export interface DeviceSpec {
  readonly id: number;
  readonly name: string;
  readonly site: Json;
  readonly role: string;
  readonly tenant?: string;
  readonly platform?: string;
  readonly manufacturer: string;
  readonly tier?: string;
  readonly primaryIp4?: string;
  readonly primaryIp6?: string;
  readonly oobIp?: string;
}

export function device(spec: DeviceSpec): Json {
  const manufacturer = brief('dcim/manufacturers', spec.id + 100, spec.manufacturer, spec.manufacturer.toLowerCase());
  return deviceRecord({
    origin: ORIGIN,
    id: spec.id,
    name: spec.name,
    deviceType: { id: spec.id + 200, url: `${API}/dcim/device-types/${spec.id + 200}/`, display: 'Model X', manufacturer, model: 'Model X', slug: 'model-x', description: '' },
    role: brief('dcim/device-roles', spec.id + 300, spec.role, spec.role, { _depth: 0 }),
    tenant: spec.tenant ? brief('tenancy/tenants', spec.id + 400, spec.tenant, spec.tenant) : null,
    platform: spec.platform ? brief('dcim/platforms', spec.id + 500, spec.platform, spec.platform) : null,
    site: { id: spec.site.id, url: spec.site.url, display: spec.site.display, name: spec.site.name, slug: spec.site.slug, description: '' },
    status: { value: 'active', label: 'Active' },
    primaryIp4: spec.primaryIp4 ? nestedIpAddress(ORIGIN, spec.id * 10 + 1, spec.primaryIp4) : null,
    primaryIp6: spec.primaryIp6 ? nestedIpAddress(ORIGIN, spec.id * 10 + 2, spec.primaryIp6) : null,
    oobIp: spec.oobIp ? nestedIpAddress(ORIGIN, spec.id * 10 + 3, spec.oobIp) : null,
    customFields: { monitoring_tier: spec.tier ?? null },
    created: TIME,
    lastUpdated: TIME,
  });
}

export function iface(id: number, deviceObject: Json, name: string, speedKbps: number | null, ifindex: number | string | null): Json {
  return {
    id,
    url: `${API}/dcim/interfaces/${id}/`,
    display_url: `${ORIGIN}/dcim/interfaces/${id}/`,
    display: name,
    device: { id: deviceObject.id, url: deviceObject.url, display: deviceObject.display, name: deviceObject.name, description: '' },
    vdcs: [],
    module: null,
    name,
    label: '',
    type: { value: '10gbase-x-sfpp', label: 'SFP+ (10GE)' },
    enabled: true,
    parent: null,
    bridge: null,
    lag: null,
    mtu: null,
    mac_address: null,
    primary_mac_address: null,
    mac_addresses: [],
    speed: speedKbps,
    duplex: null,
    wwn: null,
    mgmt_only: false,
    description: '',
    // mode, rf_role, rf_channel, poe_mode and poe_type are left out: unset, NetBox sends null,
    // which its own OpenAPI document does not allow for these choice fields.
    rf_channel_frequency: null,
    rf_channel_width: null,
    tx_power: null,
    untagged_vlan: null,
    tagged_vlans: [],
    qinq_svlan: null,
    vlan_translation_policy: null,
    mark_connected: false,
    cable: null,
    cable_end: '',
    wireless_link: null,
    link_peers: [],
    link_peers_type: null,
    wireless_lans: [],
    vrf: null,
    l2vpn_termination: null,
    connected_endpoints: null,
    connected_endpoints_type: null,
    connected_endpoints_reachable: false,
    tags: [],
    custom_fields: ifindex === null ? {} : { ifindex },
    created: TIME,
    last_updated: TIME,
    count_ipaddresses: 0,
    count_fhrp_groups: 0,
    _occupied: false,
  };
}

export interface PrefixSpec {
  readonly scope?: { readonly type: 'dcim.site' | 'dcim.region'; readonly object: Json } | null;
  readonly tenant?: string;
  readonly role?: string;
  readonly vlan?: { readonly id: number; readonly vid: number; readonly name: string };
}

export function prefix(id: number, cidr: string, scope: PrefixSpec['scope'], spec: Omit<PrefixSpec, 'scope'> = {}): Json {
  return {
    id,
    url: `${API}/ipam/prefixes/${id}/`,
    display_url: `${ORIGIN}/ipam/prefixes/${id}/`,
    display: cidr,
    family: addressFamily(cidr),
    prefix: cidr,
    vrf: null,
    scope_type: scope?.type ?? null,
    scope_id: scope ? scope.object.id : null,
    scope: scope ? { id: scope.object.id, url: scope.object.url, display: scope.object.display, name: scope.object.name, slug: scope.object.slug, description: '' } : null,
    tenant: spec.tenant ? brief('tenancy/tenants', 900 + id, spec.tenant, spec.tenant) : null,
    vlan: spec.vlan ? { id: spec.vlan.id, url: `${API}/ipam/vlans/${spec.vlan.id}/`, display: spec.vlan.name, vid: spec.vlan.vid, name: spec.vlan.name, description: '' } : null,
    status: { value: 'active', label: 'Active' },
    role: spec.role ? brief('ipam/roles', 800 + id, spec.role, spec.role) : null,
    is_pool: false,
    mark_utilized: false,
    description: '',
    comments: '',
    tags: [],
    custom_fields: {},
    created: TIME,
    last_updated: TIME,
    children: 0,
    _depth: 0,
  };
}

/**
 * An IP address as /api/ipam/ip-addresses/ lists it, assigned to a device interface
 * (NetBox then serializes `assigned_object` as the brief interface with its brief
 * device) or to nothing.
 */
export function ipAddress(id: number, address: string, interfaceObject: Json | null): Json {
  const d = interfaceObject?.device as Json | undefined;
  return {
    id,
    url: `${API}/ipam/ip-addresses/${id}/`,
    display_url: `${ORIGIN}/ipam/ip-addresses/${id}/`,
    display: address,
    family: addressFamily(address),
    address,
    vrf: null,
    tenant: null,
    status: { value: 'active', label: 'Active' },
    // role is left out: unset, NetBox sends null, which its own OpenAPI document does not allow.
    assigned_object_type: interfaceObject ? 'dcim.interface' : null,
    assigned_object_id: interfaceObject ? interfaceObject.id : null,
    assigned_object: interfaceObject && d ? {
      id: interfaceObject.id,
      url: interfaceObject.url,
      display: interfaceObject.display,
      device: { id: d.id, url: d.url, display: d.display, name: d.name, description: '' },
      name: interfaceObject.name,
      description: '',
      cable: null,
      _occupied: false,
    } : null,
    nat_inside: null,
    nat_outside: [],
    // dns_name is left out: unset, NetBox sends "", which the pattern in its own OpenAPI document does not allow.
    description: '',
    comments: '',
    tags: [],
    custom_fields: {},
    created: TIME,
    last_updated: TIME,
  };
}
