import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_DIR_PREFIX, isAlive, killGroup, newRunDir, readLedger, runInProgress, unstopped } from './ledger.mjs';

/** The program a pid runs now, to tell a leftover peer from a process that reused its pid. */
function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * Before the run: stop peers an earlier, interrupted run left behind (its ledger
 * says they were started and never stopped), then open this run's ledger.
 */
export default function globalSetup() {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(RUN_DIR_PREFIX))) {
    const dir = join(tmpdir(), name);
    // Another test run on this machine (a service's tests, another checkout) is not a leftover.
    if (runInProgress(dir)) continue;
    for (const e of unstopped(readLedger(dir))) {
      if (isAlive(e.pid) && e.command && commandOf(e.pid) === e.command) {
        console.error(`helios peers: stopping ${e.name} (pid ${e.pid}) left running by an earlier test run`);
        killGroup(e.pid);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  process.env.HELIOS_PEERS_RUN_DIR = newRunDir();
}
