import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { argsForTest, compactorOnePass, storeGatewayArgsForTest, thanosArgsForTest } from './rewrites.js';
import { esoSecrets, OBJECTS, OperatorWorld } from './world.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import { find } from '../metrics/support.js';
import {
  bucketBlocks, instantQuery, promtool3, rangeQuery, s3Keys, s3Put, startHttpPeer, startS3Server, uploadBlocks, type BucketBlock, type HttpProcess,
} from '../peers/harness/metrics-peers.js';
import { scratch, writeScratch } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { freePort, waitFor } from '../peers/harness/process.js';

/**
 * Downsampling and retention in the bucket, for real: device history made old enough
 * with the real `promtool tsdb create-blocks-from openmetrics`, uploaded with the
 * external labels the operator gives Prometheus's blocks, then one pass of the real
 * Thanos Compactor with the synthesized flags (only its folders and bucket address
 * are the test's, see rewrites.ts), and the Store Gateway and Query with the
 * synthesized args answering from the 5-minute and 1-hour blocks (spec FR-006).
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** promtool's largest block (2 h × 3⁵, epoch-aligned): each history below lies in one such window, so it becomes one block. */
const PROMTOOL_BLOCK = 486 * HOUR;
/** Thanos makes 5-minute blocks of raw blocks spanning 40 h, 1-hour blocks of 5-minute blocks spanning 10 days. */
const FIVE_MINUTE_AFTER = 40 * HOUR;
const ONE_HOUR_AFTER = 10 * DAY;
const RES_5M = 300_000;
const RES_1H = 3_600_000;
const TAXONOMY = 'device="leaf1",site="ams1",region="eu",vendor="arista",platform="eos",role="leaf",tier="gold"';
/** leaf1's Ethernet1 receives 1 Mbit/s all along. */
const BYTES_PER_SECOND = 125_000;

interface Series {
  readonly selector: string;
  /** The value of the i-th sample (one a minute). */
  readonly value: (i: number) => number;
}
const IN_OCTETS: Series = { selector: `${GNMI_METRICS.inOctets}{${TAXONOMY},interface_name="Ethernet1"}`, value: (i) => i * 60 * BYTES_PER_SECOND };
/** A temperature going round a 5-minute cycle (40, 50, ... 80 °C) and one going round an hourly cycle (30 ... 89 °C). */
const CPU: Series = { selector: `${GNMI_METRICS.temperature}{${TAXONOMY},component_name="CPU"}`, value: (i) => 40 + 10 * (i % 5) };
const PSU: Series = { selector: `${GNMI_METRICS.temperature}{${TAXONOMY},component_name="PSU1"}`, value: (i) => 30 + (i % 60) };

/** One minute-sampled history of some series, ending in [oldestEnd, newestEnd] and lying in one promtool block. */
interface History {
  readonly start: number;
  readonly end: number;
  readonly samples: number;
  readonly series: readonly Series[];
}

function history(span: number, newestEnd: number, oldestEnd: number, series: readonly Series[]): History {
  for (let window = Math.floor(oldestEnd / PROMTOOL_BLOCK) * PROMTOOL_BLOCK; window <= newestEnd; window += PROMTOOL_BLOCK) {
    const latest = Math.min(window + PROMTOOL_BLOCK - MINUTE, newestEnd);
    if (Math.max(window + span, oldestEnd) <= latest) {
      const end = Math.floor(latest / MINUTE) * MINUTE;
      return { start: end - span, end, samples: span / MINUTE + 1, series };
    }
  }
  throw new Error(`no ${span / HOUR} h history fits one promtool block ending between ${new Date(oldestEnd).toISOString()} and ${new Date(newestEnd).toISOString()}`);
}

