import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPACITY_HEADROOM, capacityProblems, renderCapacityTable, tierCapacity, withCapacityTable } from '../../src/config/capacity.js';
import { loadMeasuredRates, MEASURED_STAGES, recordMeasuredRate, type MeasuredRate, type MeasuredRates, type MeasuredStage } from '../../src/config/measured-rates.js';
import { TIER_NAMES, TIERS, type TierSizing } from '../../src/config/tiers.js';
import { REPO_ROOT } from '../shared.js';

/**
 * The flow capacity model (src/config/capacity.ts) against the tier table and the
 * figures the benchmarks recorded on this machine (src/config/measured-rates.json).
 */

const recorded = loadMeasuredRates();
const STAGE_NAMES: Record<MeasuredStage, string> = { goflow2: 'goflow2', enricher: 'flow enricher', clickhouse: 'ClickHouse ingest' };

function rate(flowsPerSecond: number): MeasuredRate {
  return { flowsPerSecond, unit: 'CPU core', command: 'test', machineCores: 2, measuredOn: '2026-01-01', method: 'test' };
}
function rates(goflow2: number, enricher: number, clickhouse: number): MeasuredRates {
  return { goflow2: rate(goflow2), enricher: rate(enricher), clickhouse: rate(clickhouse) };
}

const sizing = (cpuRequestMilli: number) => ({ cpuRequestMilli, cpuLimitMilli: cpuRequestMilli * 2, memoryRequestMiB: 128, memoryLimitMiB: 256 });
/** A tier with round numbers, so the expected rates can be worked out by hand. */
interface TierChanges {
  readonly flowsPerSecond?: number;
  readonly goflow2Max?: number;
  readonly enricherMax?: number;
  readonly rawPartitions?: number;
  readonly enrichedPartitions?: number;
  readonly kafkaConsumers?: number;
}
function tier(changes: TierChanges = {}): TierSizing {
  return {
    ...TIERS.medium,
    flowsPerSecond: changes.flowsPerSecond ?? 100_000,
    goflow2: { replicasMin: 1, replicasMax: changes.goflow2Max ?? 3, resources: sizing(500) },
    // 2 cores requested, but the enricher's JavaScript uses one.
    flowEnricher: { replicasMin: 1, replicasMax: changes.enricherMax ?? 4, resources: sizing(2000) },
    kafka: { ...TIERS.medium.kafka, rawTopicPartitions: changes.rawPartitions ?? 8, enrichedTopicPartitions: changes.enrichedPartitions ?? 8 },
    // 2 shards × 2 replicas with 2 cores each.
    clickhouse: { ...TIERS.medium.clickhouse, shards: 2, replicas: 2, kafkaConsumers: changes.kafkaConsumers ?? 2, resources: sizing(2000) },
  };
}

