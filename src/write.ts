import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The file at the root of every Helios output: synth replaces only folders that carry it. */
export const OUTPUT_MARKER = '.helios-output';

/** The marker's bytes; fixed, so an output stays byte-identical from one synth to the next. */
export const OUTPUT_MARKER_TEXT = 'Written by Helios (npm run synth), which replaces this whole folder on every run: keep nothing else here.\n';

/** The output folder is one synth must not replace (nothing was written). */
export class OutputRefusedError extends Error {}

/** A process that started synth has gone: the output is left as it was. */
export class LauncherGoneError extends Error {}

const ALLOWED = `the output must be a folder that does not exist yet, an empty folder, or one an earlier synth wrote (it holds ${OUTPUT_MARKER}), `
  + 'and not the working directory, your home folder or a folder holding either, nor a git checkout';

/**
 * Refuses, before anything is written, an output folder whose replacement would destroy
 * something that is not Helios output: the checkout, the home folder, a foreign folder.
 * `inputs` are files synth reads (the config), which must not live in the output.
 * Returns the output's real path.
 */
export function checkOutputFolder(outDir: string, inputs: readonly string[] = []): string {
  const absolute = resolve(outDir);
  // The parent's real path, not the target's: a target that is a symbolic link must be seen as one.
  const target = absolute === dirname(absolute) ? absolute : join(realPath(dirname(absolute)), basename(absolute));
  const refuse = (why: string): never => {
    throw new OutputRefusedError(`refusing to write ${outDir} (${target}): ${why}; ${ALLOWED}. Nothing was changed.`);
  };
  const cwd = realPath(process.cwd());
  const home = realPath(homedir());
  if (target === dirname(target)) refuse('it is the root of the file system');
  if (target === cwd) refuse('it is the working directory');
  if (isInside(cwd, target)) refuse(`it holds the working directory ${cwd}`);
  if (target === home) refuse('it is your home folder');
  if (isInside(home, target)) refuse(`it holds your home folder ${home}`);
  if (target.split(sep).includes('.git')) refuse('it is inside a git folder');
  for (const input of inputs) {
    const file = realPath(resolve(input));
    if (isInside(file, target)) refuse(`it holds ${input}, which synth reads`);
  }
  const stat = lstatSync(target, { throwIfNoEntry: false });
  if (stat === undefined) return target;
  if (stat.isSymbolicLink()) refuse('it is a symbolic link; name the folder it points to');
  if (!stat.isDirectory()) refuse('it is a file, not a folder');
  const entries = readdirSync(target);
  if (entries.includes('.git')) refuse('it holds .git, so it is a git checkout');
  if (entries.length > 0 && !isOutput(target)) {
    refuse(`it is not empty and holds no ${OUTPUT_MARKER}, so no synth wrote it (an output of a Helios older than the marker: delete it and synth again)`);
  }
  return target;
}

/**
 * Replaces `outDir` with a folder holding exactly `files` plus the output marker.
 *
 * The new tree is written beside the output (`.<name>-new-*`) and swapped in with two
 * renames: output → `.<name>-old-*`, then `.<name>-new-*` → output. POSIX has no rename
 * that swaps two non-empty folders (Linux's renameat2(RENAME_EXCHANGE) is not reachable
 * from Node), and a symbolic link as the output would break reviewing it in git, so a
 * process killed between the two renames leaves no output folder, with the complete old
 * tree in `.<name>-old-*`. The next write (and so the next synth) puts it back first:
 * see {@link recoverInterruptedSwap}. A failure short of a kill leaves the old tree in place.
 *
 * `beforeSwap` runs after the new tree is written and before the first rename; throwing
 * there leaves the output as it was.
 */
