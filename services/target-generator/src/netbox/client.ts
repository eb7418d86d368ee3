import createClient from 'openapi-fetch';
import { type DeviceRecord, deviceRecord, type NetBoxDevice, type NetBoxSite, type SiteRecord, siteRecord } from './devices.js';
import type { operations, paths } from '../generated/netbox.js';

export interface NetBoxClientOptions {
  /** NetBox's base URL, e.g. https://netbox.example.net (without /api). */
  readonly url: string;
  /** An API token with read access to devices and sites. */
  readonly token: string;
  /** Extra device filters, as NetBox's query parameters (site=ams1&status=active). @default - none */
  readonly deviceFilter?: URLSearchParams;
  /** @default 500 */
  readonly pageSize?: number;
  /** Per request, headers and body. @default 30000 */
  readonly timeoutMs?: number;
  /** Attempts after the first for a request that failed in a way that may pass. @default 3 */
  readonly retries?: number;
  /** Wait before the first retry; doubled for each further one. @default 1000 */
  readonly backoffMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: (request: Request) => Promise<Response>;
}

/** A NetBox request that failed; the message says which request, how, and after how many attempts. */
export class NetBoxError extends Error {
  public constructor(message: string, public readonly retryable: boolean) {
    super(message);
    this.name = 'NetBoxError';
  }
}

/** Everything a sync reads from NetBox, read in full or not at all. */
export interface NetBoxInventory {
  readonly devices: readonly DeviceRecord[];
  readonly sites: readonly SiteRecord[];
}

/** The filter that selects the devices Helios monitors (NetBox accepts it though its schema omits cf_ filters). */
export const MONITORED = { name: 'cf_helios_monitor', value: 'true' } as const;

/** Parameters a device filter may not set: the client owns paging, ordering and the monitoring flag. */
const RESERVED = ['limit', 'offset', 'ordering', 'exclude', MONITORED.name];

export function checkDeviceFilter(filter: URLSearchParams): void {
  for (const key of filter.keys()) {
    if (RESERVED.includes(key)) throw new Error(`the device filter may not set "${key}": the Target Generator sets ${RESERVED.join(', ')} itself`);
  }
}

const RETRY_DELAY_MAX_MS = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Page<T> {
  readonly count: number;
  readonly next?: string | null;
  readonly results: readonly T[];
}

function checkPage<T>(body: unknown): Page<T> {
  const page = body as Partial<Page<T>> | null;
  if (page === null || typeof page !== 'object' || Array.isArray(page)) throw new Error('the body is not a JSON object');
  if (typeof page.count !== 'number') throw new Error('"count" is not a number');
  if (!Array.isArray(page.results)) throw new Error('"results" is not a list');
  if (page.next !== undefined && page.next !== null && typeof page.next !== 'string') throw new Error('"next" is not a URL');
  return page as Page<T>;
}

/** Fields of a device the generators read; a device without them means the response is not what NetBox sends. */
function checkDevice(d: unknown): void {
  const device = d as Partial<NetBoxDevice> | null;
  if (device === null || typeof device !== 'object') throw new Error('a result is not an object');
  if (typeof device.id !== 'number') throw new Error('a device has no numeric "id"');
  if (typeof device.site?.id !== 'number' || typeof device.site?.slug !== 'string') throw new Error(`device ${device.id} has no "site" with id and slug`);
  if (typeof device.role?.slug !== 'string') throw new Error(`device ${device.id} has no "role" with a slug`);
  if (typeof device.device_type?.manufacturer?.slug !== 'string') throw new Error(`device ${device.id} has no "device_type.manufacturer" with a slug`);
}

function checkSite(s: unknown): void {
  const site = s as Partial<NetBoxSite> | null;
  if (site === null || typeof site !== 'object' || typeof site.id !== 'number') throw new Error('a site has no numeric "id"');
}

/**
 * Reads the monitored devices and the sites (for their regions: a device's site
 * carries no region) through NetBox's REST API, typed from its OpenAPI document.
 *
 * A list is read page by page, following `next`. It is read in full or the read
 * fails: a page that cannot be fetched after the retries, or a list whose count
 * changed while it was paged (a device added or removed mid-read shifts the
 * offsets), fails the whole read, so a sync never acts on part of the inventory.
 */
export class NetBoxClient {
  private readonly api;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly deviceFilter: URLSearchParams;

  public constructor(options: NetBoxClientOptions) {
    this.pageSize = options.pageSize ?? 500;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 1000;
    this.deviceFilter = options.deviceFilter ?? new URLSearchParams();
    checkDeviceFilter(this.deviceFilter);
    this.api = createClient<paths>({
      baseUrl: options.url.replace(/\/+$/, ''),
      headers: { Authorization: `Token ${options.token}`, Accept: 'application/json' },
      fetch: options.fetch,
    });
  }

