import {
  ApiException, AuthenticationV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, PatchStrategy,
  setHeaderOptions, type V1ConfigMap, type V1Job,
} from '@kubernetes/client-node';
import { EXECUTIONS, GROUP, RUNBOOKS, type Runbook, type RunbookExecution, type RunbookStatus, VERSION } from '../api/types.js';
import type { OperatorStatus } from '../controller/execution.js';
import { GNMIC_TARGETS_NAMESPACE, TARGET_SET_LABEL } from '../controller/targets.js';

export function isStatus(e: unknown, code: number): boolean {
  return e instanceof ApiException && e.code === code;
}

/** A failed Kubernetes request, named by what it did. */
export function describeError(e: unknown): string {
  if (e instanceof ApiException) {
    const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // not JSON: keep the text
    }
    return `HTTP ${e.code}: ${(message ?? '').slice(0, 300)}`;
  }
  return (e as Error)?.message ?? String(e);
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The operator's requests, one method per thing it does. */
export class OperatorClient {
  private readonly custom: CustomObjectsApi;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly auth: AuthenticationV1Api;

  public constructor(public readonly kubeConfig: KubeConfig) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.auth = kubeConfig.makeApiClient(AuthenticationV1Api);
  }

  public listRunbooks(namespace: string): Promise<KubernetesListObject<Runbook>> {
    return this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: RUNBOOKS });
  }

  public listExecutions(namespace: string, labelSelector?: string): Promise<KubernetesListObject<RunbookExecution>> {
    return this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: EXECUTIONS, labelSelector });
  }

  public listJobs(namespace: string, labelSelector: string): Promise<KubernetesListObject<V1Job>> {
    return this.batch.listNamespacedJob({ namespace, labelSelector }) as Promise<KubernetesListObject<V1Job>>;
  }

  public async getRunbook(namespace: string, name: string): Promise<Runbook | undefined> {
    try {
      return await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: RUNBOOKS, name }) as Runbook;
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  public async getExecution(namespace: string, name: string): Promise<RunbookExecution | undefined> {
    try {
      return await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: EXECUTIONS, name }) as RunbookExecution;
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  public createExecution(execution: RunbookExecution): Promise<RunbookExecution> {
    const namespace = execution.metadata.namespace!;
    const request = { group: GROUP, version: VERSION, namespace, plural: EXECUTIONS, body: execution };
    return this.custom.createNamespacedCustomObject(request) as Promise<RunbookExecution>;
  }

  /**
   * A JSON merge patch on the execution's /status carrying the resourceVersion the
   * status was computed from: the API server refuses it (409) when anything wrote
   * in between, the executor included, and the caller recomputes from a fresh read.
   */
  public patchExecutionStatus(namespace: string, name: string, resourceVersion: string, status: OperatorStatus): Promise<RunbookExecution> {
    return this.custom.patchNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, namespace, plural: EXECUTIONS, name, body: { metadata: { resourceVersion }, status },
    }, MERGE_PATCH) as Promise<RunbookExecution>;
  }

  public patchRunbookStatus(namespace: string, name: string, resourceVersion: string, status: RunbookStatus): Promise<Runbook> {
    return this.custom.patchNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, namespace, plural: RUNBOOKS, name, body: { metadata: { resourceVersion }, status },
    }, MERGE_PATCH) as Promise<Runbook>;
  }

  /** Creates the Job; one already there under the name (created before a restart) is the same Job. */
  public async createJob(job: V1Job): Promise<'created' | 'exists'> {
    try {
      await this.batch.createNamespacedJob({ namespace: job.metadata!.namespace!, body: job });
      return 'created';
    } catch (e) {
      if (isStatus(e, 409)) return 'exists';
      throw e;
    }
  }

  /** The gnmic target ConfigMaps (the Target Generator's shards), for the cache. */
  public listTargetConfigMaps(): Promise<KubernetesListObject<V1ConfigMap>> {
    return this.core.listNamespacedConfigMap({ namespace: GNMIC_TARGETS_NAMESPACE, labelSelector: `${TARGET_SET_LABEL}=gnmic` }) as Promise<KubernetesListObject<V1ConfigMap>>;
  }

  /** A core/v1 Event on the execution: `kubectl describe` and `kubectl get events` show it. */
  public async recordEvent(execution: RunbookExecution, type: 'Normal' | 'Warning', reason: string, message: string, component: string, instance: string): Promise<void> {
    const now = new Date();
    const meta = execution.metadata as { name: string; namespace?: string; uid?: string; resourceVersion?: string };
    await this.core.createNamespacedEvent({
      namespace: meta.namespace!,
      body: {
        metadata: { generateName: `${meta.name}.`, namespace: meta.namespace },
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: 'RunbookExecution', name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component },
        reportingComponent: component,
        reportingInstance: instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  /** Who the API server says this client is (a SelfSubjectReview). */
  public async whoAmI(): Promise<string> {
    const review = await this.auth.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    const username = review.status?.userInfo?.username;
    if (username === undefined) throw new Error('SelfSubjectReview returned no username');
    return username;
  }
}
