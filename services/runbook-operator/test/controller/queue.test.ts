import { backoffMs } from '../../src/controller/backoff.js';
import { WorkQueue } from '../../src/controller/queue.js';

describe('the work queue', () => {
  test('a key waits once however often it is added, in the order first added', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
  });

  test('a key being processed is not handed out again until done; an add meanwhile brings it back after', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    let second: string | undefined;
    const pending = q.get().then((k) => {
      second = k;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBeUndefined();
    q.done(first!);
    await pending;
    expect(second).toBe('a');
  });

  test('failures requeue with a growing delay until forgotten', async () => {
    const q = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 1000, random: () => 1 });
    expect(q.addRateLimited('a')).toBe(20);
    expect(q.addRateLimited('a')).toBe(40);
    expect(q.addRateLimited('a')).toBe(80);
    expect(q.failuresOf('a')).toBe(3);
    q.forget('a');
    expect(q.failuresOf('a')).toBe(0);
    const started = Date.now();
    expect(await q.get()).toBe('a');
    // The earliest pending delay (20 ms) wins over the later ones.
    expect(Date.now() - started).toBeLessThan(75);
    q.shutDown();
    expect(await q.get()).toBeUndefined();
  });

  test('backoff doubles per attempt, stops at the maximum, and jitters within the upper half', () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(a, 100, 1000, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(3, 100, 1000, () => 0)).toBe(200);
    for (let i = 0; i < 50; i++) {
      const d = backoffMs(2, 100, 1000);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
  });
});
