import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeoIp } from '../src/enrich/geoip.js';
import { keyOf, parseAddress } from '../src/enrich/ip.js';
import { startHttpServer } from '../src/http.js';
import { Logger } from '../src/log.js';
import { EnricherMetrics } from '../src/metrics.js';
import { freePort, runDir, waitFor } from '../../../test/peers/harness/process.js';
import { peerData } from '../../../test/peers/harness/paths.js';
import { GEO, GEOIP_FILES } from './fixture.js';
import { metric } from './helpers.js';

const key = (text: string) => keyOf(parseAddress(text)!);

describe('GeoIP (MaxMind test databases)', () => {
  it('answers country, city, AS and AS name for the addresses the test databases know', async () => {
    const geo = await GeoIp.open(GEOIP_FILES);
    try {
      for (const [address, g] of Object.entries(GEO)) {
        const a = geo.lookup(key(address));
        expect([address, a.country, a.city, a.asn, a.asName]).toEqual([address, g.country, g.city, g.as, g.as_name]);
      }
      expect(geo.lookup(key('10.0.0.1'))).toEqual({ country: '', city: '', asn: 0, asName: '', cityFound: false, asnFound: false });
      expect(geo.buildTimes.city).toBeInstanceOf(Date);
      expect(geo.hasCity && geo.hasAsn).toBe(true);
    } finally {
      geo.close();
    }
  });

  it('gives addresses in the same City and ASN networks one answer object, which the transcoder keys its encoded answers by', async () => {
    const geo = await GeoIp.open(GEOIP_FILES);
    try {
      // 89.160.20.128/25 in the City test database and 89.160.20.128/17 in the ASN one: both addresses share both records.
      const first = geo.lookup(key('89.160.20.128'));
      expect(geo.lookup(key('89.160.20.200'))).toBe(first);
      expect(first).toMatchObject({ city: 'Linköping', asn: 29518 });
      // Another City record: another answer.
      const london = geo.lookup(key('81.2.69.142'));
      expect(london).not.toBe(first);
      expect(london.city).toBe('London');
      // No record in either database: one shared empty answer.
      expect(geo.lookup(key('10.0.0.1'))).toBe(geo.lookup(key('192.168.1.1')));
    } finally {
      geo.close();
    }
  });

  it('refuses a missing file or a database of the wrong kind, naming it', async () => {
    await expect(GeoIp.open({ cityDb: '/nonexistent/GeoLite2-City.mmdb' })).rejects.toThrow(/^GeoIP City database \/nonexistent\/GeoLite2-City.mmdb: ENOENT/);
    await expect(GeoIp.open({ cityDb: GEOIP_FILES.asnDb })).rejects.toThrow(`GeoIP City database ${GEOIP_FILES.asnDb} is a GeoLite2-ASN database; expected a City database (GeoIP2-City or GeoLite2-City)`);
  });

  it('reloads a database replaced in place and says so', async () => {
    const path = join(runDir(), `city-${process.pid}.mmdb`);
    copyFileSync(GEOIP_FILES.cityDb, path);
    let reloads = 0;
    const geo = await GeoIp.open({ cityDb: path }, () => { reloads++; });
    try {
      expect(geo.lookup(key('81.2.69.142')).country).toBe('GB');
      copyFileSync(peerData('maxmind', 'GeoLite2-City-Test.mmdb'), path);
      // fs.watchFile polls (about every 5 s).
      await waitFor('the City database reloaded', () => reloads > 0, 30_000, 200);
      expect(geo.lookup(key('81.2.69.142')).country).toBe('GB');
    } finally {
      geo.close();
    }
  }, 60_000);
});

