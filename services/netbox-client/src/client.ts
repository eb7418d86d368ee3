import { readFile } from 'node:fs/promises';
import createClient from 'openapi-fetch';
import type { paths } from './generated/netbox.js';

/** The list endpoints the client reads (those src/generated/netbox.ts is generated for). */
export type ListPath = keyof paths;

/** An object of a list, as NetBox's OpenAPI document describes it. */
export type ListItem<P extends ListPath> = paths[P]['get']['responses'][200]['content']['application/json']['results'][number];

/** The query parameters the client sets itself on every page. */
export const PAGING_PARAMETERS = ['limit', 'offset', 'ordering'] as const;

export interface NetBoxClientOptions {
  /** NetBox's base URL, e.g. https://netbox.example.net (without /api). */
  readonly url: string;
  /**
   * A file holding an API token with read access, re-read for every list so a
   * rotated Secret is picked up. @default - anonymous requests
   */
  readonly tokenFile?: string;
  /** Objects per page; NetBox cuts it to its MAX_PAGE_SIZE. @default 1000 */
  readonly pageSize?: number;
  /** Per request, headers and body. @default 30000 */
  readonly timeoutMs?: number;
  /** Attempts after the first for a request that failed in a way that may pass. @default 3 */
  readonly retries?: number;
  /** Wait before the first retry; doubled for each further one, up to 30 s. @default 1000 */
  readonly backoffMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: (request: Request) => Promise<Response>;
}

export interface ListOptions<P extends ListPath, R> {
  /**
   * Filters, as NetBox's query parameters, sent after the paging ones. Untyped: the
   * document omits custom-field filters (cf_*), types some filters narrower than
   * NetBox accepts them, and a user may configure one. @default - none
   */
  readonly filter?: URLSearchParams;
  /**
   * What is kept of each object, called as its page arrives (a full NetBox object is
   * kilobytes; a list of them need not stay in memory). Throwing says the object is
   * not what NetBox sends. @default - the object as sent
   */
  readonly keep?: (item: ListItem<P>) => R;
}

/** A NetBox request that failed; the message says which request, how, and after how many attempts. */
export class NetBoxError extends Error {
  public constructor(message: string, public readonly retryable: boolean) {
    super(message);
    this.name = 'NetBoxError';
  }
}

const RETRY_DELAY_MAX_MS = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Page {
  readonly count: number;
  readonly next?: string | null;
  readonly results: ReadonlyArray<{ readonly id: number }>;
}

function checkPage(body: unknown): Page {
  const page = body as Partial<Page> | null;
  if (page === null || typeof page !== 'object' || Array.isArray(page)) throw new Error('the body is not a JSON object');
  if (typeof page.count !== 'number') throw new Error('"count" is not a number');
  if (!Array.isArray(page.results)) throw new Error('"results" is not a list');
  if (page.next !== undefined && page.next !== null && typeof page.next !== 'string') throw new Error('"next" is not a URL');
  for (const item of page.results) {
    if (item === null || typeof item !== 'object' || typeof item.id !== 'number') throw new Error('a result has no numeric "id"');
  }
  return page as Page;
}

/** Refuses filters that set what the client sets itself. */
export function checkFilter(filter: URLSearchParams): void {
  for (const key of filter.keys()) {
    if ((PAGING_PARAMETERS as readonly string[]).includes(key)) throw new Error(`a NetBox filter may not set "${key}": the client sets ${PAGING_PARAMETERS.join(', ')} itself`);
  }
}

/**
 * Reads lists from NetBox's REST API, typed from its OpenAPI document
 * (src/generated/netbox.ts).
 *
 * A list is read page by page in id order, following `next`. It is read in full or
 * the read fails: a page that cannot be fetched after the retries, or a list whose
 * count changed while it was paged (an object added or removed mid-read shifts the
 * offsets), fails the whole read, so a caller never acts on part of the inventory.
 * 429, 5xx, timeouts and network errors are retried with exponential backoff; a
 * refused token, a wrong URL or a refused filter are not.
 */
export class NetBoxClient {
  private readonly api;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;

  public constructor(private readonly options: NetBoxClientOptions) {
    this.pageSize = options.pageSize ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 1000;
    this.api = createClient<paths>({
      baseUrl: options.url.replace(/\/+$/, ''),
      headers: { Accept: 'application/json' },
      fetch: options.fetch,
    });
  }

