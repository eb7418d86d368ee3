/**
 * Operator overhead per execution, over BENCH_EXECUTIONS (100) executions with
 * BENCH_CONCURRENCY (4) in flight: the operator process (`runbook-operator operate`)
 * on a real kube-apiserver, each Job run by the JobRunnerStandIn (the real executor
 * reading a real gnmi_target). Two intervals, each seen through watches:
 *   - creation → Job created: from the create call to the Job's ADDED event;
 *   - Job finished → final status: from the stand-in's Job status write to the
 *     execution's terminal phase.
 * The executor's own run time is not operator overhead and is left out.
 * Goal (issue 12): p99 < 1 s; spec SC-006 allows 10 s.
 *
 *   npm run bench:runbooks           (from the repository root)
 */
import { availableParallelism } from 'node:os';
import { Watch } from '@kubernetes/client-node';
import { startGnmiTarget } from '../../../test/peers/harness/network-peers.js';
import { AUTOMATION_NAMESPACE, EXECUTION_LABEL, EXECUTIONS, GNMI_CREDENTIALS_DIR, GROUP, type RunbookExecution, TERMINAL_PHASES, VERSION } from '../src/api/types.js';
import { CREDENTIALS_DIR_ENV } from '../src/executor/run.js';
import { JobRunnerStandIn, World } from '../test/e2e/world.js';

const EXECUTIONS_N = Number(process.env.BENCH_EXECUTIONS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const GOAL_P99_MS = 1000;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<number> {
  const [world, device] = await Promise.all([World.start(), startGnmiTarget()]);
  const jobAdded = new Map<string, number>();
  const finals = new Map<string, { at: number; phase: string; jobName?: string }>();
  const waiters = new Map<string, () => void>();
  const aborts: AbortController[] = [];
  let standIn: JobRunnerStandIn | undefined;
  let operator: Awaited<ReturnType<World['startOperator']>> | undefined;
  try {
    await world.setDevices([{ name: 'bench-leaf1', address: device.address }]);
    await world.createRunbook('bench-read', {
      category: 'diagnostics', riskLevel: 'low',
      steps: [{ name: 'read', gnmiGet: { paths: ['/interfaces/interface[name=Ethernet1]/config/enabled'] } }],
    });
    standIn = await JobRunnerStandIn.start(world, {
      env: { KUBECONFIG: world.kube.kubeconfigPath },
      mountEnv: (mountPath, dir) => (mountPath === GNMI_CREDENTIALS_DIR ? { [CREDENTIALS_DIR_ENV]: dir } : {}),
    });
    operator = await world.startOperator('bench-operator');

    const watch = new Watch(world.kube.kubeConfig());
    aborts.push(await watch.watch(`/apis/batch/v1/namespaces/${AUTOMATION_NAMESPACE}/jobs`, { labelSelector: EXECUTION_LABEL }, (type, job: { metadata: { labels: Record<string, string> } }) => {
      const execution = job.metadata.labels[EXECUTION_LABEL];
      if (type === 'ADDED' && !jobAdded.has(execution)) jobAdded.set(execution, Date.now());
    }, () => undefined));
    aborts.push(await watch.watch(`/apis/${GROUP}/${VERSION}/namespaces/${AUTOMATION_NAMESPACE}/${EXECUTIONS}`, {}, (_type, ex: RunbookExecution) => {
      const phase = ex.status?.phase;
      if (phase !== undefined && TERMINAL_PHASES.includes(phase) && !finals.has(ex.metadata.name)) {
        finals.set(ex.metadata.name, { at: Date.now(), phase, jobName: ex.status?.jobName });
        waiters.get(ex.metadata.name)?.();
      }
    }, () => undefined));

    const created = new Map<string, number>();
    const started = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < EXECUTIONS_N) {
        const name = `bench-${String(next++).padStart(3, '0')}`;
        const done = new Promise<void>((resolve) => waiters.set(name, resolve));
        created.set(name, Date.now());
        await world.createExecution(name, { runbookRef: { name: 'bench-read' }, target: { device: 'bench-leaf1' } });
        await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`${name} did not finish within 120 s`)), 120_000))]);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    const wallSeconds = (Date.now() - started) / 1000;

    const toJob: number[] = [];
    const toFinal: number[] = [];
    const failed: string[] = [];
    for (const [name, at] of created) {
      const final = finals.get(name)!;
      if (final.phase !== 'Succeeded') failed.push(`${name}: ${final.phase}`);
      toJob.push(jobAdded.get(name)! - at);
      const jobDone = standIn.finishedAt.get(final.jobName!);
      if (jobDone !== undefined) toFinal.push(final.at - jobDone);
    }
    const row = (label: string, v: readonly number[]): string => `${label.padEnd(34)} p50 ${String(percentile(v, 50)).padStart(5)} ms   p99 ${String(percentile(v, 99)).padStart(5)} ms   max ${String(Math.max(...v)).padStart(5)} ms   (n=${v.length})`;
    process.stdout.write([
      `runbook operator overhead: ${EXECUTIONS_N} executions, ${CONCURRENCY} at a time, ${availableParallelism()} cores (nproc), ${wallSeconds.toFixed(1)} s wall`,
      row('creation → Job created', toJob),
      row('Job finished → final status', toFinal),
      `goal p99 < ${GOAL_P99_MS} ms (spec SC-006: 10 s)`,
      ...(failed.length > 0 ? [`NOT SUCCEEDED: ${failed.join(', ')}`] : []),
    ].join('\n') + '\n');
    const ok = failed.length === 0 && toFinal.length === EXECUTIONS_N && percentile(toJob, 99) < GOAL_P99_MS && percentile(toFinal, 99) < GOAL_P99_MS;
    return ok ? 0 : 1;
  } finally {
    aborts.forEach((a) => a.abort());
    await standIn?.stop();
    await operator?.stop();
    await Promise.all([world.stop(), device.stop()]);
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
