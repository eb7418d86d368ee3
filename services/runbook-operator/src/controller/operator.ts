import type { KubeConfig, V1ConfigMap, V1Job } from '@kubernetes/client-node';
import { EXECUTION_LABEL, EXECUTIONS, GROUP, type Runbook, type RunbookExecution, RUNBOOKS, VERSION } from '../api/types.js';
import { isStatus, OperatorClient, describeError } from '../kube/client.js';
import { RestartingInformer } from '../kube/informer.js';
import { DEFAULT_LEASE_TIMINGS, LeaderElector, type LeaseTimings } from '../kube/lease.js';
import type { Logger } from '../log.js';
import { OperatorMetrics } from '../metrics.js';
import { decide, type Decision, isTerminal, needsInventory } from './execution.js';
import { buildJob, jobFinished, jobNameFor, type JobSettings } from './job.js';
import { WorkQueue } from './queue.js';
import { parameterProblem, runbookProblem, runbookStatus, runbookStatusChanged } from './runbook.js';
import { GNMIC_TARGETS_NAMESPACE, InventoryFromConfigMaps, TARGET_SET_LABEL } from './targets.js';

export const COMPONENT = 'helios-runbook-operator';
const WARNING_PHASES = new Set(['Failed', 'RollingBack', 'RolledBack', 'RollbackFailed']);
/** Status writes refused for a stale read, recomputed from a fresh read, before the key goes back to the queue. */
const CONFLICT_RETRIES = 5;

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** Where runbooks, executions and Jobs live. */
  readonly namespace: string;
  /** This replica's name in the Lease (the Pod name). */
  readonly identity: string;
  readonly job: JobSettings;
  readonly log: Logger;
  /** Every runbook and unfinished execution is reconciled again this often. @default 300000 */
  readonly resyncMs?: number;
  readonly lease?: LeaseTimings;
  /** Reconciles at a time (never two of one object). @default 4 */
  readonly workers?: number;
  /** Called when this replica loses the lease: the process should exit so it restarts as a clean follower. */
  readonly onLostLeadership?: () => void;
}

/**
 * The controller: caches of runbooks, executions and their Jobs feed a keyed work
 * queue; workers run only while this replica holds the Lease, so of two replicas
 * one acts and the other keeps its caches warm to take over.
 */
export class Operator {
  public readonly client: OperatorClient;
  public readonly metrics: OperatorMetrics;
  public readonly runbooks: RestartingInformer<Runbook>;
  public readonly executions: RestartingInformer<RunbookExecution>;
  public readonly jobs: RestartingInformer<V1Job>;
  /** The Target Generator's gnmic files: the devices executions may target. */
  public readonly targetFiles: RestartingInformer<V1ConfigMap>;
  private readonly inventory: InventoryFromConfigMaps;
  private readonly queue = new WorkQueue();
  private readonly elector: LeaderElector;
  private readonly log: Logger;
  private leading = false;
  private stopping = false;
  private resync?: NodeJS.Timeout;
  private workers: Array<Promise<void>> = [];

