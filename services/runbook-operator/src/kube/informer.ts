import { type KubeConfig, type KubernetesListObject, type KubernetesObject, makeInformer } from '@kubernetes/client-node';
import { backoffMs } from '../controller/backoff.js';
import type { Logger } from '../log.js';

export interface InformerOptions<T extends KubernetesObject> {
  /** What it watches, for logs. */
  readonly kind: string;
  /** The watch path, e.g. /apis/batch/v1/namespaces/x/jobs. */
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly labelSelector?: string;
  /** Called for every add, update and delete. */
  readonly onChange: (obj: T) => void;
  readonly log: Logger;
  /** @default 500 */
  readonly restartBaseMs?: number;
  /** @default 30000 */
  readonly restartMaxMs?: number;
}

/**
 * client-node's informer, kept running: on 410 Gone it re-lists by itself, but on
 * any other watch or list error it stops. This restarts it after a delay that grows
 * with each failure in a row (with jitter, so a flapping API server is not met by a
 * storm of re-lists) and resets once a watch connects and delivers.
 */
export class RestartingInformer<T extends KubernetesObject> {
  private readonly informer: ReturnType<typeof makeInformer<T>>;
  /** Failures in a row (reset by a delivered event): the backoff's attempt. */
  private failures = 0;
  /** Every failure ever: tells whether a start went through. */
  private errors = 0;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private synced = false;
  public restarts = 0;

  public constructor(kubeConfig: KubeConfig, private readonly options: InformerOptions<T>) {
    this.informer = makeInformer<T>(kubeConfig, options.path, options.list, options.labelSelector);
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.informer.on(verb, (obj: T) => {
        this.failures = 0;
        options.onChange(obj);
      });
    }
    // connect is emitted before each list and watch; after a successful start the cache holds the list.

    this.informer.on('error', (err: unknown) => this.restart(err));
  }

  public async start(): Promise<void> {
    this.stopped = false;
    const errors = this.errors;
    try {
      await this.informer.start();
      // A failed list is reported through the error callback, not the promise.
      if (this.errors === errors) this.synced = true;
    } catch (e) {
      this.restart(e);
    }
  }

  /** Whether the first list went through (the cache holds what the API server had). */
  public get hasSynced(): boolean {
    return this.synced;
  }

  public get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  public list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.informer.stop();
  }

  private restart(err: unknown): void {
    if (this.stopped) return;
    this.errors++;
    this.failures++;
    const delay = backoffMs(this.failures, this.options.restartBaseMs ?? 500, this.options.restartMaxMs ?? 30_000);
    this.options.log('warn', `watch of ${this.options.kind} failed; restarting`, { kind: this.options.kind, error: (err as Error)?.message ?? String(err), attempt: this.failures, delayMs: delay });
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.restarts++;
      const errors = this.errors;
      this.informer.start().then(() => {
        if (this.errors === errors) this.synced = true;
      }, (e: unknown) => this.restart(e));
    }, delay);
  }
}
