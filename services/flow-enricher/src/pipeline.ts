import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { CompressionTypes, Partitioners } from './kafkajs.js';
import type { Logger } from './log.js';
import type { EnricherMetrics } from './metrics.js';
import type { FlowTranscoder } from './transcode.js';

export interface PipelineOptions {
  readonly kafka: Kafka;
  readonly rawTopic: string;
  readonly enrichedTopic: string;
  readonly groupId: string;
  readonly transcoder: FlowTranscoder;
  readonly metrics: EnricherMetrics;
  readonly log: Logger;
  /** Called when kafkajs gives up on the consumer for good (a non-retriable error): the process should exit. */
  readonly onFatal?: (error: Error) => void;
}

/** Raw partitions handled at once: one batch is enriched while others wait for their produce acknowledgement. */
const PARTITIONS_AT_ONCE = 4;

/**
 * Bytes of EnrichedFlows per produce request. A raw batch (up to 1 MiB per
 * partition) enriches to two or three times its size, and a broker refuses a
 * partition's record batch over its message.max.bytes (1 MiB by default) for
 * good: a batch is produced in requests of at most this much, whatever
 * partitions its messages land on.
 */
const PRODUCE_REQUEST_BYTES = 512 * 1024;

/** Rebalance errors: the partition may now belong to another enricher. */
function isRebalancing(e: unknown): boolean {
  const type = (e as { type?: string }).type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION' || type === 'UNKNOWN_MEMBER_ID';
}

/**
 * helios-flows-raw → enrich → helios-flows-enriched, at least once: a batch's
 * offsets are committed only after every message made from it is acknowledged
 * by all in-sync replicas (acks=-1, idempotent producer). A batch whose produce
 * fails is kept and produced again, with the raw topic paused meanwhile (the
 * producer lags, so reading more would only pile up memory); a batch whose
 * partition was taken away by a rebalance is abandoned uncommitted, and whoever
 * owns the partition now reads it again. Duplicates are possible; loss is not.
 */
export class EnrichmentPipeline {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private joined = false;
  private stopping = false;
  /** When stop() gives up on a batch that cannot be produced (ms since the epoch). */
  private giveUpAt = Infinity;
  private lagging = 0;
  private starting?: Promise<boolean>;
  /** Cuts short the waits between connection attempts when stop() is called. */
  private readonly stopSignal = new AbortController();

  public constructor(private readonly options: PipelineOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
    });
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, (e) => {
      this.joined = true;
      // Partitions may have moved to another member: their last lag is no longer this one's to report.
      options.metrics.lag.reset();
      options.log.info('joined the consumer group', { groupId: options.groupId, memberId: e.payload.memberId, assignment: e.payload.memberAssignment });
    });
    this.consumer.on(events.CRASH, (e) => {
      this.joined = false;
      options.log.error('Kafka consumer crashed', { error: e.payload.error.message, restarting: e.payload.restart });
      if (!e.payload.restart && !this.stopping) options.onFatal?.(e.payload.error);
    });
    this.consumer.on(events.STOP, () => { this.joined = false; });
  }

  /** True while the consumer is a member of its group (readiness). */
  public get consuming(): boolean {
    return this.joined && !this.stopping;
  }

  /** Connects and joins, retrying while Kafka cannot be reached (false: stop() was called first). */
  public start(): Promise<boolean> {
    this.starting ??= this.connectAndRun();
    return this.starting;
  }

  private async connectAndRun(): Promise<boolean> {
    const { rawTopic, log } = this.options;
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) return false;
      try {
        await this.producer.connect();
        await this.consumer.connect();
        // A new group starts at the oldest retained flow: flows goflow2 wrote before the first enricher joined are not lost.
        await this.consumer.subscribe({ topics: [rawTopic], fromBeginning: true });
        break;
      } catch (e) {
        if (this.stopping) return false;
        log.warn('cannot reach Kafka yet; retrying', { error: (e as Error).message, attempt });
        await sleep(Math.min(1000 * 2 ** attempt, 30_000), undefined, { signal: this.stopSignal.signal }).catch(() => {});
      }
    }
    if (this.stopping) return false;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    return true;
  }

  /**
   * Finishes the batches in flight (produced, acknowledged, committed), then leaves
   * the group. A batch that still cannot be produced after `graceMs` is abandoned
   * uncommitted: the next enricher reads it again.
   */
  public async stop(graceMs = 20_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.giveUpAt = Date.now() + graceMs;
    this.stopSignal.abort();
    await this.starting;
    await this.consumer.stop();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const started = performance.now();
    const { transcoder, metrics } = this.options;
    const messages = transcoder.transcode(batch.messages.map((m) => m.value));
    const counters = transcoder.takeCounters();
    const produced = await this.produce(messages, () => isStale() || (!isRunning() && Date.now() > this.giveUpAt), heartbeat);
    metrics.addBatch(counters, messages.length, produced);
    if (!produced) {
      this.options.log.warn('batch abandoned uncommitted; it will be read again', { topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset() });
      return;
    }
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }],
    });
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    metrics.batchSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * Produces until acknowledged (true) or until `abandon()` says the batch is no
   * longer ours to finish (false), in requests of at most PRODUCE_REQUEST_BYTES;
   * a failed request is retried, the acknowledged ones are not sent again.
   */
  private async produce(messages: Buffer[], abandon: () => boolean, heartbeat: () => Promise<void>): Promise<boolean> {
    const requests: Array<Array<{ value: Buffer }>> = [];
    let bytes = Infinity;
    for (const value of messages) {
      if (bytes + value.length > PRODUCE_REQUEST_BYTES) {
        requests.push([]);
        bytes = 0;
      }
      requests[requests.length - 1].push({ value });
      bytes += value.length;
    }
    let failures = 0;
    try {
      for (const records of requests) {
        if (!(await this.produceRequest(records, abandon, heartbeat, () => { if (failures++ === 0) this.pauseConsuming(); }))) return false;
      }
      return true;
    } finally {
      if (failures > 0) this.resumeConsuming();
    }
  }

  private async produceRequest(records: Array<{ value: Buffer }>, abandon: () => boolean, heartbeat: () => Promise<void>, failed: () => void): Promise<boolean> {
    const { log, metrics, enrichedTopic } = this.options;
    let failures = 0;
    for (;;) {
      try {
        await this.producer.send({ topic: enrichedTopic, acks: -1, compression: CompressionTypes.LZ4, messages: records });
        return true;
      } catch (e) {
        failures++;
        failed();
        metrics.produceRetries.inc();
        if (failures === 1 || failures % 10 === 0) log.warn('produce failed; keeping the batch and retrying', { error: (e as Error).message, attempts: failures });
      }
      if (abandon()) return false;
      await sleep(Math.min(200 * 2 ** Math.min(failures, 6), 10_000));
      try {
        await heartbeat();
      } catch (e) {
        // A rebalance means the partition may be someone else's now; a broker that is down is only waited for.
        if (isRebalancing(e)) return false;
      }
      if (abandon()) return false;
    }
  }

  private pauseConsuming(): void {
    if (this.lagging++ > 0) return;
    this.consumer.pause([{ topic: this.options.rawTopic }]);
    this.options.metrics.paused.set(1);
  }

  private resumeConsuming(): void {
    if (--this.lagging > 0) return;
    this.consumer.resume([{ topic: this.options.rawTopic }]);
    this.options.metrics.paused.set(0);
  }
}
