import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeDigest } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';

const CONFIG = `clusters:
  - name: c1
    datacenter: dc1
    tier: small
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
`;

interface Synth {
  /** Resolves once synth is running its own code and reads the config (it blocks on the FIFO until then). */
  readonly reading: Promise<void>;
  readonly npm: ReturnType<typeof spawn>;
  /** Resolves with everything printed once every process of the chain has exited (they all hold the pipes). */
  readonly done: Promise<string>;
  /** Hands synth its config. */
  feed(): Promise<void>;
}

/**
 * `npm run synth` as a user runs it (npm → sh → projen → tsx → node), reading its config
 * from a FIFO: synth waits there, fully started, until the test lets it go on.
 */
function startSynth(fifo: string, out: string): Synth {
  const npm = spawn('npm', ['run', 'synth', '--', '--config', fifo, '--out', out], {
    cwd: REPO_ROOT,
    env: { ...process.env, HELIOS_CONFIG: undefined, NODE_OPTIONS: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  npm.stdout!.on('data', (d: Buffer) => { printed += d.toString(); });
  npm.stderr!.on('data', (d: Buffer) => { printed += d.toString(); });
  const done = new Promise<string>((resolve) => npm.once('close', () => resolve(printed)));
  const writer = open(fifo, 'w');
  return {
    npm,
    done,
    reading: Promise.race([writer.then(() => {}), done.then((p) => {
      // Releases the writer still waiting for a reader, so no open handle outlives the test.
      closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
      throw new Error(`synth ended before reading its config:\n${p}`);
    })]),
    async feed() {
      const fd = await writer;
      await fd.writeFile(CONFIG);
      await fd.close();
    },
  };
}

describe('a synth whose launcher is killed', () => {
  let work: string;
  let fifo: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'helios-out-parent-'));
    fifo = join(work, 'helios.yaml');
    execFileSync('mkfifo', [fifo]);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes the output when npm run synth lives to the end', async () => {
    const synth = startSynth(fifo, join(work, 'out'));
    await synth.reading;
    await synth.feed();
    const printed = await synth.done;
    expect(synth.npm.exitCode).toBe(0);
    expect(printed).toContain(`helios: ${join(work, 'out')}/c1: `);
    expect(existsSync(join(work, 'out', 'c1', 'cluster', 'helios-namespaces.yaml'))).toBe(true);
  });

  it('never replaces the output after npm run synth was killed with SIGKILL', async () => {
    const out = join(work, 'out');
    const before = treeDigest(out);
    const synth = startSynth(fifo, out);
    await synth.reading;
    const npmPid = synth.npm.pid!;
    const killed = new Promise((resolve) => synth.npm.once('exit', (_code, signal) => resolve(signal)));
    synth.npm.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    // npm is gone; projen, tsx and synth run on, re-parented. Let synth finish its work.
    await synth.feed();
    const printed = await synth.done;
    expect(printed).toContain(`helios: pid ${npmPid} (`);
    expect(printed).toContain(`), which started this synth, has exited; ${out}/ is unchanged`);
    expect(treeDigest(out)).toBe(before);
    expect(existsSync(join(work, 'out', 'c1'))).toBe(true);
  });
});
