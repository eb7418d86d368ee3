import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import type * as KafkaJs from 'kafkajs';

/**
 * kafkajs, as the enricher uses it: every module of the service, and whatever
 * reads the enriched topic in this repository (it needs the LZ4 codec), takes
 * kafkajs's values from here (types may come from 'kafkajs' directly).
 *
 * Three costs of kafkajs's producer are removed, because a profile of the
 * enricher through a real broker put them at the top (bench/enricher.ts):
 *
 * - CRC-32C. Every record batch (magic v2) carries a CRC-32C of its body, which
 *   kafkajs computes in JavaScript a byte at a time. kafkajs has no hook for it:
 *   `protocol/recordBatch/v0/index.js` takes the function from
 *   `require('../crc32C')` once, when it is loaded (kafkajs loads it with its
 *   first Produce or Fetch request). So, before that, the exports of that CRC
 *   module (`protocol/recordBatch/crc32C/index.js`, `buffer => unsigned
 *   CRC-32C`) are replaced in Node's module cache with
 *   @node-rs/crc32's `crc32c` (SSE4.2/ARMv8 CRC instructions, same unsigned
 *   result). This works because kafkajs 2.x is CommonJS without an `exports` map
 *   and requires that module by path; the version is pinned by the lockfile, and
 *   `test/kafkajs.test.ts` proves the replacement is in use (a wrong CRC would be
 *   refused by the broker as CORRUPT_MESSAGE, which the tests through Kafka
 *   would see). If the record batch module was loaded before this module, the
 *   replacement would come too late: that is an error here, not a silent slow path.
 *
 * - Zero-filled growth. kafkajs's Encoder (`protocol/encoder.js`) grows by
 *   allocating a zeroed buffer of the next power of two and copying; a produce
 *   request passes every record through several of them. Every byte an Encoder
 *   exposes (`buffer` is `buf.slice(0, offset)`) has been written first, so the
 *   zeroing buys nothing: `ensureAvailable` is replaced on the Encoder prototype
 *   with the same growth using `Buffer.allocUnsafe`.
 *
 * - Compression. kafkajs only compresses with gzip itself, and registers codecs
 *   through `CompressionCodecs`. LZ4 (lz4-napi: the LZ4 frame format Kafka uses
 *   since 0.10) is registered: EnrichedFlows repeat names, so LZ4 shrinks a batch
 *   severalfold, which leaves less to copy, checksum and send. ClickHouse's Kafka
 *   engine (librdkafka) reads LZ4; the broker stores the batch as produced.
 */

const require = createRequire(import.meta.url);

/** The module kafkajs's record batch encoder takes its CRC-32C function from. */
const CRC32C_MODULE = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
const RECORD_BATCH_MODULE = require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js');

if (require.cache[RECORD_BATCH_MODULE] !== undefined) {
  throw new Error('kafkajs loaded its record batch encoder before src/kafkajs.ts replaced its CRC-32C: import src/kafkajs.ts before kafkajs sends anything');
}

/** kafkajs's contract for the CRC module: the CRC-32C of a buffer as an unsigned 32-bit number. */
const nativeCrc32c = (buffer: Buffer): number => crc32c(buffer);

require(CRC32C_MODULE);
require.cache[CRC32C_MODULE]!.exports = nativeCrc32c;

const kafkajs = require('kafkajs') as typeof KafkaJs;

interface KafkaJsEncoder { buf: Buffer; offset: number }
const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: KafkaJsEncoder & { ensureAvailable(length: number): void }; nextPowerOfTwo(n: number): number };
Encoder.prototype.ensureAvailable = function ensureAvailable(this: KafkaJsEncoder, length: number): void {
  if (this.offset + length <= this.buf.length) return;
  const bigger = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
  this.buf.copy(bigger, 0, 0, this.offset);
  this.buf = bigger;
};

/** kafkajs's codec contract: compress gets its Encoder (the bytes are `encoder.buffer`), decompress a Buffer. */
kafkajs.CompressionCodecs[kafkajs.CompressionTypes.LZ4] = () => ({
  compress: async (encoder: { buffer: Buffer }) => compressFrameSync(encoder.buffer),
  decompress: async (buffer: Buffer) => decompressFrameSync(buffer),
});

/** True when kafkajs's record batch encoder computes CRC-32C natively (see above). */
export function usesNativeCrc32c(): boolean {
  return require(CRC32C_MODULE) === nativeCrc32c;
}

export const { Kafka, logLevel, Partitioners, CompressionTypes } = kafkajs;
