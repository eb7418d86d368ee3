import { backoffMs } from './backoff.js';

export interface WorkQueueOptions {
  /** First requeue delay after a failure. @default 200 */
  readonly baseDelayMs?: number;
  /** Longest requeue delay after repeated failures. @default 60000 */
  readonly maxDelayMs?: number;
  readonly random?: () => number;
}

/**
 * A keyed work queue as client-go's: a key waits at most once however often it is
 * added; a key being processed is not handed out again until `done`, and an add
 * meanwhile makes it come back after; failures requeue it with growing delay
 * (`addRateLimited`) until `forget`.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<() => void> = [];
  private shut = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  public constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  public add(key: string): void {
    if (this.shut || this.queued.has(key)) return;
    this.queued.add(key);
    if (!this.processing.has(key)) {
      this.order.push(key);
      this.wake();
    }
  }

  /** Adds the key after `delayMs`; an earlier pending delay for the key wins. */
  public addAfter(key: string, delayMs: number): void {
    if (this.shut) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Requeues a key whose processing failed, waiting longer with each failure in a row. */
  public addRateLimited(key: string): number {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempt);
    const delay = backoffMs(attempt, this.baseDelayMs, this.maxDelayMs, this.random);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key was processed successfully: its next failure starts the backoff afresh. */
  public forget(key: string): void {
    this.failures.delete(key);
  }

  public failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once the queue is shut down. */
  public async get(): Promise<string | undefined> {
    while (this.order.length === 0) {
      if (this.shut) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.order.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  public done(key: string): void {
    this.processing.delete(key);
    if (this.queued.has(key)) {
      this.order.push(key);
      this.wake();
    }
  }

  public get length(): number {
    return this.order.length;
  }

  public shutDown(): void {
    this.shut = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  private wake(): void {
    const w = this.waiters.shift();
    if (w !== undefined) w();
  }
}
