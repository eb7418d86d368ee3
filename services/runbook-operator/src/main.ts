#!/usr/bin/env node
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, loadConfig } from './controller/config.js';
import { Operator } from './controller/operator.js';
import { runExecutor } from './executor/run.js';
import { jsonLogger } from './log.js';
import { serveMetrics } from './metrics.js';
import { AlertWebhook, serveWebhook, tokenFromFile } from './webhook.js';

const USAGE = `usage: runbook-operator operate   the controller (Deployment)
       runbook-operator execute   run one execution's steps (the Job the operator creates)`;

/** Exit codes of `operate`: 0 stopped, 1 failed (or lost the lease), 2 bad configuration; `execute` has its own (ExecutorExit). */
async function operate(): Promise<number> {
  const config = loadConfig(process.env);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  let lost = false;
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const operator = new Operator({
    kubeConfig,
    namespace: config.namespace,
    identity: config.identity,
    job: config.job,
    log: jsonLogger,
    resyncMs: config.resyncMs,
    lease: config.lease,
    // Losing the lease mid-reconcile leaves nothing safe to finish: exit and come back as a follower.
    onLostLeadership: () => {
      lost = true;
      stopRequested();
    },
  });
  const requestedBy = await operator.client.whoAmI();
  const token = tokenFromFile(config.webhookTokenFile);
  const webhook = new AlertWebhook({
    client: operator.client,
    namespace: config.namespace,
    requestedBy,
    token,
    log: jsonLogger,
    parametersOf: (name) => operator.runbooks.get(name, config.namespace)?.spec.parameters?.map((p) => p.name),
  });
  const metricsServer = await serveMetrics(config.metricsPort, operator.metrics.registry, () => operator.ready);
  const webhookServer = await serveWebhook(config.webhookPort, webhook, token, jsonLogger);
  jsonLogger('info', 'runbook operator starting', { namespace: config.namespace, identity: config.identity, requestedBy, metricsPort: config.metricsPort, webhookPort: config.webhookPort });
  await operator.start();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stopRequested());
  await stopped;
  jsonLogger(lost ? 'error' : 'info', lost ? 'lost the leader lease; exiting' : 'stopping');
  webhookServer.close();
  metricsServer.close();
  if (!lost) await operator.stop();
  return lost ? 1 : 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.length > 0 || (command !== 'operate' && command !== 'execute')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    if (command === 'operate') return await operate();
    return await runExecutor(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      jsonLogger('error', e.message, { problems: e.problems });
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  jsonLogger('error', `unexpected failure: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
