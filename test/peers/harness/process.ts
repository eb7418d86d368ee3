import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, record, runDir } from './ledger.mjs';

export { isAlive, readLedger, runDir, unstopped, type LedgerEntry } from './ledger.mjs';

/**
 * Lifecycle of the real programs tests talk to. Every process a test starts is
 * written to the run's ledger (one JSON line when it starts, one when it stops),
 * so the run can prove at its end that nothing it started is still alive — even
 * when a test file times out and never reaches its afterAll.
 */

/**
 * Ports handed out by `freePort` come from below Linux's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range, 32768–60999 by default). A port
 * picked there would be free when checked and could still be taken as the
 * source port of some outgoing connection before the peer binds it — which
 * is how a kube-apiserver once failed CI with "address already in use".
 */
const PORT_RANGE = { first: 20_000, last: 32_000 };

/**
 * Claims on ports, one file per port holding the claiming process's pid, so
 * jest workers and concurrent test runs on one machine never pick the same
 * port between checking it and the peer binding it. A claim of a dead
 * process is taken over.
 */
const PORT_CLAIMS_DIR = join(tmpdir(), 'helios-test-port-claims');

/** The pid in a claim file: 0 while it is being written, undefined once it is gone. */
function claimOwner(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function claimPort(port: number): boolean {
  const file = join(PORT_CLAIMS_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = claimOwner(file);
    if (owner === undefined) continue;
    if (owner === 0 || owner === process.pid || isAlive(owner)) return false;
    rmSync(file, { force: true });
  }
  return false;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that is free and claimed by this process for its
 * lifetime (being free for TCP, almost surely free for UDP too).
 */
export async function freePort(): Promise<number> {
  mkdirSync(PORT_CLAIMS_DIR, { recursive: true });
  const size = PORT_RANGE.last - PORT_RANGE.first + 1;
  const start = randomInt(size);
  for (let i = 0; i < size; i++) {
    const port = PORT_RANGE.first + ((start + i) % size);
    if (claimPort(port) && await bindable(port)) return port;
  }
  throw new Error(`no free port left in ${PORT_RANGE.first}–${PORT_RANGE.last}`);
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
