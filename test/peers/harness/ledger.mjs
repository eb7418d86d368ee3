// The run's ledger of started peer processes, shared by the harness (TypeScript),
// jest's global setup and teardown, and the test environment (plain modules,
// which jest loads without transforming).
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR_PREFIX = 'helios-peers-run-';

/** The folder of this test run: the ledger and every peer's log. */
export function runDir() {
  if (!process.env.HELIOS_PEERS_RUN_DIR) process.env.HELIOS_PEERS_RUN_DIR = newRunDir();
  const dir = process.env.HELIOS_PEERS_RUN_DIR;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh run folder, owned by this process (several runs may share the machine). */
export function newRunDir() {
  const dir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  writeFileSync(join(dir, 'owner'), String(process.pid));
  return dir;
}

/** Whether the run of a folder is still going: its owner, or a worker that started a peer, is alive. */
export function runInProgress(dir) {
  const ownerFile = join(dir, 'owner');
  const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : undefined;
  if (owner && owner !== process.pid && isAlive(owner)) return true;
  return unstopped(readLedger(dir)).some((e) => e.worker && e.worker !== process.pid && isAlive(e.worker));
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
