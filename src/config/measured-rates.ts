import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What one unit of each flow-pipeline stage carried when it was benchmarked on a
 * real machine. The benchmarks rewrite `measured-rates.json`; the capacity model
 * reads it, so a tier's replica counts are checked against measured figures,
 * never against numbers typed in by hand.
 */
export const MEASURED_STAGES = ['goflow2', 'enricher', 'clickhouse'] as const;
export type MeasuredStage = typeof MEASURED_STAGES[number];

export interface MeasuredRate {
  /** Flows per second carried by one unit (`unit` says which). */
  readonly flowsPerSecond: number;
  /** What one unit is, e.g. "CPU core" or "Kafka-engine consumer". */
  readonly unit: string;
  /** The command that measured it. */
  readonly command: string;
  /** CPU cores of the machine that measured it. */
  readonly machineCores: number;
  /** Day of the measurement, YYYY-MM-DD. */
  readonly measuredOn: string;
  /** How it was measured, in one line. */
  readonly method: string;
}

export type MeasuredRates = Partial<Record<MeasuredStage, MeasuredRate>>;

const FILE = join(dirname(fileURLToPath(import.meta.url)), 'measured-rates.json');

export function loadMeasuredRates(file = FILE): MeasuredRates {
  return JSON.parse(readFileSync(file, 'utf8')) as MeasuredRates;
}

/** Replace one stage's figure, keeping the others; written whole (temp file + rename). */
export function recordMeasuredRate(stage: MeasuredStage, rate: MeasuredRate, file = FILE): void {
  const rates: Record<string, MeasuredRate> = { ...loadMeasuredRates(file), [stage]: rate };
  const ordered = Object.fromEntries(MEASURED_STAGES.filter((s) => rates[s]).map((s) => [s, rates[s]]));
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(ordered, null, 2)}\n`);
  renameSync(temp, file);
}
