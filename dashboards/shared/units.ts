import { ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';

/**
 * Grafana's unit ids for what Helios's panels show; every numeric panel sets one,
 * so a reader never guesses whether 0.8 is a ratio or a percent.
 */
export const Unit = {
  BITS_PER_SECOND: 'bps',
  PACKETS_PER_SECOND: 'pps',
  /** 0-100. */
  PERCENT: 'percent',
  /** 0-1, drawn as 0-100%. */
  RATIO: 'percentunit',
  SECONDS: 's',
  /** A duration in seconds, drawn as "3 days 4 hours". */
  DURATION: 'dtdurations',
  CELSIUS: 'celsius',
  WATTS: 'watt',
  BYTES: 'bytes',
  /** A plain count (devices, alerts, prefixes). */
  COUNT: 'short',
  /** A number whose meaning comes from value mappings (states). */
  STATE: 'none',
} as const;

/** A colour band starting at `from` (the first band starts at minus infinity). */
export interface Band {
  readonly color: string;
  readonly from?: number;
}

export function thresholds(...bands: readonly Band[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(bands.map((b, i) => ({ color: b.color, value: i === 0 ? null : b.from ?? null })));
}

/**
 * The alert rules' thresholds (constructs/metrics/device-alerts.ts), so a panel turns
 * red where the alert fires: HighCPU above 80%, HighMemory above 85%,
 * InterfaceErrorRate above 1% of packets.
 */
export const AlertThreshold = {
  CPU_PERCENT: 80,
  MEMORY_PERCENT: 85,
  INTERFACE_ERROR_RATIO: 0.01,
} as const;

export const Thresholds = {
  cpu: () => thresholds({ color: 'green' }, { color: 'red', from: AlertThreshold.CPU_PERCENT }),
  memory: () => thresholds({ color: 'green' }, { color: 'red', from: AlertThreshold.MEMORY_PERCENT }),
  interfaceErrors: () => thresholds({ color: 'green' }, { color: 'red', from: AlertThreshold.INTERFACE_ERROR_RATIO }),
  /** Link utilization: busy from 70%, congested from 90% (no alert; where queues start to build). */
  utilization: () => thresholds({ color: 'green' }, { color: 'orange', from: 0.7 }, { color: 'red', from: 0.9 }),
  /** Reachability and availability ratios: anything under 99.9% is worth a look, under 99% is an outage. */
  availability: () => thresholds({ color: 'red' }, { color: 'orange', from: 0.99 }, { color: 'green', from: 0.999 }),
  /** Counts where any is bad (alerts firing, sessions down). */
  anyIsBad: () => thresholds({ color: 'green' }, { color: 'red', from: 1 }),
  /** Plain counts, one colour. */
  neutral: () => thresholds({ color: 'blue' }),
} as const;
