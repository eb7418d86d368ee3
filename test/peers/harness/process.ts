import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { isAlive, record, runDir } from './ledger.mjs';

export { isAlive, readLedger, runDir, unstopped, type LedgerEntry } from './ledger.mjs';

/**
 * Lifecycle of the real programs tests talk to. Every process a test starts is
 * written to the run's ledger (one JSON line when it starts, one when it stops),
 * so the run can prove at its end that nothing it started is still alive — even
 * when a test file times out and never reaches its afterAll.
 */

/** A free TCP port on 127.0.0.1 (and, being free for TCP, almost surely for UDP too). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it is true or the time is up. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface StartOptions {
  /** A short name for logs and the ledger: "kafka", "kube-apiserver"... */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** @default - the test's environment */
  readonly env?: NodeJS.ProcessEnv;
  /** @default - the run folder */
  readonly cwd?: string;
  /** Resolves true once the peer serves. */
  readonly ready: (peer: PeerProcess) => Promise<boolean> | boolean;
  /** @default 60000 */
  readonly readyTimeoutMs?: number;
}

/** A program started for a test, in its own process group, its output in a log file. */
export class PeerProcess {
  public static async start(options: StartOptions): Promise<PeerProcess> {
    const dir = runDir();
    const logFile = join(dir, `${options.name}-${process.pid}-${Date.now()}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd ?? dir,
      env: { ...process.env, NODE_OPTIONS: undefined, ...options.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    if (child.pid === undefined) {
      await new Promise((r) => child.once('error', r));
      throw new Error(`${options.name}: cannot start ${options.command}`);
    }
    // Our own test process must not wait for the peer's group to end.
    child.unref();
    const peer = new PeerProcess(options.name, child, logFile);
    record({ event: 'start', name: options.name, pid: child.pid, command: [options.command, ...options.args].join(' '), log: logFile, worker: process.pid });
    try {
      await waitFor(`${options.name} to become ready`, async () => {
        if (peer.exited) throw new Error(`${options.name} exited with code ${peer.exitCode} before it was ready`);
        return options.ready(peer);
      }, options.readyTimeoutMs ?? 60_000, 250);
    } catch (e) {
      await peer.stop();
      throw new Error(`${(e as Error).message}\n--- last lines of ${logFile} ---\n${peer.tail(40)}`);
    }
    return peer;
  }

  private exited = false;
  private exitCode: number | null = null;

  private constructor(
    public readonly name: string,
    private readonly child: ChildProcess,
    public readonly logFile: string,
  ) {
    child.on('exit', (code) => { this.exited = true; this.exitCode = code; });
  }

  public get pid(): number {
    return this.child.pid!;
  }

  public get running(): boolean {
    return !this.exited && isAlive(this.pid);
  }

  public log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  public tail(lines = 30): string {
    return this.log().split('\n').slice(-lines - 1).join('\n');
  }

  /**
   * Stops the whole process group: SIGTERM, then SIGKILL after `graceMs`; with
   * `crash`, SIGKILL at once (a machine that dies, not a pod that is stopped).
   */
  public async stop(graceMs = 10_000, crash = false): Promise<void> {
    const pgid = this.pid;
    const signal = (sig: NodeJS.Signals) => {
      try { process.kill(-pgid, sig); } catch { /* already gone */ }
    };
    if (isAlive(pgid)) {
      if (!crash) signal('SIGTERM');
      const deadline = Date.now() + graceMs;
      while (isAlive(pgid) && !this.exited && Date.now() < deadline) await sleep(50);
      signal('SIGKILL');
      while (isAlive(pgid) && !this.exited) await sleep(20);
    }
    record({ event: 'stop', name: this.name, pid: pgid });
  }
}
