import { parseCidr } from './ip.js';

/**
 * Longest-prefix match over a few thousand NetBox prefixes. One hash map per
 * prefix length present, probed from the longest length down: an inventory uses
 * a handful of lengths, so a lookup is a handful of Map probes. It runs only when
 * the address cache misses.
 */
export class PrefixTable<T> {
  private readonly v4 = new Map<number, Map<number, T>>();
  private readonly v6 = new Map<number, Map<string, T>>();
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];

  /** Adds "a.b.c.d/n" or "x::/n"; returns false when the text is not a prefix. The first value added for a prefix stays. */
  public add(cidr: string, value: T): boolean {
    const parsed = parseCidr(cidr);
    if (!parsed) return false;
    const { address, length } = parsed;
    if (address.length === 4) {
      const key = maskV4(((address[0] << 24) | (address[1] << 16) | (address[2] << 8) | address[3]) >>> 0, length);
      addTo(this.v4, length, key, value);
      this.v4Lengths = sortedLengths(this.v4);
    } else {
      addTo(this.v6, length, maskV6(String.fromCharCode(...address), length), value);
      this.v6Lengths = sortedLengths(this.v6);
    }
    return true;
  }

  /** The value of the longest prefix holding an address key (see ip.ts addressKey). */
  public lookup(key: number | string): T | undefined {
    if (typeof key === 'number') {
      for (const length of this.v4Lengths) {
        const hit = this.v4.get(length)!.get(maskV4(key, length));
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
    for (const length of this.v6Lengths) {
      const hit = this.v6.get(length)!.get(maskV6(key, length));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  public get size(): number {
    let n = 0;
    for (const m of this.v4.values()) n += m.size;
    for (const m of this.v6.values()) n += m.size;
    return n;
  }
}

function addTo<K, T>(byLength: Map<number, Map<K, T>>, length: number, key: K, value: T): void {
  let m = byLength.get(length);
  if (!m) byLength.set(length, (m = new Map()));
  if (!m.has(key)) m.set(key, value);
}

function sortedLengths(byLength: Map<number, unknown>): number[] {
  return [...byLength.keys()].sort((a, b) => b - a);
}

function maskV4(value: number, length: number): number {
  return length === 0 ? 0 : (value & (0xffffffff << (32 - length))) >>> 0;
}

function maskV6(key: string, length: number): string {
  const full = length >> 3;
  const rest = length & 7;
  let out = key.slice(0, full);
  if (rest) out += String.fromCharCode(key.charCodeAt(full) & (0xff << (8 - rest)) & 0xff);
  return out;
}
