/**
 * `npm run bench:flow-pipeline`: the highest flow rate the whole pipeline sustains on
 * this machine, every part real (test/flows/flow-chain.ts): the flow generator →
 * goflow2 → Kafka → the Flow Enricher process → Kafka → chdb's Kafka engine table →
 * flows_raw, one process each, all on this machine's cores.
 *
 * Each step sends IPFIX at one rate for WINDOW_S seconds; every flow carries a byte
 * count of its own, so flows_raw tells lost flows from duplicated ones. A step holds
 * when every flow sent is stored exactly once and the last one is stored within
 * DRAIN_S of being sent (the Kafka engine flushes every 7.5 s; a pipeline slower than
 * the rate ends the window with a backlog that takes longer). The rate doubles until
 * a step fails, then halves the gap between the last held and the first failed rate,
 * within the time budget (< 6 minutes in all); it stops early when the flow generator
 * (one Python process) cannot send at the rate asked.
 *
 * Per step it prints: the rate asked and sent, flows stored, lost, duplicated, the
 * kernel's drops at goflow2's UDP socket, each stage's backlog when sending stopped
 * (flows not yet through it), and each process's CPU over the window (% of one core,
 * from /proc/<pid>/stat of its process group), with the machine's load average: on a
 * shared machine the figures are lower than on a quiet one. It ends with the
 * bottleneck and each process's CPU per flow: on a machine whose cores the processes
 * share, the costliest per flow is what runs out first.
 *
 * FLOW_BENCH_FIRST_RATE (flows/s, default 5000) and FLOW_BENCH_WINDOW_S (default 30)
 * change the first rate and the window.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { loadAverage as load, processGroupCpuSeconds as groupCpuSeconds } from './process-cpu.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import { CHAIN_GROUPS, sendChainFlows, startFlowChain, type ChainExport, type FlowChain } from '../flows/flow-chain.js';
import { sleep } from '../peers/harness/process.js';

const FIRST_RATE = Number(process.env.FLOW_BENCH_FIRST_RATE ?? 5_000);
const WINDOW_S = Number(process.env.FLOW_BENCH_WINDOW_S ?? 30);
const DRAIN_S = 12;
/** The whole run, startup included, stays under 6 minutes. */
const BUDGET_S = 330;
/** A failed step waits this long at most for its backlog before the next step. */
const MAX_DRAIN_S = 40;
/** Bisection stops when the failed rate is within this factor of the held one. */
const RESOLUTION = 1.15;
/** Flows a stage normally holds for this long: goflow2 flushes every 100 ms, the Kafka engine every 7.5 s. */
const NORMAL_DELAY_S = { goflow2: 0.5, enricher: 1, clickhouse: 8 } as const;

