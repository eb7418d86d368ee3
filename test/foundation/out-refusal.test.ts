import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT } from '../../src/write.js';
import { runSynth, treeDigest } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';

const ALLOWED = 'the output must be a folder that does not exist yet, an empty folder, or one an earlier synth wrote (it holds .helios-output)';

/**
 * A scratch world: a project checkout (the working directory), a home folder, a folder
 * of someone's notes, a bare checkout and an earlier Helios output holding its config.
 */
function world(): string {
  const work = mkdtempSync(join(tmpdir(), 'helios-out-refusal-'));
  const write = (path: string, text: string) => {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), text);
  };
  write('proj/.git/HEAD', 'ref: refs/heads/main\n');
  write('proj/src/app.ts', 'export const precious = 1;\n');
  write('proj/sub/notes.md', 'work in progress\n');
  write('home/.bashrc', 'export EDITOR=vi\n');
  write('foreign/notes.txt', 'not Helios output\n');
  write('checkout/.git/config', '[core]\n');
  write(`marked/${OUTPUT_MARKER}`, OUTPUT_MARKER_TEXT);
  write('marked/helios.yaml', 'clusters: []\n');
  symlinkSync(join(work, 'foreign'), join(work, 'link'));
  return work;
}

/** Every folder's {@link treeDigest}, and where the link points (treeDigest does not follow links). */
function worldDigest(work: string): string {
  return readdirSync(work).sort().map((e) => {
    const full = join(work, e);
    return `${e}: ${lstatSync(full).isSymbolicLink() ? `-> ${readlinkSync(full)}` : treeDigest(full)}`;
  }).join('\n');
}

describe('npm run synth --out refuses what it must not replace', () => {
  let work: string;
  beforeAll(() => { work = world(); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // [what, working directory (in the scratch world), arguments, the real path named, why]
  const cases: [string, string, (w: string) => string[], (w: string) => string, (w: string) => string][] = [
    ['the working directory (--out .)', 'proj', () => ['--out', '.'], (w) => `${w}/proj`, () => 'it is the working directory'],
    ['a parent of it (--out ..)', 'proj/sub', () => ['--out', '..'], (w) => `${w}/proj`, (w) => `it holds the working directory ${w}/proj/sub`],
    ['the home folder (--out ~)', 'proj', (w) => ['--out', `${w}/home`], (w) => `${w}/home`, () => 'it is your home folder'],
    ['the root of the file system', 'proj', () => ['--out', '/'], () => '/', () => 'it is the root of the file system'],
    ['a non-empty folder no synth wrote', 'proj', () => ['--out', '../foreign'], (w) => `${w}/foreign`, () => 'it is not empty and holds no .helios-output, so no synth wrote it (an output of a Helios older than the marker: delete it and synth again)'],
    ['a folder holding .git', 'proj', () => ['--out', '../checkout'], (w) => `${w}/checkout`, () => 'it holds .git, so it is a git checkout'],
    ['a folder inside .git', 'proj', () => ['--out', '.git/helios'], (w) => `${w}/proj/.git/helios`, () => 'it is inside a git folder'],
    ['a symbolic link', 'proj', () => ['--out', '../link'], (w) => `${w}/link`, () => 'it is a symbolic link; name the folder it points to'],
    ['an output holding the config', 'proj', () => ['--config', '../marked/helios.yaml', '--out', '../marked'], (w) => `${w}/marked`, () => 'it holds ../marked/helios.yaml, which synth reads'],
  ];

  it.each(cases)('refuses %s, saying why and what is allowed, and changes nothing', (_what, cwd, args, target, why) => {
    const before = worldDigest(work);
    const argv = args(work);
    const r = runSynth(argv, join(work, cwd), { HOME: join(work, 'home') });
    expect(r.stderr).toContain(`helios: refusing to write ${argv.at(-1)} (${target(work)}): ${why(work)}; ${ALLOWED}`);
    expect(r.stderr).toContain('Nothing was changed.');
    expect(r.status).toBe(1);
    expect(worldDigest(work)).toBe(before);
    expect(before.split('\n').map((l) => l.split(':')[0])).toEqual(['checkout', 'foreign', 'home', 'link', 'marked', 'proj']);
  });

  it('writes into an empty folder and marks it as Helios output', () => {
    mkdirSync(join(work, 'empty'));
    const r = runSynth(['--out', '../empty'], join(work, 'proj'), { HOME: join(work, 'home') });
    expect(r.status).toBe(0);
    expect(readdirSync(join(work, 'empty')).sort()).toEqual([OUTPUT_MARKER, 'helios']);
    expect(readFileSync(join(work, 'empty', OUTPUT_MARKER), 'utf8')).toBe(OUTPUT_MARKER_TEXT);
  });
});

describe('npm run synth -- --out . in the Helios checkout itself', () => {
  it('refuses and leaves the checkout as it was', () => {
    const status = () => spawnSync('git', ['status', '--porcelain=v1', '--untracked-files=all'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout;
    const before = { git: status(), src: treeDigest(join(REPO_ROOT, 'src')), dist: treeDigest(join(REPO_ROOT, 'dist')), top: readdirSync(REPO_ROOT).sort() };
    const r = spawnSync('npm', ['run', 'synth', '--', '--out', '.'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, HELIOS_CONFIG: undefined, NODE_OPTIONS: undefined },
      timeout: 120_000,
    });
    expect(r.stderr).toContain(`helios: refusing to write . (${REPO_ROOT}): it is the working directory`);
    expect(r.status).not.toBe(0);
    expect({ git: status(), src: treeDigest(join(REPO_ROOT, 'src')), dist: treeDigest(join(REPO_ROOT, 'dist')), top: readdirSync(REPO_ROOT).sort() }).toEqual(before);
  });
});
