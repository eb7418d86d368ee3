// The run's ledger of started peer processes, shared by the harness (TypeScript),
// jest's global setup and teardown, and the test environment (plain modules,
// which jest loads without transforming).
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR_PREFIX = 'helios-peers-run-';

/** The folder of this test run: the ledger and every peer's log. */
export function runDir() {
  const dir = process.env.HELIOS_PEERS_RUN_DIR ?? (process.env.HELIOS_PEERS_RUN_DIR = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX)));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function ledgerPath(dir = runDir()) {
  return join(dir, 'ledger.jsonl');
}

export function record(entry) {
  appendFileSync(ledgerPath(), `${JSON.stringify({ ...entry, at: new Date().toISOString() })}\n`);
}

export function readLedger(dir = runDir()) {
  const path = ledgerPath(dir);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Entries started but never stopped. */
export function unstopped(entries) {
  const stopped = new Set(entries.filter((e) => e.event === 'stop').map((e) => e.pid));
  return entries.filter((e) => e.event === 'start' && !stopped.has(e.pid));
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a peer's whole process group. */
export function killGroup(pid) {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
}
