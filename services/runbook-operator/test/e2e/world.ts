import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiException, BatchV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Job,
} from '@kubernetes/client-node';
import { KubeApiServer } from '../../../../test/peers/harness/kube.js';
import { runDir } from '../../../../test/peers/harness/ledger.mjs';
import { freePort, httpOk, PeerProcess, sleep, waitFor } from '../../../../test/peers/harness/process.js';
import { TargetSet } from '../../../target-generator/src/contract.js';
import { generateTargets } from '../../../target-generator/src/targets/generate.js';
import { renderFile } from '../../../target-generator/src/targets/shards.js';
import {
  AUTOMATION_NAMESPACE, EXECUTION_LABEL, EXECUTIONS, GNMI_CREDENTIALS_SECRET, GROUP, type Phase, RUNBOOKS, type Runbook, type RunbookExecution,
  type RunbookExecutionSpec, type RunbookSpec, VERSION,
} from '../../src/api/types.js';
import { synthesizedCrds } from '../synthesized-crds.js';
import { GNMIC_TARGETS_NAMESPACE, gnmicConfigMapName, gnmicFileName, TARGET_SET_LABEL } from '../../src/controller/targets.js';

export const SERVICE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TSX = join(SERVICE_DIR, '..', '..', 'node_modules', '.bin', 'tsx');
export const WEBHOOK_TOKEN = 'alertmanager-test-token';

export interface Device {
  readonly name: string;
  /** host:port of its gNMI server. */
  readonly address: string;
  readonly site?: string;
  readonly role?: string;
}

