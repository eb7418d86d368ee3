import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkDeviceFilter } from './netbox/inventory.js';

/** A configuration that cannot run; each problem names the variable, its value and what is allowed. */
export class ConfigError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function integer(min: number, max: number, fallback: number) {
  return z.string().optional().transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `is not a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

function seconds(min: number, max: number, fallback: number) {
  return z.string().optional().transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `is not a number of seconds from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

const HttpUrl = z.string({ error: 'is required (an http:// or https:// URL)' }).refine((v) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, { message: 'is not an http:// or https:// URL' });

/** A file holding a secret: the value is read from it and never shown in a message. */
const SecretFile = z.string({ error: 'is required (the path of a mounted secret file)' }).transform((path, ctx) => {
  try {
    const value = readFileSync(path, 'utf8').trim();
    if (value === '') ctx.addIssue({ code: 'custom', message: `"${path}" is empty` });
    return { path, value };
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `"${path}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
    return z.NEVER;
  }
});

const DeviceFilter = z.string().optional().transform((v, ctx) => {
  const filter = new URLSearchParams(v ?? '');
  for (const [key] of filter) {
    if (!/^[a-z0-9_]+$/.test(key)) ctx.addIssue({ code: 'custom', message: `has "${key}", which is not a NetBox filter name (lowercase letters, digits, "_"); write name=value pairs joined by &, e.g. site=ams1&status=active` });
  }
  try {
    checkDeviceFilter(filter);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
  return filter;
});

const Common = {
  NETBOX_URL: HttpUrl,
  NETBOX_TOKEN_FILE: SecretFile,
  NETBOX_DEVICE_FILTER: DeviceFilter,
  NETBOX_PAGE_SIZE: integer(1, 1000, 500),
  NETBOX_TIMEOUT_SECONDS: seconds(1, 600, 30),
  NETBOX_RETRIES: integer(0, 10, 3),
  NETBOX_RETRY_BACKOFF_SECONDS: seconds(0, 60, 1),
  MASS_DELETION_PERCENT: integer(0, 100, 25),
  MASS_DELETION_MIN_TARGETS: integer(0, 1_000_000, 10),
};

const SyncEnv = z.object({
  ...Common,
  PUSHGATEWAY_URL: HttpUrl.optional(),
});

const ServeEnv = z.object({
  ...Common,
  LISTEN_PORT: integer(1, 65535, 8080),
  SYNC_INTERVAL_SECONDS: seconds(10, 86_400, 300),
  WEBHOOK_SECRET_FILE: SecretFile.optional(),
  WEBHOOK_DEBOUNCE_SECONDS: seconds(0, 60, 1),
});

export interface NetBoxSettings {
  readonly url: string;
  /** A file holding the API token, read for every sync. */
  readonly tokenFile: string;
  readonly deviceFilter: URLSearchParams;
  readonly pageSize: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
}

export interface CommonConfig {
  readonly netbox: NetBoxSettings;
  readonly guard: { readonly maxDropPercent: number; readonly minTargets: number };
}

export interface SyncConfig extends CommonConfig {
  readonly mode: 'sync';
  /** @default - metrics are not pushed */
  readonly pushgatewayUrl?: string;
}

export interface ServeConfig extends CommonConfig {
  readonly mode: 'serve';
  readonly port: number;
  readonly intervalMs: number;
  /** @default - the webhook endpoint refuses every request */
  readonly webhookSecret?: string;
  readonly debounceMs: number;
}

function describeValue(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined) return '(not set)';
  // Secret files are named by path; a secret itself never reaches the environment.
  return JSON.stringify(value);
}

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const value = describeValue(env, name);
    return env[name] === undefined ? `${name}: ${issue.message}` : `${name}=${value}: ${issue.message}`;
  });
  throw new ConfigError([...new Set(problems)].sort());
}

function common(e: z.output<typeof SyncEnv> | z.output<typeof ServeEnv>): CommonConfig {
  return {
    netbox: {
      url: e.NETBOX_URL,
      tokenFile: e.NETBOX_TOKEN_FILE.path,
      deviceFilter: e.NETBOX_DEVICE_FILTER,
      pageSize: e.NETBOX_PAGE_SIZE,
      timeoutMs: e.NETBOX_TIMEOUT_SECONDS * 1000,
      retries: e.NETBOX_RETRIES,
      backoffMs: e.NETBOX_RETRY_BACKOFF_SECONDS * 1000,
    },
    guard: { maxDropPercent: e.MASS_DELETION_PERCENT, minTargets: e.MASS_DELETION_MIN_TARGETS },
  };
}

export function syncConfig(env: NodeJS.ProcessEnv): SyncConfig {
  const e = parse(SyncEnv, env);
  return { mode: 'sync', ...common(e), pushgatewayUrl: e.PUSHGATEWAY_URL };
}

export function serveConfig(env: NodeJS.ProcessEnv): ServeConfig {
  const e = parse(ServeEnv, env);
  return {
    mode: 'serve',
    ...common(e),
    port: e.LISTEN_PORT,
    intervalMs: e.SYNC_INTERVAL_SECONDS * 1000,
    webhookSecret: e.WEBHOOK_SECRET_FILE?.value,
    debounceMs: e.WEBHOOK_DEBOUNCE_SECONDS * 1000,
  };
}
