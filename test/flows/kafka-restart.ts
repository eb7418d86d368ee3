import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
// protobufjs is services/flow-enricher's dependency (npm workspace).
// eslint-disable-next-line import/no-extraneous-dependencies
import protobuf from 'protobufjs';
import { KafkaBroker, KafkaCluster } from '../peers/harness/kafka.js';
import { scratch, startGoflow2, writeScratch } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { sleep, waitFor } from '../peers/harness/process.js';

/**
 * A Kafka broker restart under a steady flow stream: the flow generator's IPFIX
 * datagrams at a fixed rate into goflow2 (the construct's Kafka and listener
 * arguments), one broker stopped (SIGTERM: Kafka's controlled shutdown; or SIGKILL) and
 * started again mid-stream, then every flow in the topic read back and matched to what was
 * sent. Each flow carries its number in its source address (10.0.0.0/8 + n), so a
 * flow missing or stored twice is counted exactly.
 */

const PROTO_DIR = fileURLToPath(new URL('../../constructs/flows/proto/', import.meta.url));
const flowProto = protobuf.loadSync(join(PROTO_DIR, 'flow.proto')).lookupType('helios.flows.v1.FlowMessage');

export interface RestartScenario {
  /** Table label. */
  readonly name: string;
  /** 1: KafkaBroker (a single KRaft node); 3 or more: KafkaCluster. */
  readonly brokers: number;
  readonly replicationFactor: number;
  readonly minInSyncReplicas: number;
  readonly partitions: number;
  /** Flows per second the generator sends. */
  readonly rate: number;
  /** Seconds of sending. */
  readonly seconds: number;
  /** Seconds into the stream when the broker is stopped. */
  readonly restartAtSeconds: number;
  /** Seconds the broker stays stopped before it starts again (a pod rescheduled, an image pulled). */
  readonly downSeconds: number;
  /** SIGKILL instead of SIGTERM: no controlled shutdown. */
  readonly crash: boolean;
  /** Broker settings beyond the harness's. @default - none */
  readonly brokerSettings?: Readonly<Record<string, string>>;
  /** goflow2's Kafka transport arguments (the construct's). */
  readonly transportArgs: readonly string[];
  /** goflow2's `-listen` URL options (the construct's `queue_size=...`). */
  readonly listenOptions: string;
}

export interface RestartResult {
  readonly scenario: RestartScenario;
  readonly sent: number;
  /** Distinct flows found in the topic. */
  readonly stored: number;
  readonly lost: number;
  /** Messages beyond the first copy of a flow. */
  readonly duplicated: number;
  /** From the stop signal to the restarted broker's "Kafka Server started". */
  readonly restartSeconds: number;
  /** The node that was restarted (the leader of most of the topic's partitions). */
  readonly restartedNode: number;
  readonly datagramsSent: number;
  /** The datagrams goflow2 decoded, and those its full queue dropped. */
  readonly datagramsReceived: number;
  readonly datagramsDropped: number;
  /** goflow2's peak resident memory (VmHWM), MiB: what it held while Kafka could not take the flows. */
  readonly goflow2PeakMiB: number;
  /**
   * goflow2's "transport error" log lines by sarama's reason (sarama gave up on a message;
   * goflow2 logs at most 10 in 10 s and then counts the rest as skipped).
   */
  readonly transportErrors: Readonly<Record<string, number>>;
  /** The send rate reached. */
  readonly sentRate: number;
  readonly lostFlowNumbers: readonly number[];
}

/**
 * goflow2's Kafka transport as the construct runs it: it sets no flush flag, so goflow2's
 * default 5 s applies (startGoflow2 sets 100 ms for quick tests; this puts the default back).
 * The construct's -transport.kafka.hashing=true and key mapping are added by measureRestart.
 */
export const GOFLOW2_TRANSPORT_ARGS: readonly string[] = ['-transport.kafka.flushfreq=5s'];

/**
 * The most flows a broker restart costs beyond goflow2's queue at one broker: the
 * messages sarama was delivering when the broker went away, which it retries 3 times
 * 100 ms apart and then drops. Measured 101 to 490 (bench:kafka-restart); 4x room.
 */
export const SARAMA_LOSS_BOUND = 2000;

/**
 * The most of the stream a stopped (SIGTERM) broker costs at three brokers: the messages
 * sarama was retrying while the leaderships moved (3 retries 100 ms apart, each after a
 * metadata refresh). Measured 0 in most runs, 0.8 s of the stream at most; 2x room.
 */
export const MEDIUM_STOP_LOSS_SECONDS = 2;

const EXPORTERS = 6;
const FLOWS_PER_DATAGRAM = 20;
const TOPIC = 'helios-flows-raw';

function flowAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The datagrams, in send order (exporters take turns), each with its exporter and flow count. */
function datagrams(target: string, total: number): Array<{ exporter: number; payload: Buffer; flows: number }> {
  const exports = Array.from({ length: EXPORTERS }, (_, e) => ({
    target,
    exporter: `127.0.0.${31 + e}`,
    version: 'ipfix',
    flows_per_packet: FLOWS_PER_DATAGRAM,
    flows: Array.from({ length: Math.ceil((total - e) / EXPORTERS) }, (_f, k) => k * EXPORTERS + e).filter((n) => n < total).map((n) => ({
      src_addr: flowAddress(n), dst_addr: '192.0.2.10', src_port: 1024 + (n % 50_000), dst_port: 443, proto: 6, bytes: 1500, packets: 3, in_if: 1, out_if: 2,
    })),
  }));
  const r = spawnSync(peerBin('flowgen'), ['--dry-run'], { input: JSON.stringify(exports), encoding: 'utf8', maxBuffer: 1 << 30, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`flowgen failed: ${r.stderr}`);
  const perExporter: Array<Array<{ exporter: number; payload: Buffer; flows: number }>> = exports.map(() => []);
  const lines = r.stdout.trim().split('\n');
  let line = 0;
  exports.forEach((ex, e) => {
    for (let f = 0; f < ex.flows.length; f += FLOWS_PER_DATAGRAM) {
      const { hex } = JSON.parse(lines[line++]!) as { hex: string };
      perExporter[e]!.push({ exporter: e, payload: Buffer.from(hex, 'hex'), flows: Math.min(FLOWS_PER_DATAGRAM, ex.flows.length - f) });
    }
  });
  if (line !== lines.length) throw new Error(`flowgen printed ${lines.length} datagrams, expected ${line}`);
  const order: Array<{ exporter: number; payload: Buffer; flows: number }> = [];
  for (let k = 0; perExporter.some((d) => k < d.length); k++) for (const d of perExporter) if (k < d.length) order.push(d[k]!);
  return order;
}

async function sendPaced(target: string, grams: ReturnType<typeof datagrams>, rate: number): Promise<number> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets: Socket[] = [];
  for (let e = 0; e < EXPORTERS; e++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind({ address: `127.0.0.${31 + e}`, port: 0 }, resolve));
    sockets.push(s);
  }
  const start = performance.now();
  let flows = 0;
  for (const g of grams) {
    const wait = start + (flows / rate) * 1000 - performance.now();
    if (wait > 1) await sleep(wait);
    await new Promise<void>((resolve, reject) => sockets[g.exporter]!.send(g.payload, port, host, (err) => (err ? reject(err) : resolve())));
    flows += g.flows;
  }
  const elapsed = (performance.now() - start) / 1000;
  for (const s of sockets) s.close();
  return flows / elapsed;
}

function metric(text: string, name: string): number {
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** The topic's end offsets; a broker just restarted answers "unknown partition" until it has caught up with the metadata. */
async function endOffsets(admin: Admin): Promise<Map<number, number>> {
  let ends = new Map<number, number>();
  await waitFor(`${TOPIC}'s end offsets`, async () => {
    try {
      ends = new Map((await admin.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, Number(o.high)]));
      return true;
    } catch { return false; }
  }, 60_000, 500);
  return ends;
}

