import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ALERTS_PATH, GROUP, type RunbookExecution, TERMINAL_PHASES, VERSION } from './api/types.js';
import { isStatus, type OperatorClient, describeError } from './kube/client.js';
import type { Logger } from './log.js';

/** Label on executions an alert started: one value per runbook + alert + device, so a repeat finds the running one. */
export const ALERT_KEY_LABEL = 'automation.helios.io/alert-key';
const MAX_BODY_BYTES = 1024 * 1024;

export interface Alert {
  readonly status?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly fingerprint?: string;
}

/** An execution an alert asks for, before deduplication. */
export interface PlannedExecution {
  readonly alertKey: string;
  /** Names the execution: `<prefix>-<n>` with n one more than the alert's earlier ones. */
  readonly namePrefix: string;
  readonly execution: Omit<RunbookExecution, 'metadata'> & { readonly metadata: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> } };
}

export interface Plan {
  readonly planned: readonly PlannedExecution[];
  /** Alerts that ask for nothing, with why. */
  readonly skipped: ReadonlyArray<{ readonly alert: string; readonly why: string }>;
}

/** A webhook body that is not what Alertmanager sends. */
export class PayloadError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

/** The body's alerts, or a PayloadError naming the bad field. */
export function parsePayload(body: unknown): readonly Alert[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError('body: expected an Alertmanager webhook object with `alerts`');
  const alerts = (body as { alerts?: unknown }).alerts;
  if (!Array.isArray(alerts)) throw new PayloadError(`alerts: expected a list, got ${alerts === undefined ? 'nothing' : typeof alerts}`);
  alerts.forEach((a: unknown, i) => {
    if (a === null || typeof a !== 'object') throw new PayloadError(`alerts[${i}]: expected an object`);
    const labels = (a as Alert).labels;
    if (labels !== undefined && (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string'))) {
      throw new PayloadError(`alerts[${i}].labels: expected a map of strings`);
    }
  });
  return alerts as Alert[];
}

function alertKey(runbook: string, alertname: string, fingerprint: string, device: string): string {
  return createHash('sha256').update([runbook, alertname, fingerprint, device].join('\n')).digest('hex').slice(0, 20);
}

/** A fingerprint for an alert that carries none (Alertmanager always sends one): its sorted labels. */
function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  return createHash('sha256').update(JSON.stringify(Object.entries(labels).sort())).digest('hex').slice(0, 16);
}

/**
 * The executions the firing alerts with a `runbook` label ask for: the alert's
 * `device` label is the target, alert labels named as the runbook's parameters
 * are its parameters. Resolved alerts ask for nothing.
 */
export function planExecutions(
  alerts: readonly Alert[], namespace: string, requestedBy: string, parametersOf: (runbook: string) => readonly string[] | undefined,
): Plan {
  const planned: PlannedExecution[] = [];
  const skipped: Array<{ alert: string; why: string }> = [];
  for (const alert of alerts) {
    const labels = alert.labels ?? {};
    const alertname = labels.alertname ?? '(no alertname)';
    const runbook = labels.runbook;
    if (runbook === undefined || runbook === '') continue;
    if ((alert.status ?? 'firing') !== 'firing') continue;
    const device = labels.device;
    if (device === undefined || device === '') {
      skipped.push({ alert: alertname, why: 'the alert has no `device` label to target' });
      continue;
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(runbook) || runbook.length > 63) {
      skipped.push({ alert: alertname, why: `label runbook: ${JSON.stringify(runbook)} is not a runbook name (a DNS label)` });
      continue;
    }
    const fingerprint = alert.fingerprint ?? labelsFingerprint(labels);
    const key = alertKey(runbook, alertname, fingerprint, device);
    const parameters = Object.fromEntries((parametersOf(runbook) ?? []).filter((p) => labels[p] !== undefined).map((p) => [p, labels[p]]));
    planned.push({
      alertKey: key,
      namePrefix: `${runbook.slice(0, 36)}-alert-${key.slice(0, 10)}`,
      execution: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'RunbookExecution',
        metadata: { namespace, labels: { [ALERT_KEY_LABEL]: key } },
        spec: {
          runbookRef: { name: runbook },
          target: { device },
          ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
          requestedBy,
          triggerSource: 'alertmanager',
          triggeredBy: `${alertname} ${fingerprint}`,
        },
      },
    });
  }
  return { planned, skipped };
}