/** A real kube-apiserver with the automation resources, the namespaces, the gNMI credentials and the gnmic target ConfigMap. */
export class World {
  public static async start(): Promise<World> {
    const kube = await KubeApiServer.start();
    const world = new World(kube, mkdtempSync(join(runDir(), 'runbook-operator-')));
    const r = kube.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: synthesizedCrds() }));
    if (r.status !== 0) throw new Error(`installing the CRDs: ${r.stderr}`);
    await kube.waitForCrds();
    for (const name of [AUTOMATION_NAMESPACE, GNMIC_TARGETS_NAMESPACE]) await world.core.createNamespace({ body: { metadata: { name } } });
    await world.core.createNamespacedSecret({
      namespace: AUTOMATION_NAMESPACE,
      body: { metadata: { name: GNMI_CREDENTIALS_SECRET }, stringData: { username: 'admin', password: 'admin' } },
    });
    writeFileSync(world.tokenFile, `${WEBHOOK_TOKEN}\n`);
    // Custom resources are served a moment after Established.
    await waitFor('the RunbookExecution resource to be served', async () => {
      try {
        await world.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS });
        return true;
      } catch {
        return false;
      }
    }, 30_000, 200);
    return world;
  }

  public readonly core: CoreV1Api;
  public readonly batch: BatchV1Api;
  public readonly custom: CustomObjectsApi;
  public readonly tokenFile: string;

  private constructor(public readonly kube: KubeApiServer, public readonly dir: string) {
    const kc = kube.kubeConfig();
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.tokenFile = join(dir, 'webhook-token');
  }

  /** Writes the devices into shard 0 of the gnmic targets as the Target Generator renders them. */
  public async setDevices(devices: readonly Device[]): Promise<void> {
    const monitored = devices.map((d, i) => {
      const port = Number(d.address.slice(d.address.lastIndexOf(':') + 1));
      return {
        id: i + 1, name: d.name, address: d.address.slice(0, d.address.lastIndexOf(':')), probes: [],
        taxonomy: { device: d.name, site: d.site ?? 'lab1', region: 'europe', vendor: 'arista', platform: 'eos', role: d.role ?? 'leaf', tier: 'access' },
        gnmi: { port, subscriptions: ['interfaces' as const] },
      };
    });
    const text = renderFile(TargetSet.GNMIC, generateTargets(monitored, new Map(monitored.map((d) => [d.id, d.name])))[TargetSet.GNMIC]);
    const body = { metadata: { name: gnmicConfigMapName(0), namespace: GNMIC_TARGETS_NAMESPACE, labels: { [TARGET_SET_LABEL]: 'gnmic' } }, data: { [gnmicFileName(0)]: text } };
    try {
      await this.core.replaceNamespacedConfigMap({ namespace: GNMIC_TARGETS_NAMESPACE, name: gnmicConfigMapName(0), body });
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 404)) throw e;
      await this.core.createNamespacedConfigMap({ namespace: GNMIC_TARGETS_NAMESPACE, body });
    }
  }

  public async createRunbook(name: string, spec: Partial<RunbookSpec> & Pick<RunbookSpec, 'steps'>): Promise<void> {
    const body: Runbook = { apiVersion: `${GROUP}/${VERSION}`, kind: 'Runbook', metadata: { name, namespace: AUTOMATION_NAMESPACE }, spec: { category: 'remediation', riskLevel: 'medium', ...spec } };
    await this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: RUNBOOKS, body });
  }

  public async createExecution(name: string, spec: Partial<RunbookExecutionSpec> & Pick<RunbookExecutionSpec, 'runbookRef' | 'target'>): Promise<RunbookExecution> {
    const body: RunbookExecution = { apiVersion: `${GROUP}/${VERSION}`, kind: 'RunbookExecution', metadata: { name, namespace: AUTOMATION_NAMESPACE }, spec: { requestedBy: 'admin', ...spec } };
    return await this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS, body }) as RunbookExecution;
  }

  public async execution(name: string): Promise<RunbookExecution> {
    return await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS, name }) as RunbookExecution;
  }

  public async executions(): Promise<RunbookExecution[]> {
    return (await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS }) as { items: RunbookExecution[] }).items;
  }

  /** Adds an approval as an approver would (a merge patch on the spec). */
  public async approve(name: string, approvedBy: string): Promise<void> {
    const current = await this.execution(name);
    await this.custom.patchNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS, name,
      body: { spec: { approvals: [...(current.spec.approvals ?? []), { approvedBy, comment: 'looks right' }] } },
    }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  public async waitForPhase(name: string, phases: readonly Phase[], timeoutMs = 60_000): Promise<RunbookExecution> {
    let last: RunbookExecution | undefined;
    await waitFor(`execution ${name} to reach ${phases.join(' or ')}`, async () => {
      last = await this.execution(name);
      return last.status?.phase !== undefined && phases.includes(last.status.phase);
    }, timeoutMs, 100).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; it is ${JSON.stringify(last?.status)}`);
    });
    return last!;
  }

  public async jobs(): Promise<V1Job[]> {
    return (await this.batch.listNamespacedJob({ namespace: AUTOMATION_NAMESPACE, labelSelector: EXECUTION_LABEL })).items;
  }

  public async events(execution: string): Promise<Array<{ reason?: string; message?: string; type?: string }>> {
    return (await this.core.listNamespacedEvent({ namespace: AUTOMATION_NAMESPACE, fieldSelector: `involvedObject.name=${execution}` })).items;
  }

  /** Starts `runbook-operator operate` (the real entrypoint, from source) against this API server. */
  public async startOperator(identity: string, env: NodeJS.ProcessEnv = {}): Promise<OperatorProcess> {
    const [metricsPort, webhookPort] = [await freePort(), await freePort()];
    const peer = await PeerProcess.start({
      name: `runbook-operator-${identity}`,
      command: TSX,
      args: [join(SERVICE_DIR, 'src', 'main.ts'), 'operate'],
      cwd: SERVICE_DIR,
      env: {
        KUBECONFIG: this.kube.kubeconfigPath, POD_NAME: identity, POD_NAMESPACE: AUTOMATION_NAMESPACE,
        HELIOS_EXECUTOR_IMAGE: 'ghcr.io/helios/runbook-operator:test', HELIOS_GNMI_TLS: 'plaintext',
        METRICS_PORT: String(metricsPort), WEBHOOK_PORT: String(webhookPort), WEBHOOK_TOKEN_FILE: this.tokenFile,
        LEASE_DURATION_SECONDS: '4', LEASE_RENEW_DEADLINE_SECONDS: '3', LEASE_RETRY_PERIOD_SECONDS: '0.5', RESYNC_SECONDS: '30',
        ...env,
      },
      ready: () => httpOk(`http://127.0.0.1:${metricsPort}/readyz`),
    });
    return new OperatorProcess(peer, identity, `http://127.0.0.1:${metricsPort}`, `http://127.0.0.1:${webhookPort}`);
  }

  public async leaseHolder(): Promise<string | undefined> {
    const r = this.kube.kubectl(['get', 'lease', '-n', AUTOMATION_NAMESPACE, 'helios-runbook-operator', '-o', 'jsonpath={.spec.holderIdentity}']);
    return r.status === 0 && r.stdout !== '' ? r.stdout : undefined;
  }

  public async stop(): Promise<void> {
    await this.kube.stop();
  }
}

export class OperatorProcess {
  public constructor(public readonly peer: PeerProcess, public readonly identity: string, public readonly metrics: string, public readonly webhook: string) {}

