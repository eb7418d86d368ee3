import { setTimeout as sleep } from 'node:timers/promises';
import { buildInventory, type Inventory, type NetboxData } from '../enrich/inventory.js';
import type { Logger } from '../log.js';

export interface NetboxSource {
  fetchAll(): Promise<NetboxData>;
}

export interface RefresherOptions {
  readonly source: NetboxSource;
  readonly intervalSeconds: number;
  readonly log: Logger;
  /** Called with every inventory loaded. */
  readonly onInventory: (inventory: Inventory) => void;
  /** Called for every failed refresh. @default - nothing */
  readonly onFailure?: () => void;
  /** Delay between tries of the first load, doubled up to 30 s. @default 1000 */
  readonly firstRetryMs?: number;
}

/**
 * Keeps the NetBox inventory fresh: loads it on an interval and, when NetBox fails,
 * keeps serving the last good one (its age is exported, and alerted on, so a
 * stale inventory is visible rather than silent).
 */
export class NetboxRefresher {
  private timer?: NodeJS.Timeout;
  private readonly stopSignal = new AbortController();
  private running?: Promise<void>;
  /** When the inventory in use was loaded (ms since the epoch). */
  public loadedAt?: number;

  public constructor(private readonly options: RefresherOptions) {}

  public get loaded(): boolean {
    return this.loadedAt !== undefined;
  }

  /** Seconds since the inventory in use was loaded. */
  public ageSeconds(now = Date.now()): number | undefined {
    return this.loadedAt === undefined ? undefined : (now - this.loadedAt) / 1000;
  }

  /**
   * Loads the first inventory, retrying until it succeeds or `stop()` is called:
   * without it every flow would miss, and flows wait better in Kafka than they
   * store unlabelled in ClickHouse.
   */
  public async loadFirst(): Promise<boolean> {
    let delay = this.options.firstRetryMs ?? 1000;
    while (!this.stopSignal.signal.aborted) {
      if (await this.refresh()) return true;
      await sleep(delay, undefined, { signal: this.stopSignal.signal }).catch(() => {});
      delay = Math.min(delay * 2, 30_000);
    }
    return false;
  }

  /** Refreshes on the interval from now on. */
  public start(): void {
    this.timer = setInterval(() => { void this.refresh(); }, this.options.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Stops refreshing; a NetBox request in flight is left to finish or time out on its own. */
  public stop(): void {
    this.stopSignal.abort();
    clearInterval(this.timer);
  }

  /** One refresh; false when NetBox failed (the last inventory stays). Concurrent calls share one run. */
  public async refresh(): Promise<boolean> {
    if (this.running) {
      await this.running;
      return this.loaded;
    }
    let ok = false;
    this.running = (async () => {
      const { log } = this.options;
      const t0 = Date.now();
      try {
        const inventory = buildInventory(await this.options.source.fetchAll());
        this.options.onInventory(inventory);
        this.loadedAt = Date.now();
        ok = true;
        for (const w of inventory.stats.warnings.slice(0, 20)) log.warn(`NetBox inventory: ${w}`);
        const { warnings, ...stats } = inventory.stats;
        log.info('NetBox inventory loaded', { ...stats, warnings: warnings.length, ms: Date.now() - t0 });
      } catch (e) {
        this.options.onFailure?.();
        const age = this.ageSeconds();
        log.warn(age === undefined ? 'NetBox inventory not loaded yet' : 'NetBox refresh failed; enriching from the last inventory', {
          error: (e as Error).message, inventoryAgeSeconds: age === undefined ? undefined : Math.round(age),
        });
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    return ok;
  }
}