export function writeTreeAtomically(outDir: string, files: ReadonlyMap<string, string>, beforeSwap: () => void = () => {}): void {
  const target = checkOutputFolder(outDir);
  recoverInterruptedSwap(target);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const writer = `${process.pid}-${startTime(process.pid)}-`;
  const staging = mkdtempSync(join(parent, `.${basename(target)}-new-${writer}`));
  try {
    for (const [path, text] of files) {
      const full = join(staging, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
    // Last, so a staging folder that holds the marker is complete.
    writeFileSync(join(staging, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
    beforeSwap();
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const previous = existsSync(target) ? join(parent, `.${basename(target)}-old-${writer}${staging.slice(-6)}`) : undefined;
  if (previous) renameSync(target, previous);
  try {
    renameSync(staging, target);
  } catch (e) {
    if (previous) renameSync(previous, target);
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  if (previous) rmSync(previous, { recursive: true, force: true });
}

/**
 * Finishes what a killed write left beside `outDir`: when the output folder is missing
 * and a `.<name>-old-*` of a dead writer holds the previous tree, puts it back; then
 * removes every other temporary folder of dead writers. Folders of a writer that is
 * still running are another synth at work: refused rather than raced.
 * Returns what it did, one line per folder.
 */
export function recoverInterruptedSwap(outDir: string): string[] {
  const target = resolve(outDir);
  const parent = dirname(target);
  const name = basename(target);
  if (!existsSync(parent)) return [];
  // Helios before the output marker named these folders without the writer: taken as left by killed runs.
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(new|old)-(?:(\\d+)-(\\d+)-)?[A-Za-z0-9]{6}$`);
  const leftovers = readdirSync(parent).flatMap((entry) => {
    const m = pattern.exec(entry);
    return m ? [{ entry, kind: m[1], pid: m[2] === undefined ? undefined : Number(m[2]), start: Number(m[3]) }] : [];
  }).sort((a, b) => a.entry.localeCompare(b.entry));
  const running = leftovers.find((l) => l.pid !== undefined && l.pid !== process.pid && processAlive(l.pid, l.start));
  if (running) {
    throw new OutputRefusedError(`refusing to write ${outDir}: another synth (pid ${running.pid}) is writing it right now (${running.entry}); nothing was changed`);
  }
  const done: string[] = [];
  const previous = existsSync(target) ? undefined : leftovers.find((l) => l.kind === 'old');
  if (previous) {
    renameSync(join(parent, previous.entry), target);
    done.push(`restored ${outDir} from ${previous.entry}, left by a synth killed while swapping`);
  }
  for (const stale of leftovers.filter((l) => l !== previous)) {
    rmSync(join(parent, stale.entry), { recursive: true, force: true });
    done.push(`removed ${stale.entry}, left by a killed synth`);
  }
  return done;
}

/**
 * Watches the processes that started this one (npm, projen, tsx, the shell...). Killing
 * `npm run synth` kills only npm: the processes it started are re-parented and run on, so
 * without this a synth whose user gave up would still replace the output afterwards.
 */
export class LauncherWatch {
  private readonly parent = process.ppid;
  private readonly launchers: readonly { pid: number; start: number; name: string }[] = launcherChain();

  /** Throws {@link LauncherGoneError} if any launcher has exited (or this process was re-parented). */
  check(): void {
    const gone = this.launchers.find((l) => !processAlive(l.pid, l.start));
    if (gone) throw new LauncherGoneError(`pid ${gone.pid} (${gone.name}), which started this synth, has exited`);
    if (process.ppid !== this.parent) throw new LauncherGoneError(`the process that started this synth (pid ${this.parent}) has exited`);
  }
}

function launcherChain(): { pid: number; start: number; name: string }[] {
  const chain = [];
  // pid 1 (init, or a container's) adopts orphans; it is no launcher to watch.
  for (let pid = process.ppid; pid > 1;) {
    const stat = procStat(pid);
    if (!stat) break;
    chain.push({ pid, start: stat.start, name: stat.name });
    pid = stat.ppid;
  }
  return chain;
}

interface ProcStat {
  readonly name: string;
  readonly state: string;
  readonly ppid: number;
  readonly start: number;
}

/** /proc/<pid>/stat; undefined where there is no such process (or no /proc: not Linux). */
function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold spaces and parentheses.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return { name: text.slice(text.indexOf('(') + 1, close), state: fields[0], ppid: Number(fields[1]), start: Number(fields[19]) };
}

/** Start time of a process in clock ticks since boot: with the pid, it names one process even after pid reuse. */
function startTime(pid: number): number {
  return procStat(pid)?.start ?? 0;
}

function processAlive(pid: number, start: number): boolean {
  if (existsSync('/proc/self/stat')) {
    const stat = procStat(pid);
    // A killed process its parent has not reaped yet is a zombie: it will never write again.
    return stat !== undefined && stat.state !== 'Z' && stat.start === start;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isOutput(dir: string): boolean {
  try {
    return readFileSync(join(dir, OUTPUT_MARKER), 'utf8') === OUTPUT_MARKER_TEXT;
  } catch {
    return false;
  }
}

/** `path` with symbolic links resolved, also when it (or a parent) does not exist yet. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
