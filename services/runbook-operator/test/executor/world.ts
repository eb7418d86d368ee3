import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubeApiServer } from '../../../../test/peers/harness/kube.js';
import { scratch, startGnmiTarget } from '../../../../test/peers/harness/network-peers.js';
import {
  AUTOMATION_NAMESPACE, EXECUTIONS, EXECUTOR_ENV, GROUP, RUNBOOKS, type ResolvedTarget, type RunbookExecution, type RunbookExecutionSpec,
  type RunbookSpec, VERSION,
} from '../../src/api/types.js';
import { CREDENTIALS_DIR_ENV, type LogLine } from '../../src/executor/run.js';
import { synthesizedCrds } from '../synthesized-crds.js';

export const DEVICE = 'lab-leaf1';

export interface World {
  readonly kube: KubeApiServer;
  readonly device: Awaited<ReturnType<typeof startGnmiTarget>>;
  readonly target: ResolvedTarget;
  /** The executor's environment: plaintext gNMI, credentials files in a scratch folder. */
  env(execution: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const [kube, device] = await Promise.all([KubeApiServer.start(), startGnmiTarget()]);
  const apply = kube.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    ...synthesizedCrds(),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: AUTOMATION_NAMESPACE } },
  ] }));
  if (apply.status !== 0) throw new Error(apply.stderr);
  await kube.waitForCrds();
  const credentials = scratch('gnmi-credentials');
  mkdirSync(credentials, { recursive: true });
  writeFileSync(join(credentials, 'username'), 'admin\n');
  writeFileSync(join(credentials, 'password'), 'admin\n');
  return {
    kube,
    device,
    target: { name: DEVICE, address: device.address, labels: { site: 'lab1', role: 'leaf' } },
    env: (execution) => ({
      [EXECUTOR_ENV.namespace]: AUTOMATION_NAMESPACE,
      [EXECUTOR_ENV.name]: execution,
      [EXECUTOR_ENV.tlsMode]: 'plaintext',
      [CREDENTIALS_DIR_ENV]: credentials,
      KUBECONFIG: kube.kubeconfigPath,
    }),
    stop: async () => { await Promise.all([kube.stop(), device.stop()]); },
  };
}

function api(world: World): CustomObjectsApi {
  return world.kube.kubeConfig().makeApiClient(CustomObjectsApi);
}

export async function createRunbook(world: World, name: string, spec: RunbookSpec): Promise<void> {
  await api(world).createNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: RUNBOOKS,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Runbook', metadata: { name }, spec },
  });
}

/** Creates an execution and, playing the operator, writes its resolved targets and phase Running. */
export async function createExecution(world: World, name: string, spec: Omit<RunbookExecutionSpec, 'requestedBy' | 'target'>, status: object = {}): Promise<void> {
  const c = api(world);
  await c.createNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'RunbookExecution', metadata: { name }, spec: { requestedBy: 'admin', target: { device: DEVICE }, ...spec } },
  });
  await c.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS, name, body: { status: { phase: 'Running', targets: [world.target], ...status } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

export async function readExecution(world: World, name: string): Promise<RunbookExecution> {
  return await api(world).getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: AUTOMATION_NAMESPACE, plural: EXECUTIONS, name }) as RunbookExecution;
}

/**
 * Set requests gnmi_target accepted so far: it logs one "allowed a Set request" line
 * per Set (the line does not carry the request, so tests compare counts before and after).
 */
export function setsAtTarget(world: World): number {
  return readFileSync(world.device.process.logFile, 'utf8').split('\n').filter((l) => l.includes('allowed a Set request')).length;
}

export function memoryLog(): { lines: LogLine[]; log: (l: LogLine) => void } {
  const lines: LogLine[] = [];
  return { lines, log: (l) => { lines.push(l); } };
}
