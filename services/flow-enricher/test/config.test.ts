import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';
import { SERVICE_DIR } from './helpers.js';

const BASE = { KAFKA_BROKERS: 'kafka-0.kafka:9092, kafka-1.kafka:9092', NETBOX_URL: 'https://netbox.example.net/' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration from the environment', () => {
  it('fills the documented defaults', () => {
    expect(loadConfig(BASE)).toEqual({
      kafka: {
        brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'], rawTopic: 'helios-flows-raw', enrichedTopic: 'helios-flows-enriched',
        groupId: 'helios-flow-enricher', clientId: 'helios-flow-enricher', sasl: undefined, tls: false,
      },
      netbox: { url: 'https://netbox.example.net', tokenFile: undefined, refreshSeconds: 300 },
      geoip: { cityDb: undefined, asnDb: undefined },
      flowsPerMessage: 500,
      httpPort: 8080,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...BASE, KAFKA_RAW_TOPIC: 'raw', KAFKA_ENRICHED_TOPIC: 'enriched', KAFKA_GROUP_ID: 'g', KAFKA_CLIENT_ID: 'c',
      KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_USERNAME: 'helios-flow-enricher', KAFKA_PASSWORD_FILE: '/var/run/secrets/kafka/password', KAFKA_TLS: 'true',
      NETBOX_TOKEN_FILE: '/var/run/secrets/netbox/token', NETBOX_REFRESH_SECONDS: '60', GEOIP_CITY_DB: '/geoip/GeoLite2-City.mmdb', GEOIP_ASN_DB: '/geoip/GeoLite2-ASN.mmdb',
      FLOWS_PER_MESSAGE: '1000', HTTP_PORT: '9102', LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      kafka: { rawTopic: 'raw', enrichedTopic: 'enriched', groupId: 'g', clientId: 'c', tls: true, sasl: { mechanism: 'scram-sha-512', username: 'helios-flow-enricher', passwordFile: '/var/run/secrets/kafka/password' } },
      netbox: { tokenFile: '/var/run/secrets/netbox/token', refreshSeconds: 60 },
      geoip: { cityDb: '/geoip/GeoLite2-City.mmdb', asnDb: '/geoip/GeoLite2-ASN.mmdb' },
      flowsPerMessage: 1000, httpPort: 9102, logLevel: 'debug',
    });
  });

  it('names every bad variable, its value and what is allowed, all at once', () => {
    expect(problems({})).toEqual([
      'KAFKA_BROKERS is required: a comma-separated list of host:port',
      'NETBOX_URL is required: the NetBox base URL, e.g. https://netbox.example.net',
    ]);
    expect(problems({
      ...BASE, KAFKA_BROKERS: 'kafka:9092,kafka', KAFKA_SASL_MECHANISM: 'plain', KAFKA_TLS: 'yes', NETBOX_URL: 'netbox.example.net',
      NETBOX_REFRESH_SECONDS: '5', FLOWS_PER_MESSAGE: 'many', HTTP_PORT: '70000', LOG_LEVEL: 'verbose',
    })).toEqual([
      'KAFKA_BROKERS="kafka:9092,kafka" is not a comma-separated list of host:port ("kafka" is not host:port)',
      'KAFKA_SASL_MECHANISM="plain" is not one of none, scram-sha-512',
      'KAFKA_TLS="yes" is not one of true, false',
      'NETBOX_URL="netbox.example.net" is not a URL (expected http:// or https://host[:port][/path])',
      'NETBOX_REFRESH_SECONDS="5" is not a whole number from 10 to 86400',
      'FLOWS_PER_MESSAGE="many" is not a whole number from 1 to 100000',
      'HTTP_PORT="70000" is not a whole number from 1 to 65535',
      'LOG_LEVEL="verbose" is not one of debug, info, warn, error',
    ]);
    expect(problems({ ...BASE, NETBOX_URL: 'ftp://netbox', KAFKA_BROKERS: ',' })).toEqual([
      'KAFKA_BROKERS="," is not a comma-separated list of host:port',
      'NETBOX_URL="ftp://netbox" is not an http:// or https:// URL',
    ]);
  });

  it('checks the variables that depend on each other', () => {
    expect(problems({ ...BASE, KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toEqual([
      'KAFKA_USERNAME is required when KAFKA_SASL_MECHANISM=scram-sha-512',
      'KAFKA_PASSWORD_FILE is required when KAFKA_SASL_MECHANISM=scram-sha-512 (a file holding the password)',
    ]);
    expect(problems({ ...BASE, KAFKA_USERNAME: 'u', KAFKA_ENRICHED_TOPIC: 'helios-flows-raw' })).toEqual([
      'KAFKA_USERNAME is set but KAFKA_SASL_MECHANISM is none; set KAFKA_SASL_MECHANISM=scram-sha-512 or unset KAFKA_USERNAME',
      'KAFKA_ENRICHED_TOPIC="helios-flows-raw" is the same topic as KAFKA_RAW_TOPIC; the enricher would read its own output',
    ]);
  });
});

describe('the flow-enricher command', () => {
  const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, ['--import', 'tsx', join(SERVICE_DIR, 'src/main.ts'), ...args], {
    cwd: SERVICE_DIR, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
  });

  it('exits 2 with the configuration problems, without a stack trace', () => {
    const r = cli([], { KAFKA_BROKERS: 'kafka' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('flow-enricher: invalid configuration:\n  KAFKA_BROKERS="kafka" is not a comma-separated list of host:port ("kafka" is not host:port)\n'
      + '  NETBOX_URL is required: the NetBox base URL, e.g. https://netbox.example.net\n');
  });

  it('runs the ClickHouse migrations for `migrate`, and rejects other commands', () => {
    const migrate = cli(['migrate']);
    expect(migrate.status).toBe(2);
    expect(migrate.stderr).toMatch(/^flow-enricher: migrate: invalid environment:\n {2}CLICKHOUSE_URL: is required/);
    const other = cli(['serve']);
    expect(other.status).toBe(2);
    expect(other.stderr).toBe('usage: flow-enricher [run | migrate]; got "serve"\n');
  });
});
