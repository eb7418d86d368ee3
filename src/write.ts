import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Replaces `outDir` with a folder holding exactly `files`, or leaves it as it was.
 * The new tree is written next to it first and swapped in with two renames, so a
 * reader (or a failed synth) never sees a half-written output.
 */
export function writeTreeAtomically(outDir: string, files: ReadonlyMap<string, string>): void {
  const target = resolve(outDir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `.${basename(target)}-new-`));
  try {
    for (const [path, text] of files) {
      const full = join(staging, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const previous = existsSync(target) ? `${staging.replace(/-new-/, '-old-')}` : undefined;
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
