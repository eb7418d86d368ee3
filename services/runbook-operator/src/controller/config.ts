import { hostname } from 'node:os';
import { GNMI_TLS_MODES, type GnmiTlsMode, type JobSettings } from './job.js';
import { AUTOMATION_NAMESPACE, METRICS_PORT, WEBHOOK_PORT } from '../api/types.js';
import type { LeaseTimings } from '../kube/lease.js';

/** The operator's settings, from its environment (the Deployment sets them). */
export interface OperatorConfig {
  readonly namespace: string;
  readonly identity: string;
  readonly job: JobSettings;
  readonly metricsPort: number;
  readonly webhookPort: number;
  readonly webhookTokenFile: string;
  readonly resyncMs: number;
  readonly lease: LeaseTimings;
}

export class ConfigError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(`runbook-operator configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_WEBHOOK_TOKEN_FILE = '/etc/helios/webhook/token';

/**
 * POD_NAMESPACE (@default helios-automation), POD_NAME (the Lease identity; @default the host name),
 * HELIOS_EXECUTOR_IMAGE (required: the image the Jobs run, the operator's own), HELIOS_GNMI_TLS
 * (tls | skip-verify | plaintext; @default tls), HELIOS_GNMI_CA_FILE, METRICS_PORT (@default 8080),
 * WEBHOOK_PORT (@default 8443), WEBHOOK_TOKEN_FILE (@default /etc/helios/webhook/token),
 * RESYNC_SECONDS (@default 300), LEASE_DURATION_SECONDS / LEASE_RENEW_DEADLINE_SECONDS /
 * LEASE_RETRY_PERIOD_SECONDS (@default 15 / 10 / 2).
 */
export function loadConfig(env: NodeJS.ProcessEnv): OperatorConfig {
  const problems: string[] = [];
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${key}: ${JSON.stringify(raw)} is not a number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const image = env.HELIOS_EXECUTOR_IMAGE ?? '';
  if (image === '') problems.push('HELIOS_EXECUTOR_IMAGE: not set; it names the image the executor Jobs run (the operator\'s own, pinned by tag)');
  const tls = (env.HELIOS_GNMI_TLS ?? 'tls') as GnmiTlsMode;
  if (!GNMI_TLS_MODES.includes(tls)) problems.push(`HELIOS_GNMI_TLS: ${JSON.stringify(env.HELIOS_GNMI_TLS)} is not one of ${GNMI_TLS_MODES.join(', ')}`);
  const lease: LeaseTimings = {
    durationMs: number('LEASE_DURATION_SECONDS', 15, 1, 3600) * 1000,
    renewDeadlineMs: number('LEASE_RENEW_DEADLINE_SECONDS', 10, 0.5, 3600) * 1000,
    retryPeriodMs: number('LEASE_RETRY_PERIOD_SECONDS', 2, 0.1, 600) * 1000,
  };
  if (lease.renewDeadlineMs >= lease.durationMs) {
    problems.push(`LEASE_RENEW_DEADLINE_SECONDS: ${lease.renewDeadlineMs / 1000} must be less than LEASE_DURATION_SECONDS (${lease.durationMs / 1000}), so a holder stops before its lease can pass to another`);
  }
  const config: OperatorConfig = {
    namespace: env.POD_NAMESPACE || AUTOMATION_NAMESPACE,
    identity: env.POD_NAME || hostname(),
    job: { image, gnmiTls: tls, ...(env.HELIOS_GNMI_CA_FILE ? { gnmiCaFile: env.HELIOS_GNMI_CA_FILE } : {}) },
    metricsPort: number('METRICS_PORT', METRICS_PORT, 0, 65535),
    webhookPort: number('WEBHOOK_PORT', WEBHOOK_PORT, 0, 65535),
    webhookTokenFile: env.WEBHOOK_TOKEN_FILE || DEFAULT_WEBHOOK_TOKEN_FILE,
    resyncMs: number('RESYNC_SECONDS', 300, 1, 86400) * 1000,
    lease,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
