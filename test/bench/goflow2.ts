/**
 * `npm run bench:goflow2`: flows per second per CPU core of the real goflow2 peer
 * (test/peers/harness, the version Helios deploys) receiving NetFlow v9, IPFIX and
 * sFlow v5 and writing every flow to a real Kafka broker with the production flags
 * that matter for its cost (`-format=bin`, the Kafka transport, the default
 * listener workers; the cluster adds TLS and SCRAM, which are not measured here).
 *
 * Kafka, not goflow2's file transport: encoding each flow as a Kafka message and
 * batching it into produce requests (sarama) is part of what a goflow2 core does
 * in production, and the file transport's cost is not the same. The broker runs in
 * its own JVM and its CPU is not counted.
 *
 * The datagrams are built by the harness's flow generator (flowgen --dry-run: the
 * same encoder the flow tests send with), 20 flows each, a template first for
 * v9/IPFIX and data-only datagrams after it, as exporters send them; this process
 * replays them over loopback UDP at SEND_RATE flows/s (more than goflow2 takes
 * here) for SECONDS per protocol.
 * Flows counted are the messages goflow2 wrote to Kafka (one FlowMessage each: the
 * topic's end offsets), so flows the kernel dropped before goflow2 read them do not
 * count. CPU is goflow2's own user + system time from /proc/<pid>/stat over the run.
 *
 * The figure recorded (src/config/measured-rates.json, stage goflow2) is the lowest
 * of the three protocols: a tier has to carry its rate whatever its exporters send.
 * The machine's cores and load average are printed with it (shared cores: a loaded
 * machine lowers wall-clock rates more than per-core figures).
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { loadAverage as load, processCpuSeconds } from './process-cpu.js';
import { recordMeasuredRate } from '../../src/config/measured-rates.js';
import { KafkaBroker } from '../peers/harness/kafka.js';
import { startGoflow2 } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { sleep } from '../peers/harness/process.js';

process.env.HELIOS_PEERS_RUN_DIR ??= mkdtempSync(join(tmpdir(), 'helios-goflow2-bench-'));

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Flows/s offered: above what one goflow2 process decodes on this machine, so it is never idle. */
const SEND_RATE = Number(process.env.BENCH_SEND_RATE ?? 400_000);
const FLOWS_PER_DATAGRAM = 20;
const DISTINCT_DATAGRAMS = 50;
const TOPIC = 'bench-flows-raw';
type Version = 'v9' | 'ipfix' | 'sflow';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The flow generator's datagrams for one protocol: [template datagram (v9/IPFIX), data datagrams...]. */
function datagrams(version: Version, target: string, exporter: string): { first: Buffer[]; repeat: Buffer[] } {
  const flows = Array.from({ length: FLOWS_PER_DATAGRAM * DISTINCT_DATAGRAMS }, (_, i) => ({
    src_addr: `10.${1 + (i % 7)}.${(i >> 3) & 255}.${1 + (i % 250)}`,
    dst_addr: `198.51.100.${1 + ((i * 37) % 250)}`,
    src_port: 1024 + (i * 131) % 60000,
    dst_port: [443, 80, 53, 22, 8443][i % 5],
    proto: i % 9 === 0 ? 17 : 6,
    bytes: 64 + (i * 977) % 9000,
    packets: 1 + (i % 12),
    in_if: 1 + (i % 48),
    out_if: 1 + ((i + 7) % 48),
    tcp_flags: 0x18,
  }));
  const run = (exports: object[]) => {
    const r = spawnSync(peerBin('flowgen'), ['--dry-run'], { input: JSON.stringify(exports), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`flowgen failed: ${r.stderr}`);
    return r.stdout.trim().split('\n').map((l) => Buffer.from((JSON.parse(l) as { hex: string }).hex, 'hex'));
  };
  const base = { target, exporter, version, flows_per_packet: FLOWS_PER_DATAGRAM, sampling_rate: 1000 };
  if (version === 'sflow') return { first: [], repeat: run([{ ...base, flows }]) };
  return {
    first: run([{ ...base, flows: flows.slice(0, FLOWS_PER_DATAGRAM) }]),
    repeat: run([{ ...base, send_template: false, flows }]),
  };
}

async function sendFor(socket: Socket, port: number, first: Buffer[], repeat: Buffer[], seconds: number): Promise<number> {
  const send = (b: Buffer) => new Promise<void>((resolve, reject) => socket.send(b, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  for (const b of first) await send(b);
  await sleep(200);
  const start = Date.now();
  const end = start + seconds * 1000;
  let sent = 0;
  while (Date.now() < end) {
    // Bursts of sends, then one await; paced to SEND_RATE so goflow2's queue does not grow without bound.
    const burst: Array<Promise<void>> = [];
    for (let i = 0; i < 64; i++) burst.push(send(repeat[(sent + i) % repeat.length]));
    await Promise.all(burst);
    sent += burst.length;
    const ahead = (sent * FLOWS_PER_DATAGRAM * 1000) / SEND_RATE - (Date.now() - start);
    if (ahead > 0) await sleep(ahead);
  }
  return sent;
}

async function topicMessages(kafka: Kafka): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(TOPIC)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until goflow2 has written everything it read: the topic stops growing. */
async function settled(kafka: Kafka): Promise<number> {
  let last = -1;
  for (;;) {
    const n = await topicMessages(kafka);
    if (n === last) return n;
    last = n;
    await sleep(1500);
  }
}

console.log(`goflow2 benchmark — ${availableParallelism()} cores, load average ${load()}; ${SECONDS} s per protocol at ${fmt(SEND_RATE)} flows/s offered, ${FLOWS_PER_DATAGRAM} flows per datagram, Kafka transport (-format=bin)`);
const broker = await KafkaBroker.start();
const kafka = new Kafka({ clientId: 'bench-goflow2', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }], waitForLeaders: true });
await admin.disconnect();
const goflow2 = await startGoflow2({ brokers: broker.bootstrap, topic: TOPIC, extraArgs: ['-transport.kafka.hashing=true', '-loglevel=warn'] });
const perCore: Array<{ version: Version; rate: number }> = [];
try {
  const versions: Version[] = ['v9', 'ipfix', 'sflow'];
  for (const [i, version] of versions.entries()) {
    const target = version === 'sflow' ? goflow2.sflow : goflow2.netflow;
    const port = Number(target.split(':')[1]);
    const exporter = `127.0.0.${10 + i}`;
    const { first, repeat } = datagrams(version, target, exporter);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, exporter, resolve));
    const before = await settled(kafka);
    const cpu0 = processCpuSeconds(goflow2.process.pid);
    const t0 = Date.now();
    const sentDatagrams = await sendFor(socket, port, first, repeat, SECONDS);
    const flows = (await settled(kafka)) - before;
    const cpu = processCpuSeconds(goflow2.process.pid) - cpu0;
    const wall = (Date.now() - t0) / 1000;
    socket.close();
    if (flows === 0) throw new Error(`goflow2 wrote no ${version} flows to Kafka; its log:\n${goflow2.process.tail(30)}`);
    const sentFlows = sentDatagrams * FLOWS_PER_DATAGRAM + first.length * FLOWS_PER_DATAGRAM;
    perCore.push({ version, rate: flows / cpu });
    console.log(`  ${version.padEnd(6)} ${fmt(flows / cpu).padStart(10)} flows/s per core   (${fmt(flows)} flows to Kafka of ${fmt(sentFlows)} sent, `
      + `${cpu.toFixed(1)} CPU s of goflow2, ${fmt(flows / wall)} flows/s wall; load average ${load()})`);
  }
} finally {
  await goflow2.stop();
  await broker.stop();
}
const lowest = perCore.reduce((a, b) => (b.rate < a.rate ? b : a));
console.log(`\ngoflow2: ${fmt(lowest.rate)} flows/s per core (the lowest protocol, ${lowest.version}); ${availableParallelism()} cores, load average ${load()}`);
recordMeasuredRate('goflow2', {
  flowsPerSecond: Math.round(lowest.rate),
  unit: 'CPU core',
  command: 'npm run bench:goflow2',
  machineCores: availableParallelism(),
  measuredOn: new Date().toISOString().slice(0, 10),
  method: `goflow2 v2.2.6 decoding NetFlow v9, IPFIX and sFlow v5 from the flow generator into Kafka (-format=bin); flows written to Kafka per CPU second of goflow2 (/proc/<pid>/stat), the lowest protocol (${lowest.version}); load average ${load()}`,
});
console.log('recorded in src/config/measured-rates.json (goflow2)');
process.exit(0);