describe('HTTP endpoints and metrics', () => {
  it('serves /metrics, /healthz and /readyz with the reasons it is not ready', async () => {
    let netboxAge = 0;
    const metrics = new EnricherMetrics({ netboxAgeSeconds: () => netboxAge, geoipBuildTimes: () => ({ city: new Date(Date.now() - 86_400_000) }) });
    const missing: string[] = ['the NetBox inventory is not loaded yet'];
    const port = await freePort();
    const server = await startHttpServer(port, metrics.registry, { notReady: () => missing }, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    try {
      expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
      const notReady = await fetch(`${url}/readyz`);
      expect([notReady.status, await notReady.text()]).toEqual([503, 'not ready: the NetBox inventory is not loaded yet\n']);
      missing.length = 0;
      expect((await fetch(`${url}/readyz?verbose`)).status).toBe(200);
      expect((await fetch(`${url}/nothing`)).status).toBe(404);
      expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);

      let text = await (await fetch(`${url}/metrics`)).text();
      expect(metric(text, 'helios_flow_enricher_netbox_inventory_age_seconds')).toBe(0);
      expect(metric(text, 'helios_flow_enricher_enrichment_misses_total', { kind: 'geoip_asn' })).toBe(0);
      expect(metric(text, 'helios_flow_enricher_geoip_database_age_seconds', { database: 'city' })).toBeCloseTo(86_400, -1);
      expect(metric(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);

      netboxAge = 12.5;
      const counters = {
        flowsIn: 10, flowsOut: 9, malformedMessages: 1, missExporter: 1, missInterface: 2, missGeoipCity: 3, missGeoipAsn: 4, missPrefix: 5, missHost: 6, addressCacheHits: 15, addressCacheMisses: 5,
      };
      metrics.addBatch(counters, 3, true);
      metrics.addBatch(counters, 3, false);
      metrics.batchSeconds.observe(0.02);
      metrics.lag.set({ topic: 'helios-flows-raw', partition: '0' }, 42);
      text = await (await fetch(`${url}/metrics`)).text();
      expect({
        in: metric(text, 'helios_flow_enricher_flows_in_total'),
        out: metric(text, 'helios_flow_enricher_flows_out_total'),
        messages: metric(text, 'helios_flow_enricher_messages_out_total'),
        malformed: metric(text, 'helios_flow_enricher_malformed_messages_total'),
        interface: metric(text, 'helios_flow_enricher_enrichment_misses_total', { kind: 'interface' }),
        prefix: metric(text, 'helios_flow_enricher_enrichment_misses_total', { kind: 'prefix' }),
        host: metric(text, 'helios_flow_enricher_enrichment_misses_total', { kind: 'host' }),
        hits: metric(text, 'helios_flow_enricher_cache_lookups_total', { cache: 'address', result: 'hit' }),
        ratio: metric(text, 'helios_flow_enricher_cache_hit_ratio', { cache: 'address' }),
        age: metric(text, 'helios_flow_enricher_netbox_inventory_age_seconds'),
        lag: metric(text, 'helios_flow_enricher_consumer_lag', { topic: 'helios-flows-raw', partition: '0' }),
        batches: metric(text, 'helios_flow_enricher_batch_duration_seconds_count'),
      }).toEqual({ in: 20, out: 9, messages: 3, malformed: 2, interface: 4, prefix: 10, host: 12, hits: 30, ratio: 0.75, age: 12.5, lag: 42, batches: 1 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('fails to start on a port in use, and logs JSON lines at or above its level', async () => {
    const port = await freePort();
    const metrics = new EnricherMetrics({ netboxAgeSeconds: () => 0, geoipBuildTimes: () => ({}) });
    const first = await startHttpServer(port, metrics.registry, { notReady: () => [] }, '127.0.0.1');
    await expect(startHttpServer(port, metrics.registry, { notReady: () => [] }, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    await new Promise((r) => first.close(r));

    const lines: string[] = [];
    const log = new Logger('warn', (l) => lines.push(l));
    log.debug('no');
    log.info('no');
    log.warn('careful', { partition: 3 });
    log.error('bad');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: expect.any(String), level: 'warn', msg: 'careful', partition: 3 },
      { time: expect.any(String), level: 'error', msg: 'bad' },
    ]);
  });
});
