import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, serveConfig, syncConfig, type CommonConfig } from './config.js';
import { ConfigMapWriter } from './kube/writer.js';
import { jsonLogger, type Logger } from './log.js';
import { SyncMetrics } from './metrics.js';
import { NetBoxInventorySource } from './netbox/inventory.js';
import { TargetGeneratorServer } from './server.js';
import { MassDeletionRefused, sync, type SyncResult } from './sync.js';

/** Exit codes of `sync`, so a CronJob's failed Jobs say why. */
export const ExitCode = {
  OK: 0,
  SYNC_FAILED: 1,
  BAD_CONFIG: 2,
  REFUSED: 3,
} as const;

function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** In a pod: its service account; elsewhere: KUBECONFIG or ~/.kube/config. */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (e) {
    throw new ConfigError([`the Kubernetes API cannot be configured (service account, KUBECONFIG or ~/.kube/config): ${(e as Error).message}`]);
  }
  return kc;
}

function parts(config: CommonConfig, kubeConfig: KubeConfig) {
  return { source: new NetBoxInventorySource(config.netbox), store: new ConfigMapWriter(kubeConfig) };
}

function summary(result: SyncResult, startedAt: number): Record<string, unknown> {
  return {
    devices: result.devices,
    targets: result.targets,
    phases: result.phases,
    written: result.written,
    problems: result.problems.length,
    seconds: (Date.now() - startedAt) / 1000,
    peakRssMiB: peakRssMiB(),
  };
}

/** One sync (the CronJob mode); resolves to the exit code. */
export async function runSync(env: NodeJS.ProcessEnv, force: boolean, log: Logger = jsonLogger, kubeConfig?: KubeConfig): Promise<number> {
  const config = syncConfig(env);
  const { source, store } = parts(config, kubeConfig ?? defaultKubeConfig());
  const metrics = new SyncMetrics();
  if (config.pushgatewayUrl) {
    try {
      metrics.continueFrom(await SyncMetrics.pushed(config.pushgatewayUrl));
    } catch (e) {
      log('warn', `cannot read the previous run's metrics from the Pushgateway; counters start from 0: ${(e as Error).message}`);
    }
  }
  const startedAt = Date.now();
  let code: number = ExitCode.OK;
  try {
    const result = await sync(source, store, metrics, { guard: config.guard, force }, log);
    log('info', 'sync succeeded', summary(result, startedAt));
  } catch (e) {
    code = e instanceof MassDeletionRefused ? ExitCode.REFUSED : ExitCode.SYNC_FAILED;
    log('error', `sync failed: ${(e as Error).message}`, { seconds: (Date.now() - startedAt) / 1000, peakRssMiB: peakRssMiB() });
  }
  if (config.pushgatewayUrl) {
    try {
      await metrics.push(config.pushgatewayUrl);
    } catch (e) {
      log('error', `cannot push metrics: ${(e as Error).message}`);
    }
  }
  return code;
}

/** The long-running mode; resolves once started, with the server to stop. */
export async function runServe(env: NodeJS.ProcessEnv, log: Logger = jsonLogger, kubeConfig?: KubeConfig, host?: string): Promise<TargetGeneratorServer> {
  const config = serveConfig(env);
  const { source, store } = parts(config, kubeConfig ?? defaultKubeConfig());
  const metrics = new SyncMetrics();
  const server = new TargetGeneratorServer({
    port: config.port,
    host,
    intervalMs: config.intervalMs,
    webhookSecret: config.webhookSecret,
    debounceMs: config.debounceMs,
    metrics,
    log,
    sync: async (reason) => {
      const startedAt = Date.now();
      try {
        const result = await sync(source, store, metrics, { guard: config.guard, force: false }, log);
        log('info', `sync succeeded (${reason})`, summary(result, startedAt));
      } catch (e) {
        log('error', `sync failed (${reason}): ${(e as Error).message}`);
        throw e;
      }
    },
  });
  await server.start();
  return server;
}
