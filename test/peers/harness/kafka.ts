import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './ledger.mjs';
import { peerBin } from './paths.js';
import { PeerProcess } from './process.js';

/** A single-node KRaft Kafka broker (Apache Kafka from Maven Central) on free loopback ports. */
export class KafkaBroker {

  public static async start(settings: Record<string, string> = {}): Promise<KafkaBroker> {
    const dataDir = mkdtempSync(join(runDir(), 'kafka-'));
    return new KafkaBroker(await KafkaBroker.launch(dataDir, settings), dataDir, settings);
  }

  private static launch(dataDir: string, settings: Record<string, string>): Promise<PeerProcess> {
    const extra = Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    return PeerProcess.start({
      name: 'kafka',
      command: peerBin('kafka-server'),
      args: ['--dir', dataDir, ...extra],
      env: { KAFKA_LOG_LEVEL: 'INFO' },
      ready: (p) => p.log().includes('Kafka Server started'),
      readyTimeoutMs: 90_000,
    });
  }

  private constructor(private process: PeerProcess, public readonly dataDir: string, private readonly settings: Record<string, string>) {}

  /** `host:port` of the PLAINTEXT listener; stable across restarts. */
  public get bootstrap(): string {
    return readFileSync(join(this.dataDir, 'bootstrap'), 'utf8').trim();
  }

  /** Stops the broker and starts it again on the same ports and data. */
  public async restart(downMs = 0): Promise<void> {
    await this.process.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    this.process = await KafkaBroker.launch(this.dataDir, this.settings);
  }

  /** The broker's process (group) id: benchmarks read its CPU time. */
  public get pid(): number {
    return this.process.pid;
  }

  public async stop(): Promise<void> {
    await this.process.stop();
  }

  public tail(lines = 30): string {
    return this.process.tail(lines);
  }
}
