import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter } from 'prom-client';
import type { Logger } from './log.js';
import type { SyncMetrics } from './metrics.js';
import { checkSignature, parseEvent, SIGNATURE_HEADER } from './webhook.js';

export const WEBHOOK_PATH = '/webhook';
const BODY_MAX_BYTES = 1024 * 1024;

export interface ServerOptions {
  readonly port: number;
  /** Listen on this address only. @default - every address */
  readonly host?: string;
  readonly intervalMs: number;
  /** @default - every webhook is refused */
  readonly webhookSecret?: string;
  /** How long to wait after a webhook for more before syncing (NetBox sends one per object of a bulk edit). */
  readonly debounceMs: number;
  /** One sync; a rejection is a failed sync, already counted and logged by the caller. */
  readonly sync: (reason: string) => Promise<void>;
  readonly metrics: SyncMetrics;
  readonly log: Logger;
}

/**
 * The long-running mode: a sync at start, then every interval and within seconds
 * of a verified NetBox webhook; /metrics for Prometheus, /healthz and /readyz for
 * the kubelet. Syncs never overlap: a request during a sync runs one more after it.
 */
export class TargetGeneratorServer {
  private readonly http: Server;
  private readonly webhooks: Counter<'result'>;
  private timer?: NodeJS.Timeout;
  private interval?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private lastAttemptAt = Date.now();

  public constructor(private readonly options: ServerOptions) {
    this.webhooks = new Counter({
      name: 'helios_target_webhooks_total',
      help: 'NetBox webhooks received, by result: accepted, unsigned, wrong_signature, malformed, disabled.',
      labelNames: ['result'],
      registers: [options.metrics.registry],
    });
    for (const result of ['accepted', 'unsigned', 'wrong_signature', 'malformed', 'disabled']) this.webhooks.inc({ result }, 0);
    this.http = createServer((req, res) => {
      this.route(req, res).catch((e) => {
        options.log('error', `HTTP ${req.method} ${req.url}: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  public async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
    this.options.log('info', `listening on :${this.port}`, { webhooks: this.options.webhookSecret !== undefined });
    this.interval = setInterval(() => this.request('interval', 0), this.options.intervalMs);
    this.request('start', 0);
  }

  /** The port it listens on (the one asked for, or the one given for port 0). */
  public get port(): number {
    const address = this.http.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  /** Stops taking requests, lets a running sync finish, and closes. */
  public async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.interval);
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.running;
  }

  /** Asks for a sync in `delayMs` (an earlier pending one stands). */
  public request(reason: string, delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.options.sync(reason)
        .catch(() => { /* counted and logged by the sync */ })
        .finally(() => {
          this.running = undefined;
          this.lastAttemptAt = Date.now();
          if (this.again) {
            this.again = false;
            this.request('changes during the last sync', 0);
          }
        });
    }, delayMs);
  }

  private get healthy(): boolean {
    // A sync loop that has not finished an attempt in this long is stuck: let the kubelet restart it.
    return Date.now() - this.lastAttemptAt < Math.max(3 * this.options.intervalMs, 15 * 60_000);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === WEBHOOK_PATH) return this.webhook(req, res);
    if (req.method !== 'GET') return reply(res, 405, 'method not allowed\n');
    switch (path) {
      case '/metrics':
        res.writeHead(200, { 'Content-Type': this.options.metrics.registry.contentType });
        res.end(await this.options.metrics.registry.metrics());
        return;
      case '/healthz':
        return this.healthy ? reply(res, 200, 'ok\n') : reply(res, 503, 'the sync loop has not finished a sync for too long\n');
      case '/readyz':
        return reply(res, 200, 'ready\n');
      default:
        return reply(res, 404, 'not found\n');
    }
  }

  private async webhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return reply(res, 405, 'POST a NetBox webhook here\n');
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, `the body is over ${BODY_MAX_BYTES} bytes\n`);
    const secret = this.options.webhookSecret;
    if (secret === undefined) {
      this.webhooks.inc({ result: 'disabled' });
      return reply(res, 403, 'webhooks are not enabled: no webhook secret is configured (WEBHOOK_SECRET_FILE)\n');
    }
    const header = req.headers[SIGNATURE_HEADER];
    const signature = checkSignature(body, Array.isArray(header) ? header[0] : header, secret);
    if (signature !== 'valid') {
      const result = signature === 'unsigned' ? 'unsigned' : 'wrong_signature';
      this.webhooks.inc({ result });
      this.options.log('warn', `refused a webhook: ${signature === 'unsigned' ? `no ${SIGNATURE_HEADER} header` : 'its signature does not match the webhook secret'}`, { remote: req.socket.remoteAddress });
      return signature === 'unsigned'
        ? reply(res, 401, `unsigned: NetBox signs webhooks in ${SIGNATURE_HEADER} when the webhook has a secret\n`)
        : reply(res, 403, 'the signature does not match\n');
    }
    const event = parseEvent(body);
    if (!event) {
      this.webhooks.inc({ result: 'malformed' });
      return reply(res, 400, 'not a NetBox webhook body: expected JSON with "event"\n');
    }
    this.webhooks.inc({ result: 'accepted' });
    this.options.log('info', `webhook: ${event.objectType} ${event.event}${event.objectId !== undefined ? ` (id ${event.objectId})` : ''}; syncing`);
    this.request(`webhook ${event.objectType} ${event.event}`, this.options.debounceMs);
    return reply(res, 202, 'sync scheduled\n');
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** The request body, or undefined when it is larger than BODY_MAX_BYTES. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_MAX_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
