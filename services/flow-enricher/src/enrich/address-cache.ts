/**
 * A bounded cache with least-recently-used behaviour at the cost of two Map
 * lookups: entries live in a young and an old generation; a hit in the old one is
 * promoted; when the young generation is full it becomes the old one and the old
 * one is dropped. Between `capacity` and 2×`capacity` entries are kept, and no
 * per-hit bookkeeping (a true LRU's list splice) is paid on the hot path.
 */
export class TwoGenerationCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  public hits = 0;
  public misses = 0;

  public constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity ${capacity} is not a positive integer`);
  }

  public get(key: K): V | undefined {
    let v = this.young.get(key);
    if (v !== undefined) {
      this.hits++;
      return v;
    }
    v = this.old.get(key);
    if (v !== undefined) {
      this.hits++;
      this.set(key, v);
      return v;
    }
    this.misses++;
    return undefined;
  }

  public set(key: K, value: V): void {
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  public clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  public get size(): number {
    return this.young.size + this.old.size;
  }
}