  public constructor(private readonly options: OperatorOptions) {
    const { kubeConfig, namespace } = options;
    this.client = new OperatorClient(kubeConfig);
    this.log = (level, message, fields) => options.log(level, message, { operator: options.identity, ...fields });
    // Only the leader reports the gauge: summed over replicas, it would count each execution once per replica.
    this.metrics = new OperatorMetrics(() => (this.leading ? this.executions.list(namespace).filter((e) => e.status?.phase === 'PendingApproval') : []));
    this.runbooks = new RestartingInformer<Runbook>(kubeConfig, {
      kind: 'Runbook',
      path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${RUNBOOKS}`,
      log: this.log,
      list: () => this.client.listRunbooks(namespace),
      onChange: (rb) => this.queue.add(`runbook/${rb.metadata.name}`),
    });
    this.executions = new RestartingInformer<RunbookExecution>(kubeConfig, {
      kind: 'RunbookExecution',
      path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${EXECUTIONS}`,
      log: this.log,
      list: () => this.client.listExecutions(namespace),
      onChange: (ex) => this.queue.add(`execution/${ex.metadata.name}`),
    });
    this.jobs = new RestartingInformer<V1Job>(kubeConfig, {
      kind: 'Job',
      path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
      labelSelector: EXECUTION_LABEL,
      log: this.log,
      list: () => this.client.listJobs(namespace, EXECUTION_LABEL),
      onChange: (job) => {
        const execution = job.metadata?.labels?.[EXECUTION_LABEL];
        if (execution !== undefined) this.queue.add(`execution/${execution}`);
      },
    });
    this.targetFiles = new RestartingInformer<V1ConfigMap>(kubeConfig, {
      kind: 'ConfigMap',
      path: `/api/v1/namespaces/${GNMIC_TARGETS_NAMESPACE}/configmaps`,
      labelSelector: `${TARGET_SET_LABEL}=gnmic`,
      log: this.log,
      list: () => this.client.listTargetConfigMaps(),
      // Executions are resolved when they leave Pending, from whatever the files hold then.
      onChange: () => undefined,
    });
    this.inventory = new InventoryFromConfigMaps((name) => this.targetFiles.get(name, GNMIC_TARGETS_NAMESPACE));
    this.elector = new LeaderElector(kubeConfig, namespace, COMPONENT, options.identity, {
      onStartedLeading: () => this.startLeading(),
      onStoppedLeading: () => this.stopLeading(),
    }, this.log, options.lease ?? DEFAULT_LEASE_TIMINGS);
  }

  public get isLeader(): boolean {
    return this.leading;
  }

  public get ready(): boolean {
    return this.runbooks.hasSynced && this.executions.hasSynced && this.jobs.hasSynced && this.targetFiles.hasSynced;
  }

