#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.js';
import { startEnricher } from './enricher.js';
import { Logger } from './log.js';

/**
 * flow-enricher [run]   enrich flows between the raw and enriched topics (the Deployment)
 * flow-enricher migrate apply the ClickHouse schema migrations (the Job)
 */
async function main(argv: readonly string[]): Promise<number> {
  const [command = 'run', ...rest] = argv;
  if (rest.length > 0 || (command !== 'run' && command !== 'migrate')) {
    process.stderr.write(`usage: flow-enricher [run | migrate]; got ${JSON.stringify(argv.join(' '))}\n`);
    return 2;
  }
  if (command === 'migrate') {
    // Loaded only here: the enricher itself never talks to ClickHouse.
    const { runMigrationsFromEnv } = await import('./migrate/index.js');
    await runMigrationsFromEnv(process.env);
    return 0;
  }
  return run();
}

async function run(): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`flow-enricher: ${e.message}\n`);
    return 2;
  }
  const log = new Logger(config.logLevel);
  let exitCode = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => { finish = r; });
  const enricher = await startEnricher(config, log, (e) => {
    log.error('Kafka consumer stopped for good; exiting so the pod restarts', { error: e.message });
    exitCode = 1;
    finish();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info(`${signal}: finishing the batches in flight`);
      finish();
    });
  }
  enricher.started.catch((e: Error) => {
    log.error('startup failed', { error: e.message });
    exitCode = 1;
    finish();
  });
  await finished;
  await enricher.stop();
  log.info('stopped', { exitCode });
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    // A configuration problem is the user's to fix: its message says what; a stack would only hide it.
    const userError = e.name === 'MigrateConfigError' || e.name === 'ConfigError';
    process.stderr.write(`flow-enricher: ${userError ? e.message : e.stack ?? e.message}\n`);
    process.exit(userError ? 2 : 1);
  },
);
