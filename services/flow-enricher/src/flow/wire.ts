/**
 * Protocol-buffer wire primitives for the hand-written codec. The enricher does
 * not build message objects: it reads goflow2's FlowMessage fields where they lie
 * in the Kafka buffer and writes EnrichedFlow bytes straight into the output, with
 * the parts that repeat (an exporter's taxonomy, an interface, an address's
 * GeoIP answer) encoded once and copied. See bench/enricher.ts for what that buys
 * over protobufjs objects.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** The bytes of a field's tag. */
export function tagBytes(field: number, wire: number): number[] {
  return varintBytes(field * 8 + wire);
}

/** Varint bytes of a non-negative integer up to 2^53 (JS numbers past 2^32 need arithmetic, not bit operations). */
export function varintBytes(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a non-negative safe integer`);
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/**
 * Pre-encoded fields, concatenated into one Buffer: a segment the hot loop copies
 * as is. Default values (0, "") are left out, as proto3 does.
 */
export class SegmentBuilder {
  private readonly bytes: number[] = [];

  public string(field: number, value: string): this {
    if (value === '') return this;
    const utf8 = Buffer.from(value, 'utf8');
    this.bytes.push(...tagBytes(field, WIRE_LEN), ...varintBytes(utf8.length), ...utf8);
    return this;
  }

  public uint(field: number, value: number): this {
    if (value === 0) return this;
    this.bytes.push(...tagBytes(field, WIRE_VARINT), ...varintBytes(value));
    return this;
  }

  /** Bytes written so far: where the next field starts. */
  public get length(): number {
    return this.bytes.length;
  }

  public build(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** Thrown for bytes that are not a well-formed message. */
export class WireError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}
