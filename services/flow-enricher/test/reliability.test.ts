import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { Partitioners } from '../src/kafkajs.js';
import { KafkaBroker } from '../../../test/peers/harness/kafka.js';
import { runDir, sleep, waitFor, type PeerProcess } from '../../../test/peers/harness/process.js';
import { EDGE_STO1, GEOIP_FILES, netboxFixture } from './fixture.js';
import { BASE_NS, createTopics, EnrichedReader, kafkaFor, metric, metricsOf, pump, startEnricherProcess, tally } from './helpers.js';
import { NetboxFake } from './netbox-fake.js';

/**
 * At-least-once on the real broker, with the real entrypoint as a child process:
 * SIGKILL the enricher mid-stream and start another; restart the Kafka broker
 * mid-stream; take NetBox away; SIGTERM it mid-stream. Flows are produced to helios-flows-raw exactly as
 * goflow2 -format=bin writes them (one length-delimited FlowMessage per Kafka
 * message), each with a unique time_received_ns, so every input flow can be found
 * in the output; duplicates are counted and reported.
 */

const RAW = 'helios-flows-raw';
const ENRICHED = 'helios-flows-enriched';
describe('at-least-once delivery and degraded operation, on a real Kafka broker', () => {
  let broker: KafkaBroker;
  let netbox: NetboxFake;
  let reader: EnrichedReader;
  let producer: Producer;
  let env: Record<string, string>;
  const enrichers: PeerProcess[] = [];
  let successorUrl = '';

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    await createTopics(broker, [{ topic: RAW, numPartitions: 4 }, { topic: ENRICHED, numPartitions: 4 }]);
    netbox = await NetboxFake.start(netboxFixture(), { token: 'reliability' });
    const tokenFile = join(runDir(), `netbox-token-${process.pid}`);
    writeFileSync(tokenFile, 'reliability\n');
    env = {
      KAFKA_BROKERS: broker.bootstrap, NETBOX_URL: netbox.url, NETBOX_TOKEN_FILE: tokenFile, NETBOX_REFRESH_SECONDS: '10',
      GEOIP_CITY_DB: GEOIP_FILES.cityDb, GEOIP_ASN_DB: GEOIP_FILES.asnDb, FLOWS_PER_MESSAGE: '100',
    };
    producer = kafkaFor(broker, 'raw-pump').producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    reader = await EnrichedReader.start(broker, ENRICHED);
  }, 180_000);

  afterAll(async () => {
    await producer?.disconnect().catch(() => {});
    await reader?.stop().catch(() => {});
    for (const e of enrichers) await e.stop();
    await netbox?.stop();
    await broker?.stop();
  });

  it('keeps enriching from the last NetBox inventory while NetBox is unreachable, and picks up changes when it is back', async () => {
    const { process: enricher, url } = await startEnricherProcess(env, 'flow-enricher-netbox');
    enrichers.push(enricher);
    await netbox.stop();
    await waitFor('a failed NetBox refresh', async () => (metric(await metricsOf(url), 'helios_flow_enricher_netbox_refresh_failures_total') ?? 0) >= 1, 60_000, 500);

    await pump(producer, RAW, 0, 1000);
    await reader.waitForFlows(1000, 60_000);
    expect(tally(reader.flows, 0, 1000)).toEqual({ unique: 1000, duplicates: 0, unenriched: 0 });
    const text = await metricsOf(url);
    expect(metric(text, 'helios_flow_enricher_netbox_inventory_age_seconds')).toBeGreaterThan(10);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // NetBox is back, with the device renamed: the next refresh replaces the inventory.
    netbox.fixture = { ...netbox.fixture, devices: netbox.fixture.devices.map((d) => (d.id === EDGE_STO1.id ? { ...d, name: 'edge-sto1-renamed', display: 'edge-sto1-renamed' } : d)) };
    await netbox.resume();
    await waitFor('a fresh NetBox inventory', async () => (metric(await metricsOf(url), 'helios_flow_enricher_netbox_inventory_age_seconds') ?? 99) < 10, 60_000, 500);
    await pump(producer, RAW, 1000, 10);
    await reader.waitForFlows(1010, 60_000);
    expect(reader.flows.filter((f) => BigInt(f.time_received_ns) - BASE_NS >= 1000n).map((f) => f.exporter_name)).toEqual(new Array(10).fill('edge-sto1-renamed'));

    // Back to the original names before the next tests, proven by a flow enriched with them.
    netbox.fixture = netboxFixture();
    let probe = 1010;
    await waitFor('a flow enriched from the original inventory', async () => {
      await pump(producer, RAW, probe++, 1, 1, 0);
      await sleep(1000);
      return reader.flows.some((f) => BigInt(f.time_received_ns) - BASE_NS >= 1010n && f.exporter_name === EDGE_STO1.name);
    }, 60_000, 0);
  }, 240_000);

  it('loses no flow when the enricher is killed (SIGKILL) mid-stream and another one starts', async () => {
    const from = 10_000;
    const count = 60_000;
    const before = reader.flows.length;
    const pumping = pump(producer, RAW, from, count);
    await waitFor('a quarter of the flows enriched', () => tally(reader.flows.slice(before), from, count).unique >= count / 4, 120_000, 50);
    const victim = enrichers[enrichers.length - 1];
    process.kill(victim.pid, 'SIGKILL');
    await victim.stop();
    const successor = await startEnricherProcess(env, 'flow-enricher-successor');
    enrichers.push(successor.process);
    successorUrl = successor.url;
    await pumping;
    await waitFor('every flow enriched', () => tally(reader.flows, from, count).unique === count, 180_000, 250);
    const result = tally(reader.flows, from, count);
    console.log(`SIGKILL mid-stream: ${count} flows in, ${result.unique} distinct out, ${result.duplicates} duplicates`);
    expect(result).toEqual({ unique: count, duplicates: result.duplicates, unenriched: 0 });
  }, 400_000);

  it('loses no flow when the Kafka broker restarts mid-stream', async () => {
    const from = 100_000;
    const count = 60_000;
    const pumping = pump(producer, RAW, from, count);
    await waitFor('a quarter of the flows enriched', () => tally(reader.flows, from, count).unique >= count / 4, 120_000, 50);
    await broker.restart(2000);
    await pumping;
    await waitFor('every flow enriched', () => tally(reader.flows, from, count).unique === count, 240_000, 250);
    const result = tally(reader.flows, from, count);
    console.log(`broker restart mid-stream: ${count} flows in, ${result.unique} distinct out, ${result.duplicates} duplicates`);
    expect(result).toEqual({ unique: count, duplicates: result.duplicates, unenriched: 0 });
    // The same process rode out the outage: it is a group member again.
    await waitFor('the enricher ready again', async () => (await fetch(`${successorUrl}/readyz`)).status === 200, 60_000, 500);
    expect(enrichers[enrichers.length - 1].running).toBe(true);
  }, 400_000);

  it('on SIGTERM finishes the batches in flight, commits and exits 0: the next enricher re-reads nothing', async () => {
    const from = 200_000;
    const count = 150_000;
    const half = count / 2;
    // The first half streams while SIGTERM lands; the second half arrives while no enricher runs,
    // so the successor has work whether or not the first enricher had caught up when it stopped.
    const streaming = pump(producer, RAW, from, half, 5000, 50);
    const current = enrichers[enrichers.length - 1];
    await waitFor('the first of these flows out', () => tally(reader.flows, from, count).unique > 0, 60_000, 10);
    await current.stop();
    expect(current.log()).toContain('SIGTERM: finishing the batches in flight');
    expect(current.log()).toMatch(/"msg":"stopped","exitCode":0/);
    console.log(`SIGTERM mid-stream: ${tally(reader.flows, from, count).unique} of ${count} flows enriched before the enricher stopped`);
    await streaming;
    await pump(producer, RAW, from + half, half, 5000, 0);
    const next = await startEnricherProcess(env, 'flow-enricher-after-sigterm');
    enrichers.push(next.process);
    await waitFor('every flow enriched', () => tally(reader.flows, from, count).unique === count, 180_000, 250);
    expect(tally(reader.flows, from, count)).toEqual({ unique: count, duplicates: 0, unenriched: 0 });
  }, 300_000);
});
