import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, ApiException } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { KubeApiServer } from '../../../test/peers/harness/kube.js';
import { scratch } from '../../../test/peers/harness/network-peers.js';
import type { NetBoxFake } from './netbox-fake.js';
import type { NetBoxInventory } from '../src/netbox/inventory.js';
import { deviceRecord, siteRecord } from '../src/netbox/devices.js';
import { TARGET_SETS, TARGET_SHARDS_MAX, targetConfigMapName, targetFileName, targetNamespace, TargetSet } from '../src/contract.js';
import type { LogLevel, Logger } from '../src/log.js';

export const SERVICE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(SERVICE_DIR, '..', '..', 'node_modules', '.bin', 'tsx');

/** The fake's inventory as the client keeps it: its API objects, reduced to records. */
export function records(fake: NetBoxFake): NetBoxInventory {
  const { devices, sites } = fake.inventory();
  return { devices: devices.map(deviceRecord), sites: sites.map(siteRecord) };
}

/** The namespaces the target ConfigMaps live in. */
export async function createTargetNamespaces(kube: KubeApiServer): Promise<void> {
  const core = kube.kubeConfig().makeApiClient(CoreV1Api);
  for (const name of new Set(TARGET_SETS.map(targetNamespace))) {
    await core.createNamespace({ body: { metadata: { name } } });
  }
}

export interface ConfigMapState {
  readonly resourceVersion: string;
  readonly data?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** Every target ConfigMap there is, by name. */
export async function targetConfigMaps(kube: KubeApiServer): Promise<Record<string, ConfigMapState>> {
  const core = kube.kubeConfig().makeApiClient(CoreV1Api);
  const out: Record<string, ConfigMapState> = {};
  for (const set of TARGET_SETS) {
    for (let shard = 0; shard < TARGET_SHARDS_MAX; shard++) {
      const name = targetConfigMapName(set, shard);
      try {
        const cm = await core.readNamespacedConfigMap({ namespace: targetNamespace(set), name });
        out[name] = { resourceVersion: cm.metadata!.resourceVersion!, data: cm.data, annotations: cm.metadata?.annotations };
      } catch (e) {
        if (!(e instanceof ApiException && e.code === 404)) throw e;
      }
    }
  }
  return out;
}

/** The targets of one set across its shards: gnmic by target name, file_sd groups in file order. */
export function gnmicTargets(configMaps: Record<string, ConfigMapState>): Record<string, any> {
  return Object.assign({}, ...shardTexts(configMaps, TargetSet.GNMIC).map((t) => parseYaml(t) ?? {}));
}

export function fileSdGroups(configMaps: Record<string, ConfigMapState>, set: TargetSet): Array<{ targets: string[]; labels: Record<string, string> }> {
  return shardTexts(configMaps, set).flatMap((t) => JSON.parse(t));
}

function shardTexts(configMaps: Record<string, ConfigMapState>, set: TargetSet): string[] {
  return Array.from({ length: TARGET_SHARDS_MAX }, (_, shard) => configMaps[targetConfigMapName(set, shard)]?.data?.[targetFileName(set, shard)])
    .filter((t): t is string => t !== undefined);
}

/** A file holding the fake's token, as the Secret mount would. */
export function tokenFile(fake: NetBoxFake): string {
  const path = join(scratch('netbox-token'), 'token');
  writeFileSync(path, `${fake.token}\n`);
  return path;
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON log lines. */
  readonly logs: Array<{ level: string; message: string; [k: string]: unknown }>;
}

/**
 * Runs the target-generator command (src/main.ts through tsx) to completion. It is
 * spawned, not spawnSync'd: the NetBox fake it talks to runs in this process.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [join(SERVICE_DIR, 'src', 'main.ts'), ...args], {
      cwd: SERVICE_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`target-generator ${args.join(' ')} ran over ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const logs = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolve({ code, stdout, stderr, logs });
    });
  });
}

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(): Logger & { lines: Array<{ level: LogLevel; message: string }> } {
  const lines: Array<{ level: LogLevel; message: string }> = [];
  const log = ((level: LogLevel, message: string) => { lines.push({ level, message }); }) as Logger & { lines: typeof lines };
  log.lines = lines;
  return log;
}

/** A metric's value in Prometheus text format (the sample with exactly these labels). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const own = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]).filter(([k]) => k !== 'job' && k !== 'instance'));
    if (Object.keys(own).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => own[k] === v)) return Number(m[4]);
  }
  return undefined;
}
