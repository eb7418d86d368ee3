import { GOFLOW2_TRANSPORT_ARGS, MEDIUM_STOP_LOSS_SECONDS, measureRestart, SARAMA_LOSS_BOUND } from './kafka-restart.js';
import { listenerQueueSize } from '../../constructs/flows/goflow2.js';
import { TIERS } from '../../src/config/tiers.js';

/**
 * The broker restart of bench:kafka-restart, shortened for CI: real goflow2, real
 * Kafka (one broker; three KRaft nodes), the flow generator's IPFIX at a fixed rate.
 */
describe('goflow2 through a Kafka broker restart', () => {
  it('at the Medium shape (three brokers, replication 3, min in-sync 2) loses at most the flows of the leadership move when the leader of most partitions stops', async () => {
    const medium = TIERS.medium.kafka;
    const r = await measureRestart({
      name: 'medium',
      brokers: medium.brokers,
      replicationFactor: 3,
      minInSyncReplicas: 2,
      partitions: medium.rawTopicPartitions,
      rate: 2000,
      seconds: 20,
      restartAtSeconds: 5,
      downSeconds: 0,
      crash: false,
      transportArgs: GOFLOW2_TRANSPORT_ARGS,
      listenOptions: `queue_size=${listenerQueueSize(TIERS.medium.goflow2.resources.memoryLimitMiB)}`,
    });
    expect({ sent: r.sent, duplicated: r.duplicated, dropped: r.datagramsDropped }).toEqual({ sent: 40_000, duplicated: 0, dropped: 0 });
    // Mostly 0. Under load sarama can run out of its 3 retries (100 ms apart) before the
    // remaining brokers name the new leader: it drops what it was retrying then (measured
    // 1660 flows, 0.8 s of this stream, at a load average of 16 on 2 cores); the bound is
    // MEDIUM_STOP_LOSS_SECONDS of the stream.
    expect(r.lost).toBeLessThanOrEqual(MEDIUM_STOP_LOSS_SECONDS * 2000);
    // Where sarama gave up on a message goflow2 logs it, and those flows are gone. The
    // converse does not hold: with sarama's acks=1 the old leader may acknowledge writes
    // its followers never copied, lost without an error (seen once here).
    expect(r.lost).toBeGreaterThanOrEqual(Object.keys(r.transportErrors).length > 0 ? 1 : 0);
  }, 300_000);

  it('at the Small shape (one broker) queues what arrives while the broker is down, drops past the queue, and loses only what sarama was sending', async () => {
    // A queue of 100 datagrams (2000 flows) cannot hold an outage of 8 s and more at 120 datagrams/s.
    // 2400 flows/s for 25 s fills every datagram (6 exporters, 20 flows each).
    const r = await measureRestart({
      name: 'small',
      brokers: 1,
      replicationFactor: 1,
      minInSyncReplicas: 1,
      partitions: TIERS.small.kafka.rawTopicPartitions,
      rate: 2400,
      seconds: 25,
      restartAtSeconds: 5,
      downSeconds: 8,
      crash: false,
      transportArgs: GOFLOW2_TRANSPORT_ARGS,
      listenOptions: 'queue_size=100',
    });
    expect([r.sent, r.datagramsSent]).toEqual([60_000, 3000]);
    expect(r.duplicated).toBe(0);
    expect(r.datagramsDropped).toBeGreaterThan(0);
    // Every datagram either reached goflow2's decoder or was dropped at its full queue: none lost on loopback.
    expect(r.datagramsReceived + r.datagramsDropped).toBe(r.datagramsSent);
    // Lost: 20 flows per dropped datagram, plus the messages sarama gave up on when the broker went away.
    const saramaLoss = r.lost - r.datagramsDropped * 20;
    expect(saramaLoss).toBeGreaterThanOrEqual(0);
    expect(saramaLoss).toBeLessThanOrEqual(SARAMA_LOSS_BOUND);
  }, 300_000);
});
