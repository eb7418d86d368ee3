import { Kafka, logLevel } from 'kafkajs';
import { KafkaBroker } from '../harness/kafka.js';
import { sendFlows, startGoflow2 } from '../harness/network-peers.js';

describe('goflow2 receiving generated NetFlow v9 and IPFIX, writing to Kafka', () => {
  let broker: KafkaBroker;
  let goflow2: Awaited<ReturnType<typeof startGoflow2>>;
  beforeAll(async () => {
    broker = await KafkaBroker.start();
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'flows-json', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    goflow2 = await startGoflow2({ brokers: broker.bootstrap, topic: 'flows-json', format: 'json' });
  });
  afterAll(async () => { await goflow2?.stop(); await broker?.stop(); });

  it('delivers every flow with its exporter, interfaces, addresses, ports, bytes and packets', async () => {
    const flow = (i: number) => ({
      src_addr: `10.1.0.${i}`, dst_addr: '192.0.2.10', src_port: 40000 + i, dst_port: 443, proto: 6, bytes: 1000 * i, packets: i, in_if: 10 + i, out_if: 20,
    });
    sendFlows([
      { target: goflow2.netflow, exporter: '127.0.0.21', version: 'v9', flows: [flow(1), flow(2)] },
      { target: goflow2.netflow, exporter: '127.0.0.22', version: 'ipfix', flows: [flow(3)] },
    ]);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'goflow2-smoke' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'flows-json', fromBeginning: true });
    const got: any[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(JSON.parse(message.value!.toString()));
          if (got.length === 3) resolve();
        },
      });
    });
    await consumer.disconnect();
    const summary = got
      .map((f) => `${f.type} ${f.sampler_address} ${f.src_addr}:${f.src_port}->${f.dst_addr}:${f.dst_port} if${f.in_if}->if${f.out_if} ${f.bytes}B ${f.packets}p`)
      .sort();
    expect(summary).toEqual([
      'IPFIX 127.0.0.22 10.1.0.3:40003->192.0.2.10:443 if13->if20 3000B 3p',
      'NETFLOW_V9 127.0.0.21 10.1.0.1:40001->192.0.2.10:443 if11->if20 1000B 1p',
      'NETFLOW_V9 127.0.0.21 10.1.0.2:40002->192.0.2.10:443 if12->if20 2000B 2p',
    ]);
  });
});
