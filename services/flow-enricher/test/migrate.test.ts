import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import {
  loadMigrateConfig, migrate, MigrateConfigError, MigrationError, parseMigrations, pendingMigrations,
  readMigrationDir, renderMigration, runMigrationsFromEnv, splitStatements, type Migration,
} from '../src/migrate/index.js';

/**
 * The migration runner against the real ClickHouse engine: chdb behind
 * @clickhouse/client (chdb/connection), so the runner's own client calls run
 * unchanged. chdb has no Keeper and no cluster, so the migrations render for a
 * single server here; the cluster rendering is checked as text and parsed by
 * the engine's own SQL parser (formatQuery).
 */

const COMMITTED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../constructs/flows/clickhouse/migrations');
const PROTO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../constructs/flows/proto/enriched_flow.proto');

const KAFKA_VARIABLES = {
  // Nothing listens on the discard port: the consumers start and find no broker, which is all this test needs.
  kafka_brokers: '127.0.0.1:9',
  kafka_topic: 'helios-flows-enriched',
  kafka_group: 'helios-clickhouse',
  kafka_schema: `${PROTO}:EnrichedFlow`,
  kafka_consumers: '1',
};

/**
 * chdb's Connection, typed against @clickhouse/client-common 1.23.0, while
 * @clickhouse/client 1.23.1 bundles its own copy of the same types.
 */
