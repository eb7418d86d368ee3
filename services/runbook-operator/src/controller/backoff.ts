/**
 * Exponential backoff with jitter: attempt 1 waits about `baseMs`, each further
 * attempt about twice as long, up to `maxMs`. The wait is drawn from the upper half
 * of the interval, so replicas (or informers) that failed together do not retry
 * together, yet none retries sooner than half the nominal delay.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
