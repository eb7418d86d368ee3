/**
 * `npm run bench:kafka-restart`: what a Kafka broker restart costs the flows goflow2 is
 * writing, at the Small tier's shape (one broker, replication 1) and the Medium tier's
 * (three KRaft nodes, replication 3, min.insync.replicas 2, the tier's partitions), with
 * goflow2 run with the construct's arguments (the tier's listener queue, the Kafka
 * transport flags; sarama's producer settings goflow2 does not expose stay at their
 * defaults: acks=1, 3 retries 100 ms apart).
 *
 * For each case the flow generator's IPFIX datagrams go to goflow2 at BENCH_RATE flows/s
 * (default 4000) for BENCH_SECONDS (default 50); RESTART_AT seconds in (8), one broker
 * (at Medium the leader of most partitions) is stopped, stays down for the case's
 * seconds, and starts again. "stop" is SIGTERM (Kafka's controlled shutdown, as
 * Kubernetes stops a pod); "crash" is SIGKILL; the last case crashes a broker of a cluster
 * whose controller fences a silent broker after 3 s instead of 9. Afterwards every flow in the topic is
 * read back and matched to what was sent. Prints the machine's cores and load average
 * (2 cores shared with other work: restart times move with it) and one row per case:
 * sent, stored, lost, duplicated, the broker's time from stop to serving again,
 * goflow2's datagrams received and dropped (full queue) and its peak memory.
 * BENCH_CASES (comma-separated names) runs only some cases.
 */
import { availableParallelism, loadavg } from 'node:os';
import { loadAverage } from './process-cpu.js';
import { listenerQueueSize } from '../../constructs/flows/goflow2.js';
import { TIERS } from '../../src/config/tiers.js';
import { GOFLOW2_TRANSPORT_ARGS, measureRestart, type RestartResult, type RestartScenario } from '../flows/kafka-restart.js';

const RATE = Number(process.env.BENCH_RATE ?? 4000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 50);
const RESTART_AT = Number(process.env.RESTART_AT ?? 8);

function tierCase(name: string, tier: 'small' | 'medium', downSeconds: number, crash = false, brokerSettings?: Record<string, string>): RestartScenario {
  const { kafka, goflow2 } = TIERS[tier];
  const replicationFactor = Math.min(3, kafka.brokers);
  return {
    name,
    brokers: kafka.brokers,
    replicationFactor,
    minInSyncReplicas: replicationFactor >= 3 ? 2 : 1,
    partitions: kafka.rawTopicPartitions,
    rate: RATE,
    seconds: SECONDS,
    restartAtSeconds: RESTART_AT,
    downSeconds,
    crash,
    brokerSettings,
    transportArgs: GOFLOW2_TRANSPORT_ARGS,
    listenOptions: `queue_size=${listenerQueueSize(goflow2.resources.memoryLimitMiB)}`,
  };
}

const CASES: RestartScenario[] = [
  tierCase('small-stop', 'small', 0),
  tierCase('small-stop-30s', 'small', 30),
  tierCase('medium-stop', 'medium', 0),
  tierCase('medium-stop-30s', 'medium', 30),
  tierCase('medium-crash-30s', 'medium', 30, true),
  // The controller fences a dead broker after broker.session.timeout.ms (9 s); Strimzi
  // refuses broker.* settings, so Helios cannot shorten it: this case shows what it would save.
  tierCase('medium-crash-30s-session-3s', 'medium', 30, true, { 'broker.session.timeout.ms': '3000', 'broker.heartbeat.interval.ms': '1000' }),
];

const only = process.env.BENCH_CASES?.split(',').filter(Boolean);
const unknown = only?.filter((n) => !CASES.some((c) => c.name === n)) ?? [];
if (unknown.length) throw new Error(`BENCH_CASES: ${unknown.join(', ')} not among ${CASES.map((c) => c.name).join(', ')}`);

console.log(`cores: ${availableParallelism()}, load average at start: ${loadAverage()}`);
console.log(`rate ${RATE} flows/s for ${SECONDS} s, broker stopped ${RESTART_AT} s in; goflow2 ${GOFLOW2_TRANSPORT_ARGS.join(' ')}`);
const results: RestartResult[] = [];
for (const c of CASES.filter((x) => !only || only.includes(x.name))) {
  const r = await measureRestart(c);
  results.push(r);
  console.log(`${c.name}: ${r.lost} lost, ${r.duplicated} duplicated of ${r.sent} (load ${loadavg()[0]!.toFixed(2)}); sarama gave up: ${JSON.stringify(r.transportErrors)}`);
}

const header = ['case', 'brokers', 'RF/min ISR', 'partitions', 'queue/listener', 'stop', 'down s', 'sent', 'stored', 'lost', 'dup', 'sent rate', 'datagrams in', 'dropped', 'goflow2 peak MiB'];
const rows = results.map((r) => [
  r.scenario.name, String(r.scenario.brokers), `${r.scenario.replicationFactor}/${r.scenario.minInSyncReplicas}`, String(r.scenario.partitions),
  r.scenario.listenOptions.replace('queue_size=', ''), r.scenario.crash ? 'SIGKILL' : 'SIGTERM', r.restartSeconds.toFixed(1),
  String(r.sent), String(r.stored), String(r.lost), String(r.duplicated), r.sentRate.toFixed(0),
  String(r.datagramsReceived), String(r.datagramsDropped), r.goflow2PeakMiB.toFixed(0),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(['', line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
console.log(`load average at end: ${loadAverage()}`);