function chdbConnection(path: string): NonNullable<Parameters<typeof createClient>[0]>['connection'] {
  return createChdbConnection({ path }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
}

function migration(fileName: string, sql: string): Migration {
  return parseMigrations([{ fileName, text: sql }])[0];
}

describe('migration files', () => {
  it('are ordered by version, with a checksum that ignores line endings', () => {
    const ms = parseMigrations([
      { fileName: '0002_b.sql', text: 'SELECT 2;\n' },
      { fileName: '0001_a.sql', text: 'SELECT 1;\r\n' },
    ]);
    expect(ms.map((m) => [m.version, m.name])).toEqual([[1, '0001_a'], [2, '0002_b']]);
    expect(ms[0].checksum).toBe(parseMigrations([{ fileName: '0001_a.sql', text: 'SELECT 1;\n' }])[0].checksum);
    expect(ms[0].checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuse names that are not NNNN_snake_case.sql, version 0000 and shared versions', () => {
    expect(() => parseMigrations([{ fileName: '1_flows.sql', text: '' }])).toThrow('1_flows.sql: not a migration file name; expected NNNN_lower_snake_case.sql, such as 0001_flows_raw.sql');
    expect(() => parseMigrations([{ fileName: '0001_Flows.sql', text: '' }])).toThrow(MigrationError);
    expect(() => parseMigrations([{ fileName: '0000_start.sql', text: '' }])).toThrow('0000_start.sql: version 0000 is not allowed; versions start at 0001');
    expect(() => parseMigrations([{ fileName: '0003_a.sql', text: '' }, { fileName: '0003_b.sql', text: '' }]))
      .toThrow('0003_a.sql and 0003_b.sql share version 0003; every migration needs its own number');
  });
});

describe('rendering one template for a cluster and for a single server', () => {
  const template = migration('0001_t.sql', `CREATE TABLE IF NOT EXISTS lab.t {{on_cluster}} (a UInt8) ENGINE = {{replicated}}MergeTree ORDER BY a;
CREATE TABLE IF NOT EXISTS lab.t_all {{on_cluster}} AS lab.t ENGINE = {{distributed:t}};
CREATE TABLE IF NOT EXISTS lab.k (a UInt8) ENGINE = Kafka SETTINGS kafka_broker_list = '{{brokers}}', kafka_num_consumers = {{consumers}};`);
  const variables = { brokers: "kafka:9093,it's", consumers: '4' };

  it('on a cluster: ON CLUSTER, Replicated engines, Distributed over the shards', () => {
    expect(renderMigration(template, { database: 'lab', cluster: 'flows', variables })).toBe(
      `CREATE TABLE IF NOT EXISTS lab.t ON CLUSTER 'flows' (a UInt8) ENGINE = ReplicatedMergeTree ORDER BY a;
CREATE TABLE IF NOT EXISTS lab.t_all ON CLUSTER 'flows' AS lab.t ENGINE = Distributed('flows', 'lab', 't');
CREATE TABLE IF NOT EXISTS lab.k (a UInt8) ENGINE = Kafka SETTINGS kafka_broker_list = 'kafka:9093,it\\'s', kafka_num_consumers = 4;`);
  });

  it('on one server without Keeper: plain engines and Merge over the local table', () => {
    expect(renderMigration(template, { database: 'lab', variables })).toBe(
      `CREATE TABLE IF NOT EXISTS lab.t  (a UInt8) ENGINE = MergeTree ORDER BY a;
CREATE TABLE IF NOT EXISTS lab.t_all  AS lab.t ENGINE = Merge('lab', '^t$');
CREATE TABLE IF NOT EXISTS lab.k (a UInt8) ENGINE = Kafka SETTINGS kafka_broker_list = 'kafka:9093,it\\'s', kafka_num_consumers = 4;`);
  });

  it('says which file, line and placeholder is wrong', () => {
    expect(() => renderMigration(template, { database: 'lab', variables: { consumers: '4' } }))
      .toThrow("0001_t.sql line 3: no value for {{brokers}}; variables given: consumers (set MIGRATION_VAR_BROKERS); macros: on_cluster, replicated, distributed");
    expect(() => renderMigration(template, { database: 'lab', variables: { ...variables, consumers: 'four' } }))
      .toThrow("0001_t.sql line 3: {{consumers}} stands outside quotes, so it must be an integer, got \"four\"; quote it ('{{consumers}}') for a string");
    expect(() => renderMigration(migration('0002_m.sql', "SELECT '{{on_cluster}}'"), { database: 'lab', variables: {} }))
      .toThrow('0002_m.sql line 1: {{on_cluster}} is a macro and cannot stand in quotes');
    expect(() => renderMigration(migration('0002_m.sql', 'ENGINE = {{distributed}}'), { database: 'lab', variables: {} }))
      .toThrow('0002_m.sql line 1: {{distributed}} needs the local table: {{distributed:<table>}}');
    expect(() => renderMigration(migration('0002_m.sql', 'ENGINE = {{replicated:x}}MergeTree'), { database: 'lab', variables: {} }))
      .toThrow('0002_m.sql line 1: {{replicated}} takes no argument, got "x"');
    expect(() => renderMigration(migration('0002_m.sql', "'{{brokers:x}}'"), { database: 'lab', variables }))
      .toThrow('0002_m.sql line 1: the variable {{brokers}} takes no argument, got "x"');
    expect(() => renderMigration(template, { database: 'lab; DROP', variables }))
      .toThrow('database "lab; DROP" is not a valid identifier');
    expect(() => renderMigration(template, { database: 'lab', cluster: "x'", variables }))
      .toThrow('cluster "x\'" is not a valid identifier');
  });
});

describe('splitting SQL into statements', () => {
  it('splits at top-level semicolons only and drops comment-only pieces', () => {
    expect(splitStatements(`-- header; with a semicolon
CREATE TABLE a (s String DEFAULT 'x;y', "odd;name" UInt8, \`b;c\` UInt8) ENGINE = Memory;
/* block; comment */ SELECT 'it''s; fine', 'esc\\'; aped';
-- trailing comment only;
`)).toEqual([
      "-- header; with a semicolon\nCREATE TABLE a (s String DEFAULT 'x;y', \"odd;name\" UInt8, `b;c` UInt8) ENGINE = Memory",
      "/* block; comment */ SELECT 'it''s; fine', 'esc\\'; aped'",
    ]);
    expect(splitStatements('SELECT 1')).toEqual(['SELECT 1']);
  });

  it('refuses unterminated quotes and comments', () => {
    expect(() => splitStatements("SELECT 'open")).toThrow("unterminated ' quote starting with \"'open\"");
    expect(() => splitStatements('SELECT 1 /* open')).toThrow('unterminated /* comment');
  });
});

describe('deciding what to apply', () => {
  const [one, two, three] = parseMigrations([
    { fileName: '0001_a.sql', text: 'SELECT 1' },
    { fileName: '0002_b.sql', text: 'SELECT 2' },
    { fileName: '0003_c.sql', text: 'SELECT 3' },
  ]);
  const applied = (m: Migration) => ({ version: m.version, name: m.name, checksum: m.checksum });

  it('applies what is missing, in order', () => {
    expect(pendingMigrations([one, two, three], []).map((m) => m.name)).toEqual(['0001_a', '0002_b', '0003_c']);
    expect(pendingMigrations([one, two, three], [applied(one), applied(two)]).map((m) => m.name)).toEqual(['0003_c']);
    expect(pendingMigrations([one, two, three], [one, two, three].map(applied))).toEqual([]);
  });

  it('refuses a changed or removed applied migration and a new one numbered below the newest applied', () => {
    const edited = migration('0002_b.sql', 'SELECT 22');
    expect(() => pendingMigrations([one, edited], [applied(one), applied(two)]))
      .toThrow(`0002_b.sql differs from the migration applied as 0002_b (applied checksum ${two.checksum.slice(0, 12)}, file now ${edited.checksum.slice(0, 12)}); applied migrations are immutable: restore the file and put the change in a new migration`);
    expect(() => pendingMigrations([one], [applied(one), applied(two)]))
      .toThrow('0002_b is recorded as applied, but no migration file has version 0002; restore the file: applied migrations are never removed');
    expect(() => pendingMigrations([one, two, three], [applied(one), applied(three)]))
      .toThrow('0002_b.sql is numbered below 0003, which is already applied; renumber it after 0003');
  });
});

describe('the runner on the real engine (chdb through @clickhouse/client)', () => {
  let dir: string;
  let client: ClickHouseClient;
  const log: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'helios-migrate-'));
    client = createClient({ connection: chdbConnection(join(dir, 'db')) });
  });
  afterAll(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();

  it('applies the committed migrations, then finds nothing to do on the second run', async () => {
    const committed = readMigrationDir(COMMITTED);
    expect(committed.map((m) => m.name)).toEqual(['0001_flows_raw', '0002_flow_rollups', '0003_kafka_ingest', '0004_site_traffic_rollup', '0005_address_netbox']);

    const first = await migrate(client, committed, { database: 'helios', variables: KAFKA_VARIABLES, log: (l) => log.push(l) });
    expect(first).toEqual({ applied: ['0001_flows_raw', '0002_flow_rollups', '0003_kafka_ingest', '0004_site_traffic_rollup', '0005_address_netbox'], alreadyApplied: 0 });
    const tables = await rows<{ name: string; engine: string }>("SELECT name, engine FROM system.tables WHERE database = 'helios' ORDER BY name");
    expect(Object.fromEntries(tables.map((t) => [t.name, t.engine]))).toEqual({
      flows_raw: 'MergeTree', flows_raw_all: 'Merge', flows_raw_mv: 'MaterializedView',
      flows_1m: 'AggregatingMergeTree', flows_1m_all: 'Merge', flows_1m_mv: 'MaterializedView',
      flows_1h: 'AggregatingMergeTree', flows_1h_all: 'Merge', flows_1h_mv: 'MaterializedView',
      flows_1m_sites: 'AggregatingMergeTree', flows_1m_sites_all: 'Merge', flows_1m_sites_mv: 'MaterializedView',
      flows_kafka: 'Kafka', flows_kafka_errors: 'MergeTree', flows_kafka_errors_mv: 'MaterializedView',
      schema_migrations: 'MergeTree',
    });
    const history = await rows<{ version: number; name: string; checksum: string; applied: number }>(
      'SELECT version, name, checksum, applied_at > now64(3) - INTERVAL 1 MINUTE AS applied FROM helios.schema_migrations ORDER BY version');
    expect(history).toEqual(committed.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum, applied: 1 })));

    const second = await migrate(client, committed, { database: 'helios', variables: KAFKA_VARIABLES, log: (l) => log.push(l) });
    expect(second).toEqual({ applied: [], alreadyApplied: 5 });
    expect(await rows('SELECT version FROM helios.schema_migrations')).toHaveLength(5);
    expect(log).toContain('helios: 5 migration(s) applied before, 0 to apply');
  });

  it('keeps the TTLs and partitioning the flow store relies on', async () => {
    const tables = await rows<{ name: string; partition_key: string; sorting_key: string; create: string }>(
      "SELECT name, partition_key, sorting_key, create_table_query AS create FROM system.tables WHERE database = 'helios' AND name IN ('flows_raw', 'flows_1m', 'flows_1h') ORDER BY name");
    const byName = Object.fromEntries(tables.map((t) => [t.name, t]));
    expect(byName.flows_raw.create).toContain('TTL time_received + toIntervalDay(7)');
    expect(byName.flows_1m.create).toContain('TTL time + toIntervalDay(30)');
    expect(byName.flows_1h.create).toContain('TTL time + toIntervalDay(90)');
    for (const t of tables) expect(t.create).toContain('ttl_only_drop_parts = 1');
    expect(byName.flows_raw.partition_key).toBe('toStartOfInterval(time_received, toIntervalHour(6))');
    expect(byName.flows_raw.sorting_key).toBe('toStartOfFiveMinutes(time_received), exporter_site, exporter_name, in_if_name, out_if_name, time_received');
  });

  it('renders every committed statement for a cluster as SQL the engine parses, replicated and ON CLUSTER', async () => {
    for (const m of readMigrationDir(COMMITTED)) {
      const statements = splitStatements(renderMigration(m, { database: 'helios', cluster: 'flows', variables: KAFKA_VARIABLES }));
      for (const statement of statements) {
        expect(statement).toMatch(/^(CREATE (DATABASE|TABLE|MATERIALIZED VIEW) IF NOT EXISTS |DROP (VIEW|TABLE) IF EXISTS |ALTER TABLE |DETACH TABLE IF EXISTS |ATTACH TABLE IF NOT EXISTS |TRUNCATE TABLE IF EXISTS |INSERT INTO )/m);
        if (statement.startsWith('ALTER TABLE')) expect(statement.split('\n').slice(1).every((l) => /^ {4}ADD COLUMN IF NOT EXISTS /.test(l))).toBe(true);
        // A backfill's INSERT goes to the shard the runner reaches (an INSERT has no ON CLUSTER); readers sum every shard.
        if (statement.startsWith('INSERT INTO')) continue;
        expect(statement).toContain("ON CLUSTER 'flows'");
        expect(statement).not.toMatch(/ENGINE = (Aggregating)?MergeTree/);
        const [parsed] = await rows<{ sql: string }>(`SELECT formatQuery(${`'${statement.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`}) AS sql`);
        expect(parsed.sql).toContain("ON CLUSTER flows");
      }
    }
  });

  it('0005 widens a flow store already holding flows: the flows stay, the Kafka table and the views are rebuilt, and running it again changes nothing', async () => {
    // chdb opens one data directory per process: start this store over in it.
    const upgrade = client;
    await upgrade.command({ query: 'DROP DATABASE helios SYNC' });
    {
      const committed = readMigrationDir(COMMITTED);
      const before0005 = committed.filter((m) => m.version < 5);
      expect((await migrate(upgrade, before0005, { database: 'helios', variables: KAFKA_VARIABLES, log: () => undefined })).applied).toHaveLength(4);
      await upgrade.command({ query: "INSERT INTO helios.flows_raw (time_received, exporter_name, src_site, bytes) VALUES (now(), 'edge-sto1-01', 'sto1', 1234)" });

      expect((await migrate(upgrade, committed, { database: 'helios', variables: KAFKA_VARIABLES, log: () => undefined })).applied).toEqual(['0005_address_netbox']);
      const query = async <T>(q: string): Promise<T[]> => (await upgrade.query({ query: q, format: 'JSONEachRow' })).json<T>();
      expect(await query('SELECT exporter_name, src_site, toString(bytes) AS bytes, src_device, dst_interface, src_vlan FROM helios.flows_raw_all')).toEqual([
        { exporter_name: 'edge-sto1-01', src_site: 'sto1', bytes: '1234', src_device: '', dst_interface: '', src_vlan: 0 },
      ]);
      const columns = async (table: string) => (await query<{ name: string; type: string }>(
        `SELECT name, type FROM system.columns WHERE database = 'helios' AND table = '${table}' AND (name LIKE 'src_%' OR name LIKE 'dst_%') ORDER BY position`)).map((c) => `${c.name} ${c.type}`);
      const added = ['device', 'device_role', 'device_tenant', 'device_site', 'interface', 'prefix_tenant', 'prefix_role', 'vlan'];
      const expected = ['src', 'dst'].flatMap((side) => added.map((c) => `${side}_${c} ${c === 'vlan' ? 'UInt16' : 'LowCardinality(String)'}`));
      expect((await columns('flows_raw')).slice(-16)).toEqual(expected);
      expect(await columns('flows_raw_all')).toEqual(await columns('flows_raw'));
      // The Kafka table has a column for every EnrichedFlow field, and nothing else.
      const proto = readFileSync(PROTO, 'utf8');
      const fields = [...proto.matchAll(/^\s+(?:string|bytes|uint32|uint64) (\w+) = \d+;/gm)].map((m) => m[1]);
      const kafkaColumns = (await query<{ name: string }>("SELECT name FROM system.columns WHERE database = 'helios' AND table = 'flows_kafka' ORDER BY position")).map((c) => c.name);
      expect(kafkaColumns).toEqual(fields);
      const views = await query<{ name: string; deps: string[] }>("SELECT name, dependencies_table AS deps FROM system.tables WHERE database = 'helios' AND name = 'flows_kafka'");
      expect(views[0].deps.sort()).toEqual(['flows_kafka_errors_mv', 'flows_raw_mv']);

      // A run cut short is run again whole: every statement of 0005 once more.
      const m0005 = committed.find((m) => m.version === 5)!;
      for (const statement of splitStatements(renderMigration(m0005, { database: 'helios', variables: KAFKA_VARIABLES }))) {
        await upgrade.command({ query: statement });
      }
      expect(await columns('flows_raw')).toEqual(await columns('flows_raw_all'));
      expect((await columns('flows_raw')).slice(-16)).toEqual(expected);
      expect(await query('SELECT toString(count()) AS n FROM helios.flows_raw')).toEqual([{ n: '1' }]);
    }
  });

  describe('with migrations of its own', () => {
    let files: string;
    const options = { database: 'lab', variables: {}, log: () => undefined };
    const write = (name: string, sql: string) => writeFileSync(join(files, name), sql);

    beforeAll(() => {
      files = mkdtempSync(join(tmpdir(), 'helios-migrations-'));
      write('0001_links.sql', 'CREATE TABLE IF NOT EXISTS lab.links {{on_cluster}} (name String) ENGINE = {{replicated}}MergeTree ORDER BY name;\n');
      write('0002_link_speed.sql', 'ALTER TABLE lab.links {{on_cluster}} ADD COLUMN IF NOT EXISTS speed UInt64;\n');
    });
    afterAll(() => rmSync(files, { recursive: true, force: true }));

    it('refuses to run when an applied migration changed, and applies nothing', async () => {
      expect((await migrate(client, readMigrationDir(files), options)).applied).toEqual(['0001_links', '0002_link_speed']);
      const original = readFileSync(join(files, '0002_link_speed.sql'), 'utf8');
      write('0002_link_speed.sql', 'ALTER TABLE lab.links {{on_cluster}} ADD COLUMN IF NOT EXISTS speed UInt32;\n');
      write('0003_link_role.sql', 'ALTER TABLE lab.links {{on_cluster}} ADD COLUMN IF NOT EXISTS role String;\n');
      await expect(migrate(client, readMigrationDir(files), options)).rejects.toThrow(/^0002_link_speed.sql differs from the migration applied as 0002_link_speed .*applied migrations are immutable/);
      expect(await rows("SELECT name FROM system.columns WHERE database = 'lab' AND table = 'links' ORDER BY position")).toEqual([{ name: 'name' }, { name: 'speed' }]);

      write('0002_link_speed.sql', original);
      expect(await migrate(client, readMigrationDir(files), options)).toEqual({ applied: ['0003_link_role'], alreadyApplied: 2 });
      expect(await rows("SELECT type FROM system.columns WHERE database = 'lab' AND table = 'links' AND name = 'speed'")).toEqual([{ type: 'UInt64' }]);
    });

    it('names the file and statement that failed, records nothing, and applies it once fixed', async () => {
      write('0004_broken.sql', 'ALTER TABLE lab.links {{on_cluster}} ADD COLUMN IF NOT EXISTS site String;\nALTER TABLE lab.nowhere ADD COLUMN x UInt8;\n');
      await expect(migrate(client, readMigrationDir(files), options)).rejects.toThrow(/^0004_broken.sql: statement 2 of 2 failed: .*nowhere/);
      expect(await rows('SELECT version FROM lab.schema_migrations WHERE version = 4')).toEqual([]);
      write('0004_broken.sql', 'ALTER TABLE lab.links {{on_cluster}} ADD COLUMN IF NOT EXISTS site String;\n');
      expect((await migrate(client, readMigrationDir(files), options)).applied).toEqual(['0004_broken']);
    });
  });
});

