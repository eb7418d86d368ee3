import { z } from 'zod';

/**
 * The enricher's configuration: environment variables only (the FlowEnricher
 * construct sets them; secrets arrive as mounted files, never as values). Every
 * problem is reported at once, naming the variable, the value and what is allowed.
 */

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = typeof LOG_LEVELS[number];

const hostPort = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const integer = (min: number, max: number, fallback: number) => z.string().optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return fallback;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `is not a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

const oneOf = <T extends string>(values: readonly T[], fallback: T) => z.string().optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return fallback;
    if (!(values as readonly string[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `is not one of ${values.join(', ')}` });
      return z.NEVER;
    }
    return v as T;
  });

const text = (fallback: string) => z.string().optional().transform((v) => (v === undefined || v === '' ? fallback : v));
const optionalText = z.string().optional().transform((v) => (v === '' ? undefined : v));

const EnvSchema = z.object({
  KAFKA_BROKERS: z.string({ error: 'is required: a comma-separated list of host:port' }).transform((v, ctx) => {
    const brokers = v.split(',').map((b) => b.trim()).filter(Boolean);
    const bad = brokers.filter((b) => !hostPort.test(b) || Number(hostPort.exec(b)![2]) > 65535);
    if (brokers.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `is not a comma-separated list of host:port${bad.length ? ` (${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not host:port)` : ''}` });
      return z.NEVER;
    }
    return brokers;
  }),
  KAFKA_RAW_TOPIC: text('helios-flows-raw'),
  KAFKA_ENRICHED_TOPIC: text('helios-flows-enriched'),
  KAFKA_GROUP_ID: text('helios-flow-enricher'),
  KAFKA_CLIENT_ID: text('helios-flow-enricher'),
  KAFKA_SASL_MECHANISM: oneOf(['none', 'scram-sha-512'] as const, 'none'),
  KAFKA_USERNAME: optionalText,
  KAFKA_PASSWORD_FILE: optionalText,
  KAFKA_TLS: oneOf(['true', 'false'] as const, 'false').transform((v) => v === 'true'),
  NETBOX_URL: z.string({ error: 'is required: the NetBox base URL, e.g. https://netbox.example.net' }).transform((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a URL (expected http:// or https://host[:port][/path])' });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'is not an http:// or https:// URL' });
      return z.NEVER;
    }
    return url.href.replace(/\/+$/, '');
  }),
  NETBOX_TOKEN_FILE: optionalText,
  NETBOX_REFRESH_SECONDS: integer(10, 86_400, 300),
  GEOIP_CITY_DB: optionalText,
  GEOIP_ASN_DB: optionalText,
  FLOWS_PER_MESSAGE: integer(1, 100_000, 500),
  HTTP_PORT: integer(1, 65_535, 8080),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
});

export interface Config {
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly rawTopic: string;
    readonly enrichedTopic: string;
    readonly groupId: string;
    readonly clientId: string;
    readonly sasl?: { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly passwordFile: string };
    readonly tls: boolean;
  };
  readonly netbox: {
    readonly url: string;
    readonly tokenFile?: string;
    readonly refreshSeconds: number;
  };
  readonly geoip: {
    readonly cityDb?: string;
    readonly asnDb?: string;
  };
  readonly flowsPerMessage: number;
  readonly httpPort: number;
  readonly logLevel: LogLevel;
}

/** Bad configuration: `problems` has one line per variable. */
export class ConfigError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      const value = env[name];
      // No variable holds a secret (secrets come as files), so values can be shown.
      problems.push(value === undefined ? `${name} ${issue.message}` : `${name}=${JSON.stringify(value)} ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  if (e.KAFKA_SASL_MECHANISM === 'scram-sha-512') {
    if (!e.KAFKA_USERNAME) problems.push('KAFKA_USERNAME is required when KAFKA_SASL_MECHANISM=scram-sha-512');
    if (!e.KAFKA_PASSWORD_FILE) problems.push('KAFKA_PASSWORD_FILE is required when KAFKA_SASL_MECHANISM=scram-sha-512 (a file holding the password)');
  } else {
    for (const name of ['KAFKA_USERNAME', 'KAFKA_PASSWORD_FILE'] as const) {
      if (e[name]) problems.push(`${name} is set but KAFKA_SASL_MECHANISM is none; set KAFKA_SASL_MECHANISM=scram-sha-512 or unset ${name}`);
    }
  }
  if (e.KAFKA_RAW_TOPIC === e.KAFKA_ENRICHED_TOPIC) {
    problems.push(`KAFKA_ENRICHED_TOPIC=${JSON.stringify(e.KAFKA_ENRICHED_TOPIC)} is the same topic as KAFKA_RAW_TOPIC; the enricher would read its own output`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    kafka: {
      brokers: e.KAFKA_BROKERS,
      rawTopic: e.KAFKA_RAW_TOPIC,
      enrichedTopic: e.KAFKA_ENRICHED_TOPIC,
      groupId: e.KAFKA_GROUP_ID,
      clientId: e.KAFKA_CLIENT_ID,
      sasl: e.KAFKA_SASL_MECHANISM === 'scram-sha-512'
        ? { mechanism: 'scram-sha-512', username: e.KAFKA_USERNAME!, passwordFile: e.KAFKA_PASSWORD_FILE! }
        : undefined,
      tls: e.KAFKA_TLS,
    },
    netbox: { url: e.NETBOX_URL, tokenFile: e.NETBOX_TOKEN_FILE, refreshSeconds: e.NETBOX_REFRESH_SECONDS },
    geoip: { cityDb: e.GEOIP_CITY_DB, asnDb: e.GEOIP_ASN_DB },
    flowsPerMessage: e.FLOWS_PER_MESSAGE,
    httpPort: e.HTTP_PORT,
    logLevel: e.LOG_LEVEL,
  };
}
