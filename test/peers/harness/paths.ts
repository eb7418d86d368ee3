import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where `npm run peers` put the peers (see test/peers/provision/lib.sh). */
export const PEERS_CACHE = process.env.HELIOS_PEERS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'helios-peers');

function mustExist(path: string, what: string): string {
  if (!existsSync(path)) {
    // Never a skip: a test that needs a peer fails when it is missing, in CI and locally.
    throw new Error(`${what} is not provisioned (${path} is missing): run \`npm run peers\``);
  }
  return path;
}

/** An executable installed by a provisioning script. */
export function peerBin(name: string): string {
  return mustExist(join(PEERS_CACHE, 'bin', name), `test peer "${name}"`);
}

/** A data file installed by a provisioning script (databases, schemas, sample configs). */
export function peerData(...path: string[]): string {
  return mustExist(join(PEERS_CACHE, 'data', ...path), `test data "${path.join('/')}"`);
}