describe('the environment of `flow-enricher migrate`', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'helios-migrate-env-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the URL, the password file, the cluster and the variables', () => {
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, 's3cret\n');
    expect(loadMigrateConfig({
      CLICKHOUSE_URL: 'http://clickhouse-flows.helios-flows.svc:8123',
      CLICKHOUSE_USER: 'helios_migrator',
      CLICKHOUSE_PASSWORD_FILE: passwordFile,
      CLICKHOUSE_CLUSTER: 'flows',
      MIGRATIONS_DIR: '/migrations',
      MIGRATION_VAR_KAFKA_CONSUMERS: '4',
      MIGRATION_VAR_KAFKA_TOPIC: 'helios-flows-enriched',
      UNRELATED: 'x',
    })).toEqual({
      url: 'http://clickhouse-flows.helios-flows.svc:8123',
      username: 'helios_migrator',
      password: 's3cret',
      database: 'helios',
      cluster: 'flows',
      migrationsDir: '/migrations',
      waitSeconds: 300,
      variables: { kafka_consumers: '4', kafka_topic: 'helios-flows-enriched' },
    });
  });

  it('lists every problem with the variable, the value and what is allowed', () => {
    let error: unknown;
    try {
      loadMigrateConfig({
        CLICKHOUSE_URL: 'clickhouse:8123',
        CLICKHOUSE_DATABASE: '1flows',
        CLICKHOUSE_WAIT_SECONDS: 'soon',
        CLICKHOUSE_PASSWORD_FILE: join(dir, 'missing'),
        MIGRATION_VAR_kafka: 'x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrateConfigError);
    expect((error as MigrateConfigError).problems).toEqual([
      'CLICKHOUSE_URL: "clickhouse:8123" is not an http:// or https:// URL',
      'CLICKHOUSE_DATABASE: "1flows" is not a valid name (letters, digits, "_" and "-", not starting with a digit)',
      'CLICKHOUSE_WAIT_SECONDS: "soon" is not a whole number of seconds (0 or more)',
      `CLICKHOUSE_PASSWORD_FILE: cannot read ${JSON.stringify(join(dir, 'missing'))}: ENOENT`,
      'MIGRATION_VAR_kafka: "kafka" is not a variable name (upper-case letters, digits and "_")',
    ]);
    expect(() => loadMigrateConfig({})).toThrow('CLICKHOUSE_URL: is required (http://host:8123 or https://host:8443)');
  });

  it('gives up when ClickHouse does not answer in time, naming the wait', async () => {
    const printed: string[] = [];
    await expect(runMigrationsFromEnv({ CLICKHOUSE_URL: 'http://127.0.0.1:9', CLICKHOUSE_WAIT_SECONDS: '0', MIGRATIONS_DIR: COMMITTED }, (l) => printed.push(l)))
      .rejects.toThrow(/^ClickHouse did not answer within 0 s: /);
    expect(printed).toEqual([`migrate: 5 migration file(s) in ${COMMITTED}`]);
  });
});
