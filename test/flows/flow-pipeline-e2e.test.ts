import {
  CHAIN_GROUPS, CHAIN_INTERFACES, chainFlow, hostFacts, sendChainFlows, startFlowChain, type ChainExport, type FlowChain, type Stored,
} from './flow-chain.js';
import { FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import { sleep, waitFor } from '../peers/harness/process.js';

/**
 * The flow pipeline end to end, every part real (flow-chain.ts): the flow generator
 * → goflow2 → Kafka → the Flow Enricher process (NetBox fake, MaxMind test databases)
 * → Kafka → chdb's Kafka engine table of the committed migrations → flows_raw. Each
 * flow carries a byte count of its own, so a flow stored twice is told apart from a
 * flow lost. The rate this holds at is `npm run bench:flow-pipeline`.
 */

const EXPORTS: ChainExport[] = [
  { exporter: '127.0.0.21', version: 'v9', count: 2_500, firstBytes: 1_000_000 },
  { exporter: '127.0.0.22', version: 'ipfix', count: 2_500, firstBytes: 2_000_000 },
];
const TOTAL = EXPORTS.reduce((n, e) => n + e.count, 0);
/** Kafka engine blocks are flushed every 7.5 s (stream_flush_interval_ms): a late copy would arrive within one. */
const FLUSH_MS = 8_000;

describe('flow generator → goflow2 → Kafka → flow-enricher → Kafka → ClickHouse (chdb), every part real', () => {
  let chain: FlowChain;
  let sent: { flows: number; seconds: number };

  beforeAll(async () => {
    chain = await startFlowChain();
    // 1,000 flows/s, well below what the chain holds on a busy machine (npm run bench:flow-pipeline): a loss here is a fault, not load.
    sent = await sendChainFlows(chain.goflow2.netflow, EXPORTS, 1_000).done;
    const count = async () => Number((await chain.rows<{ n: string }>(`SELECT count() AS n FROM ${FLOWS_DATABASE}.flows_raw`))[0].n);
    // Short of them, the tests below say which flows are missing or doubled.
    await waitFor(`${TOTAL} flows in flows_raw`, async () => (await count()) >= TOTAL, 150_000, 1000).catch(() => undefined);
    await sleep(FLUSH_MS);
  }, 300_000);

  afterAll(async () => {
    await chain?.stop();
  });

  it('stores every flow sent exactly once, with exactly its bytes and packets', async () => {
    expect(sent.flows).toBe(TOTAL);
    for (const e of EXPORTS) {
      const flows = Array.from({ length: e.count }, (_, k) => chainFlow(e, k));
      expect(await chain.stored(e.firstBytes, e.count)).toEqual<Stored>({
        rows: e.count,
        flows: e.count,
        duplicates: 0,
        bytes: flows.reduce((s, f) => s + BigInt(f.bytes), 0n),
        packets: flows.reduce((s, f) => s + BigInt(f.packets), 0n),
      });
    }
    const [all] = await chain.rows<{ n: string; errors: string }>(
      `SELECT toString((SELECT count() FROM ${FLOWS_DATABASE}.flows_raw)) AS n, toString((SELECT count() FROM ${FLOWS_DATABASE}.flows_kafka_errors)) AS errors`);
    expect(all).toEqual({ n: String(TOTAL), errors: '0' });
  });

  it('passes each flow once through every stage: goflow2 one per raw message, the enricher in and out, both consumer groups caught up', async () => {
    expect(await chain.topic(FlowTopic.RAW, CHAIN_GROUPS.enricher)).toEqual({ messages: TOTAL, lag: 0 });
    expect(await chain.enricherCounts()).toEqual({ in: TOTAL, out: TOTAL });
    const enriched = await chain.topic(FlowTopic.ENRICHED, CHAIN_GROUPS.clickhouse);
    // The enricher packs many flows into a message (FLOWS_PER_MESSAGE, 500 by default).
    expect(enriched.messages).toBeLessThan(TOTAL);
    expect(enriched.lag).toBe(0);
  });

  it('stores both addresses\' NetBox device, role, tenant and site, the exporter and its interfaces, as the fixture says', async () => {
    const facts = (side: 'src' | 'dst') => `concat(${side}_device, '/', ${side}_device_role, '/', ${side}_device_tenant, '/', ${side}_device_site)`;
    const stored = await chain.rows<Record<string, string>>(
      `SELECT exporter_name AS exporter, in_if_name AS in_if, out_if_name AS out_if, toString(src_addr) AS src, ${facts('src')} AS src_facts,
              toString(dst_addr) AS dst, ${facts('dst')} AS dst_facts, toString(count()) AS n, toString(sum(bytes)) AS bytes
       FROM ${FLOWS_DATABASE}.flows_raw GROUP BY ALL`);
    const expected = new Map<string, { n: number; bytes: bigint }>();
    for (const e of EXPORTS) {
      const x = CHAIN_INTERFACES[e.exporter];
      for (let k = 0; k < e.count; k++) {
        const f = chainFlow(e, k);
        const key = [x.name, x.in[1], x.out[1], `::ffff:${f.src}`, hostFacts(f.src), `::ffff:${f.dst}`, hostFacts(f.dst)].join(' ');
        const s = expected.get(key) ?? { n: 0, bytes: 0n };
        expected.set(key, { n: s.n + 1, bytes: s.bytes + BigInt(f.bytes) });
      }
    }
    expect(stored.map((r) => `${[r.exporter, r.in_if, r.out_if, r.src, r.src_facts, r.dst, r.dst_facts].join(' ')} ${r.n} ${r.bytes}`).sort())
      .toEqual([...expected].map(([key, s]) => `${key} ${s.n} ${s.bytes}`).sort());
    // Every host of the chain is a device in the fixture: no flow lacks either side's device.
    expect(stored.every((r) => !r.src_facts.startsWith('/') && !r.dst_facts.startsWith('/'))).toBe(true);
    // 2 exporters × 20 ordered host pairs.
    expect(stored).toHaveLength(40);
  });
});
