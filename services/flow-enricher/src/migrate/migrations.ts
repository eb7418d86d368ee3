import { createHash } from 'node:crypto';

/**
 * The pure core of the ClickHouse schema migrations: what a migration file is,
 * how its template is rendered for a cluster (or for a single server without
 * Keeper, such as chdb), how it splits into statements, and which migrations a
 * database still needs. No I/O here; the runner does that.
 */

/** One committed SQL file, `NNNN_snake_case.sql`. */
export interface Migration {
  readonly version: number;
  /** The file name without `.sql`: `0002_flows_raw`. */
  readonly name: string;
  readonly fileName: string;
  /** The template as committed. */
  readonly sql: string;
  /** SHA-256 (hex) of the template: an applied migration must never change. */
  readonly checksum: string;
}

/** What a database records for each migration it applied. */
export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

/** A migration problem an operator has to fix; the message says which file and what to do. */
export class MigrationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE_NAME = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

/** Line endings never count as a change (a checkout on Windows must not look like an edit). */
function normalize(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

export function checksumOf(text: string): string {
  return createHash('sha256').update(normalize(text)).digest('hex');
}

/** Validates file names and versions and orders the migrations by version. */
export function parseMigrations(files: ReadonlyArray<{ readonly fileName: string; readonly text: string }>): Migration[] {
  const migrations = files.map(({ fileName, text }) => {
    const m = FILE_NAME.exec(fileName);
    if (!m) {
      throw new MigrationError(`${fileName}: not a migration file name; expected NNNN_lower_snake_case.sql, such as 0001_flows_raw.sql`);
    }
    if (Number(m[1]) === 0) {
      throw new MigrationError(`${fileName}: version 0000 is not allowed; versions start at 0001`);
    }
    return { version: Number(m[1]), name: fileName.slice(0, -'.sql'.length), fileName, sql: normalize(text), checksum: checksumOf(text) };
  }).sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new MigrationError(`${migrations[i - 1].fileName} and ${migrations[i].fileName} share version ${migrations[i].fileName.slice(0, 4)}; every migration needs its own number`);
    }
  }
  return migrations;
}

