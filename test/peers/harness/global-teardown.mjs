import { isAlive, killGroup, readLedger, unstopped } from './ledger.mjs';

/**
 * After the run: every process a test started must be gone. Any still alive is
 * killed and fails the run, naming it, so a leak is fixed rather than accumulated.
 */
export default function globalTeardown() {
  const dir = process.env.HELIOS_PEERS_RUN_DIR;
  if (!dir) return;
  const entries = readLedger(dir);
  const started = entries.filter((e) => e.event === 'start');
  const alive = unstopped(entries).filter((e) => isAlive(e.pid));
  alive.forEach((e) => killGroup(e.pid));
  if (started.length > 0) {
    console.error(`helios peers: tests started ${started.length} processes and stopped ${started.length - alive.length}${alive.length ? `; ${alive.length} were left running and are killed now` : ''} (logs: ${dir})`);
  }
  if (alive.length > 0) {
    throw new Error(`test peers left running after the run: ${alive.map((e) => `${e.name} (pid ${e.pid}: ${e.command})`).join('; ')}`);
  }
}
