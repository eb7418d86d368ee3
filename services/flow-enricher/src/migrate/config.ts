import { readFileSync } from 'node:fs';

/** How `flow-enricher migrate` reaches ClickHouse and renders the migrations, from the environment. */
export interface MigrateConfig {
  /** http(s)://host:8123 */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly database: string;
  /** @default - a single server without Keeper */
  readonly cluster?: string;
  readonly migrationsDir: string;
  readonly waitSeconds: number;
  /** `MIGRATION_VAR_KAFKA_BROKERS=…` → `{{kafka_brokers}}`. */
  readonly variables: Readonly<Record<string, string>>;
}

/** A bad environment; every problem names the variable, the value and what is allowed. */
export class MigrateConfigError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(`migrate: invalid environment:\n  ${problems.join('\n  ')}`);
    this.name = 'MigrateConfigError';
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const VARIABLE_PREFIX = 'MIGRATION_VAR_';

export const MIGRATE_DEFAULTS = {
  username: 'default',
  database: 'helios',
  migrationsDir: '/etc/helios/migrations',
  waitSeconds: 300,
} as const;

/** Reads the runner's settings; the password only from a file (a mounted Secret), never from the environment itself. */
export function loadMigrateConfig(env: NodeJS.ProcessEnv): MigrateConfig {
  const problems: string[] = [];
  const url = env.CLICKHOUSE_URL;
  if (url === undefined || url === '') {
    problems.push('CLICKHOUSE_URL: is required (http://host:8123 or https://host:8443)');
  } else if (!/^https?:\/\/[^/\s]+/.test(url)) {
    problems.push(`CLICKHOUSE_URL: ${JSON.stringify(url)} is not an http:// or https:// URL`);
  }
  const identifier = (name: string, value: string | undefined, fallback?: string): string | undefined => {
    const v = value === undefined || value === '' ? fallback : value;
    if (v !== undefined && !IDENTIFIER.test(v)) {
      problems.push(`${name}: ${JSON.stringify(v)} is not a valid name (letters, digits, "_" and "-", not starting with a digit)`);
    }
    return v;
  };
  const database = identifier('CLICKHOUSE_DATABASE', env.CLICKHOUSE_DATABASE, MIGRATE_DEFAULTS.database)!;
  const cluster = identifier('CLICKHOUSE_CLUSTER', env.CLICKHOUSE_CLUSTER);

  let waitSeconds: number = MIGRATE_DEFAULTS.waitSeconds;
  if (env.CLICKHOUSE_WAIT_SECONDS !== undefined && env.CLICKHOUSE_WAIT_SECONDS !== '') {
    waitSeconds = Number(env.CLICKHOUSE_WAIT_SECONDS);
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0) {
      problems.push(`CLICKHOUSE_WAIT_SECONDS: ${JSON.stringify(env.CLICKHOUSE_WAIT_SECONDS)} is not a whole number of seconds (0 or more)`);
    }
  }

  let password = '';
  const passwordFile = env.CLICKHOUSE_PASSWORD_FILE;
  if (passwordFile) {
    try {
      password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      problems.push(`CLICKHOUSE_PASSWORD_FILE: cannot read ${JSON.stringify(passwordFile)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(VARIABLE_PREFIX) || value === undefined) continue;
    const name = key.slice(VARIABLE_PREFIX.length);
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
      problems.push(`${key}: "${name}" is not a variable name (upper-case letters, digits and "_")`);
      continue;
    }
    variables[name.toLowerCase()] = value;
  }

  if (problems.length > 0) throw new MigrateConfigError(problems);
  return {
    url: url!,
    username: env.CLICKHOUSE_USER || MIGRATE_DEFAULTS.username,
    password,
    database,
    cluster,
    migrationsDir: env.MIGRATIONS_DIR || MIGRATE_DEFAULTS.migrationsDir,
    waitSeconds,
    variables,
  };
}
