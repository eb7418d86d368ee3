import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { OUTPUT_MARKER, recoverInterruptedSwap, writeTreeAtomically } from '../../src/write.js';
import { runSynth, treeDigest } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';

/**
 * A writer process to kill: it writes a tree with src/write.ts (compiled once, so a run
 * costs a bare node start, not tsx's). With a number N it sends itself SIGKILL just before
 * write.ts's N-th file-system change, to hit every step of the swap, the gap between
 * the two renames included; with `loop` it writes the two trees in turn until killed.
 */
const WRITER = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const [writeModule, out, treesFile, mode] = process.argv.slice(2);
const [treeA, treeB] = JSON.parse(fs.readFileSync(treesFile, 'utf8')).map((t) => new Map(t));
let changes = 0;
for (const name of ['mkdirSync', 'mkdtempSync', 'writeFileSync', 'renameSync', 'rmSync']) {
  const real = fs[name];
  fs[name] = (...args) => {
    changes += 1;
    if (changes === Number(mode)) process.kill(process.pid, 'SIGKILL');
    return real(...args);
  };
}
syncBuiltinESMExports();
const { writeTreeAtomically } = await import(writeModule);
if (mode === 'loop') {
  for (let i = 0; ; i++) {
    writeTreeAtomically(out, i % 2 ? treeA : treeB);
    if (i === 0) process.stdout.write('ready\\n');
  }
}
writeTreeAtomically(out, treeB);
process.stdout.write(String(changes));
`;

/** The old tree: a small cluster output. */
const OLD = new Map([
  ['c1/cluster/helios-namespaces.yaml', 'kind: Namespace\nname: helios-metrics\n'],
  ['c1/helios-metrics/gnmic.yaml', 'kind: Deployment\nreplicas: 2\n'],
  ['c1/helios-metrics/prometheus.yaml', 'kind: Prometheus\nshards: 2\n'],
  ['c1/helios-flows/kafka.yaml', 'kind: Kafka\npartitions: 12\n'],
]);

/** The new tree: a component gone, one added, one changed, so any mix of the two shows. */
const NEW = new Map([
  ['c1/cluster/helios-namespaces.yaml', 'kind: Namespace\nname: helios-metrics\n'],
  ['c1/helios-metrics/gnmic.yaml', 'kind: Deployment\nreplicas: 3\n'],
  ['c1/helios-metrics/thanos-query.yaml', 'kind: Deployment\nreplicas: 2\n'],
  ['c1/helios-flows/kafka.yaml', 'kind: Kafka\npartitions: 24\n'],
  ['c2/cluster/helios-namespaces.yaml', 'kind: Namespace\nname: helios-flows\n'],
]);

/** mulberry32: a seeded generator, so a failing kill sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261207;

describe('a synth killed while writing its output', () => {
  let work: string;
  let writer: string;
  let trees: string;
  let oldDigest: string;
  let newDigest: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'helios-out-crash-'));
    const compiled = ts.transpileModule(readFileSync(join(REPO_ROOT, 'src', 'write.ts'), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(work, 'write.mjs'), compiled.outputText);
    writer = join(work, 'writer.mjs');
    writeFileSync(writer, WRITER);
    trees = join(work, 'trees.json');
    writeFileSync(trees, JSON.stringify([[...OLD], [...NEW]]));
    writeTreeAtomically(join(work, 'reference-old'), OLD);
    writeTreeAtomically(join(work, 'reference-new'), NEW);
    oldDigest = treeDigest(join(work, 'reference-old'));
    newDigest = treeDigest(join(work, 'reference-new'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const leftovers = (parent: string) => readdirSync(parent).filter((e) => e.startsWith('.'));

  it('always leaves the complete old or new tree, after the next run recovers an interrupted swap (200 SIGKILLs)', async () => {
    const parent = join(work, 'kills');
    const out = join(parent, 'dist');
    mkdirSync(parent);
    const next = random(SEED);
    const counts = { old: 0, new: 0, restored: 0 };
    const outcomes: string[] = [];
    // What a kill left, then what the next run's recovery makes of it.
    const judge = (how: string, before: readonly string[]) => {
      const now = treeDigest(out);
      if (now === 'absent') {
        // Killed between the renames: the complete tree that was there waits beside the output.
        const old = leftovers(parent).filter((e) => e.startsWith('.dist-old-'));
        expect(old).toHaveLength(1);
        expect(before).toContain(treeDigest(join(parent, old[0])));
      } else {
        expect([oldDigest, newDigest]).toContain(now);
      }
      recoverInterruptedSwap(out);
      const after = treeDigest(out);
      expect([oldDigest, newDigest]).toContain(after);
      expect(leftovers(parent)).toEqual([]);
      const outcome = now === 'absent' ? 'restored' : after === oldDigest ? 'old' : 'new';
      counts[outcome] += 1;
      outcomes.push(`${how}:${outcome}`);
    };

    // Each run starts from the old tree, written by the real code path.
    writeTreeAtomically(out, OLD);
    const run = (mode: string) => spawnSync(process.execPath, [writer, join(work, 'write.mjs'), out, trees, mode], { encoding: 'utf8' });
    const complete = run('none');
    expect(complete.status).toBe(0);
    expect(treeDigest(out)).toBe(newDigest);
    const changes = Number(complete.stdout);
    expect(changes).toBeGreaterThan(10);

    // Every file-system change of the write, once each, then random ones: 150 kills.
    const sweep = Array.from({ length: changes }, (_, i) => i + 1);
    const points = [...sweep, ...Array.from({ length: 150 - changes }, () => 1 + Math.floor(next() * changes))];
    for (const point of points) {
      writeTreeAtomically(out, OLD);
      const r = run(String(point));
      expect(r.signal).toBe('SIGKILL');
      judge(`change ${point}`, [oldDigest]);
    }

    // 50 kills from outside, at a random microsecond while the writer swaps trees in a loop.
    for (let i = 0; i < 50; i++) {
      writeTreeAtomically(out, OLD);
      const child = spawn(process.execPath, [writer, join(work, 'write.mjs'), out, trees, 'loop'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((ready) => child.stdout.once('data', () => ready()));
      const until = process.hrtime.bigint() + BigInt(Math.floor(next() * 5000) * 1000);
      while (process.hrtime.bigint() < until);
      const exited = new Promise((done) => child.once('exit', (_code, signal) => done(signal)));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      judge('timed', [oldDigest, newDigest]);
    }

    console.log(`seed ${SEED}: ${outcomes.length} SIGKILLs (${points.length} at one of the write's ${changes} file-system changes, 50 at random times); `
      + `output afterwards: old tree ${counts.old}, new tree ${counts.new}, missing and restored from .dist-old-* ${counts.restored}`);
    expect(outcomes).toHaveLength(200);
    // The sweep over every change reaches the gap between the renames, and both trees occur.
    expect(counts.restored).toBeGreaterThan(0);
    expect(counts.old).toBeGreaterThan(0);
    expect(counts.new).toBeGreaterThan(0);
  }, 600_000); // 200 node starts: about a minute on a busy 2-core machine.

  it('the next synth puts back the output a kill between the renames left missing, and removes the temporary folders', () => {
    const parent = join(work, 'next-synth');
    const out = join(parent, 'dist');
    mkdirSync(parent);
    writeTreeAtomically(out, OLD);
    // Which change is the second rename: the last but one (the last removes the old tree).
    const complete = spawnSync(process.execPath, [writer, join(work, 'write.mjs'), out, trees, 'none'], { encoding: 'utf8' });
    const secondRename = Number(complete.stdout) - 1;
    writeTreeAtomically(out, OLD);
    const killed = spawnSync(process.execPath, [writer, join(work, 'write.mjs'), out, trees, String(secondRename)], { encoding: 'utf8' });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    const [newLeft, oldLeft] = [leftovers(parent).filter((e) => e.startsWith('.dist-new-')), leftovers(parent).filter((e) => e.startsWith('.dist-old-'))];
    expect([newLeft.length, oldLeft.length]).toEqual([1, 1]);
    expect(treeDigest(join(parent, oldLeft[0]))).toBe(oldDigest);

    // A config error still restores the output: only the writing is refused.
    writeFileSync(join(parent, 'helios.yaml'), 'clusters: 3\n');
    const r = runSynth([], parent);
    expect(r.stderr).toContain(`helios: restored dist from ${oldLeft[0]}, left by a synth killed while swapping`);
    expect(r.stderr).toContain(`helios: removed ${newLeft[0]}, left by a killed synth`);
    expect(r.status).toBe(1);
    expect(treeDigest(out)).toBe(oldDigest);
    expect(readdirSync(parent).sort()).toEqual(['dist', 'helios.yaml']);
  });

  it('the next synth removes the temporary folder of a writer killed while writing', () => {
    const parent = join(work, 'stale');
    const out = join(parent, 'dist');
    mkdirSync(parent);
    writeTreeAtomically(out, OLD);
    // Killed half-way through writing the new tree.
    expect(spawnSync(process.execPath, [writer, join(work, 'write.mjs'), out, trees, '6']).signal).toBe('SIGKILL');
    const [killed] = leftovers(parent);
    expect(killed).toMatch(/^\.dist-new-\d+-\d+-[A-Za-z0-9]{6}$/);
    expect(treeDigest(out)).toBe(oldDigest);
    // And two a killed Helios older than the output marker left (their names carry no pid).
    const legacy = ['.dist-new-Ab12Cd', '.dist-old-Zz99Yy'];
    for (const e of legacy) {
      mkdirSync(join(parent, e, 'c1'), { recursive: true });
      writeFileSync(join(parent, e, 'c1', 'kafka.yaml'), 'kind: Kafka\n');
    }
    const r = runSynth([], parent);
    expect(r.status).toBe(0);
    for (const e of [killed, ...legacy]) expect(r.stderr).toContain(`helios: removed ${e}, left by a killed synth`);
    expect(readdirSync(parent)).toEqual(['dist']);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'helios']);
  });

  it('refuses to write while another synth is writing the same output', () => {
    const parent = join(work, 'busy');
    mkdirSync(parent);
    // This test process stands for the running synth: its pid and start time name the folder.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const busy = `.dist-new-${process.pid}-${start}-AbC123`;
    mkdirSync(join(parent, busy));
    const r = runSynth([], parent);
    expect(r.stderr).toContain(`helios: refusing to write dist: another synth (pid ${process.pid}) is writing it right now (${busy}); nothing was changed`);
    expect(r.status).toBe(1);
    expect(readdirSync(parent)).toEqual([busy]);
  });
});
