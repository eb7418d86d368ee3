#!/usr/bin/env node
import { ExitCode, runServe, runSync } from './app.js';
import { ConfigError } from './config.js';
import { jsonLogger } from './log.js';

const USAGE = `usage: target-generator sync [--force]   one sync, then exit (CronJob)
       target-generator serve            sync periodically and on NetBox webhooks (Deployment)`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...flags] = argv;
  const unknown = flags.filter((f) => !(command === 'sync' && f === '--force'));
  if ((command !== 'sync' && command !== 'serve') || unknown.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return ExitCode.BAD_CONFIG;
  }
  try {
    if (command === 'sync') return await runSync(process.env, flags.includes('--force'));
    const server = await runServe(process.env);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
    });
    jsonLogger('info', 'stopping: finishing the running sync');
    await server.stop();
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof ConfigError) {
      jsonLogger('error', e.message, { problems: e.problems });
      return ExitCode.BAD_CONFIG;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  jsonLogger('error', `unexpected failure: ${(e as Error).stack ?? e}`);
  process.exit(ExitCode.SYNC_FAILED);
});
