import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { loadMigrateConfig } from './config.js';
import { parseMigrations, type Migration } from './migrations.js';
import { migrate, waitForServer } from './runner.js';

export { loadMigrateConfig, MigrateConfigError, MIGRATE_DEFAULTS, type MigrateConfig } from './config.js';
export {
  checksumOf, MigrationError, parseMigrations, pendingMigrations, renderMigration, splitStatements,
  type AppliedMigration, type Migration, type RenderOptions,
} from './migrations.js';
export { migrate, MIGRATIONS_TABLE, waitForServer, type MigrateOptions, type MigrationReport } from './runner.js';

/**
 * The `*.sql` files of a folder. A ConfigMap volume also holds `..data` links and
 * dot-folders; only regular `.sql` files count.
 */
export function readMigrationDir(dir: string): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !f.startsWith('.') && statSync(join(dir, f)).isFile())
    .map((fileName) => ({ fileName, text: readFileSync(join(dir, fileName), 'utf8') }));
  return parseMigrations(files);
}

/** `flow-enricher migrate`: applies the mounted migrations to the ClickHouse the environment names. */
export async function runMigrationsFromEnv(env: NodeJS.ProcessEnv, print: (line: string) => void = console.log): Promise<void> {
  const config = loadMigrateConfig(env);
  const log = (line: string) => print(`migrate: ${line}`);
  const migrations = readMigrationDir(config.migrationsDir);
  log(`${migrations.length} migration file(s) in ${config.migrationsDir}`);
  // ON CLUSTER statements wait for every node (distributed_ddl_task_timeout, 180 s by default).
  const client = createClient({ url: config.url, username: config.username, password: config.password, request_timeout: 300_000 });
  try {
    await waitForServer(client, config.waitSeconds * 1000, log);
    const report = await migrate(client, migrations, { database: config.database, cluster: config.cluster, variables: config.variables, log });
    log(report.applied.length === 0
      ? `up to date (${report.alreadyApplied} applied)`
      : `applied ${report.applied.join(', ')}`);
  } finally {
    await client.close();
  }
}
