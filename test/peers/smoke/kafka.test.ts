import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { KafkaBroker } from '../harness/kafka.js';

describe('Kafka (real broker, KRaft)', () => {
  let broker: KafkaBroker;
  beforeAll(async () => { broker = await KafkaBroker.start(); });
  afterAll(async () => { await broker?.stop(); });

  it('carries 1,000 messages from an idempotent kafkajs producer to a consumer group, in order per partition', async () => {
    const kafka = new Kafka({ clientId: 'helios-smoke', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'smoke', numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = Array.from({ length: 1000 }, (_, i) => ({ key: `device-${i % 7}`, value: String(i) }));
    await producer.send({ topic: 'smoke', messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'smoke-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'smoke', fromBeginning: true });
    const received: Array<{ key: string; value: number }> = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: message.key!.toString(), value: Number(message.value!.toString()) });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(received.map((m) => m.value).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    // One key always lands on one partition, so its messages keep their order.
    const forKey = received.filter((m) => m.key === 'device-3').map((m) => m.value);
    expect(forKey).toEqual([...forKey].sort((a, b) => a - b));
  });
});
