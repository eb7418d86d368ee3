import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import globalTeardown from './harness/global-teardown.mjs';
import { isAlive, readLedger, record, unstopped } from './harness/ledger.mjs';
import { freePort, PeerProcess, sleep, waitFor } from './harness/process.js';

describe('the peer harness', () => {
  it('starts a peer in its own process group and stops the whole group, recording both in the ledger', async () => {
    const peer = await PeerProcess.start({
      name: 'shell-with-child',
      command: 'sh',
      args: ['-c', 'sleep 300 & echo "child $!"; sleep 300'],
      ready: (p) => /child \d+/.test(p.log()),
    });
    const child = Number(/child (\d+)/.exec(peer.log())![1]);
    expect(isAlive(peer.pid) && isAlive(child)).toBe(true);
    await peer.stop();
    await waitFor('the child to be reaped', () => !isAlive(child), 5000);
    expect(peer.running).toBe(false);
    const mine = readLedger().filter((e) => e.pid === peer.pid);
    expect(mine.map((e) => e.event)).toEqual(['start', 'stop']);
  });

  it('fails a start whose program exits before it is ready, showing the end of its log', async () => {
    await expect(PeerProcess.start({ name: 'broken', command: 'sh', args: ['-c', 'echo "bad flag --frobnicate" >&2; exit 3'], ready: () => false }))
      .rejects.toThrow(/broken exited with code 3 before it was ready[\s\S]*bad flag --frobnicate/);
  });

  it('fails a start that never becomes ready within its time, and stops the program', async () => {
    let pid = 0;
    await expect(PeerProcess.start({ name: 'slow', command: 'sleep', args: ['300'], ready: (p) => { pid = p.pid; return false; }, readyTimeoutMs: 500 }))
      .rejects.toThrow('timed out after 500 ms waiting for slow to become ready');
    expect(isAlive(pid)).toBe(false);
  });

  it('hands out distinct ports below the ephemeral range, each claimed by this process', async () => {
    const [ephemeralFirst] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = await Promise.all(Array.from({ length: 100 }, () => freePort()));
    expect(new Set(ports).size).toBe(100);
    for (const port of ports) {
      expect(port).toBeLessThan(ephemeralFirst);
      expect(readFileSync(join(tmpdir(), 'helios-test-port-claims', String(port)), 'utf8')).toBe(String(process.pid));
    }
  });

  it('fails the run and kills what a test left running', async () => {
    const previous = process.env.HELIOS_PEERS_RUN_DIR;
    const dir = mkdtempSync(join(tmpdir(), 'helios-ledger-check-'));
    const leaked = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    try {
      process.env.HELIOS_PEERS_RUN_DIR = dir;
      record({ event: 'start', name: 'leaky', pid: leaked.pid!, command: 'sleep 300' });
      expect(unstopped(readLedger(dir))).toHaveLength(1);
      expect(() => globalTeardown()).toThrow(`test peers left running after the run: leaky (pid ${leaked.pid}: sleep 300)`);
      await waitFor('the leaked process to die', () => leaked.exitCode !== null || leaked.signalCode !== null, 5000);
      expect(leaked.signalCode).toBe('SIGKILL');
    } finally {
      process.env.HELIOS_PEERS_RUN_DIR = previous;
    }
    expect(readFileSync(join(dir, 'ledger.jsonl'), 'utf8')).toContain('"leaky"');
    await sleep(0);
  });
});