  /** Every object of a list, each kept as `keep` makes it; reads it again once when it changes under the read. */
  public async list<P extends ListPath, R = ListItem<P>>(path: P, options: ListOptions<P, R> = {}): Promise<R[]> {
    const filter = options.filter ?? new URLSearchParams();
    checkFilter(filter);
    const token = await this.token();
    const keep = options.keep ?? ((item: ListItem<P>) => item as unknown as R);
    for (let attempt = 1; ; attempt++) {
      const items: R[] = [];
      const ids = new Set<number>();
      let count: number | undefined;
      let offset: number | undefined = 0;
      let limit = this.pageSize;
      let changed = false;
      while (offset !== undefined) {
        const at: number = offset;
        const query = this.queryString(filter, limit, at);
        const what = `NetBox GET ${path}?${query}`;
        const page = await this.page(path, what, token, () => query);
        if (count !== undefined && page.count !== count) {
          changed = true;
          break;
        }
        count = page.count;
        for (const item of page.results) {
          ids.add(item.id);
          try {
            items.push(keep(item as ListItem<P>));
          } catch (e) {
            throw new NetBoxError(`${what}: object ${item.id} is not what NetBox sends: ${(e as Error).message}`, false);
          }
        }
        ({ offset, limit } = nextPage(page.next, at, limit));
      }
      if (!changed && items.length === count && ids.size === count) return items;
      if (attempt >= 2) {
        throw new NetBoxError(`NetBox GET ${path}: the list changed while it was read twice in a row (count ${count}, read ${items.length}, ${ids.size} distinct); try again when NetBox is quieter`, true);
      }
    }
  }

  private queryString(filter: URLSearchParams, limit: number, offset: number): string {
    const params = new URLSearchParams({ limit: String(limit), offset: String(offset), ordering: 'id' });
    filter.forEach((v, k) => params.append(k, v));
    return params.toString();
  }

  private async token(): Promise<string | undefined> {
    const file = this.options.tokenFile;
    if (file === undefined) return undefined;
    let token: string;
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (e) {
      // A Secret being remounted may pass.
      throw new NetBoxError(`cannot read the NetBox token file ${file}: ${(e as Error).message}`, true);
    }
    if (!token) throw new NetBoxError(`the NetBox token file ${file} is empty`, true);
    return token;
  }

  private async page(path: ListPath, what: string, token: string | undefined, querySerializer: () => string): Promise<Page> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { data, error, response } = await this.api.GET(path as '/api/dcim/sites/', {
          querySerializer,
          headers: token ? { Authorization: `Token ${token}` } : {},
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (!response.ok) {
          // 429 and 5xx pass with time; 400, 401, 403 and 404 are a wrong filter, token, permission or URL.
          const retryable = response.status === 429 || response.status >= 500;
          const hint = response.status === 401 || response.status === 403
            ? `: the token was refused (check ${this.options.tokenFile ? `the token in ${this.options.tokenFile}` : 'that NetBox allows anonymous reads'} and its read permissions)`
            : '';
          throw new NetBoxError(`${what}: HTTP ${response.status}${hint}${errorDetail(error)}`, retryable);
        }
        try {
          return checkPage(data);
        } catch (e) {
          throw new NetBoxError(`${what}: the response is not a NetBox list: ${(e as Error).message}`, true);
        }
      } catch (e) {
        const failure = asNetBoxError(e, what, this.timeoutMs);
        if (!failure.retryable || attempt > this.retries) {
          throw new NetBoxError(`${failure.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`, failure.retryable);
        }
        const delay = Math.min(RETRY_DELAY_MAX_MS, this.backoffMs * 2 ** (attempt - 1));
        // Jitter spreads the retries of many readers (replicas, one generator per cluster) of one NetBox.
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }
}

/** NetBox's `detail`, or a short text body (a proxy's); an HTML error page says nothing the status does not. */
function errorDetail(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'detail' in error) return `: ${String((error as { detail: unknown }).detail)}`;
  if (typeof error === 'string' && error.trim() && !error.trimStart().startsWith('<')) return `: ${error.trim().slice(0, 200)}`;
  return '';
}

function asNetBoxError(e: unknown, what: string, timeoutMs: number): NetBoxError {
  if (e instanceof NetBoxError) return e;
  const error = e as Error;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new NetBoxError(`${what}: no complete answer within ${timeoutMs / 1000} s`, true);
  }
  if (error instanceof SyntaxError) return new NetBoxError(`${what}: the response is not JSON: ${error.message}`, true);
  const cause = error.cause as (Error & { code?: string }) | undefined;
  const why = cause?.code ?? cause?.message;
  return new NetBoxError(`${what}: ${error.message}${why ? ` (${why})` : ''}`, true);
}

/**
 * The offset and limit of the next page, read from NetBox's `next` link. Only its
 * query is used: behind a reverse proxy NetBox may print its own scheme and host
 * there, which the client cannot always reach.
 */
function nextPage(next: string | null | undefined, offset: number, limit: number): { offset?: number; limit: number } {
  if (!next) return { limit };
  const params = new URL(next, 'http://netbox.invalid').searchParams;
  const nextOffset = Number(params.get('offset'));
  const nextLimit = Number(params.get('limit') ?? limit);
  if (!Number.isInteger(nextOffset) || nextOffset <= offset || !Number.isInteger(nextLimit) || nextLimit <= 0) {
    throw new NetBoxError(`NetBox's next page link "${next}" has no offset past ${offset} and a usable limit`, false);
  }
  return { offset: nextOffset, limit: nextLimit };
}