/** Compares two secrets in time independent of where they differ (hashing first makes the lengths equal). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected !== '';
}

export interface WebhookOptions {
  readonly client: OperatorClient;
  readonly namespace: string;
  /** The operator's own username: the admission policy wants requestedBy to be the creator. */
  readonly requestedBy: string;
  /** The bearer token Alertmanager sends, read on every request so a rotated Secret takes effect. */
  readonly token: () => string;
  readonly parametersOf: (runbook: string) => readonly string[] | undefined;
  readonly log: Logger;
}

export interface WebhookResult {
  readonly created: string[];
  readonly deduplicated: string[];
  readonly skipped: ReadonlyArray<{ readonly alert: string; readonly why: string }>;
}

/**
 * Receives Alertmanager's webhook: one execution per firing alert + device while
 * none of it is unfinished. Keys are handled one at a time in this process; across
 * replicas the execution's name (`<prefix>-<n>`) makes two creators collide.
 */
export class AlertWebhook {
  private readonly chains = new Map<string, Promise<unknown>>();

  public constructor(private readonly options: WebhookOptions) {}

  public async handle(body: unknown): Promise<WebhookResult> {
    const { planned, skipped } = planExecutions(parsePayload(body), this.options.namespace, this.options.requestedBy, this.options.parametersOf);
    const created: string[] = [];
    const deduplicated: string[] = [];
    for (const p of planned) {
      const outcome = await this.serialized(p.alertKey, () => this.createUnlessRunning(p));
      (outcome.created ? created : deduplicated).push(outcome.name);
    }
    for (const s of skipped) this.options.log('warn', 'alert starts no runbook', s);
    return { created, deduplicated, skipped };
  }

  private serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }

  private async createUnlessRunning(p: PlannedExecution): Promise<{ name: string; created: boolean }> {
    const { client, namespace, log } = this.options;
    const existing = (await client.listExecutions(namespace, `${ALERT_KEY_LABEL}=${p.alertKey}`)).items;
    const running = existing.find((e) => !TERMINAL_PHASES.includes(e.status?.phase ?? 'Pending'));
    if (running !== undefined) return { name: running.metadata.name, created: false };
    const n = Math.max(0, ...existing.map((e) => Number(e.metadata.name.slice(p.namePrefix.length + 1)) + 1).filter(Number.isFinite));
    const name = `${p.namePrefix}-${n}`;
    try {
      await client.createExecution({ ...p.execution, metadata: { ...p.execution.metadata, name } });
    } catch (e) {
      if (isStatus(e, 409)) return { name, created: false };
      throw e;
    }
    log('info', 'alert started a runbook', { execution: name, runbook: p.execution.spec.runbookRef.name, device: p.execution.spec.target.device, triggeredBy: p.execution.spec.triggeredBy });
    return { name, created: true };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body: larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else {chunks.push(c);}
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The webhook's HTTP server: POST ALERTS_PATH with `Authorization: Bearer <token>`. */
export function serveWebhook(port: number, webhook: AlertWebhook, token: () => string, log: Logger, host?: string): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    if ((req.url ?? '').split('?')[0] !== ALERTS_PATH) return reply(404, { error: `not found; Alertmanager posts to ${ALERTS_PATH}` });
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    let expected: string;
    try {
      expected = token();
    } catch (e) {
      log('error', 'cannot read the webhook token', { error: (e as Error).message });
      return reply(503, { error: 'the webhook token is not readable' });
    }
    if (!sameSecret(given, expected)) return reply(401, { error: 'missing or wrong bearer token' });
    readBody(req).then(async (text) => {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        return reply(400, { error: `body: not JSON: ${(e as Error).message}` });
      }
      try {
        return reply(200, await webhook.handle(body));
      } catch (e) {
        if (e instanceof PayloadError) return reply(400, { error: e.message });
        log('error', 'webhook could not create executions', { error: describeError(e) });
        // Alertmanager retries on 5xx.
        return reply(503, { error: describeError(e) });
      }
    }, (e: unknown) => reply(413, { error: (e as Error).message }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** The token from a file (the mounted Secret), trimmed of the newline editors add. */
export function tokenFromFile(path: string): () => string {
  return () => readFileSync(path, 'utf8').trim();
}
