import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunbookExecution } from './api/types.js';

/** The operator's metrics (ServiceMonitor-scraped on METRICS_PORT /metrics). */
export class OperatorMetrics {
  public readonly registry = new Registry();
  public readonly executions = new Counter({
    name: 'helios_runbook_executions_total',
    help: 'Executions that ended, by runbook and final phase (Succeeded, Failed, RolledBack, RollbackFailed).',
    labelNames: ['runbook', 'result'],
    registers: [this.registry],
  });
  public readonly duration = new Histogram({
    name: 'helios_runbook_execution_duration_seconds',
    help: 'From an execution\'s creation to its final phase, approval wait included, by runbook and final phase.',
    labelNames: ['runbook', 'result'],
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400],
    registers: [this.registry],
  });
  public readonly pendingApprovals: Gauge;
  public readonly stepDuration = new Histogram({
    name: 'helios_runbook_step_duration_seconds',
    help: 'How long each step of an ended execution ran (from the executor\'s step start and end times), by runbook and step.',
    labelNames: ['runbook', 'step'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  /** @param pending the executions now waiting for approval (read at scrape time). */
  public constructor(pending: () => readonly RunbookExecution[]) {
    this.pendingApprovals = new Gauge({
      name: 'helios_runbook_pending_approvals',
      help: 'Executions in PendingApproval now, by runbook.',
      labelNames: ['runbook'],
      registers: [this.registry],
      collect() {
        this.reset();
        const byRunbook = new Map<string, number>();
        for (const e of pending()) byRunbook.set(e.spec.runbookRef.name, (byRunbook.get(e.spec.runbookRef.name) ?? 0) + 1);
        for (const [runbook, n] of byRunbook) this.set({ runbook }, n);
      },
    });
  }

  /** An execution reached its final phase: count it, and its duration and its steps'. */
  public ended(execution: RunbookExecution, result: string, completedAt: Date): void {
    const runbook = execution.spec.runbookRef.name;
    this.executions.inc({ runbook, result });
    const created = Date.parse(String((execution.metadata as { creationTimestamp?: unknown }).creationTimestamp ?? ''));
    if (!Number.isNaN(created)) this.duration.observe({ runbook, result }, Math.max(0, (completedAt.getTime() - created) / 1000));
    for (const step of [...(execution.status?.steps ?? []), ...(execution.status?.rollbackSteps ?? [])]) {
      if (step.startTime === undefined || step.endTime === undefined) continue;
      const seconds = (Date.parse(step.endTime) - Date.parse(step.startTime)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) this.stepDuration.observe({ runbook, step: step.name }, seconds);
    }
  }
}

/** /metrics, /healthz (the process serves) and /readyz (the caches are filled) on one port. */
export function serveMetrics(port: number, registry: Registry, ready: () => boolean, host?: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET' }).end();
    } else if (path === '/metrics') {
      registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text), (e: unknown) => res.writeHead(500).end(String(e)));
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok\n' : 'caches not filled yet\n');
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