  public async inventory(): Promise<NetBoxInventory> {
    // Sites first: they are few, and a NetBox that fails here fails before the long device read.
    const sites = await this.list<NetBoxSite, SiteRecord>('/api/dcim/sites/', new URLSearchParams(), checkSite, siteRecord);
    const devices = await this.list<NetBoxDevice, DeviceRecord>('/api/dcim/devices/', this.devicesQuery(), checkDevice, deviceRecord);
    return { devices, sites };
  }

  private devicesQuery(): URLSearchParams {
    const query = new URLSearchParams(this.deviceFilter);
    query.set(MONITORED.name, MONITORED.value);
    // The rendered config context is the costliest part of a device for NetBox to build, and unused here.
    query.set('exclude', 'config_context');
    return query;
  }

  /**
   * Every object of a list, following `next`, each kept as `record` makes it; restarts
   * once when the list changes under the read.
   */
  private async list<T, R extends { id: number }>(path: '/api/dcim/devices/' | '/api/dcim/sites/', filter: URLSearchParams, check: (item: unknown) => void, record: (item: T) => R): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      const items: R[] = [];
      let count: number | undefined;
      let offset: number | undefined = 0;
      let limit = this.pageSize;
      let changed = false;
      while (offset !== undefined) {
        const page = await this.page<T>(path, filter, limit, offset, check);
        if (count !== undefined && page.count !== count) {
          changed = true;
          break;
        }
        count = page.count;
        for (const item of page.results) items.push(record(item));
        ({ offset, limit } = nextPage(page.next, limit));
      }
      const unique = new Set(items.map((i) => i.id)).size;
      if (!changed && items.length === count && unique === count) return items;
      if (attempt >= 2) {
        throw new NetBoxError(`NetBox GET ${path}: the list changed while it was read twice in a row (count ${count}, read ${items.length}, ${unique} distinct); try again when NetBox is quieter`, true);
      }
    }
  }

  private async page<T>(path: '/api/dcim/devices/' | '/api/dcim/sites/', filter: URLSearchParams, limit: number, offset: number, check: (item: unknown) => void): Promise<Page<T>> {
    const query: NonNullable<operations['dcim_devices_list']['parameters']['query']> & NonNullable<operations['dcim_sites_list']['parameters']['query']> = {
      limit, offset, ordering: 'id',
    };
    // Filters outside the document (cf_helios_monitor, exclude) and the user's own go after the typed ones.
    const querySerializer = (q: Record<string, unknown>): string => {
      const params = new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]));
      filter.forEach((v, k) => params.append(k, v));
      return params.toString();
    };
    const what = `NetBox GET ${path}?${querySerializer(query)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const { data, error, response } = await this.api.GET(path, {
          params: { query },
          querySerializer,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (!response.ok) {
          // 429 and 5xx pass with time; 401, 403 and 404 are a wrong token, permission or URL.
          const retryable = response.status === 429 || response.status >= 500;
          const detail = typeof error === 'object' && error !== null && 'detail' in error ? `: ${String((error as { detail: unknown }).detail)}` : '';
          throw new NetBoxError(`${what}: HTTP ${response.status}${detail}`, retryable);
        }
        try {
          const page = checkPage<T>(data);
          page.results.forEach(check);
          return page;
        } catch (e) {
          throw new NetBoxError(`${what}: the response is not a NetBox list: ${(e as Error).message}`, true);
        }
      } catch (e) {
        const failure = asNetBoxError(e, what, this.timeoutMs);
        if (!failure.retryable || attempt > this.retries) {
          throw new NetBoxError(`${failure.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`, failure.retryable);
        }
        const delay = Math.min(RETRY_DELAY_MAX_MS, this.backoffMs * 2 ** (attempt - 1));
        // Jitter spreads the retries of many generators (one per cluster) reading one NetBox.
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }
}

function asNetBoxError(e: unknown, what: string, timeoutMs: number): NetBoxError {
  if (e instanceof NetBoxError) return e;
  const error = e as Error;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new NetBoxError(`${what}: no complete answer within ${timeoutMs / 1000} s (NETBOX_TIMEOUT_SECONDS)`, true);
  }
  if (error instanceof SyntaxError) return new NetBoxError(`${what}: the response is not JSON: ${error.message}`, true);
  const cause = (error.cause as Error | undefined)?.message;
  return new NetBoxError(`${what}: ${error.message}${cause ? ` (${cause})` : ''}`, true);
}

/**
 * The offset and limit of the next page, read from NetBox's `next` link. Only its
 * query is used: behind a reverse proxy NetBox may print its own scheme and host
 * there, which the client cannot always reach.
 */
function nextPage(next: string | null | undefined, limit: number): { offset?: number; limit: number } {
  if (!next) return { limit };
  const params = new URL(next, 'http://netbox.invalid').searchParams;
  const offset = Number(params.get('offset'));
  const nextLimit = Number(params.get('limit') ?? limit);
  if (!Number.isInteger(offset) || offset <= 0 || !Number.isInteger(nextLimit) || nextLimit <= 0) {
    throw new NetBoxError(`NetBox's next page link "${next}" has no usable offset and limit`, false);
  }
  return { offset, limit: nextLimit };
}