function openMetrics(h: History): string {
  const lines: string[] = [];
  for (let i = 0; i < h.samples; i++) for (const s of h.series) lines.push(`${s.selector} ${s.value(i)} ${(h.start + i * MINUTE) / 1000}`);
  return `${lines.join('\n')}\n# EOF\n`;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
/** The number of a synthesized `--flag=<N><unit>` argument. */
const flagValue = (flag: string, unit: 'd' | 'h', args: readonly string[]) => {
  const arg = args.find((a) => a.startsWith(`${flag}=`));
  const m = new RegExp(`=(\\d+)${unit}$`).exec(arg ?? '');
  if (!m) throw new Error(`the synthesized compactor has no ${flag}=<N>${unit} (args: ${args.join(' ')})`);
  return Number(m[1]);
};
const days = (flag: string, args: readonly string[]) => flagValue(flag, 'd', args);

describe('downsampling and retention live: promtool history → bucket → Compactor (synthesized flags) → Store Gateway → Query', () => {
  const dir = scratch('metrics-downsampling');
  const peers: HttpProcess[] = [];
  const compactorArgs: readonly string[] = find(OBJECTS, 'StatefulSet', 'thanos-compactor', 'helios-storage').spec.template.spec.containers[0].args;
  const retention = { raw: days('--retention.resolution-raw', compactorArgs), fiveMinute: days('--retention.resolution-5m', compactorArgs) };
  const now = Date.now();
  /**
   * Eleven days of leaf1 whose raw samples are past raw retention but whose 5-minute
   * ones are not; 41 hours (a second replica's) past 5-minute retention; and the
   * last two hours of three days ago, young and short.
   */
  const old = history(11 * DAY, now - (retention.raw + 1) * DAY, now - (retention.fiveMinute - 1) * DAY, [IN_OCTETS, CPU, PSU]);
  const older = history(41 * HOUR, now - (retention.fiveMinute + 1) * DAY, now - (retention.fiveMinute + 14) * DAY, [IN_OCTETS]);
  const recent = history(2 * HOUR, now - 3 * DAY, now - 4 * DAY, [IN_OCTETS]);
  let s3: Awaited<ReturnType<typeof startS3Server>>;
  let bucket: string;
  let objstoreFile: string;
  let credentials: { accessKey: string; secretKey: string };
  let compactor: ReturnType<typeof spawnSync>;
  let blocks: BucketBlock[];
  let marked: Set<string>;
  let query: HttpProcess;
  const compact = () => spawnSync(peerBin('thanos'), argsForTest(compactorArgs, compactorOnePass(join(dir, 'compact'), objstoreFile), 'thanos-compactor-0'), { encoding: 'utf8', timeout: 180_000 });
  const replicaLabels: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    expect(old.end - old.start).toBeGreaterThanOrEqual(ONE_HOUR_AFTER);
    expect(older.end - older.start).toBeGreaterThanOrEqual(FIVE_MINUTE_AFTER);
    // The external labels the operator gives each replica's Prometheus, hence its sidecar's blocks.
    const world = await OperatorWorld.start();
    try {
      const external = (await world.output()).prometheus.global.external_labels;
      for (const replica of ['prometheus-helios-0', 'prometheus-helios-1']) {
        replicaLabels[replica] = JSON.parse(JSON.stringify(external).replaceAll('$(POD_NAME)', replica));
      }
    } finally {
      await world.stop();
    }

    const objstore = parse(esoSecrets().find((s) => s.metadata.name === 'thanos-objstore').stringData['objstore.yml']);
    bucket = objstore.config.bucket;
    credentials = { accessKey: objstore.config.access_key, secretKey: objstore.config.secret_key };
    s3 = await startS3Server(bucket);
    peers.unshift(s3);
    objstore.config.endpoint = s3.endpoint;
    objstoreFile = writeScratch(dir, 'objstore.yml', stringify(objstore));
    for (const [name, h, replica] of [['old', old, 'prometheus-helios-0'], ['older', older, 'prometheus-helios-1'], ['recent', recent, 'prometheus-helios-0']] as const) {
      const blocksDir = join(dir, `${name}-blocks`);
      const r = promtool3(['tsdb', 'create-blocks-from', 'openmetrics', `--max-block-duration=${PROMTOOL_BLOCK / HOUR}h`, writeScratch(dir, `${name}.om`, openMetrics(h)), blocksDir]);
      if (r.status !== 0) throw new Error(`promtool create-blocks-from openmetrics (${name}) failed:\n${r.stderr}`);
      uploadBlocks(objstoreFile, blocksDir, replicaLabels[replica]);
    }
    expect(bucketBlocks(objstoreFile)).toHaveLength(3);

    compactor = compact();
    blocks = bucketBlocks(objstoreFile);
    marked = new Set((await s3Keys(s3.url, bucket)).filter((k) => k.endsWith('/deletion-mark.json')).map((k) => k.split('/')[0]));

    // Store Gateway and Query with the synthesized args (addresses, folders and the bucket the test's).
    const thanosArgs = (name: string, kind: string, changes: Record<string, string | undefined>) => thanosArgsForTest(OBJECTS, name, kind, changes);
    const [storeGrpc, storeHttp, queryGrpc, queryHttp] = [await freePort(), await freePort(), await freePort(), await freePort()];
    peers.unshift(await startHttpPeer('thanos-store', 'thanos', storeGatewayArgsForTest(OBJECTS, { http: storeHttp, grpc: storeGrpc }, join(dir, 'store'), objstoreFile), storeHttp, '/-/ready'));
    const queryKind = OBJECTS.some((o) => o.kind === 'Deployment' && o.metadata.name === 'thanos-query') ? 'Deployment' : 'StatefulSet';
    query = await startHttpPeer('thanos-query', 'thanos', thanosArgs('thanos-query', queryKind, {
      '--http-address': `127.0.0.1:${queryHttp}`,
      '--grpc-address': `127.0.0.1:${queryGrpc}`,
      '--endpoint.sd-config-file': writeScratch(dir, 'endpoints.yaml', stringify({ endpoints: [{ address: `127.0.0.1:${storeGrpc}`, strict: false, group: false }] })),
    }), queryHttp, '/-/ready');
    peers.unshift(query);
    await waitFor('Query answering from the Store Gateway', async () => (await instantQuery(query.url, `count(${GNMI_METRICS.temperature})`, { time: String(old.end / 1000) })).length === 1, 120_000, 1000);
  }, 400_000);

  afterAll(async () => {
    for (const p of peers) await p.stop();
  }, 60_000);

  const blocksOf = (h: History) => blocks.filter((b) => b.minTime === h.start && b.maxTime === h.end + 1);
  const resolutionOf = (h: History, resolution: number) => blocksOf(h).filter((b) => b.thanos.downsample.resolution === resolution);

  it('runs once with the synthesized flags and makes 5-minute blocks of history over 40 hours, 1-hour blocks of history over 10 days', () => {
    expect(compactor.stderr).not.toMatch(/level=error|halt/);
    expect(compactor.status).toBe(0);
    const log = String(compactor.stderr);
    expect(log).toContain(`msg="retention policy of raw samples is enabled" duration=${retention.raw * 24}h0m0s`);
    expect(log).toContain(`msg="retention policy of 5 min aggregated samples is enabled" duration=${retention.fiveMinute * 24}h0m0s`);
    expect(log).toContain('msg="downsampling iterations done"');
    // Eleven days: raw → 5 min (first pass) → 1 h (second pass), each of the same time range and labels, the samples kept as aggregates.
    for (const resolution of [0, RES_5M, RES_1H]) {
      const [block, ...more] = resolutionOf(old, resolution);
      expect(more).toEqual([]);
      expect(block.thanos.labels).toEqual(replicaLabels['prometheus-helios-0']);
      expect(block.stats.numSeries).toBe(3);
    }
    expect(resolutionOf(old, 0)[0].stats.numSamples).toBe(3 * old.samples);
    expect(resolutionOf(old, RES_5M)[0].thanos.source).toBe('compactor');
    // 41 hours: 5 minutes only. Two young hours: not downsampled.
    expect(blocksOf(older).map((b) => b.thanos.downsample.resolution).sort()).toEqual([0, RES_5M]);
    expect(blocksOf(recent).map((b) => b.thanos.downsample.resolution)).toEqual([0]);
    expect(blocks).toHaveLength(6);
    console.log(`compactor pass: ${blocks.map((b) => `${b.ulid} ${new Date(b.minTime).toISOString().slice(0, 16)}…${new Date(b.maxTime).toISOString().slice(0, 16)} res=${b.thanos.downsample.resolution / 1000}s${marked.has(b.ulid) ? ' (marked for deletion)' : ''}`).join('; ')}`);
  });

  it('applies the synthesized retention: raw blocks past raw retention and 5-minute blocks past 5-minute retention are marked for deletion (and kept for the delete delay), the rest stay', async () => {
    const id = (h: History, resolution: number) => resolutionOf(h, resolution)[0].ulid;
    expect([...marked].sort()).toEqual([id(old, 0), id(older, 0), id(older, RES_5M)].sort());
    expect(marked.has(id(old, RES_5M)) || marked.has(id(old, RES_1H)) || marked.has(id(recent, 0))).toBe(false);
    // --delete-delay: marked blocks are still whole in the bucket, readable by Store Gateways until it passes.
    const keys = await s3Keys(s3.url, bucket);
    for (const ulid of marked) expect(keys.filter((k) => k.startsWith(`${ulid}/`)).sort()).toEqual([`${ulid}/chunks/000001`, `${ulid}/deletion-mark.json`, `${ulid}/index`, `${ulid}/meta.json`]);
  });

  it('answers through the Store Gateway and Query from the 5-minute and 1-hour blocks with max_source_resolution, matching the generated data', async () => {
    // A minute in the middle of the old history where the CPU's raw value (40) differs from its 5-minute mean.
    const i = 5 * Math.floor(old.samples / 10);
    const at = { time: String((old.start + i * MINUTE) / 1000) };
    const value = async (s: Series, resolution: string) => {
      const r = await instantQuery(query.url, s.selector, { ...at, max_source_resolution: resolution });
      expect(r).toHaveLength(1);
      return Number(r[0].value[1]);
    };
    const cycleMean = (s: Series, n: number) => mean(range(0, n).map(s.value));
    // Raw: the sample itself (the raw block is marked for deletion, and still served).
    expect(await value(CPU, '0s')).toBe(CPU.value(i));
    expect(await value(PSU, '0s')).toBe(PSU.value(i));
    // 5 minutes: each point is the mean of a 5-minute window.
    expect(CPU.value(i)).not.toBe(cycleMean(CPU, 5));
    expect(await value(CPU, '5m')).toBe(cycleMean(CPU, 5));
    const psu5m = await value(PSU, '5m');
    expect(range(i - 10, i + 5).map((k) => mean(range(k, k + 5).map(PSU.value)))).toContain(psu5m);
    // 1 hour: the mean of an hour, which only the 1-hour blocks give for the hourly cycle.
    expect(psu5m).not.toBe(cycleMean(PSU, 60));
    expect(await value(PSU, '1h')).toBe(cycleMean(PSU, 60));
    expect(await value(CPU, '1h')).toBe(cycleMean(CPU, 5));

    // The whole history's sum, minimum and maximum are the same at every resolution (the downsampled aggregates
    // keep each window's sum, min and max; Thanos's counts and means of them are per window, not per sample).
    const after = { time: String((old.end + 2 * HOUR) / 1000) };
    const all = range(0, old.samples);
    for (const resolution of ['0s', '5m', '1h'] as const) {
      for (const s of [CPU, PSU]) {
        const agg = async (fn: string) => Number((await instantQuery(query.url, `${fn}(${s.selector}[13d])`, { ...after, max_source_resolution: resolution }))[0]?.value[1]);
        const values = all.map(s.value);
        expect([resolution, await agg('sum_over_time'), await agg('min_over_time'), await agg('max_over_time')])
          .toEqual([resolution, values.reduce((a, b) => a + b, 0), Math.min(...values), Math.max(...values)]);
      }
      const [rate] = await instantQuery(query.url, `rate(${IN_OCTETS.selector}[1d])`, { ...at, max_source_resolution: resolution });
      // A rate over downsampled counters is exact up to one resolution step in the window (the steps at chunk ends).
      const step = { '0s': 0, '5m': RES_5M, '1h': RES_1H }[resolution]!;
      expect(Math.abs(Number(rate.value[1]) / BYTES_PER_SECOND - 1)).toBeLessThanOrEqual(Math.max(step / DAY, 1e-9));
      expect([rate.metric.cluster, rate.metric.datacenter, rate.metric.prometheus_replica]).toEqual([replicaLabels['prometheus-helios-0'].cluster, replicaLabels['prometheus-helios-0'].datacenter, undefined]);
    }
  });

  it('reads 1-hour blocks for long steps and raw samples for short ones without being asked (the synthesized --query.auto-downsampling)', async () => {
    const start = (old.start + DAY) / 1000;
    const day = { start, end: start + 86_400 };
    const [coarse] = await rangeQuery(query.url, PSU.selector, { ...day, step: 6 * 3600 });
    expect(coarse.values.length).toBeGreaterThan(3);
    for (const [, v] of coarse.values) expect(Number(v)).toBe(mean(range(0, 60).map(PSU.value)));
    const [fine] = await rangeQuery(query.url, PSU.selector, { start, end: start + 3600, step: 60 });
    expect(fine.values).toEqual(range(0, 61).map((k) => [start + k * 60, String(PSU.value((start * 1000 - old.start) / MINUTE + k))]));
  });

  it('deletes the marked blocks once the synthesized delete delay has passed, not before; the old history then answers from its downsampled blocks alone', async () => {
    const delayHours = flagValue('--delete-delay', 'h', compactorArgs);
    // Time passing, simulated: every deletion mark aged as if the first pass ran that many hours ago.
    const ageMarks = (hours: number) => Promise.all([...marked].map((ulid) => s3Put(s3, bucket, `${ulid}/deletion-mark.json`,
      JSON.stringify({ id: ulid, deletion_time: Math.floor((Date.now() - hours * HOUR) / 1000), version: 1 }), credentials)));
    const pass = () => {
      const r = compact();
      expect(r.stderr).not.toMatch(/level=error|halt/);
      expect(r.status).toBe(0);
      return String(r.stderr);
    };
    const ulids = async () => [...new Set((await s3Keys(s3.url, bucket)).map((k) => k.split('/')[0]))].sort();
    const before = blocks.map((b) => b.ulid).sort();
    await ageMarks(delayHours - 1);
    expect(pass()).not.toContain('msg="deleted block marked for deletion"');
    expect(await ulids()).toEqual(before);
    await ageMarks(delayHours + 1);
    const log = pass();
    for (const ulid of marked) expect(log).toContain(`msg="deleted block marked for deletion" block=${ulid}`);
    expect(await ulids()).toEqual(before.filter((u) => !marked.has(u)));
    expect(bucketBlocks(objstoreFile).map((b) => b.ulid).sort()).toEqual(before.filter((u) => !marked.has(u)));

    // After a Store Gateway sync: no raw samples of those eleven days any more, the 5-minute and 1-hour ones as before.
    const at = { time: String((old.start + 5 * Math.floor(old.samples / 10) * MINUTE) / 1000) };
    await waitFor('the Store Gateway to drop the deleted block', async () => (await instantQuery(query.url, PSU.selector, { ...at, max_source_resolution: '0s' })).length === 0, 60_000, 1000);
    expect(Number((await instantQuery(query.url, PSU.selector, { ...at, max_source_resolution: '1h' }))[0].value[1])).toBe(mean(range(0, 60).map(PSU.value)));
    expect(Number((await instantQuery(query.url, CPU.selector, { ...at, max_source_resolution: '5m' }))[0].value[1])).toBe(mean(range(0, 5).map(CPU.value)));
  }, 120_000);
});
