import { EXECUTION_LABEL, EXECUTOR_ENV, EXECUTOR_SERVICE_ACCOUNT, GNMI_CREDENTIALS_DIR, GNMI_CREDENTIALS_SECRET } from '../../src/api/types.js';
import { executionDeadlineSeconds } from '../../src/controller/execution.js';
import { buildJob, jobFinished, jobNameFor } from '../../src/controller/job.js';
import { execution, runbook } from './fixtures.js';

describe('the executor Job', () => {
  const ex = execution('bounce-leaf1');
  const job = buildJob(ex, runbook('rb', { timeoutSeconds: 120 }), { image: 'ghcr.io/helios/runbook-operator:0.1.0', gnmiTls: 'tls', gnmiCaFile: '/etc/helios/gnmi/ca.crt' });
  const pod = job.spec!.template.spec!;
  const container = pod.containers[0];

  test('is named from the execution, the same every time, different for a new execution of the same name', () => {
    expect(jobNameFor(ex)).toBe(jobNameFor(execution('bounce-leaf1')));
    expect(jobNameFor(ex)).toMatch(/^rbx-bounce-leaf1-[0-9a-f]{8}$/);
    const other = { ...ex, metadata: { ...ex.metadata, uid: 'another-uid' } };
    expect(jobNameFor(other)).not.toBe(jobNameFor(ex));
    const long = jobNameFor(execution('x'.repeat(253)));
    expect(long.length).toBeLessThanOrEqual(63);
  });

  test('runs `runbook-operator execute` as the executor ServiceAccount with the contract\'s environment', () => {
    expect(job.metadata).toMatchObject({ name: jobNameFor(ex), namespace: 'helios-automation', labels: { [EXECUTION_LABEL]: 'bounce-leaf1' } });
    expect(job.metadata!.ownerReferences).toEqual([{ apiVersion: 'automation.helios.io/v1alpha1', kind: 'RunbookExecution', name: 'bounce-leaf1', uid: 'uid-bounce-leaf1', controller: true, blockOwnerDeletion: true }]);
    expect(pod.serviceAccountName).toBe(EXECUTOR_SERVICE_ACCOUNT);
    expect(container.command).toEqual(['runbook-operator', 'execute']);
    expect(container.env).toEqual([
      { name: EXECUTOR_ENV.namespace, value: 'helios-automation' },
      { name: EXECUTOR_ENV.name, value: 'bounce-leaf1' },
      { name: EXECUTOR_ENV.tlsMode, value: 'tls' },
      { name: EXECUTOR_ENV.caFile, value: '/etc/helios/gnmi/ca.crt' },
    ]);
    expect(job.spec!.template.metadata!.labels![EXECUTION_LABEL]).toBe('bounce-leaf1');
  });

  test('is bounded by the runbook timeout and a retry limit', () => {
    expect(job.spec!.activeDeadlineSeconds).toBe(120);
    expect(job.spec!.backoffLimit).toBeGreaterThanOrEqual(0);
    expect(pod.restartPolicy).toBe('Never');
  });

  test('leaves the rollback its time past the runbook timeout: a Set and a verifying Get per changed path and device, then the rollback steps', () => {
    const rollingBack = runbook('rb', {
      timeoutSeconds: 120,
      rollbackOnFailure: true,
      steps: [
        { name: 'down', gnmiSet: { update: [{ path: '/a', value: false }, { path: '/b', value: 1 }] }, timeoutSeconds: 10 },
        { name: 'pause', wait: { seconds: 5 } },
        { name: 'up', gnmiSet: { delete: ['/c'] } },
      ],
      rollbackSteps: [{ name: 'settle', wait: { seconds: 7 } }, { name: 'check', gnmiGet: { paths: ['/a'] }, timeoutSeconds: 5 }],
    });
    const onTwo = execution('bounce-two', { status: { targets: [{ name: 'leaf1', address: 'a:1' }, { name: 'leaf2', address: 'b:1' }] } });
    const settings = { image: 'ghcr.io/helios/runbook-operator:0.1.0', gnmiTls: 'tls' as const };
    // 120 + restore (2 calls × (10 s × 2 paths + 30 s × 1 path) × 2 devices) + rollback steps (7 s + 2 × 5 s × 2 devices)
    expect(executionDeadlineSeconds(rollingBack, 2)).toBe(120 + 2 * (10 * 2 + 30) * 2 + 7 + 2 * 5 * 2);
    expect(buildJob(onTwo, rollingBack, settings).spec!.activeDeadlineSeconds).toBe(executionDeadlineSeconds(rollingBack, 2));
    // Without rollback, the runbook timeout alone.
    expect(executionDeadlineSeconds({ ...rollingBack, spec: { ...rollingBack.spec, rollbackOnFailure: false } }, 2)).toBe(120);
  });

  test('runs in the group that may read the credentials Secret (mode 0440)', () => {
    expect(pod.securityContext!.fsGroup).toBe(pod.securityContext!.runAsGroup);
    expect(pod.volumes![0].secret!.defaultMode).toBe(0o440);
  });

  test('meets Pod Security restricted, has resources, and mounts the gNMI credentials read-only', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.resources!.requests).toBeDefined();
    expect(container.resources!.limits).toBeDefined();
    expect(container.volumeMounts).toEqual([{ name: 'gnmi-credentials', mountPath: GNMI_CREDENTIALS_DIR, readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: 'gnmi-credentials', secret: { secretName: GNMI_CREDENTIALS_SECRET, defaultMode: 0o440 } }]);
  });

  test('is finished only with a true Complete or Failed condition', () => {
    expect(jobFinished({ status: { conditions: [{ type: 'Complete', status: 'True' }] } })).toEqual({ condition: 'Complete' });
    expect(jobFinished({ status: { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] } })).toEqual({ condition: 'Failed', reason: 'DeadlineExceeded' });
    expect(jobFinished({ status: { conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] } })).toBeUndefined();
    expect(jobFinished({ status: {} })).toBeUndefined();
  });
});
