import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import { executionDeadlineSeconds } from './execution.js';
import {
  EXECUTION_LABEL, EXECUTOR_ENV, EXECUTOR_SERVICE_ACCOUNT, GNMI_CREDENTIALS_DIR, GNMI_CREDENTIALS_SECRET, GROUP,
  type Runbook, type RunbookExecution, VERSION,
} from '../api/types.js';

export type GnmiTlsMode = 'tls' | 'skip-verify' | 'plaintext';
export const GNMI_TLS_MODES: readonly GnmiTlsMode[] = ['tls', 'skip-verify', 'plaintext'];

export interface JobSettings {
  /** The operator's own image: it holds the executor (`runbook-operator execute`). */
  readonly image: string;
  readonly gnmiTls: GnmiTlsMode;
  /** CA bundle the executor verifies devices against (with gnmiTls `tls`). */
  readonly gnmiCaFile?: string;
}

/** The executor retries a failed Pod this often; its checkpoints make a retry skip every Set that already succeeded. */
export const JOB_BACKOFF_LIMIT = 2;

/**
 * The Job's name, from the execution's name and uid: a restarted operator finds
 * the Job it created before (or gets AlreadyExists), never makes a second one;
 * a new execution reusing a deleted one's name gets a new Job. At most 63
 * characters (the job-name label the Job controller adds is a label value).
 */
export function jobNameFor(execution: RunbookExecution): string {
  const uid = String((execution.metadata as { uid?: unknown }).uid ?? '');
  const hash = createHash('sha256').update(`${execution.metadata.name}\n${uid}`).digest('hex').slice(0, 8);
  const base = execution.metadata.name.slice(0, 63 - 'rbx--'.length - hash.length).replace(/[-.]+$/, '');
  return `rbx-${base}-${hash}`;
}

/** The Job that runs an execution's steps: the executor under Pod Security `restricted`, with the gNMI credentials mounted read-only. */
export function buildJob(execution: RunbookExecution, runbook: Runbook, settings: JobSettings): V1Job {
  const name = jobNameFor(execution);
  const namespace = execution.metadata.namespace!;
  const labels = { [EXECUTION_LABEL]: execution.metadata.name, 'app.kubernetes.io/name': 'runbook-executor', 'app.kubernetes.io/part-of': 'helios' };
  const env = [
    { name: EXECUTOR_ENV.namespace, value: namespace },
    { name: EXECUTOR_ENV.name, value: execution.metadata.name },
    { name: EXECUTOR_ENV.tlsMode, value: settings.gnmiTls },
    ...(settings.gnmiCaFile !== undefined ? [{ name: EXECUTOR_ENV.caFile, value: settings.gnmiCaFile }] : []),
  ];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace,
      labels,
      ownerReferences: [{
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'RunbookExecution',
        name: execution.metadata.name,
        uid: String((execution.metadata as { uid?: unknown }).uid),
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: {
      backoffLimit: JOB_BACKOFF_LIMIT,
      activeDeadlineSeconds: executionDeadlineSeconds(runbook, execution.status?.targets?.length ?? 0),
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: EXECUTOR_SERVICE_ACCOUNT,
          // The executor writes its steps into the execution's status: it needs its token.
          automountServiceAccountToken: true,
          restartPolicy: 'Never',
          enableServiceLinks: false,
          // fsGroup: the credentials Secret's files (mode 0440) belong to the executor's group.
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'executor',
            image: settings.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['runbook-operator', 'execute'],
            env,
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
            securityContext: {
              allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [{ name: 'gnmi-credentials', mountPath: GNMI_CREDENTIALS_DIR, readOnly: true }],
          }],
          volumes: [{ name: 'gnmi-credentials', secret: { secretName: GNMI_CREDENTIALS_SECRET, defaultMode: 0o440 } }],
        },
      },
    },
  };
}

/** The Job's outcome from its conditions, once it has one. */
export function jobFinished(job: V1Job): { condition: 'Complete' | 'Failed'; reason?: string; message?: string } | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return { condition: c.type, reason: c.reason, message: c.message };
  }
  return undefined;
}
