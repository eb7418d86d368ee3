import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './ledger.mjs';
import { peerBin } from './paths.js';
import { freePort, PeerProcess } from './process.js';

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

  /** Stops the broker (SIGTERM, or SIGKILL with `crash`) and starts it again on the same ports and data. */
  public async restart(downMs = 0, crash = false): Promise<void> {
    await this.process.stop(10_000, crash);
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

/**
 * A KRaft cluster of three or more nodes on loopback, each a broker and a controller
 * (combined mode): the controller quorum survives one node's restart. The same
 * launcher as KafkaBroker; node ids are 1..n.
 */
export class KafkaCluster {

  public static async start(nodes = 3, settings: Record<string, string> = {}): Promise<KafkaCluster> {
    if (!Number.isInteger(nodes) || nodes < 3) throw new Error(`KafkaCluster: nodes ${nodes} is not an integer ≥ 3 (a quorum that survives one restart)`);
    const cluster = mkdtempSync(join(runDir(), 'kafka-cluster-'));
    const ports: Array<{ port: number; controller: number }> = [];
    while (ports.length < nodes) {
      const [port, controller] = [await freePort(), await freePort()];
      const taken = ports.flatMap((p) => [p.port, p.controller]);
      if (port !== controller && !taken.includes(port) && !taken.includes(controller)) ports.push({ port, controller });
    }
    const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',');
    // One cluster id for every node's storage (StorageTool format reads DIR/cluster.id through the launcher).
    const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
    const shared = {
      'controller.quorum.voters': voters,
      'offsets.topic.replication.factor': String(Math.min(3, nodes)),
      'transaction.state.log.replication.factor': String(Math.min(3, nodes)),
      'transaction.state.log.min.isr': '2',
      ...settings,
    };
    const members = ports.map((p, i) => {
      const dataDir = join(cluster, `node-${i + 1}`);
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, 'cluster.id'), `${clusterId}\n`);
      const args = ['--dir', dataDir, '--port', String(p.port), '--controller-port', String(p.controller)];
      const set = { ...shared, 'node.id': String(i + 1) };
      return { dataDir, args: [...args, ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`])], bootstrap: `127.0.0.1:${p.port}` };
    });
    // Every node waits for the quorum before it serves: start them together.
    const processes = await Promise.all(members.map((m, i) => KafkaCluster.launch(i + 1, m.args)));
    return new KafkaCluster(members, processes);
  }

  private static launch(node: number, args: readonly string[]): Promise<PeerProcess> {
    return PeerProcess.start({
      name: `kafka-${node}`,
      command: peerBin('kafka-server'),
      args,
      env: { KAFKA_LOG_LEVEL: 'INFO' },
      ready: (p) => p.log().includes('Kafka Server started'),
      readyTimeoutMs: 180_000,
    });
  }

  private constructor(
    private readonly members: ReadonlyArray<{ readonly dataDir: string; readonly args: readonly string[]; readonly bootstrap: string }>,
    private readonly processes: PeerProcess[],
  ) {}

  /** `host:port` of every node's PLAINTEXT listener, comma-separated: a client's bootstrap list. */
  public get bootstrap(): string {
    return this.members.map((m) => m.bootstrap).join(',');
  }

  /** Node ids, 1..n. */
  public get nodeIds(): number[] {
    return this.members.map((_, i) => i + 1);
  }

  /**
   * Stops one node and starts it again on the same ports and data: SIGTERM (a controlled
   * shutdown that first moves its leaderships away), or SIGKILL with `crash`.
   */
  public async restart(nodeId: number, downMs = 0, crash = false): Promise<void> {
    const i = this.index(nodeId);
    await this.processes[i]!.stop(10_000, crash);
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    this.processes[i] = await KafkaCluster.launch(nodeId, this.members[i]!.args);
  }

  public async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }

  public tail(nodeId: number, lines = 30): string {
    return this.processes[this.index(nodeId)]!.tail(lines);
  }

  private index(nodeId: number): number {
    if (!Number.isInteger(nodeId) || nodeId < 1 || nodeId > this.members.length) throw new Error(`KafkaCluster: node ${nodeId} is not one of 1..${this.members.length}`);
    return nodeId - 1;
  }
}