for (const [name, value] of [['FLOW_BENCH_FIRST_RATE', FIRST_RATE], ['FLOW_BENCH_WINDOW_S', WINDOW_S]] as const) {
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name}=${process.env[name]} is not allowed: a positive whole number`);
    process.exit(2);
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function machineJiffies(): { busy: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((s, x) => s + x, 0);
  return { busy: total - v[3] - v[4], total };
}

/** Datagrams the kernel dropped at the UDP socket bound to a port (/proc/net/udp's last column). */
function udpDrops(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1]?.endsWith(`:${hex}`)) return Number(cols[cols.length - 1]);
  }
  return 0;
}

interface Step {
  rate: number;
  sentRate: number;
  sent: number;
  stored: number;
  lost: number;
  duplicates: number;
  udpDrops: number;
  drainS: number;
  /** Flows not yet through each stage when sending stopped. */
  backlog: { goflow2: number; enricher: number; clickhouse: number };
  cpu: Record<string, number>;
  machineBusy: number;
  held: boolean;
  load: string;
}

async function runStep(chain: FlowChain, rate: number, index: number): Promise<Step> {
  const e: ChainExport = { exporter: '127.0.0.21', version: 'ipfix', count: rate * WINDOW_S, firstBytes: (index + 1) * 1_000_000_000 };
  const netflowPort = Number(chain.goflow2.netflow.split(':')[1]);
  const groups = Object.entries(chain.pids);
  const cpu0 = Object.fromEntries(groups.map(([n, pid]) => [n, groupCpuSeconds(pid)]));
  const machine0 = machineJiffies();
  const drops0 = udpDrops(netflowPort);
  const raw0 = (await chain.topic(FlowTopic.RAW)).messages;
  const enriched0 = (await chain.enricherCounts()).out;

  const sending = sendChainFlows(chain.goflow2.netflow, [e], rate);
  let flowgenCpu = 0;
  let finished = false;
  const done = sending.done.finally(() => { finished = true; });
  while (!finished) {
    // The generator's process is gone once it ends: keep its last reading.
    const now = groupCpuSeconds(sending.pid);
    if (now > 0) flowgenCpu = now;
    await Promise.race([done, sleep(500)]);
  }
  const { flows: sent, seconds } = await done;
  const sendEnd = Date.now();
  const cpu = Object.fromEntries([
    ['flowgen', (100 * flowgenCpu) / seconds],
    ...groups.map(([n, pid]) => [n, (100 * (groupCpuSeconds(pid) - cpu0[n])) / seconds]),
  ]);
  const machine1 = machineJiffies();
  const atEnd = {
    raw: (await chain.topic(FlowTopic.RAW, CHAIN_GROUPS.enricher)),
    enricherOut: (await chain.enricherCounts()).out - enriched0,
    stored: (await chain.stored(e.firstBytes, e.count)).flows,
  };
  const rawWritten = atEnd.raw.messages - raw0;
  const backlog = {
    goflow2: sent - rawWritten,
    enricher: atEnd.raw.lag,
    clickhouse: atEnd.enricherOut - atEnd.stored,
  };

  // Drain: until every flow is stored, or nothing more arrives.
  let stored = await chain.stored(e.firstBytes, e.count);
  let lastProgress = Date.now();
  let lastStoredAt = stored.flows >= sent ? sendEnd : Date.now();
  while (stored.flows < sent && Date.now() - sendEnd < MAX_DRAIN_S * 1000 && Date.now() - lastProgress < 10_000) {
    await sleep(1000);
    const now = await chain.stored(e.firstBytes, e.count);
    if (now.rows > stored.rows) lastProgress = Date.now();
    stored = now;
    lastStoredAt = Date.now();
  }
  // A copy arrives with a later block: one more flush interval.
  await sleep(NORMAL_DELAY_S.clickhouse * 1000);
  stored = await chain.stored(e.firstBytes, e.count);
  const drainS = (lastStoredAt - sendEnd) / 1000;
  const lost = sent - stored.flows;
  return {
    rate,
    sentRate: Math.round(sent / seconds),
    sent,
    stored: stored.flows,
    lost,
    duplicates: stored.duplicates,
    udpDrops: udpDrops(netflowPort) - drops0,
    drainS,
    backlog,
    cpu,
    machineBusy: (100 * cpus().length * (machine1.busy - machine0.busy)) / (machine1.total - machine0.total),
    held: lost === 0 && stored.duplicates === 0 && drainS <= DRAIN_S && sent === e.count,
    load: load(),
  };
}

function printStep(s: Step): void {
  const backlogS = (n: number) => `${n} (${(n / s.sentRate).toFixed(1)} s)`;
  console.log(
    `${String(s.rate).padStart(7)} ${String(s.sentRate).padStart(7)} ${String(s.sent).padStart(9)} ${String(s.stored).padStart(9)} ${String(s.lost).padStart(7)} `
    + `${String(s.duplicates).padStart(5)} ${String(s.udpDrops).padStart(8)} ${s.drainS.toFixed(1).padStart(6)}  ${s.held ? 'held  ' : 'FAILED'}  `
    + `backlog goflow2 ${backlogS(s.backlog.goflow2)}, enricher ${backlogS(s.backlog.enricher)}, clickhouse ${backlogS(s.backlog.clickhouse)}`,
  );
  console.log(`        CPU % of a core: ${Object.entries(s.cpu).map(([n, c]) => `${n} ${c.toFixed(0)}`).join(', ')}; machine ${s.machineBusy.toFixed(0)} of ${cpus().length * 100}; load ${s.load}`);
}

/** Microseconds of CPU each process spent per flow at a step, the costliest first. */
function cpuPerFlow(s: Step): Array<[string, number]> {
  return Object.entries(s.cpu).map(([n, c]): [string, number] => [n, ((c / 100) * 1e6) / s.sentRate]).sort((x, y) => y[1] - x[1]);
}

/** Where a failed step lost flows or fell behind: the kernel's drops at goflow2's socket, or the stage furthest behind its normal delay. */
function whereItFailed(s: Step): string {
  if (s.udpDrops > 0) {
    const buffer = readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim();
    return `goflow2's UDP socket: the kernel dropped ${s.udpDrops} datagrams goflow2 did not read in time `
      + `(its receive buffer is the kernel default, net.core.rmem_default = ${buffer} bytes)`;
  }
  const [stage, behind] = (Object.keys(NORMAL_DELAY_S) as Array<keyof typeof NORMAL_DELAY_S>)
    .map((x) => [x, s.backlog[x] / s.sentRate - NORMAL_DELAY_S[x]] as const)
    .sort((x, y) => y[1] - x[1])[0];
  if (s.lost > 0) return `${s.lost} flows lost after goflow2 read them; ${stage} furthest behind (${behind.toFixed(1)} s beyond its normal delay)`;
  return `${stage}: ${behind.toFixed(1)} s of flows behind its normal delay when sending stopped`;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log('flow pipeline end to end: flowgen → goflow2 → Kafka → flow-enricher → Kafka → chdb Kafka engine → flows_raw');
  console.log(`cores ${cpus().length}, load average ${load()} (1/5/15 min), window ${WINDOW_S} s per step, held = sent = stored, no duplicates, last flow stored within ${DRAIN_S} s`);
  const chain = await startFlowChain();
  try {
    // The store's consumer group settles after the migrations rebuilt the Kafka engine table (the old member times out).
    const warmUp: ChainExport = { exporter: '127.0.0.21', version: 'ipfix', count: 200, firstBytes: 1 };
    await sendChainFlows(chain.goflow2.netflow, [warmUp], 1_000).done;
    const deadline = Date.now() + 120_000;
    while ((await chain.stored(warmUp.firstBytes, warmUp.count)).flows < warmUp.count) {
      if (Date.now() > deadline) throw new Error('the warm-up flows did not reach flows_raw in 120 s');
      await sleep(1000);
    }
    console.log(`chain up and warm in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    console.log('   rate    sent     flows    stored    lost  dups udpdrops drain_s  result  backlog when sending stopped (flows, seconds of flows)');

    const steps: Step[] = [];
    let held: Step | undefined;
    let failed: Step | undefined;
    let rate = FIRST_RATE;
    for (let i = 0; ; i++) {
      const spentS = (Date.now() - started) / 1000;
      // A step takes longer when the generator falls behind the rate: allow for half as long again.
      if (spentS + 1.5 * WINDOW_S + DRAIN_S + NORMAL_DELAY_S.clickhouse + 5 > BUDGET_S) break;
      const s = await runStep(chain, rate, i);
      steps.push(s);
      printStep(s);
      if (s.held && (!held || s.sentRate > held.sentRate)) held = s;
      if (!s.held && (!failed || s.sentRate < failed.sentRate)) failed = s;
      // Below 95% of the rate asked, the generator itself is what held the rate down.
      if (s.held && s.sentRate < 0.95 * s.rate) break;
      if (failed && held && failed.sentRate / held.sentRate <= RESOLUTION) break;
      rate = !failed ? rate * 2 : held ? Math.round((held.sentRate + failed.sentRate) / 2 / 100) * 100 : Math.round(failed.sentRate / 2);
    }

    console.log('');
    console.log(held
      ? `highest sustained rate: ${held.sentRate} flows/s for ${(held.sent / held.sentRate).toFixed(0)} s, every flow stored exactly once`
      : `no rate held, down from ${FIRST_RATE} flows/s`);
    const last = steps[steps.length - 1];
    if (failed) {
      console.log(`bottleneck: at ${failed.sentRate} flows/s, ${whereItFailed(failed)}`);
    } else if (last && last.sentRate < 0.95 * last.rate) {
      console.log(`bottleneck: the flow generator (one Python process) sent ${last.sentRate} of the ${last.rate} flows/s asked, `
        + `on ${last.cpu.flowgen.toFixed(0)}% of a core, and the pipeline stored every one: the generator, not the pipeline, set the highest rate here`);
    } else if (last) {
      console.log(`bottleneck: not reached within the time budget (${BUDGET_S} s); raise FLOW_BENCH_FIRST_RATE`);
    }
    const measured = failed ?? held;
    if (measured) {
      const costs = cpuPerFlow(measured);
      const pipeline = costs.filter(([n]) => n !== 'flowgen').reduce((sum, [, us]) => sum + us, 0);
      console.log(`CPU per flow at ${measured.sentRate} flows/s (µs): ${costs.map(([n, us]) => `${n} ${us.toFixed(1)}`).join(', ')}; `
        + `the pipeline without the generator ${pipeline.toFixed(1)} µs, so ${cpus().length} cores of its own would carry at most `
        + `${Math.round((cpus().length * 1e6) / pipeline)} flows/s; the machine was ${measured.machineBusy.toFixed(0)}% busy of ${cpus().length * 100}%; `
        + `the costliest part of the pipeline per flow: ${costs.find(([n]) => n !== 'flowgen')![0]}`);
    }
    console.log(`load average now ${load()} on ${cpus().length} cores; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  } finally {
    await chain.stop();
  }
}

main().then(() => process.exit(0), (e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
