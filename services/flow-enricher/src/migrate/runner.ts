import type { ClickHouseClient } from '@clickhouse/client';
import {
  checkTarget, MigrationError, pendingMigrations, renderMigration, splitStatements,
  type AppliedMigration, type Migration, type RenderOptions,
} from './migrations.js';

/** The table each database keeps its migration history in. */
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrateOptions extends RenderOptions {
  /** @default - no log */
  readonly log?: (line: string) => void;
}

export interface MigrationReport {
  /** Names of the migrations this run applied, in order. */
  readonly applied: readonly string[];
  /** How many migrations the database had already. */
  readonly alreadyApplied: number;
}

/**
 * The history table. On a cluster it is replicated under one Keeper path for all
 * shards (no {shard} in it), so whichever node the runner reaches knows what ran.
 */
function historyTableSql(options: RenderOptions): string {
  const engine = options.cluster === undefined
    ? 'MergeTree'
    : `ReplicatedMergeTree('/clickhouse/helios/${options.database}/${MIGRATIONS_TABLE}', '{replica}')`;
  return `CREATE TABLE IF NOT EXISTS ${options.database}.${MIGRATIONS_TABLE} ${options.cluster === undefined ? '' : `ON CLUSTER '${options.cluster}' `}(
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ${engine} ORDER BY version`;
}

async function appliedMigrations(client: ClickHouseClient, database: string): Promise<AppliedMigration[]> {
  const result = await client.query({
    query: `SELECT version, name, checksum FROM ${database}.${MIGRATIONS_TABLE} ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number | string; name: string; checksum: string }>();
  return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum }));
}

/**
 * Brings a database up to the newest migration: creates the database and its
 * history table if needed, refuses a history that disagrees with the files, then
 * applies each pending migration statement by statement and records it. A
 * migration is recorded only after all its statements succeeded, so statements
 * must be safe to repeat (IF NOT EXISTS): a run cut short is simply run again.
 */
export async function migrate(client: ClickHouseClient, migrations: readonly Migration[], options: MigrateOptions): Promise<MigrationReport> {
  const log = options.log ?? (() => undefined);
  const onCluster = options.cluster === undefined ? '' : ` ON CLUSTER '${options.cluster}'`;
  checkTarget(options);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}${onCluster}` });
  await client.command({ query: historyTableSql(options) });

  const applied = await appliedMigrations(client, options.database);
  const pending = pendingMigrations(migrations, applied);
  log(`${options.database}: ${applied.length} migration(s) applied before, ${pending.length} to apply${options.cluster ? ` on cluster ${options.cluster}` : ''}`);
  for (const migration of pending) {
    const statements = splitStatements(renderMigration(migration, options));
    for (const [i, statement] of statements.entries()) {
      try {
        await client.command({ query: statement });
      } catch (e) {
        throw new MigrationError(`${migration.fileName}: statement ${i + 1} of ${statements.length} failed: ${(e as Error).message}`);
      }
    }
    await client.insert({
      table: `${options.database}.${MIGRATIONS_TABLE}`,
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    });
    log(`${migration.fileName}: applied (${statements.length} statements)`);
  }
  return { applied: pending.map((m) => m.name), alreadyApplied: applied.length };
}

/** Waits until the server answers a ping, for a Job that starts together with ClickHouse. */
export async function waitForServer(client: ClickHouseClient, timeoutMs: number, log: (line: string) => void = () => undefined, intervalMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await client.ping();
    if (result.success) return;
    if (Date.now() >= deadline) {
      throw new MigrationError(`ClickHouse did not answer within ${Math.round(timeoutMs / 1000)} s: ${result.error.message}`);
    }
    log(`waiting for ClickHouse: ${result.error.message}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
