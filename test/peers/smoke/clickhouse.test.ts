import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';

describe('ClickHouse engine (chdb)', () => {
  let dir: string;
  let session: Session;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'helios-chdb-'));
    session = new Session(dir);
  });
  afterAll(() => {
    session?.cleanup?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs ClickHouse 26.x', () => {
    expect(session.query('SELECT version()', 'TSV').trim()).toMatch(/^26\./);
  });

  it('keeps a MergeTree table with a TTL and drops expired rows when the TTL is materialized', () => {
    session.query(`CREATE TABLE flows (ts DateTime, exporter LowCardinality(String), bytes UInt64)
      ENGINE = MergeTree PARTITION BY toDate(ts) ORDER BY (exporter, ts) TTL ts + INTERVAL 7 DAY`);
    // A background TTL merge may run as soon as the part lands; hold it so the expired row is seen first.
    session.query('SYSTEM STOP TTL MERGES flows');
    session.query('INSERT INTO flows VALUES (now() - INTERVAL 8 DAY, \'edge1\', 100), (now() - INTERVAL 1 DAY, \'edge1\', 200), (now(), \'edge2\', 300)');
    expect(session.query('SELECT exporter, sum(bytes) FROM flows GROUP BY exporter ORDER BY exporter', 'TSV')).toBe('edge1\t300\nedge2\t300\n');
    session.query('SYSTEM START TTL MERGES flows');
    session.query('ALTER TABLE flows MATERIALIZE TTL SETTINGS mutations_sync = 1');
    expect(session.query('SELECT count(), sum(bytes) FROM flows', 'TSV')).toBe('2\t500\n');
  });
});
