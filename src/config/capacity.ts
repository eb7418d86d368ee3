import { MEASURED_STAGES, type MeasuredRates, type MeasuredStage } from './measured-rates.js';
import { TIER_NAMES, type TierName, type TierSizing } from './tiers.js';

/**
 * The flow capacity model: what each stage of a tier's flow pipeline can carry,
 * from the tier table's counts and the per-unit rates the benchmarks measured
 * (src/config/measured-rates.json), against the tier's `flowsPerSecond` with
 * headroom. The tier table stays a table of hand-set numbers; this model proves
 * them, so a benchmark that measures a lower figure fails the capacity test
 * instead of silently changing what is deployed.
 *
 * A pod's cores are its CPU request, not its limit: the request is what the
 * scheduler guarantees at peak, when every pod of the node is busy; above it a pod
 * only gets CPU that happens to be idle.
 */

/** Each stage must carry this many times the tier's flow rate (bursts, a lost node, rebalancing). */
export const CAPACITY_HEADROOM = 1.5;

const STAGE_OF: Readonly<Record<MeasuredStage, string>> = { goflow2: 'goflow2', enricher: 'flow enricher', clickhouse: 'ClickHouse ingest' };
const BENCH_OF: Readonly<Record<MeasuredStage, string>> = { goflow2: 'bench:goflow2', enricher: 'bench:enricher', clickhouse: 'bench:clickhouse-ingest' };

export interface StageCapacity {
  readonly stage: MeasuredStage;
  /** 1.5 × the tier's flowsPerSecond. */
  readonly requiredFlowsPerSecond: number;
  /** units × cores per unit × the measured flows/s per core. */
  readonly providedFlowsPerSecond: number;
  /** The units and their cores, in words. */
  readonly units: string;
  /** The tier-table keys the units come from. */
  readonly keys: string;
}