/** Where a migration runs. */
export interface RenderOptions {
  /** The database of the migration history and of `{{distributed:<table>}}`'s tables. */
  readonly database: string;
  /**
   * The ClickHouse cluster (`remote_servers` name) whose every node runs the DDL:
   * `Replicated*` engines in Keeper, `ON CLUSTER`, `Distributed` tables over the shards.
   * @default - one server without Keeper (chdb, clickhouse-local): plain engines, `Merge` in place of `Distributed`
   */
  readonly cluster?: string;
  /** Values of the `{{name}}` placeholders, by lowercase name. */
  readonly variables: Readonly<Record<string, string>>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Refuses a database or cluster name that could not stand unquoted in SQL. */
export function checkTarget(options: RenderOptions): void {
  if (!IDENTIFIER.test(options.database)) {
    throw new MigrationError(`database "${options.database}" is not a valid identifier (letters, digits, "_" and "-", not starting with a digit)`);
  }
  if (options.cluster !== undefined && !IDENTIFIER.test(options.cluster)) {
    throw new MigrationError(`cluster "${options.cluster}" is not a valid identifier (letters, digits, "_" and "-", not starting with a digit)`);
  }
}
const MACROS = ['on_cluster', 'replicated', 'distributed'] as const;

function sqlString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/**
 * Renders a migration template into SQL for one target. Placeholders:
 *  - `{{on_cluster}}`: `ON CLUSTER '<cluster>'`, or nothing on a single server;
 *  - `{{replicated}}MergeTree`: `ReplicatedMergeTree` (Keeper paths from the server's
 *    default_replica_path/name), or `MergeTree` on a single server;
 *  - `{{distributed:<table>}}`: a `Distributed` engine over every shard's `<table>`,
 *    or `Merge` over the one local `<table>`;
 *  - `'{{name}}'`: a variable as an escaped string literal;
 *  - `{{name}}`: a variable that must be an integer.
 */
export function renderMigration(migration: Migration, options: RenderOptions): string {
  checkTarget(options);
  const where = (offset: number) => `${migration.fileName} line ${migration.sql.slice(0, offset).split('\n').length}`;
  return migration.sql.replace(/('?)\{\{\s*([a-z_]+)(?::([A-Za-z0-9_]+))?\s*\}\}('?)/g, (_whole: string, open: string, name: string, arg: string | undefined, close: string, offset: number) => {
    const quoted = open === "'" && close === "'";
    const keep = (s: string) => (quoted ? `'${s}'` : `${open}${s}${close}`);
    if ((MACROS as readonly string[]).includes(name)) {
      if (quoted) throw new MigrationError(`${where(offset)}: {{${name}}} is a macro and cannot stand in quotes`);
      if (name === 'distributed') {
        if (!arg) throw new MigrationError(`${where(offset)}: {{distributed}} needs the local table: {{distributed:<table>}}`);
        return keep(options.cluster === undefined
          ? `Merge('${options.database}', '^${arg}$')`
          : `Distributed('${options.cluster}', '${options.database}', '${arg}')`);
      }
      if (arg) throw new MigrationError(`${where(offset)}: {{${name}}} takes no argument, got "${arg}"`);
      if (name === 'on_cluster') return keep(options.cluster === undefined ? '' : `ON CLUSTER '${options.cluster}'`);
      return keep(options.cluster === undefined ? '' : 'Replicated');
    }
    const value = options.variables[name];
    if (value === undefined) {
      const known = Object.keys(options.variables).sort();
      throw new MigrationError(`${where(offset)}: no value for {{${name}}}; `
        + `variables given: ${known.length ? known.join(', ') : 'none'} (set MIGRATION_VAR_${name.toUpperCase()}); macros: ${MACROS.join(', ')}`);
    }
    if (arg) throw new MigrationError(`${where(offset)}: the variable {{${name}}} takes no argument, got "${arg}"`);
    if (quoted) return `'${sqlString(value)}'`;
    if (!/^-?\d+$/.test(value)) {
      throw new MigrationError(`${where(offset)}: {{${name}}} stands outside quotes, so it must be an integer, got ${JSON.stringify(value)}; quote it ('{{${name}}}') for a string`);
    }
    return `${open}${value}${close}`;
  });
}

/**
 * Splits SQL text into statements at top-level semicolons, leaving semicolons in
 * strings, quoted identifiers and comments alone. Statements that are only
 * comments or blanks are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let meaningful = false;
  let i = 0;
  const push = (end: number) => {
    if (meaningful) statements.push(sql.slice(start, end).trim());
    start = end + 1;
    meaningful = false;
  };
  while (i < sql.length) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new MigrationError(`unterminated /* comment starting with ${JSON.stringify(sql.slice(i, i + 40))}`);
      i = end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      meaningful = true;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\') { j += 2; continue; }
        if (sql[j] === c) {
          if (sql[j + 1] === c) { j += 2; continue; }
          break;
        }
        j++;
      }
      if (j >= sql.length) throw new MigrationError(`unterminated ${c} quote starting with ${JSON.stringify(sql.slice(i, i + 40))}`);
      i = j + 1;
    } else if (c === ';') {
      push(i);
      i++;
    } else {
      if (!/\s/.test(c)) meaningful = true;
      i++;
    }
  }
  push(sql.length);
  return statements;
}

/**
 * The migrations a database still needs, in order. Refuses (with what to do) an
 * applied migration whose file changed or disappeared, and a new migration
 * numbered below one already applied.
 */
export function pendingMigrations(available: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  const byVersion = new Map(available.map((m) => [m.version, m]));
  for (const a of applied) {
    const file = byVersion.get(a.version);
    if (!file) {
      throw new MigrationError(`${a.name} is recorded as applied, but no migration file has version ${String(a.version).padStart(4, '0')}; `
        + 'restore the file: applied migrations are never removed');
    }
    if (file.name !== a.name || file.checksum !== a.checksum) {
      throw new MigrationError(`${file.fileName} differs from the migration applied as ${a.name} `
        + `(applied checksum ${a.checksum.slice(0, 12)}, file now ${file.checksum.slice(0, 12)}); `
        + 'applied migrations are immutable: restore the file and put the change in a new migration');
    }
  }
  const done = new Set(applied.map((a) => a.version));
  const newest = applied.reduce((max, a) => Math.max(max, a.version), 0);
  const pending = available.filter((m) => !done.has(m.version));
  const late = pending.find((m) => m.version < newest);
  if (late) {
    throw new MigrationError(`${late.fileName} is numbered below ${String(newest).padStart(4, '0')}, which is already applied; `
      + `renumber it after ${String(newest).padStart(4, '0')}`);
  }
  return pending;
}