/** Every message of the topic, read from the start to the end offsets. */
async function readTopic(brokers: string[], partitions: number): Promise<Buffer[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await endOffsets(admin);
  await admin.disconnect();
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const values: Buffer[] = [];
  if (total === 0) return values;
  const consumer = kafka.consumer({ groupId: `restart-check-${Date.now()}`, maxBytes: 16 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const done = new Set<number>([...ends].filter(([, high]) => high === 0).map(([p]) => p));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${total} messages in 120 s`)), 120_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (Number(m.offset) < ends.get(batch.partition)!) values.push(m.value!);
        if (Number(batch.lastOffset()) + 1 >= ends.get(batch.partition)!) done.add(batch.partition);
        if (done.size === partitions) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

/** The flow number in a goflow2 `-format=bin` message (varint length, then a FlowMessage). */
function flowNumber(value: Buffer): number {
  let len = 0; let shift = 0; let i = 0;
  for (;;) { const b = value[i++]!; len |= (b & 0x7f) << shift; if (b < 0x80) break; shift += 7; }
  const msg = flowProto.decode(value.subarray(i, i + len)) as unknown as { srcAddr: Uint8Array };
  const a = msg.srcAddr;
  return (a[a.length - 3]! << 16) | (a[a.length - 2]! << 8) | a[a.length - 1]!;
}

function transportErrors(log: string): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const l of log.split('\n')) {
    const m = /msg="transport error" error="kafka transport kafka: Failed to produce message to topic [^:]+: (.*?)(?:: dial tcp .*)?"$/.exec(l);
    const kind = m?.[1]!.replace(/127\.0\.0\.1:\d+/, 'the broker');
    if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
    const skipped = /msg="skipped transport errors" count=(\d+)/.exec(l);
    if (skipped) kinds['(skipped: muted)'] = (kinds['(skipped: muted)'] ?? 0) + Number(skipped[1]);
  }
  return kinds;
}

export async function measureRestart(s: RestartScenario): Promise<RestartResult> {
  const total = s.rate * s.seconds;
  const kafka = s.brokers === 1
    ? await KafkaBroker.start({ ...s.brokerSettings })
    : await KafkaCluster.start(s.brokers, { 'min.insync.replicas': String(s.minInSyncReplicas), ...s.brokerSettings });
  const brokers = kafka.bootstrap.split(',');
  let goflow2: Awaited<ReturnType<typeof startGoflow2>> | undefined;
  try {
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      // kafkajs's own wait rejects outside the promise when a broker does not know the topic yet: waitFor below.
      waitForLeaders: false,
      topics: [{ topic: TOPIC, numPartitions: s.partitions, replicationFactor: s.replicationFactor, configEntries: [{ name: 'min.insync.replicas', value: String(s.minInSyncReplicas) }] }],
    });
    // Every broker learns the new topic from the controller a moment after it is created.
    let leaders: number[] = [];
    await waitFor(`${TOPIC}'s leaders on every broker`, async () => {
      try {
        leaders = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions.map((p) => p.leader);
        return leaders.length === s.partitions && leaders.every((l) => l >= 0);
      } catch { return false; }
    });
    await admin.disconnect();
    // The node leading most partitions: its restart moves the most leaderships.
    const led = (node: number) => leaders.filter((l) => l === node).length;
    const restartedNode = s.brokers === 1 ? 1 : [...new Set(leaders)].sort((a, b) => led(b) - led(a) || a - b)[0]!;

    const dir = scratch('kafka-restart');
    // The construct's mapping: the message key is the exporter's address.
    const mapping = writeScratch(dir, 'mapping.yaml', 'formatter:\n  key:\n    - sampler_address\n');
    goflow2 = await startGoflow2({
      brokers: kafka.bootstrap,
      topic: TOPIC,
      listenOptions: s.listenOptions,
      extraArgs: [`-mapping=${mapping}`, '-transport.kafka.hashing=true', ...s.transportArgs],
    });
    const grams = datagrams(goflow2.netflow, total);

    let restart: { started: number; ready: number } | undefined;
    const t0 = performance.now();
    const restarting = (async () => {
      await sleep(s.restartAtSeconds * 1000);
      const started = performance.now();
      if (kafka instanceof KafkaBroker) await kafka.restart(s.downSeconds * 1000, s.crash);
      else await kafka.restart(restartedNode, s.downSeconds * 1000, s.crash);
      restart = { started, ready: performance.now() };
    })();
    const sentRate = await sendPaced(goflow2.netflow, grams, s.rate);
    await restarting;
    if (performance.now() - t0 < s.restartAtSeconds * 1000) throw new Error('the stream ended before the restart');

    // goflow2 drains its queue and sarama its retries: wait until the topic stops growing.
    const offsetsAdmin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await offsetsAdmin.connect();
    let last = -1; let stableSince = performance.now();
    const deadline = performance.now() + 180_000;
    while (performance.now() < deadline) {
      const now = [...(await endOffsets(offsetsAdmin)).values()].reduce((a, b) => a + b, 0);
      if (now !== last) { last = now; stableSince = performance.now(); } else if (now >= total || performance.now() - stableSince > 12_000) {break;}
      await sleep(1000);
    }
    await offsetsAdmin.disconnect();

    const metrics = await (await fetch(`${goflow2.metrics}/metrics`)).text();
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${goflow2.process.pid}/status`, 'utf8'));
    const values = await readTopic(brokers, s.partitions);
    const seen = new Uint8Array(total);
    let duplicated = 0;
    for (const v of values) {
      const n = flowNumber(v);
      if (n >= total) throw new Error(`flow number ${n} was never sent`);
      if (seen[n]) duplicated++; else seen[n] = 1;
    }
    const lostFlowNumbers: number[] = [];
    seen.forEach((x, n) => { if (!x) lostFlowNumbers.push(n); });
    return {
      scenario: s,
      sent: total,
      stored: total - lostFlowNumbers.length,
      lost: lostFlowNumbers.length,
      duplicated,
      restartSeconds: (restart!.ready - restart!.started) / 1000,
      restartedNode,
      datagramsSent: grams.length,
      datagramsReceived: metric(metrics, 'goflow2_flow_traffic_packets_total'),
      datagramsDropped: metric(metrics, 'goflow2_flow_dropped_packets_total'),
      goflow2PeakMiB: hwm ? Number(hwm[1]) / 1024 : NaN,
      transportErrors: transportErrors(goflow2.process.log()),
      sentRate,
      lostFlowNumbers,
    };
  } finally {
    await goflow2?.stop();
    await kafka.stop();
  }
}
