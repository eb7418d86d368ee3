// A jest environment that prints the log tail of every peer the failing test's
// file has running, so a failure shows what the real program said.
const { existsSync, readFileSync } = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');
const { readLedger, unstopped } = require('./ledger.mjs');

class PeerLogEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    if (event.name !== 'test_done' || event.test.errors.length === 0 || !process.env.HELIOS_PEERS_RUN_DIR) return;
    for (const peer of unstopped(readLedger()).filter((e) => e.worker === process.pid)) {
      const lines = existsSync(peer.log) ? readFileSync(peer.log, 'utf8').split('\n').slice(-40).join('\n') : '(no log)';
      process.stderr.write(`\n--- "${event.test.name}" failed; last lines of ${peer.name} (${peer.log}) ---\n${lines}\n`);
    }
  }
}

module.exports = PeerLogEnvironment;
