import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { CompressionTypes, usesNativeCrc32c } from '../src/kafkajs.js';
import { SERVICE_DIR } from './helpers.js';

/**
 * src/kafkajs.ts patches kafkajs's CRC-32C and Encoder growth and registers an
 * LZ4 codec. These tests take kafkajs's own modules (the JavaScript CRC it
 * shipped, its record batch encoder and decoder) and check that the replacements
 * give the same bytes; the tests through a real broker (pipeline, reliability,
 * e2e) show the broker accepts the batches (it checks every CRC) and that they
 * read back.
 */
const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const unsigned = (n: number) => n >>> 0;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{ records: Array<{ value: Buffer; offset: string }> }>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => unknown;
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => { writeBytes(b: Buffer): { buffer: Buffer }; buffer: Buffer };

describe('kafkajs as the enricher loads it (src/kafkajs.ts)', () => {
  it('computes record batch CRC-32C natively, with the same results as kafkajs\'s JavaScript', () => {
    expect(usesNativeCrc32c()).toBe(true);
    const crc = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
    // The check value of CRC-32C (Castagnoli).
    expect(crc(Buffer.from('123456789'))).toBe(0xe3069283);
    for (const size of [0, 1, 7, 64, 1000, 65_537, 1_000_003]) {
      const data = randomBytes(size);
      expect(crc(data)).toBe(unsigned(kafkajsCrc32c(data)));
    }
  });

  it('writes record batches whose bytes, CRC included, decode back to the records (uncompressed and LZ4)', async () => {
    const values = [randomBytes(10), Buffer.alloc(300_000, 'enriched flow '), randomBytes(70_000), Buffer.alloc(0)];
    for (const compression of [CompressionTypes.None, CompressionTypes.LZ4]) {
      const records = values.map((value, i) => Record({ offsetDelta: i, value, key: null }));
      const batch = await RecordBatch({ compression, records, lastOffsetDelta: values.length - 1 });
      const bytes = batch.buffer;
      // firstOffset (8) | length (4) | partitionLeaderEpoch (4) | magic (1) | crc (4) | attributes...: the CRC covers attributes onwards.
      expect(bytes.readUInt32BE(17)).toBe(unsigned(kafkajsCrc32c(bytes.subarray(21))));
      expect(bytes.readInt16BE(21) & 0x07).toBe(compression);
      if (compression === CompressionTypes.LZ4) {
        // An LZ4 frame (magic 0x184D2204, little-endian) after the record count: what the broker and librdkafka read.
        expect(bytes.readUInt32LE(8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4)).toBe(0x184d2204);
        expect(bytes.length).toBeLessThan(values.reduce((n, v) => n + v.length, 0) / 2);
      }
      const withMagic = new Encoder().writeBytes(bytes).buffer;
      const decoder = new Decoder(withMagic.subarray(4)) as { readInt64(): unknown };
      const decoded = await decodeRecordBatch(decoder);
      expect(decoded.records.map((r) => Buffer.compare(r.value ?? Buffer.alloc(0), values[Number(r.offset)]))).toEqual([0, 0, 0, 0]);
    }
  });

  it('refuses to start when kafkajs\'s record batch encoder was loaded before it (its CRC would stay JavaScript)', () => {
    const early = "import { createRequire } from 'node:module'; createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/v0/index.js'); await import('./src/kafkajs.ts');";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', early], { cwd: SERVICE_DIR, encoding: 'utf8' });
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain('kafkajs loaded its record batch encoder before src/kafkajs.ts replaced its CRC-32C');
    const inOrder = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "const k = await import('./src/kafkajs.ts'); await import('kafkajs'); process.stdout.write(String(k.usesNativeCrc32c()));"], { cwd: SERVICE_DIR, encoding: 'utf8' });
    expect(inOrder.stderr).toBe('');
    expect(inOrder.stdout).toBe('true');
  });
});
