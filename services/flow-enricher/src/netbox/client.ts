import { readFile } from 'node:fs/promises';
import type { NetboxBrief, NetboxData, NetboxDevice, NetboxInterface, NetboxIpAddress, NetboxPrefix, NetboxSite } from '../enrich/inventory.js';

export interface NetboxClientOptions {
  /** NetBox's base URL, without /api. */
  readonly url: string;
  /** A file holding the API token (re-read on every refresh, so a rotated token is picked up). @default - anonymous */
  readonly tokenFile?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** Tries per request (network errors, timeouts, 429 and 5xx are retried). @default 4 */
  readonly attempts?: number;
  /** First retry delay, doubled on each retry. @default 500 */
  readonly backoffMs?: number;
  /** NetBox's default MAX_PAGE_SIZE. @default 1000 */
  readonly pageSize?: number;
}

/** A NetBox request that failed for good; the message says which URL and why. */
export class NetboxError extends Error {
  public constructor(message: string, public readonly retriable: boolean) {
    super(message);
    this.name = 'NetboxError';
  }
}

interface Page<T> {
  readonly count: number;
  readonly next: string | null;
  readonly results: T[];
}

const brief = (b: NetboxBrief | null | undefined): NetboxBrief | null => (b ? { id: b.id, slug: b.slug } : null);

function prefixFields(p: NetboxPrefix): NetboxPrefix {
  return {
    id: p.id, prefix: p.prefix, scope_type: p.scope_type, scope: brief(p.scope), tenant: brief(p.tenant), role: brief(p.role),
    vlan: p.vlan ? { id: p.vlan.id, vid: p.vlan.vid } : null,
  };
}

function ipAddressFields(ip: NetboxIpAddress): NetboxIpAddress {
  const a = ip.assigned_object;
  return {
    id: ip.id, address: ip.address, assigned_object_type: ip.assigned_object_type,
    assigned_object: a?.device ? { id: a.id, name: a.name, device: { id: a.device.id } } : null,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads NetBox 4.3's REST API: paginated lists, with timeouts and retries. */
export class NetboxClient {
  private readonly base: URL;

  public constructor(private readonly options: NetboxClientOptions) {
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
  }

  /** The five lists the enricher's inventory is built from. */
  public async fetchAll(): Promise<NetboxData> {
    const token = await this.token();
    // Sequential on purpose: NetBox is shared with people and other tools.
    const devices = await this.listWith<NetboxDevice>('api/dcim/devices/', {}, token);
    const sites = await this.listWith<NetboxSite>('api/dcim/sites/', {}, token);
    const interfaces = await this.listWith<NetboxInterface>('api/dcim/interfaces/', {}, token);
    // The two long lists keep only the fields read, page by page: a full NetBox
    // ip-address is over a kilobyte, which for 100k addresses would be the
    // enricher's largest allocation (see bench/inventory-memory.ts).
    const prefixes = await this.listWith<NetboxPrefix>('api/ipam/prefixes/', {}, token, prefixFields);
    // Addresses on virtual machines' interfaces are not devices': not asked for.
    const ipAddresses = await this.listWith<NetboxIpAddress>('api/ipam/ip-addresses/', { assigned_object_type: 'dcim.interface' }, token, ipAddressFields);
    return { devices, sites, interfaces, prefixes, ipAddresses };
  }

  /** Every object of a list endpoint, following `next` page by page. */
  public async list<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    return this.listWith<T>(path, query, await this.token());
  }

  private async listWith<T>(path: string, query: Record<string, string>, token: string | undefined, pick?: (raw: T) => T): Promise<T[]> {
    const first = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) first.searchParams.set(k, v);
    first.searchParams.set('limit', String(this.options.pageSize ?? 1000));
    const out: T[] = [];
    const seen = new Set<string>();
    let url: URL | undefined = first;
    while (url) {
      if (seen.has(url.href)) throw new NetboxError(`${path}: NetBox sent page ${url.href} twice; stopping rather than looping`, false);
      seen.add(url.href);
      const page: Page<T> = await this.getPage<T>(url, token);
      for (const r of page.results) out.push(pick ? pick(r) : r);
      url = page.next ? this.sameOrigin(page.next) : undefined;
    }
    return out;
  }

  /**
   * NetBox builds `next` from the Host and scheme it was reached with, which behind
   * a TLS-terminating proxy can be http:// to a name the enricher cannot reach; the
   * path and query are what matter, on the origin the enricher was configured with.
   */
  private sameOrigin(next: string): URL {
    const n = new URL(next, this.base);
    const url = new URL(this.base.href);
    url.pathname = n.pathname;
    url.search = n.search;
    return url;
  }

  private async token(): Promise<string | undefined> {
    if (!this.options.tokenFile) return undefined;
    try {
      return (await readFile(this.options.tokenFile, 'utf8')).trim();
    } catch (e) {
      throw new NetboxError(`cannot read the NetBox token file ${this.options.tokenFile}: ${(e as Error).message}`, true);
    }
  }

  private async getPage<T>(url: URL, token: string | undefined): Promise<Page<T>> {
    const attempts = this.options.attempts ?? 4;
    const backoff = this.options.backoffMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.getOnce<T>(url, token);
      } catch (e) {
        const err = e as NetboxError;
        if (!err.retriable) throw err;
        if (attempt === attempts) throw new NetboxError(`${err.message} (after ${attempts} tries)`, true);
        // Jitter: several enricher replicas should not retry in step.
        await sleep(backoff * 2 ** (attempt - 1) * (1 + Math.random() * 0.2));
      }
    }
  }

  private async getOnce<T>(url: URL, token: string | undefined): Promise<Page<T>> {
    const where = `GET ${url.pathname}${url.search}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Accept: 'application/json', ...(token ? { Authorization: `Token ${token}` } : {}) },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs ?? 30_000} ms` : `${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}`;
      throw new NetboxError(`NetBox ${where}: ${why}`, true);
    }
    const body = await response.text().catch((e: Error) => { throw new NetboxError(`NetBox ${where}: ${e.message}`, true); });
    if (!response.ok) {
      const hint = response.status === 401 || response.status === 403 ? ': the token was refused (check NETBOX_TOKEN_FILE and the token\'s read permissions)' : '';
      throw new NetboxError(`NetBox ${where}: HTTP ${response.status}${hint} ${body.slice(0, 200)}`.trim(), response.status === 429 || response.status >= 500);
    }
    let page: Page<T>;
    try {
      page = JSON.parse(body) as Page<T>;
    } catch {
      throw new NetboxError(`NetBox ${where}: the answer is not JSON: ${body.slice(0, 120)}`, true);
    }
    if (!page || !Array.isArray(page.results) || typeof page.count !== 'number') {
      throw new NetboxError(`NetBox ${where}: the answer is not a NetBox list (count, next, results)`, false);
    }
    return page;
  }
}
