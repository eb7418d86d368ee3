import type { Server } from 'node:http';
import type { Config } from './config.js';
import { GeoIp } from './enrich/geoip.js';
import { startHttpServer } from './http.js';
import { kafkaClient } from './kafka.js';
import type { Logger } from './log.js';
import { EnricherMetrics } from './metrics.js';
import { NetboxReader } from './netbox/source.js';
import { NetboxRefresher } from './netbox/refresher.js';
import { EnrichmentPipeline } from './pipeline.js';
import { FlowTranscoder } from './transcode.js';

export interface Enricher {
  readonly metrics: EnricherMetrics;
  /** Resolves once consuming has started (after the first NetBox inventory); rejects if startup fails. */
  readonly started: Promise<void>;
  /** Finishes in-flight batches, commits, leaves the group, stops serving. */
  stop(): Promise<void>;
}

/**
 * Wires the pipeline: GeoIP readers and the HTTP endpoints first (liveness holds
 * while the enricher waits), then the first NetBox inventory, then the Kafka
 * consumer. `onFatal` is told when Kafka gives up for good.
 */
export async function startEnricher(config: Config, log: Logger, onFatal: (e: Error) => void = () => {}): Promise<Enricher> {
  let transcoder: FlowTranscoder | undefined;
  const geo = await GeoIp.open(config.geoip, () => {
    log.info('GeoIP database reloaded');
    transcoder?.clearAddressCache();
  });
  transcoder = new FlowTranscoder({ flowsPerMessage: config.flowsPerMessage, geo });
  const t = transcoder;
  const startedAt = Date.now();
  const metrics: EnricherMetrics = new EnricherMetrics({
    netboxAgeSeconds: () => refresher.ageSeconds() ?? (Date.now() - startedAt) / 1000,
    geoipBuildTimes: () => geo.buildTimes,
  });
  const refresher = new NetboxRefresher({
    source: new NetboxReader({ url: config.netbox.url, tokenFile: config.netbox.tokenFile }),
    intervalSeconds: config.netbox.refreshSeconds,
    log,
    onInventory: (inventory) => t.setInventory(inventory),
    onFailure: () => metrics.netboxRefreshFailures.inc(),
  });
  const pipeline = new EnrichmentPipeline({
    kafka: kafkaClient(config.kafka, log),
    rawTopic: config.kafka.rawTopic,
    enrichedTopic: config.kafka.enrichedTopic,
    groupId: config.kafka.groupId,
    transcoder: t,
    metrics,
    log,
    onFatal,
  });
  const server: Server = await startHttpServer(config.httpPort, metrics.registry, {
    notReady: () => [
      ...(refresher.loaded ? [] : ['the NetBox inventory is not loaded yet']),
      ...(pipeline.consuming ? [] : ['not a member of the Kafka consumer group']),
    ],
  });
  log.info('serving /metrics, /healthz and /readyz', { port: config.httpPort, geoip: { city: geo.hasCity, asn: geo.hasAsn } });

  let stopped = false;
  const started = (async () => {
    if (!(await refresher.loadFirst())) return;
    refresher.start();
    if (stopped || !(await pipeline.start())) return;
    log.info('enriching', { from: config.kafka.rawTopic, to: config.kafka.enrichedTopic, groupId: config.kafka.groupId, flowsPerMessage: config.flowsPerMessage });
  })();
  // stop() reports startup failures too; an unobserved rejection must not kill the process first.
  started.catch(() => {});

  return {
    metrics,
    started,
    async stop() {
      stopped = true;
      refresher.stop();
      await pipeline.stop();
      await started.catch(() => {});
      geo.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
