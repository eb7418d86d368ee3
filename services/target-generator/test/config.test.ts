import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, serveConfig, syncConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
  const token = join(dir, 'token');
  writeFileSync(token, 'abc123\n');
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'hook-secret');
  const empty = join(dir, 'empty');
  writeFileSync(empty, '  \n');
  const base = { NETBOX_URL: 'https://netbox.example.net', NETBOX_TOKEN_FILE: token };

  it('applies the documented defaults', () => {
    expect(syncConfig(base)).toEqual({
      mode: 'sync',
      netbox: { url: 'https://netbox.example.net', tokenFile: token, deviceFilter: new URLSearchParams(), pageSize: 500, timeoutMs: 30_000, retries: 3, backoffMs: 1000 },
      guard: { maxDropPercent: 25, minTargets: 10 },
      pushgatewayUrl: undefined,
    });
    expect(serveConfig(base)).toMatchObject({ mode: 'serve', port: 8080, intervalMs: 300_000, webhookSecret: undefined, debounceMs: 1000 });
  });

  it('reads every setting', () => {
    const config = serveConfig({
      ...base, NETBOX_DEVICE_FILTER: 'site=ams1&status=active', NETBOX_PAGE_SIZE: '1000', NETBOX_TIMEOUT_SECONDS: '2.5',
      NETBOX_RETRIES: '0', NETBOX_RETRY_BACKOFF_SECONDS: '0.5', MASS_DELETION_PERCENT: '50', MASS_DELETION_MIN_TARGETS: '0',
      LISTEN_PORT: '9000', SYNC_INTERVAL_SECONDS: '60', WEBHOOK_SECRET_FILE: secret, WEBHOOK_DEBOUNCE_SECONDS: '0',
    });
    expect(config.netbox).toMatchObject({ pageSize: 1000, timeoutMs: 2500, retries: 0, backoffMs: 500 });
    expect(config.netbox.deviceFilter.toString()).toBe('site=ams1&status=active');
    expect(config).toMatchObject({ port: 9000, intervalMs: 60_000, webhookSecret: 'hook-secret', debounceMs: 0, guard: { maxDropPercent: 50, minTargets: 0 } });
    expect(syncConfig({ ...base, PUSHGATEWAY_URL: 'http://pushgateway:9091' }).pushgatewayUrl).toBe('http://pushgateway:9091');
  });

  it('names every bad variable, its value and what is allowed, and never shows a secret', () => {
    let error: ConfigError | undefined;
    try {
      serveConfig({
        NETBOX_URL: 'ftp://netbox', NETBOX_TOKEN_FILE: empty, NETBOX_PAGE_SIZE: '5000', MASS_DELETION_PERCENT: 'lots',
        NETBOX_DEVICE_FILTER: 'Site=ams1&limit=5', SYNC_INTERVAL_SECONDS: '1', WEBHOOK_SECRET_FILE: join(dir, 'missing'),
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'MASS_DELETION_PERCENT="lots": is not a whole number from 0 to 100',
      'NETBOX_DEVICE_FILTER="Site=ams1&limit=5": has "Site", which is not a NetBox filter name (lowercase letters, digits, "_"); write name=value pairs joined by &, e.g. site=ams1&status=active',
      'NETBOX_DEVICE_FILTER="Site=ams1&limit=5": the device filter may not set "limit": the Target Generator sets limit, offset, ordering, exclude, cf_helios_monitor itself',
      'NETBOX_PAGE_SIZE="5000": is not a whole number from 1 to 1000',
      `NETBOX_TOKEN_FILE="${empty}": "${empty}" is empty`,
      'NETBOX_URL="ftp://netbox": is not an http:// or https:// URL',
      'SYNC_INTERVAL_SECONDS="1": is not a number of seconds from 10 to 86400',
      `WEBHOOK_SECRET_FILE="${join(dir, 'missing')}": "${join(dir, 'missing')}" cannot be read (ENOENT)`,
    ]);
    expect(error!.message).toMatch(/^invalid configuration:\n {2}MASS_DELETION_PERCENT/);
  });

  it('says what a missing required variable should be', () => {
    expect(() => syncConfig({})).toThrow(new ConfigError([
      'NETBOX_TOKEN_FILE: is required (the path of a mounted secret file)',
      'NETBOX_URL: is required (an http:// or https:// URL)',
    ]));
  });
});