describe('the flow capacity of every tier, from the recorded benchmark figures', () => {
  it('has a recorded figure for every stage, from this machine', () => {
    for (const stage of MEASURED_STAGES) {
      expect({ stage, flowsPerSecond: recorded[stage]?.flowsPerSecond ?? 'missing: run its benchmark' }).toEqual({ stage, flowsPerSecond: expect.any(Number) });
      expect(recorded[stage]!.flowsPerSecond).toBeGreaterThan(0);
      expect(recorded[stage]!.command).toMatch(/^npm run bench:/);
      expect(recorded[stage]!.measuredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it.each(TIER_NAMES)('%s: every stage carries 1.5 × flowsPerSecond, and the partitions feed every consumer', (name) => {
    const t = TIERS[name];
    const capacity = tierCapacity(name, t, recorded);
    expect(capacity.problems).toEqual([]);
    expect(capacity.stages.map((s) => s.stage)).toEqual(['goflow2', 'enricher', 'clickhouse']);
    for (const s of capacity.stages) {
      expect(s.requiredFlowsPerSecond).toBe(CAPACITY_HEADROOM * t.flowsPerSecond);
      expect({ stage: s.stage, provided: s.providedFlowsPerSecond >= s.requiredFlowsPerSecond }).toEqual({ stage: s.stage, provided: true });
    }
    expect(t.kafka.rawTopicPartitions).toBeGreaterThanOrEqual(t.flowEnricher.replicasMax);
    expect(t.kafka.enrichedTopicPartitions).toBeGreaterThanOrEqual(t.clickhouse.shards * t.clickhouse.replicas * t.clickhouse.kafkaConsumers);
    // Autoscaling starts low: the minimum is a fraction of the maximum, enough for the tier's usual rate without headroom.
    expect(t.flowEnricher.replicasMin).toBeLessThan(t.flowEnricher.replicasMax);
    expect(t.goflow2.replicasMin).toBeLessThan(t.goflow2.replicasMax);
  });

  it('fails a tier at exactly the stage whose figure drops just below what the tier needs, and passes it at the edge', () => {
    for (const name of TIER_NAMES) {
      const stages = tierCapacity(name, TIERS[name], recorded).stages;
      for (const { stage, providedFlowsPerSecond, requiredFlowsPerSecond } of stages) {
        // The figure at which this stage provides exactly what the tier requires.
        const edge = recorded[stage]!.flowsPerSecond * requiredFlowsPerSecond / providedFlowsPerSecond;
        const at = (flowsPerSecond: number) => ({ ...recorded, [stage]: { ...recorded[stage]!, flowsPerSecond } }) as MeasuredRates;
        const below = capacityProblems(TIERS, at(Math.floor(edge * 0.99))).filter((p) => p.startsWith(`tiers.${name} `));
        expect({ name, stage, below }).toEqual({ name, stage, below: [expect.stringContaining(`${STAGE_NAMES[stage]} carries`)] });
        const atEdge = capacityProblems(TIERS, at(Math.ceil(edge))).filter((p) => p.startsWith(`tiers.${name} `));
        expect({ name, stage, atEdge }).toEqual({ name, stage, atEdge: [] });
      }
    }
  });

  it('grows the flow rate with the tier', () => {
    const perTier = TIER_NAMES.map((t) => TIERS[t].flowsPerSecond);
    expect(perTier).toEqual([...perTier].sort((a, b) => a - b));
    expect(new Set(perTier).size).toBe(perTier.length);
  });
});

describe('the capacity model (pure)', () => {
  const even = rates(100_000, 100_000, 100_000);

  it('multiplies replicas, cores (the CPU request) and the per-core figure; one core for the enricher, min(consumers, cores) per ClickHouse node', () => {
    const { stages, problems } = tierCapacity('test', tier({ kafkaConsumers: 3, enrichedPartitions: 12 }), even);
    expect(problems).toEqual([]);
    expect(Object.fromEntries(stages.map((s) => [s.stage, [s.providedFlowsPerSecond, s.requiredFlowsPerSecond, s.units]]))).toEqual({
      goflow2: [150_000, 150_000, '3 pods × 0.5 cores'],
      enricher: [400_000, 150_000, '4 pods × 1 core'],
      clickhouse: [800_000, 150_000, '4 nodes × 2 cores (3 consumers each)'],
    });
  });

  it('fails a tier when a figure is measured lower, naming the stage, the tier keys and both rates', () => {
    expect(capacityProblems({ small: tier(), medium: tier(), large: tier(), xl: tier() }, even)).toEqual([]);
    const problems = tierCapacity('large', tier(), rates(99_000, 100_000, 100_000)).problems;
    expect(problems).toEqual([
      'tiers.large (goflow2.replicasMax, goflow2.resources): goflow2 carries 3 pods × 0.5 cores × 99,000 flows/s per core = 148,500 flows/s, '
      + 'below 1.5 × flowsPerSecond 100,000 = 150,000; add replicas or cores',
    ]);
    expect(tierCapacity('xl', tier(), rates(100_000, 37_000, 18_000)).problems).toEqual([
      expect.stringMatching(/^tiers\.xl \(flowEnricher\.replicasMax, flowEnricher\.resources\): flow enricher carries 4 pods × 1 core × 37,000 .* = 148,000 flows\/s, below .* = 150,000/),
      expect.stringMatching(/^tiers\.xl \(clickhouse\.shards, clickhouse\.replicas, clickhouse\.kafkaConsumers, clickhouse\.resources\): ClickHouse ingest carries 4 nodes × 2 cores .* = 144,000 flows\/s/),
    ]);
  });

  it('fails a tier whose flow rate outgrows its replicas', () => {
    expect(tierCapacity('small', tier({ flowsPerSecond: 100_001 }), even).problems).toEqual([expect.stringContaining('goflow2 carries 3 pods × 0.5 cores × 100,000 flows/s per core = 150,000 flows/s, below 1.5 × flowsPerSecond 100,001 = 150,002')]);
    expect(tierCapacity('small', tier({ flowsPerSecond: 0 }), even).problems).toEqual(['tiers.small.flowsPerSecond: 0 is not a positive number of flows per second']);
  });

  it('fails when partitions are fewer than enricher replicas or ClickHouse consumers', () => {
    expect(tierCapacity('medium', tier({ rawPartitions: 3 }), even).problems).toEqual([
      expect.stringMatching(/^tiers\.medium\.kafka\.rawTopicPartitions: 3 partitions for flowEnricher\.replicasMax 4; /),
    ]);
    expect(tierCapacity('medium', tier({ enrichedPartitions: 7 }), even).problems).toEqual([
      expect.stringMatching(/^tiers\.medium\.kafka\.enrichedTopicPartitions: 7 partitions for 2 shards × 2 replicas × 2 kafkaConsumers = 8 ClickHouse consumers; /),
    ]);
  });

  it('names a missing or unusable figure and the benchmark that records it', () => {
    const { enricher: _, ...noEnricher } = even;
    expect(tierCapacity('small', tier(), noEnricher).problems).toEqual(['measured-rates.json: no "enricher" figure; run `npm run bench:enricher` to measure it']);
    expect(tierCapacity('small', tier(), { ...even, clickhouse: rate(Number.NaN) }).problems).toEqual([
      'measured-rates.json: clickhouse.flowsPerSecond is NaN; expected a positive number of flows per second (run `npm run bench:clickhouse-ingest`)',
    ]);
    expect(tierCapacity('small', tier(), { ...even, goflow2: rate(-5) }).problems).toEqual([expect.stringContaining('goflow2.flowsPerSecond is -5')]);
  });

  it('reads what the benchmarks record: one stage replaced, the others kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helios-measured-rates-'));
    try {
      const file = join(dir, 'rates.json');
      writeFileSync(file, '{}\n');
      recordMeasuredRate('clickhouse', rate(1), file);
      recordMeasuredRate('goflow2', rate(2), file);
      recordMeasuredRate('clickhouse', rate(3), file);
      expect(loadMeasuredRates(file)).toEqual({ goflow2: rate(2), clickhouse: rate(3) });
      expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual(['goflow2', 'clickhouse']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README.md', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

  it('shows the capacity table generated from the tier table and the recorded figures (run `npm run docs`)', () => {
    expect(withCapacityTable(readme, TIERS, recorded)).toBe(readme);
    const table = renderCapacityTable(TIERS, recorded);
    expect(readme).toContain(table);
    expect(table.split('\n').filter((l) => /^\| (small|medium|large|xl) \|/.test(l))).toHaveLength(TIER_NAMES.length * MEASURED_STAGES.length);
    expect(table).toContain(`| xl | flow enricher | ${TIERS.xl.flowEnricher.replicasMax} pods × 1 core | `);
  });
});
