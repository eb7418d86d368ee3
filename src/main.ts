import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EMBEDDED_DEFAULT_CONFIG, EMBEDDED_DEFAULT_SOURCE } from './config/defaults.js';
import { ConfigError, loadConfigFile, parseConfig, type HeliosConfig } from './config/load.js';
import { checkPolicy, formatFinding } from './policy/policy.js';
import { synthesize } from './synth.js';
import { checkOutputFolder, LauncherGoneError, LauncherWatch, OutputRefusedError, recoverInterruptedSwap, writeTreeAtomically } from './write.js';

const USAGE = `usage: npm run synth -- [--config <file>] [--out <dir>]

  --config <file>  the Helios config (default: $HELIOS_CONFIG, else ./helios.yaml
                   if it exists, else the embedded default: one medium cluster)
  --out <dir>      where to write <cluster>/<namespace>/<component>.yaml
                   (default: dist; replaced as a whole, only when synth succeeds;
                   must not exist yet, be empty, or be an earlier synth's output)`;

function configPath(explicit: string | undefined): string | undefined {
  return explicit ?? (process.env.HELIOS_CONFIG || undefined) ?? (existsSync('helios.yaml') ? 'helios.yaml' : undefined);
}

function loadConfig(path: string | undefined): HeliosConfig {
  if (path === undefined) {
    console.error('helios: no helios.yaml; synthesizing the embedded default (one medium cluster, single-dc-minio)');
    return parseConfig(EMBEDDED_DEFAULT_CONFIG, EMBEDDED_DEFAULT_SOURCE);
  }
  return loadConfigFile(path);
}

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({ args: argv, options: { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } }).values;
  } catch (e) {
    console.error(`helios: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // Taken before synthesis: a launcher that exits later is noticed before the output is touched.
  const launchers = new LauncherWatch();
  const out = args.out ?? 'dist';
  const path = configPath(args.config);
  try {
    // Refused before synthesis, so a wrong --out costs nothing and changes nothing.
    checkOutputFolder(out, path === undefined ? [] : [path]);
    for (const line of recoverInterruptedSwap(out)) console.error(`helios: ${line}`);
    const config = loadConfig(path);
    const { files, rendered, warnings } = synthesize(config);
    for (const w of warnings) console.error(`helios: warning: ${w}`);
    const findings = checkPolicy(files);
    if (findings.length > 0) {
      console.error(`helios: ${findings.length} policy violation(s); ${out}/ is unchanged:\n${findings.map(formatFinding).join('\n')}`);
      return 1;
    }
    launchers.check();
    writeTreeAtomically(out, rendered, () => launchers.check());
    for (const cluster of config.clusters) {
      const own = files.filter((f) => f.path.startsWith(`${cluster.name}/`));
      console.error(`helios: ${out}/${cluster.name}: ${own.reduce((n, f) => n + f.objects.length, 0)} objects in ${own.length} files (${cluster.tier}, ${cluster.storage.topology})`);
    }
    return 0;
  } catch (e) {
    if (e instanceof OutputRefusedError) {
      console.error(`helios: ${e.message}`);
      return 1;
    }
    if (e instanceof LauncherGoneError) {
      console.error(`helios: ${e.message}; ${out}/ is unchanged`);
      return 1;
    }
    if (e instanceof ConfigError) {
      console.error(`${e.message}\nhelios: ${e.problems.length} problem(s) in ${e.file}; ${out}/ is unchanged`);
      return 1;
    }
    if ((e as NodeJS.ErrnoException).code !== undefined) throw e;
    // A config the checks let through but a construct refused: a bug in Helios's checks, not the user's doing.
    console.error(`helios: internal error (please report it with your config): ${(e as Error).message}\nhelios: ${out}/ is unchanged`);
    return 70;
  }
}

process.exitCode = main(process.argv.slice(2));
