import { createHash } from 'node:crypto';
import { ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { EXECUTIONS, GROUP, RUNBOOKS, type Runbook, type RunbookExecution, type RunbookExecutionStatus, VERSION } from '../api/types.js';

/** The status fields the executor owns (see the writers comment in api/types.ts). */
export type ExecutorStatus = Pick<RunbookExecutionStatus, 'steps' | 'rollbackSteps' | 'savedState' | 'result'>;

export class StatusWriteError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'StatusWriteError';
  }
}

const RETRYABLE = new Set([409, 429, 500, 502, 503, 504]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function retryable(e: unknown): boolean {
  // Network errors (API server restarting) carry no HTTP code.
  return !(e instanceof ApiException) || RETRYABLE.has(e.code);
}

/** Reads the execution and its runbook; writes the executor's status fields and Events. */
export class ExecutionApi {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;

  public constructor(kc: KubeConfig, public readonly namespace: string, public readonly name: string, private readonly attempts = 8) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private async retry<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        if (attempt >= this.attempts || !retryable(e)) {
          const detail = e instanceof ApiException ? `HTTP ${e.code}: ${typeof e.body === 'string' ? e.body : JSON.stringify(e.body)}` : (e as Error).message;
          throw new StatusWriteError(`${what}: ${detail}`);
        }
        await sleep(Math.min(200 * 2 ** (attempt - 1), 5000));
      }
    }
  }

  private ref(plural: string, name: string) {
    return { group: GROUP, version: VERSION, namespace: this.namespace, plural, name };
  }

  public readExecution(): Promise<RunbookExecution> {
    return this.retry(`read runbookexecution ${this.namespace}/${this.name}`, () =>
      this.custom.getNamespacedCustomObject(this.ref(EXECUTIONS, this.name)) as Promise<RunbookExecution>);
  }

  /** The runbook, or undefined when it does not exist. */
  public readRunbook(name: string): Promise<Runbook | undefined> {
    return this.retry(`read runbook ${this.namespace}/${name}`, async () => {
      try {
        return await (this.custom.getNamespacedCustomObject(this.ref(RUNBOOKS, name)) as Promise<Runbook>);
      } catch (e) {
        if (e instanceof ApiException && e.code === 404) return undefined;
        throw e;
      }
    });
  }

  /**
   * A JSON merge patch on /status with only the executor's fields: lists are replaced
   * whole, fields the operator owns are untouched. No resourceVersion is sent, since
   * nobody else writes these fields; conflicts and unavailability are retried.
   */
  public async writeStatus(status: ExecutorStatus): Promise<void> {
    await this.retry(`write status of runbookexecution ${this.namespace}/${this.name}`, () =>
      this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: this.namespace, plural: EXECUTIONS, name: this.name, body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ));
  }

  /** An Event on the execution; its name is derived from `key`, so a retried executor does not duplicate it. */
  public async event(execution: RunbookExecution, key: string, reason: string, message: string): Promise<void> {
    const now = new Date();
    const name = `${this.name.slice(0, 200)}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
    await this.retry(`create event on runbookexecution ${this.namespace}/${this.name}`, async () => {
      try {
        await this.core.createNamespacedEvent({
          namespace: this.namespace,
          body: {
            metadata: { name, namespace: this.namespace },
            involvedObject: {
              apiVersion: `${GROUP}/${VERSION}`,
              kind: 'RunbookExecution',
              name: this.name,
              namespace: this.namespace,
              uid: (execution.metadata as { uid?: string }).uid,
            },
            reason,
            message: message.slice(0, 1024),
            type: 'Normal',
            source: { component: 'helios-runbook-executor' },
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
      } catch (e) {
        if (e instanceof ApiException && e.code === 409) return;
        throw e;
      }
    });
  }
}
