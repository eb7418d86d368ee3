// Manual check of the kafka peer with kafkajs 2.2.4 (not a project dependency yet):
//   kafka-server --dir /tmp/k & ; cd <dir with kafkajs> && node kafkajs-check.js $(cat /tmp/k/bootstrap) first
//   restart the broker, then: node kafkajs-check.js $(cat /tmp/k/bootstrap) after-restart
// usage: node verify.js <broker> <phase: first|after-restart>
const { Kafka, Partitioners, logLevel } = require('kafkajs');
const [broker, phase] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'helios-verify', brokers: [broker], logLevel: logLevel.WARN,
  retry: { initialRetryTime: 100 } });
const topic = 'helios-verify';
const N = 1000;

async function produce(from, count) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const batch = [];
  for (let i = from; i < from + count; i++) batch.push({ key: `k${i}`, value: `m${i}` });
  for (let i = 0; i < batch.length; i += 250) {
    const r = await producer.send({ topic, acks: -1, messages: batch.slice(i, i + 250) });
  }
  await producer.disconnect();
}

async function consume(groupId, expect, fromBeginning) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000,
    maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning });
  const seen = new Set();
  const t0 = Date.now();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout: ${groupId} saw ${seen.size}/${expect}`)), 60000);
    consumer.run({ eachMessage: async ({ message }) => {
      seen.add(message.value.toString());
      if (seen.size >= expect) { clearTimeout(timer); resolve(); }
    } });
  });
  // give the auto-commit a chance, then leave the group cleanly (commits offsets)
  await consumer.disconnect();
  return { seen, ms: Date.now() - t0 };
}

(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const t0 = Date.now();
  if (phase === 'first') {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    console.log('topics', await admin.listTopics());
    let t = Date.now();
    await produce(0, N);
    console.log(`produced ${N} idempotent in ${Date.now() - t} ms`);
    const { seen, ms } = await consume('g1', N, true);
    console.log(`g1 consumed ${seen.size} in ${ms} ms`);
    if (seen.size !== N) throw new Error('count mismatch');
  } else {
    const offs = await admin.fetchOffsets({ groupId: 'g1', topics: [topic] });
    console.log('g1 committed', JSON.stringify(offs[0].partitions.map(p => p.offset)));
    await produce(N, 100);
    const a = await consume('g1', 100, true);
    const extra = [...a.seen].filter(v => Number(v.slice(1)) < N);
    console.log(`g1 resumed: got ${a.seen.size} new, ${extra.length} old re-delivered`);
    const b = await consume('g2', N + 100, true);
    console.log(`g2 from beginning: ${b.seen.size} (persisted)`);
    if (extra.length || b.seen.size !== N + 100) throw new Error('resume/persist failed');
    const topicOffsets = await admin.fetchTopicOffsets(topic);
    console.log('high watermarks', topicOffsets.map(p => p.high).join(','));
  }
  await admin.disconnect();
  console.log(`OK ${phase} in ${Date.now() - t0} ms`);
})().catch(e => { console.error('FAIL', e); process.exit(1); });
