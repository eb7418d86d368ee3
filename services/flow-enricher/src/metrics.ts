import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TranscodeCounters } from './transcode.js';

/** What the metrics read at scrape time: ages and states that change between batches. */
export interface MetricSources {
  /** Seconds since the NetBox inventory in use was loaded (before the first load: since the enricher started). */
  netboxAgeSeconds(): number;
  /** When each GeoIP database was built. */
  geoipBuildTimes(): { city?: Date; asn?: Date };
}

export const MISS_KINDS = ['exporter', 'interface', 'geoip_city', 'geoip_asn', 'prefix', 'host'] as const;

/**
 * The enricher's Prometheus metrics. The hot loop counts in plain numbers
 * (TranscodeCounters) and they are added here once per batch: a prom-client
 * increment per flow would cost more than the enrichment itself.
 */
export class EnricherMetrics {
  public readonly registry = new Registry();
  private readonly flowsIn: Counter;
  private readonly flowsOut: Counter;
  private readonly messagesOut: Counter;
  private readonly malformed: Counter;
  private readonly misses: Counter<'kind'>;
  private readonly cacheLookups: Counter<'cache' | 'result'>;
  public readonly batchSeconds: Histogram;
  public readonly produceRetries: Counter;
  public readonly paused: Gauge;
  public readonly netboxRefreshFailures: Counter;
  public readonly lag: Gauge<'topic' | 'partition'>;
  private hits = 0;
  private lookups = 0;

  public constructor(sources: MetricSources) {
    const registers = [this.registry];
    const p = 'helios_flow_enricher_';
    this.flowsIn = new Counter({ name: `${p}flows_in_total`, help: 'Flows read from the raw topic', registers });
    this.flowsOut = new Counter({ name: `${p}flows_out_total`, help: 'Enriched flows produced to the enriched topic and acknowledged', registers });
    this.messagesOut = new Counter({ name: `${p}messages_out_total`, help: 'Kafka messages produced (each holds up to FLOWS_PER_MESSAGE flows)', registers });
    this.malformed = new Counter({ name: `${p}malformed_messages_total`, help: 'Raw Kafka messages dropped because they are not goflow2 FlowMessages', registers });
    this.misses = new Counter({
      name: `${p}enrichment_misses_total`,
      help: 'Lookups that found nothing, by kind: exporter (no NetBox device at the sampler address), interface (no ifindex on that device), geoip_city, geoip_asn, prefix (no NetBox prefix holds the address), host (the address is on no NetBox device interface); address kinds count each address',
      labelNames: ['kind'], registers,
    });
    for (const kind of MISS_KINDS) this.misses.inc({ kind }, 0);
    this.cacheLookups = new Counter({ name: `${p}cache_lookups_total`, help: 'Address cache lookups (NetBox and GeoIP answers), by result', labelNames: ['cache', 'result'], registers });
    this.cacheLookups.inc({ cache: 'address', result: 'hit' }, 0);
    this.cacheLookups.inc({ cache: 'address', result: 'miss' }, 0);
    const self = this;
    new Gauge({
      name: `${p}cache_hit_ratio`, help: 'Address cache hits over lookups since the enricher started', labelNames: ['cache'], registers,
      collect() { if (self.lookups > 0) this.set({ cache: 'address' }, self.hits / self.lookups); },
    });
    this.batchSeconds = new Histogram({
      name: `${p}batch_duration_seconds`, help: 'From a raw batch\'s arrival to its offsets committed: decode, enrich, encode, produce (acks=all) and commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    });
    this.produceRetries = new Counter({ name: `${p}produce_retries_total`, help: 'Produce attempts that failed and were retried with the same batch', registers });
    this.paused = new Gauge({ name: `${p}consumption_paused`, help: '1 while reading the raw topic is paused because produced batches are not being acknowledged', registers });
    this.lag = new Gauge({ name: `${p}consumer_lag`, help: 'Messages in the raw topic partition after the last batch handled', labelNames: ['topic', 'partition'], registers });
    new Gauge({
      name: `${p}netbox_inventory_age_seconds`, help: 'Age of the NetBox inventory in use (it is kept when NetBox fails); before the first load, time since the enricher started', registers,
      collect() { this.set(sources.netboxAgeSeconds()); },
    });
    this.netboxRefreshFailures = new Counter({ name: `${p}netbox_refresh_failures_total`, help: 'NetBox refreshes that failed (the last inventory stayed in use)', registers });
    new Gauge({
      name: `${p}geoip_database_age_seconds`, help: 'Age of each GeoIP database (since MaxMind built it)', labelNames: ['database'], registers,
      collect() {
        const now = Date.now();
        for (const [database, built] of Object.entries(sources.geoipBuildTimes())) {
          if (built) this.set({ database }, (now - built.getTime()) / 1000);
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds a batch's counts; `produced` says whether its output was acknowledged. */
  public addBatch(c: TranscodeCounters, messages: number, produced: boolean): void {
    this.flowsIn.inc(c.flowsIn);
    if (produced) {
      this.flowsOut.inc(c.flowsOut);
      this.messagesOut.inc(messages);
    }
    this.malformed.inc(c.malformedMessages);
    this.misses.inc({ kind: 'exporter' }, c.missExporter);
    this.misses.inc({ kind: 'interface' }, c.missInterface);
    this.misses.inc({ kind: 'geoip_city' }, c.missGeoipCity);
    this.misses.inc({ kind: 'geoip_asn' }, c.missGeoipAsn);
    this.misses.inc({ kind: 'prefix' }, c.missPrefix);
    this.misses.inc({ kind: 'host' }, c.missHost);
    this.cacheLookups.inc({ cache: 'address', result: 'hit' }, c.addressCacheHits);
    this.cacheLookups.inc({ cache: 'address', result: 'miss' }, c.addressCacheMisses);
    this.hits += c.addressCacheHits;
    this.lookups += c.addressCacheHits + c.addressCacheMisses;
  }
}
