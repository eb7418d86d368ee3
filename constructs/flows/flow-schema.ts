import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The flow store's schema as readers see it: the database, the tables to query
 * (the `_all` tables read every shard) and their columns. The SQL migrations in
 * ./clickhouse/migrations are the source; a test checks these names against the
 * tables the migrations create.
 */
export const FLOWS_DATABASE = 'helios';

export const FlowTables = {
  /** Every enriched flow, 7 days: addresses, ports, exporters, both addresses' NetBox devices and prefixes, GeoIP. */
  RAW: 'flows_raw_all',
  /** Per-minute rollup, 30 days. */
  PER_MINUTE: 'flows_1m_all',
  /** Per-hour rollup, 90 days. */
  PER_HOUR: 'flows_1h_all',
  /** Per-minute traffic between sites, 30 days: the per-minute rollup without AS, countries, ports and interfaces. */
  SITES_PER_MINUTE: 'flows_1m_sites_all',
} as const;

/**
 * The rollups' columns. bytes and packets are estimated traffic (as exported ×
 * sampling rate), flows counts flow records; service_port is the lower of the two ports.
 */
export const ROLLUP_DIMENSIONS = [
  'time', 'exporter_site', 'exporter_name', 'exporter_region', 'exporter_role', 'in_if_name', 'out_if_name',
  'src_site', 'dst_site', 'src_as', 'dst_as', 'src_country', 'dst_country', 'etype', 'proto', 'service_port',
] as const;
export const ROLLUP_VALUES = ['in_if_speed', 'out_if_speed', 'src_as_name', 'dst_as_name', 'bytes', 'packets', 'flows'] as const;

/** The columns of the per-minute traffic between sites, counted as in the rollups. */
export const SITE_ROLLUP_DIMENSIONS = ['time', 'exporter_site', 'exporter_name', 'src_site', 'dst_site', 'proto'] as const;
export const SITE_ROLLUP_VALUES = ['bytes', 'packets', 'flows'] as const;

/** One committed migration. */
export interface MigrationFile {
  readonly fileName: string;
  readonly sql: string;
}

// Read beside this module, in the repository and in the built package alike.
const MIGRATIONS_DIR = new URL('./clickhouse/migrations/', import.meta.url);
const ENRICHED_FLOW_PROTO = new URL('./proto/enriched_flow.proto', import.meta.url);

/** The schema migrations, in order. */
export function flowStoreMigrations(): MigrationFile[] {
  const dir = fileURLToPath(MIGRATIONS_DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((fileName) => ({ fileName, sql: readFileSync(`${dir}${fileName}`, 'utf8') }));
}

/** The contract between the Flow Enricher and ClickHouse's Kafka engine. */
export function enrichedFlowProto(): string {
  return readFileSync(fileURLToPath(ENRICHED_FLOW_PROTO), 'utf8');
}