export interface TierCapacity {
  readonly stages: readonly StageCapacity[];
  /** Every reason the tier cannot carry its rate; empty when it can. */
  readonly problems: readonly string[];
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

function cores(milli: number): number {
  return milli / 1000;
}

/**
 * The capacity of one tier's flow pipeline. Pure: the tier's numbers and the
 * measured rates in, the stages and every problem out (bad rates are problems
 * naming the file's field, not exceptions, so one call reports all of them).
 */
export function tierCapacity(name: string, tier: TierSizing, rates: MeasuredRates): TierCapacity {
  const problems: string[] = [];
  const required = CAPACITY_HEADROOM * tier.flowsPerSecond;
  if (!Number.isFinite(tier.flowsPerSecond) || tier.flowsPerSecond <= 0) {
    problems.push(`tiers.${name}.flowsPerSecond: ${tier.flowsPerSecond} is not a positive number of flows per second`);
  }

  const usable = new Set<MeasuredStage>();
  const rate = (stage: MeasuredStage): number => {
    const r = rates[stage];
    if (r === undefined) {
      problems.push(`measured-rates.json: no "${stage}" figure; run \`npm run ${BENCH_OF[stage]}\` to measure it`);
      return 0;
    }
    if (!Number.isFinite(r.flowsPerSecond) || r.flowsPerSecond <= 0) {
      problems.push(`measured-rates.json: ${stage}.flowsPerSecond is ${r.flowsPerSecond}; expected a positive number of flows per second (run \`npm run ${BENCH_OF[stage]}\`)`);
      return 0;
    }
    usable.add(stage);
    return r.flowsPerSecond;
  };

  const goflow2Cores = cores(tier.goflow2.resources.cpuRequestMilli);
  // The enricher's decode → enrich → produce is JavaScript on one thread: a core beyond the first does not speed it up.
  const enricherCores = Math.min(1, cores(tier.flowEnricher.resources.cpuRequestMilli));
  const { shards, replicas, kafkaConsumers } = tier.clickhouse;
  const nodes = shards * replicas;
  // Every node consumes (one consumer group over all of them); each consumer is one thread, so a node uses at most min(consumers, cores).
  const clickhouseCores = Math.min(kafkaConsumers, cores(tier.clickhouse.resources.cpuRequestMilli));
  const clickhouseConsumers = nodes * kafkaConsumers;

  const stages: StageCapacity[] = [
    {
      stage: 'goflow2',
      requiredFlowsPerSecond: required,
      providedFlowsPerSecond: tier.goflow2.replicasMax * goflow2Cores * rate('goflow2'),
      units: `${count(tier.goflow2.replicasMax, 'pod')} × ${count(goflow2Cores, 'core')}`,
      keys: 'goflow2.replicasMax, goflow2.resources',
    },
    {
      stage: 'enricher',
      requiredFlowsPerSecond: required,
      providedFlowsPerSecond: tier.flowEnricher.replicasMax * enricherCores * rate('enricher'),
      units: `${count(tier.flowEnricher.replicasMax, 'pod')} × ${count(enricherCores, 'core')}`,
      keys: 'flowEnricher.replicasMax, flowEnricher.resources',
    },
    {
      stage: 'clickhouse',
      requiredFlowsPerSecond: required,
      providedFlowsPerSecond: nodes * clickhouseCores * rate('clickhouse'),
      units: `${count(nodes, 'node')} × ${count(clickhouseCores, 'core')} (${count(kafkaConsumers, 'consumer')} each)`,
      keys: 'clickhouse.shards, clickhouse.replicas, clickhouse.kafkaConsumers, clickhouse.resources',
    },
  ];
  for (const s of stages) {
    // A stage without a usable figure is reported above, once.
    if (usable.has(s.stage) && s.providedFlowsPerSecond < s.requiredFlowsPerSecond) {
      problems.push(`tiers.${name} (${s.keys}): ${STAGE_OF[s.stage]} carries ${s.units} × ${fmt(rates[s.stage]!.flowsPerSecond)} flows/s per core = `
        + `${fmt(s.providedFlowsPerSecond)} flows/s, below ${CAPACITY_HEADROOM} × flowsPerSecond ${fmt(tier.flowsPerSecond)} = ${fmt(s.requiredFlowsPerSecond)}; add replicas or cores`);
    }
  }
  if (tier.flowEnricher.replicasMax > tier.kafka.rawTopicPartitions) {
    problems.push(`tiers.${name}.kafka.rawTopicPartitions: ${tier.kafka.rawTopicPartitions} partitions for flowEnricher.replicasMax ${tier.flowEnricher.replicasMax}; `
      + 'a pod beyond one per partition sits idle, so the enricher stage would carry less than its replicas suggest');
  }
  if (clickhouseConsumers > tier.kafka.enrichedTopicPartitions) {
    problems.push(`tiers.${name}.kafka.enrichedTopicPartitions: ${tier.kafka.enrichedTopicPartitions} partitions for ${shards} shards × ${replicas} replicas × `
      + `${kafkaConsumers} kafkaConsumers = ${clickhouseConsumers} ClickHouse consumers; a consumer beyond one per partition sits idle`);
  }
  return { stages, problems };
}

/** Every problem of every tier; empty when all tiers carry their rates. */
export function capacityProblems(tiers: Readonly<Record<TierName, TierSizing>>, rates: MeasuredRates): string[] {
  return TIER_NAMES.flatMap((t) => tierCapacity(t, tiers[t], rates).problems);
}

const README_START = '<!-- capacity-table:start (generated from src/config/tiers.ts and src/config/measured-rates.json by `npm run docs`) -->';
const README_END = '<!-- capacity-table:end -->';

/** The capacity table as Markdown: each tier's required and provided rate per stage, then the measured figures. */
export function renderCapacityTable(tiers: Readonly<Record<TierName, TierSizing>>, rates: MeasuredRates): string {
  const lines = [`| tier | stage | units | provided flows/s | required flows/s (${CAPACITY_HEADROOM} × flowsPerSecond) | provided ÷ required |`, '|---|---|---|---:|---:|---:|'];
  for (const t of TIER_NAMES) {
    for (const s of tierCapacity(t, tiers[t], rates).stages) {
      lines.push(`| ${t} | ${STAGE_OF[s.stage]} | ${s.units} | ${fmt(s.providedFlowsPerSecond)} | ${fmt(s.requiredFlowsPerSecond)} | ${(s.providedFlowsPerSecond / s.requiredFlowsPerSecond).toFixed(2)} |`);
    }
  }
  lines.push('', 'Measured per unit (the figures the table multiplies):', '');
  for (const stage of MEASURED_STAGES) {
    const r = rates[stage];
    lines.push(r
      ? `- ${STAGE_OF[stage]}: ${fmt(r.flowsPerSecond)} flows/s per ${r.unit} (\`${r.command}\`, ${r.measuredOn}, ${r.machineCores} cores): ${r.method}`
      : `- ${STAGE_OF[stage]}: not measured (\`npm run ${BENCH_OF[stage]}\`)`);
  }
  return `${lines.join('\n')}\n`;
}

/** README text with the generated capacity table between its markers. */
export function withCapacityTable(readme: string, tiers: Readonly<Record<TierName, TierSizing>>, rates: MeasuredRates): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${README_START} ... ${README_END}`);
  return `${readme.slice(0, start + README_START.length)}\n${renderCapacityTable(tiers, rates)}${readme.slice(end)}`;
}
