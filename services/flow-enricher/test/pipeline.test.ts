import { ConfigResourceTypes, type Producer } from 'kafkajs';
import { Partitioners } from '../src/kafkajs.js';
import { loadConfig } from '../src/config.js';
import { startEnricher, type Enricher } from '../src/enricher.js';
import { Logger } from '../src/log.js';
import { KafkaBroker } from '../../../test/peers/harness/kafka.js';
import { freePort, waitFor } from '../../../test/peers/harness/process.js';
import { GEOIP_FILES, netboxFixture } from './fixture.js';
import { createTopics, EnrichedReader, kafkaFor, metric, pump, tally } from './helpers.js';
import { NetboxFake } from './netbox-fake.js';

/**
 * The Kafka edge in-process (startEnricher, as main.ts runs it) on a real broker:
 * graceful stop commits what it finished, group members joining and leaving
 * mid-stream lose nothing, a producer that cannot write pauses consumption and
 * resumes, an unreachable Kafka is waited for. Each test has its own topics and
 * consumer group.
 */

describe('the enrichment pipeline on a real Kafka broker (in-process)', () => {
  let broker: KafkaBroker;
  let netbox: NetboxFake;
  let producer: Producer;
  const running: Enricher[] = [];
  const readers: EnrichedReader[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const log = new Logger('info', (l) => { lines.push(JSON.parse(l)); if (process.env.SHOWLOG) process.stdout.write(l); });

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    netbox = await NetboxFake.start(netboxFixture());
    producer = kafkaFor(broker, 'raw-pump').producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  }, 180_000);

  afterAll(async () => {
    for (const e of running) await e.stop();
    for (const r of readers) await r.stop();
    await producer?.disconnect();
    await netbox?.stop();
    await broker?.stop();
  });

  async function topics(name: string, partitions = 4): Promise<{ raw: string; enriched: string; reader: EnrichedReader }> {
    const raw = `${name}-raw`;
    const enriched = `${name}-enriched`;
    await createTopics(broker, [{ topic: raw, numPartitions: partitions }, { topic: enriched, numPartitions: partitions }]);
    const reader = await EnrichedReader.start(broker, enriched);
    readers.push(reader);
    return { raw, enriched, reader };
  }

  async function enricher(raw: string, enriched: string, extra: Record<string, string> = {}): Promise<{ enricher: Enricher; url: string }> {
    const port = await freePort();
    const config = loadConfig({
      KAFKA_BROKERS: broker.bootstrap, KAFKA_RAW_TOPIC: raw, KAFKA_ENRICHED_TOPIC: enriched, KAFKA_GROUP_ID: `${raw}-group`,
      NETBOX_URL: netbox.url, GEOIP_CITY_DB: GEOIP_FILES.cityDb, GEOIP_ASN_DB: GEOIP_FILES.asnDb, FLOWS_PER_MESSAGE: '250', HTTP_PORT: String(port),
      ...extra,
    });
    const e = await startEnricher(config, log);
    running.push(e);
    return { enricher: e, url: `http://localhost:${port}` };
  }

  const stop = async (e: Enricher) => {
    await e.stop();
    running.splice(running.indexOf(e), 1);
  };

  it('enriches, reports ready, counts, and measures its batches and lag', async () => {
    const { raw, enriched, reader } = await topics('basic');
    const { enricher: e, url } = await enricher(raw, enriched);
    await e.started;
    await waitFor('ready', async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
    await pump(producer, raw, 0, 5000);
    await reader.waitForFlows(5000, 60_000);
    expect(tally(reader.flows, 0, 5000)).toEqual({ unique: 5000, duplicates: 0, unenriched: 0 });
    // 250 flows per message: 5000 flows in at least 20 messages, and far fewer than 5000.
    expect(reader.messages).toBeGreaterThanOrEqual(20);
    expect(reader.messages).toBeLessThan(200);
    const text = await e.metrics.registry.metrics();
    expect(metric(text, 'helios_flow_enricher_flows_out_total')).toBe(5000);
    expect(metric(text, 'helios_flow_enricher_messages_out_total')).toBe(reader.messages);
    expect(metric(text, 'helios_flow_enricher_batch_duration_seconds_count')).toBeGreaterThan(0);
    expect(metric(text, 'helios_flow_enricher_consumer_lag', { topic: raw, partition: '0' })).toBe(0);
    expect(metric(text, 'helios_flow_enricher_cache_hit_ratio', { cache: 'address' })).toBeGreaterThan(0.4);
    await stop(e);
  }, 180_000);

  it('on stop (SIGTERM), finishes and commits the batches in flight: the next enricher re-reads nothing', async () => {
    const { raw, enriched, reader } = await topics('graceful');
    await pump(producer, raw, 0, 40_000, 5000, 0);
    const { enricher: first } = await enricher(raw, enriched);
    await waitFor('the first flows out', () => reader.flows.length > 0, 60_000, 10);
    await stop(first);
    const byFirst = tally(reader.flows, 0, 40_000);
    expect(byFirst.unique).toBeLessThan(40_000);
    const { enricher: second } = await enricher(raw, enriched);
    await waitFor('every flow', () => tally(reader.flows, 0, 40_000).unique === 40_000, 120_000, 100);
    await stop(second);
    expect(tally(reader.flows, 0, 40_000)).toEqual({ unique: 40_000, duplicates: 0, unenriched: 0 });
  }, 240_000);

  it('loses nothing while members join and leave the group mid-stream (rebalances)', async () => {
    const { raw, enriched, reader } = await topics('rebalance');
    const { enricher: a } = await enricher(raw, enriched);
    await a.started;
    const pumping = pump(producer, raw, 0, 40_000, 1000, 20);
    await waitFor('a quarter out', () => tally(reader.flows, 0, 40_000).unique >= 10_000, 120_000, 20);
    const { enricher: b } = await enricher(raw, enriched);
    await b.started;
    await waitFor('half out', () => tally(reader.flows, 0, 40_000).unique >= 20_000, 120_000, 20);
    await stop(a);
    await pumping;
    await waitFor('every flow', () => tally(reader.flows, 0, 40_000).unique === 40_000, 120_000, 100);
    const result = tally(reader.flows, 0, 40_000);
    console.log(`rebalances mid-stream: 40000 flows in, ${result.unique} distinct out, ${result.duplicates} duplicates`);
    expect(result).toEqual({ unique: 40_000, duplicates: result.duplicates, unenriched: 0 });
    expect(lines.filter((l) => l.msg === 'joined the consumer group' && JSON.stringify(l.assignment).includes('rebalance-raw')).length).toBeGreaterThanOrEqual(3);
    await stop(b);
  }, 300_000);

  it('pauses while the enriched topic refuses writes, keeps the batch, and delivers it when writes are accepted again', async () => {
    const { raw, enriched, reader } = await topics('refused', 2);
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    const maxMessageBytes = (value: string) => admin.alterConfigs({
      validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: enriched, configEntries: [{ name: 'max.message.bytes', value }] }],
    });
    // The topic refuses the enricher's messages (250 flows, tens of kB) until an operator raises its limit.
    await maxMessageBytes('1000');
    const { enricher: e } = await enricher(raw, enriched);
    await e.started;
    await pump(producer, raw, 0, 3000, 1000, 0);
    await waitFor('produce retries', async () => (metric(await e.metrics.registry.metrics(), 'helios_flow_enricher_produce_retries_total') ?? 0) >= 2, 120_000, 200);
    expect(reader.flows).toHaveLength(0);
    expect(lines.some((l) => l.msg === 'produce failed; keeping the batch and retrying')).toBe(true);
    expect(metric(await e.metrics.registry.metrics(), 'helios_flow_enricher_consumption_paused')).toBe(1);
    // Nothing was acknowledged, so nothing is committed.
    const committed = await admin.fetchOffsets({ groupId: `${raw}-group`, topics: [raw] });
    expect(committed[0].partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
    await maxMessageBytes('10485760');
    await admin.disconnect();
    await waitFor('every flow', () => tally(reader.flows, 0, 3000).unique === 3000, 120_000, 100);
    expect(tally(reader.flows, 0, 3000)).toMatchObject({ unique: 3000, unenriched: 0 });
    expect(metric(await e.metrics.registry.metrics(), 'helios_flow_enricher_consumption_paused')).toBe(0);
    await stop(e);
  }, 300_000);

  it('waits for an unreachable Kafka without becoming ready, and stops promptly', async () => {
    const { enricher: e, url } = await enricher('nowhere-raw', 'nowhere-enriched', { KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
    await waitFor('NetBox loaded, Kafka not joined', async () => {
      const r = await fetch(`${url}/readyz`);
      return r.status === 503 && (await r.text()) === 'not ready: not a member of the Kafka consumer group\n';
    }, 30_000, 100);
    await waitFor('a connection retry logged', () => lines.some((l) => l.msg === 'cannot reach Kafka yet; retrying'), 60_000, 100);
    const t0 = Date.now();
    await stop(e);
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 120_000);
});