  /** Fills the caches (an informer whose first list failed keeps retrying), then campaigns for the Lease. */
  public async start(): Promise<void> {
    this.stopping = false;
    await Promise.all([this.runbooks.start(), this.executions.start(), this.jobs.start(), this.targetFiles.start()]);
    // Leading with a cache still empty would take every Job for missing.
    while (!this.ready) {
      if (this.stopping) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.elector.start();
  }

  public async stop(): Promise<void> {
    this.stopping = true;
    this.leading = false;
    if (this.resync !== undefined) clearInterval(this.resync);
    this.queue.shutDown();
    await Promise.all(this.workers);
    await this.elector.stop();
    await Promise.all([this.runbooks.stop(), this.executions.stop(), this.jobs.stop(), this.targetFiles.stop()]);
  }

  private startLeading(): void {
    this.leading = true;
    this.enqueueAll();
    this.resync = setInterval(() => this.enqueueAll(), this.options.resyncMs ?? 300_000);
    this.resync.unref();
    this.workers = Array.from({ length: this.options.workers ?? 4 }, () => this.work());
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    if (this.resync !== undefined) clearInterval(this.resync);
    this.queue.shutDown();
    this.options.onLostLeadership?.();
  }

  private enqueueAll(): void {
    for (const rb of this.runbooks.list(this.options.namespace)) this.queue.add(`runbook/${rb.metadata.name}`);
    for (const ex of this.executions.list(this.options.namespace)) {
      if (!isTerminal(ex.status?.phase)) this.queue.add(`execution/${ex.metadata.name}`);
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        if (this.leading) {
          const [kind, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
          if (kind === 'runbook') await this.reconcileRunbook(name);
          else await this.reconcileExecution(name);
        }
        this.queue.forget(key);
      } catch (e) {
        const delayMs = this.queue.addRateLimited(key);
        this.log('warn', 'reconcile failed; retrying', { key, error: describeError(e), attempt: this.queue.failuresOf(key), delayMs });
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileRunbook(name: string): Promise<void> {
    const runbook = this.runbooks.get(name, this.options.namespace);
    if (runbook === undefined) return;
    const problem = runbookProblem(runbook);
    const status = runbookStatus(runbook, problem, new Date());
    if (!runbookStatusChanged(runbook, status)) return;
    try {
      await this.client.patchRunbookStatus(this.options.namespace, name, String(runbook.metadata.resourceVersion), status);
    } catch (e) {
      // The cache was behind: the update that made it stale queued the key again.
      if (isStatus(e, 409) || isStatus(e, 404)) return;
      throw e;
    }
    this.log(problem === undefined ? 'info' : 'warn', problem === undefined ? 'runbook is ready' : 'runbook is invalid', { runbook: name, problem });
  }

  private async reconcileExecution(name: string): Promise<void> {
    const { namespace } = this.options;
    let execution = this.executions.get(name, namespace);
    for (let attempt = 0; execution !== undefined && attempt < CONFLICT_RETRIES; attempt++) {
      if (isTerminal(execution.status?.phase)) return;
      const ref = execution.spec.runbookRef?.name;
      // Applied together, the execution can arrive before its runbook: ask before calling it missing.
      const runbook = this.runbooks.get(ref, namespace) ?? (needsInventory(execution) ? await this.client.getRunbook(namespace, ref) : undefined);
      const badRunbook = runbook === undefined ? undefined : runbookProblem(runbook);
      const badParameters = runbook === undefined || badRunbook !== undefined ? undefined : parameterProblem(runbook, execution.spec.parameters);
      const inventory = needsInventory(execution) && runbook !== undefined && badRunbook === undefined && badParameters === undefined
        ? this.inventory.inventory() : undefined;
      const jobName = jobNameFor(execution);
      const job = this.jobs.get(jobName, namespace);
      const decision = decide({
        execution,
        runbook,
        runbookProblem: badRunbook,
        parameterProblem: badParameters,
        inventory,
        jobName,
        now: new Date(),
        job: job === undefined ? undefined : { name: jobName, finished: jobFinished(job) },
      });
      if (!this.leading) return;
      if (decision.createJob && runbook !== undefined) {
        const created = await this.client.createJob(buildJob(execution, runbook, this.options.job));
        if (created === 'created') this.log('info', 'created the execution\'s Job', { execution: name, job: jobName });
      }
      let updated: RunbookExecution | undefined;
      if (Object.keys(decision.status).length > 0) {
        try {
          updated = await this.client.patchExecutionStatus(namespace, name, String(execution.metadata.resourceVersion), decision.status);
          await this.announce(updated, execution.status?.phase, decision);
        } catch (e) {
          if (!isStatus(e, 409)) throw e;
          execution = await this.client.getExecution(namespace, name);
          continue;
        }
      }
      if (decision.requeueAfterMs === 0 && updated !== undefined) {
        execution = updated;
        continue;
      }
      if (decision.requeueAfterMs !== undefined) this.queue.addAfter(`execution/${name}`, decision.requeueAfterMs);
      return;
    }
    if (execution !== undefined) throw new Error(`execution ${name}: status write refused ${CONFLICT_RETRIES} times for concurrent changes`);
  }

  /** Each transition as an Event on the execution and a log line; the final one in the metrics. */
  private async announce(execution: RunbookExecution, from: string | undefined, decision: Decision): Promise<void> {
    let previous = from;
    for (const t of decision.transitions) {
      this.log(WARNING_PHASES.has(t.phase) ? 'warn' : 'info', 'execution phase changed', {
        execution: execution.metadata.name,
        runbook: execution.spec.runbookRef.name,
        from: previous ?? null,
        phase: t.phase,
        reason: t.reason,
        detail: t.message,
      });
      previous = t.phase;
      try {
        await this.client.recordEvent(execution, WARNING_PHASES.has(t.phase) ? 'Warning' : 'Normal', t.reason, `${t.phase}: ${t.message}`, COMPONENT, this.options.identity);
      } catch (e) {
        // The history in the status holds the transition; a lost Event is not worth repeating the reconcile.
        this.log('warn', 'could not record an Event', { execution: execution.metadata.name, error: describeError(e) });
      }
    }
    const final = decision.status.phase;
    if (isTerminal(final)) this.metrics.ended(execution, final!, new Date(decision.status.completionTime!));
  }
}
