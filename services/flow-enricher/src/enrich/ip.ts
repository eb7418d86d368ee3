/**
 * Addresses as the enricher handles them: goflow2 writes 4 bytes for IPv4 and 16
 * for IPv6; NetBox writes text with a prefix length ("10.0.0.1/32"). Lookups key
 * IPv4 by its 32-bit value (a number: the cheapest Map key) and IPv6 by its 16
 * bytes as a latin1 string. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is IPv4.
 */

/** Parses IPv4 or IPv6 text (no prefix length) to 4 or 16 bytes; undefined when it is neither. */
export function parseAddress(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

/** Parses NetBox's "address/length" (or a bare address). */
export function parseCidr(text: string): { address: Uint8Array; length: number } | undefined {
  const [addr, len, ...rest] = text.trim().split('/');
  if (rest.length > 0) return undefined;
  const address = parseAddress(addr);
  if (!address) return undefined;
  const max = address.length * 8;
  if (len === undefined) return { address, length: max };
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) return undefined;
  return { address, length: Number(len) };
}

/** True when bytes [at, at+16) are ::ffff:a.b.c.d. */
export function isV4Mapped(buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < 10; i++) if (buf[at + i] !== 0) return false;
  return buf[at + 10] === 0xff && buf[at + 11] === 0xff;
}

export function v4Value(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}

export function v6Key(buf: Uint8Array, at: number): string {
  return String.fromCharCode(
    buf[at], buf[at + 1], buf[at + 2], buf[at + 3], buf[at + 4], buf[at + 5], buf[at + 6], buf[at + 7],
    buf[at + 8], buf[at + 9], buf[at + 10], buf[at + 11], buf[at + 12], buf[at + 13], buf[at + 14], buf[at + 15],
  );
}

/**
 * The lookup key of an address: its IPv4 value (also for ::ffff:a.b.c.d) or its
 * IPv6 key; undefined for a length that is neither 4 nor 16 (goflow2 leaves an
 * address empty when the record had none).
 */
export function addressKey(buf: Uint8Array, at: number, length: number): number | string | undefined {
  if (length === 4) return v4Value(buf, at);
  if (length === 16) return isV4Mapped(buf, at) ? v4Value(buf, at + 12) : v6Key(buf, at);
  return undefined;
}

/** The key of parsed address bytes (see addressKey). */
export function keyOf(address: Uint8Array): number | string {
  return addressKey(address, 0, address.length)!;
}

/** Text of a key, for the MaxMind reader and for logs. */
export function formatKey(key: number | string): string {
  if (typeof key === 'number') return `${key >>> 24}.${(key >>> 16) & 0xff}.${(key >>> 8) & 0xff}.${key & 0xff}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((key.charCodeAt(i) << 8) | key.charCodeAt(i + 1)).toString(16));
  return groups.join(':');
}
