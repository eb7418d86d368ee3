import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface LeaseTimings {
  /** How long a lease lasts without renewal; a follower takes over this long after the holder's last renewal it saw. @default 15000 */
  readonly durationMs: number;
  /** The holder gives up leading when it could not renew for this long (less than durationMs, so it stops before anyone else may start). @default 10000 */
  readonly renewDeadlineMs: number;
  /** How often the holder renews and a follower tries to acquire. @default 2000 */
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface LeaderCallbacks {
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the
 * holder renews every retry period; a follower takes the lease only when the
 * record it last saw has not changed for the lease duration (measured on its own
 * clock, so clock skew between nodes does not matter); every write carries the
 * resourceVersion read, so of two candidates only one succeeds. A holder that
 * cannot renew within the renew deadline stops leading before its lease can expire.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private observed?: { record: string; at: number };
  private lastRenew = 0;

  public constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    public readonly identity: string,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
    private readonly timings: LeaseTimings = DEFAULT_LEASE_TIMINGS,
  ) {
    if (timings.renewDeadlineMs >= timings.durationMs) throw new Error(`lease timings: renewDeadlineMs (${timings.renewDeadlineMs}) must be less than durationMs (${timings.durationMs})`);
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  public get isLeader(): boolean {
    return this.leading;
  }

  public start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a holder releases the lease so a follower need not wait for it to expire. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.leading) {
      this.setLeading(false);
      try {
        const lease = await this.api.readNamespacedLease({ namespace: this.namespace, name: this.name });
        if (lease.spec?.holderIdentity === this.identity) {
          lease.spec.holderIdentity = undefined;
          lease.spec.leaseDurationSeconds = 1;
          await this.api.replaceNamespacedLease({ namespace: this.namespace, name: this.name, body: lease });
        }
      } catch (e) {
        this.log('warn', 'could not release the leader lease', { error: (e as Error).message });
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (e) {
      this.log('warn', 'leader lease request failed', { error: (e as Error).message, identity: this.identity });
    }
    const now = Date.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) this.setLeading(true);
    } else if (this.leading && now - this.lastRenew >= this.timings.renewDeadlineMs) {
      this.setLeading(false);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.timings.retryPeriodMs);
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.log('info', leading ? 'became the leader' : 'stopped leading', { lease: `${this.namespace}/${this.name}`, identity: this.identity });
    if (leading) this.callbacks.onStartedLeading();
    else this.callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new V1MicroTime();
    const durationSeconds = Math.ceil(this.timings.durationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace: this.namespace, name: this.name });
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 404)) throw e;
      await this.api.createNamespacedLease({
        namespace: this.namespace,
        body: {
          metadata: { name: this.name, namespace: this.namespace },
          spec: { holderIdentity: this.identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      }).catch((err: unknown) => {
        if (err instanceof ApiException && err.code === 409) return undefined;
        throw err;
      });
      return this.confirm();
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity;
    const heldByOther = holder !== undefined && holder !== null && holder !== '' && holder !== this.identity;
    const durationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (heldByOther && Date.now() < this.observed.at + durationMs) return false;
    const next: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        // Read back as Dates; written as microsecond times, as the API server parses them.
        acquireTime: spec.acquireTime ? new V1MicroTime(spec.acquireTime) : now,
        holderIdentity: this.identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: now,
        ...(holder === this.identity ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      await this.api.replaceNamespacedLease({ namespace: this.namespace, name: this.name, body: next });
      return true;
    } catch (e) {
      // Another candidate wrote first: it holds the lease.
      if (e instanceof ApiException && e.code === 409) return false;
      throw e;
    }
  }

  /** After a create that may have lost to another candidate: whether the lease names us. */
  private async confirm(): Promise<boolean> {
    const lease = await this.api.readNamespacedLease({ namespace: this.namespace, name: this.name });
    return lease.spec?.holderIdentity === this.identity;
  }
}