  /** The operator's JSON log lines. */
  public logLines(): Array<Record<string, unknown>> {
    return this.peer.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** SIGKILL, no chance to release the lease or finish anything. */
  public async kill(): Promise<void> {
    try {
      process.kill(-this.peer.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    await waitFor(`${this.identity} to die`, () => !this.peer.running, 10_000, 50);
    await this.peer.stop(0);
  }

  public async stop(): Promise<void> {
    await this.peer.stop();
  }
}

interface RunningPod {
  readonly job: string;
  readonly child: ChildProcess;
}

export interface StandInOptions {
  /** Environment added to every Pod (e.g. how the process reaches the API server, as a mounted token would). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Extra variables telling the process where a mount went, since a local process
   * cannot see files at the container's mountPath.
   */
  readonly mountEnv?: (mountPath: string, dir: string) => NodeJS.ProcessEnv;
}

/**
 * TEST STAND-IN for the Job controller and the kubelet, which this API server has
 * not: it watches the executor Jobs, runs each Job's container command as a local
 * process (`runbook-operator` resolves to the package's entrypoint on source) with
 * the Job's environment and its Secret volumes written to a temporary folder, and
 * writes the Job's status (started; then Complete or Failed from the exit code) as
 * the Job controller does. It runs each Job once.
 */
export class JobRunnerStandIn {
  public static async start(world: World, options: StandInOptions = {}): Promise<JobRunnerStandIn> {
    const standIn = new JobRunnerStandIn(world, options);
    void standIn.loop();
    return standIn;
  }

  private readonly seen = new Set<string>();
  private readonly running = new Map<string, RunningPod>();
  private readonly podDirs = new Map<string, string>();
  private readonly binDir: string;
  private stopped = false;
  /** When each Job's final status was written (ms since epoch), by Job name. */
  public readonly finishedAt = new Map<string, number>();
  public readonly exitCodes = new Map<string, number | null>();

  private constructor(private readonly world: World, private readonly options: StandInOptions) {
    this.binDir = mkdtempSync(join(world.dir, 'bin-'));
    const shim = join(this.binDir, 'runbook-operator');
    writeFileSync(shim, `#!/bin/sh\nexec "${TSX}" "${join(SERVICE_DIR, 'src', 'main.ts')}" "$@"\n`);
    chmodSync(shim, 0o755);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        for (const job of await this.world.jobs()) {
          const name = job.metadata!.name!;
          if (this.seen.has(name) || job.status?.conditions?.length) continue;
          this.seen.add(name);
          await this.run(job);
        }
      } catch (e) {
        if (!this.stopped) process.stderr.write(`JobRunnerStandIn: ${(e as Error).message}\n`);
      }
      await sleep(100);
    }
  }

  private async run(job: V1Job): Promise<void> {
    const name = job.metadata!.name!;
    const namespace = job.metadata!.namespace!;
    const pod = job.spec!.template.spec!;
    const container = pod.containers[0];
    const podDir = mkdtempSync(join(this.world.dir, `${name}-`));
    this.podDirs.set(name, podDir);
    let env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: undefined, PATH: `${this.binDir}:${process.env.PATH}`, ...this.options.env };
    for (const mount of container.volumeMounts ?? []) {
      const volume = pod.volumes?.find((v) => v.name === mount.name);
      if (volume?.secret?.secretName === undefined) continue;
      const secret = await this.world.core.readNamespacedSecret({ namespace, name: volume.secret.secretName });
      const dir = join(podDir, mount.mountPath);
      mkdirSync(dir, { recursive: true });
      for (const [key, value] of Object.entries(secret.data ?? {})) writeFileSync(join(dir, key), Buffer.from(value, 'base64'));
      env = { ...env, ...this.options.mountEnv?.(mount.mountPath, dir) };
    }
    for (const e of container.env ?? []) env[e.name] = e.value;
    await this.writeStatus(namespace, name, { startTime: new Date(), active: 1, ready: 1 });
    const child = spawn(container.command![0], [...container.command!.slice(1), ...(container.args ?? [])], { env, cwd: podDir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const log: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => log.push(c));
    child.stderr!.on('data', (c: Buffer) => log.push(c));
    this.running.set(name, { job: name, child });
    child.on('exit', (code) => {
      this.running.delete(name);
      writeFileSync(join(podDir, 'container.log'), Buffer.concat(log));
      this.exitCodes.set(name, code);
      if (this.stopped) return;
      const now = new Date();
      const done = code === 0
        ? { active: 0, ready: 0, succeeded: 1, completionTime: now, conditions: [condition('SuccessCriteriaMet', 'CompletionsReached', now), condition('Complete', 'CompletionsReached', now)] }
        : { active: 0, ready: 0, failed: 1, conditions: [condition('FailureTarget', 'BackoffLimitExceeded', now), condition('Failed', 'BackoffLimitExceeded', now)] };
      this.writeStatus(namespace, name, done).then(() => this.finishedAt.set(name, Date.now()), (e: unknown) => process.stderr.write(`JobRunnerStandIn: status of ${name}: ${(e as Error).message}\n`));
    });
  }

  /** The container output of a Job's process, once it ended. */
  public containerLog(job: string): string {
    try {
      return readFileSync(join(this.podDirs.get(job) ?? '', 'container.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private async writeStatus(namespace: string, name: string, status: object): Promise<void> {
    await this.world.batch.patchNamespacedJobStatus({ namespace, name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    for (const { child } of this.running.values()) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // ended
      }
    }
  }
}

function condition(type: string, reason: string, at: Date): object {
  return { type, status: 'True', reason, message: type === 'Failed' || type === 'FailureTarget' ? 'the container exited non-zero' : 'the container exited 0', lastTransitionTime: at, lastProbeTime: at };
}
