import { RUNBOOK_OPERATOR, RUNBOOK_EXECUTOR } from '../../constructs/automation/runbook-operator.js';
import { sampleRunbooks } from '../../constructs/automation/sample-runbooks.js';
import type { Runbook, RunbookExecution } from '../../services/runbook-operator/src/api/types.js';
import { renderYaml, type KubeObject } from '../../src/manifests.js';
import { clusterObjects, oneCluster } from '../metrics/support.js';
import { KubeApiServer } from '../peers/harness/kube.js';
import { waitFor } from '../peers/harness/process.js';

/**
 * The approval gate, as synthesized, on a real kube-apiserver: the CRDs, the
 * ValidatingAdmissionPolicies with their bindings and the RBAC are installed, and
 * users (impersonated by the admin, so the API server sees their names and groups)
 * try what the gate must refuse. Every refusal is the API server's, with its message.
 */
describe('runbook approvals, enforced by a real API server', () => {
  let kube: KubeApiServer;
  const NS = 'helios-automation';
  const OPERATOR = `system:serviceaccount:${NS}:${RUNBOOK_OPERATOR}`;
  const EXECUTOR = `system:serviceaccount:${NS}:${RUNBOOK_EXECUTOR}`;
  // alice runs runbooks; bob approves them (the sample runbooks' approver group); erin does both;
  // dave may edit executions but holds no approve verb; ada is a Helios admin.
  const users: Record<string, string[]> = {
    alice: ['helios-engineers'],
    bob: ['helios-engineers', 'helios-network-operators'],
    erin: ['helios-engineers', 'helios-network-operators'],
    dave: ['helios-engineers', 'runbook-editors'],
    ada: ['helios-admins'],
  };
  const objects = clusterObjects(oneCluster({ tier: 'small', extra: '    automation: { sampleRunbooks: true }\n' }));
  const named = (...names: string[]) => (o: KubeObject) => names.includes(o.metadata.labels?.['app.kubernetes.io/name'] ?? '');
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition' && named(RUNBOOK_OPERATOR)(o));
  const rest = objects.filter((o) => o.kind !== 'CustomResourceDefinition' && (
    (o.kind === 'Namespace' && [NS, 'helios-collection'].includes(o.metadata.name))
    || (named(RUNBOOK_OPERATOR, RUNBOOK_EXECUTOR)(o) && ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole'].includes(o.kind))
    || (o.kind === 'ClusterRole' && named('helios-access')(o))));
  const samples = objects.filter(named('helios-sample-runbooks'));

  const kubectl = (user: string | undefined, args: string[], input?: string) => kube.kubectl([
    ...(user ? [`--as=${user}`, ...(users[user] ?? []).map((g) => `--as-group=${g}`)] : []), ...args,
  ], input);
  const apply = (text: string) => {
    const r = kube.kubectl(['apply', '--server-side', '--field-manager=helios-tests', '-f', '-'], text);
    if (r.status !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
  };
  const execution = (name: string, requestedBy: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'automation.helios.io/v1alpha1',
    kind: 'RunbookExecution',
    metadata: { name, namespace: NS },
    spec: { runbookRef: { name: 'clear-bgp-neighbor' }, parameters: { neighbor: '192.0.2.1' }, target: { device: 'leaf1' }, requestedBy, ...extra },
  });
  const create = (user: string, obj: object) => kubectl(user, ['create', '-f', '-'], JSON.stringify(obj));
  const patch = (user: string, name: string, spec: object, subresource?: string) => kubectl(user, [
    'patch', 'runbookexecution', name, '-n', NS, '--type=merge', '-p', JSON.stringify(subresource ? { status: spec } : { spec }),
    ...(subresource ? [`--subresource=${subresource}`] : []),
  ]);
  const approvals = (name: string) => JSON.parse(kube.kubectl(['get', 'runbookexecution', name, '-n', NS, '-o', 'json']).stdout).spec.approvals ?? [];
  const refused = (r: { status: number | null; stderr: string }, message: string) => {
    console.log(`API server: ${r.stderr.trim()}`);
    expect(r.stderr).toContain(message);
    expect(r.status).not.toBe(0);
  };

  beforeAll(async () => {
    kube = await KubeApiServer.start();
    apply(renderYaml(crds));
    await kube.waitForCrds();
    apply(renderYaml(rest));
    // What helios.yaml's oidc.groups and the cluster's own RBAC would bind.
    for (const [role, group] of [['helios-engineer', 'helios-engineers'], ['helios-admin', 'helios-admins']]) {
      const r = kube.kubectl(['create', 'rolebinding', role, '-n', NS, `--clusterrole=${role}`, `--group=${group}`]);
      if (r.status !== 0) throw new Error(r.stderr);
    }
    for (const args of [
      ['create', 'role', 'runbook-editor', '-n', NS, '--verb=get,patch,update', '--resource=runbookexecutions.automation.helios.io'],
      ['create', 'rolebinding', 'runbook-editor', '-n', NS, '--role=runbook-editor', '--group=runbook-editors'],
    ]) {
      const r = kube.kubectl(args);
      if (r.status !== 0) throw new Error(r.stderr);
    }
    apply(renderYaml(samples));
    // The policies take effect once the API server has compiled them.
    await waitFor('the admission policies to act', () => kubectl('alice', ['create', '--dry-run=server', '-f', '-'], JSON.stringify(execution('probe', 'bob'))).stderr.includes('ValidatingAdmissionPolicy'), 60_000, 500);
    const r = create('alice', execution('clear-leaf1', 'alice'));
    if (r.status !== 0) throw new Error(`creating the execution failed: ${r.stderr}`);
  });
  afterAll(async () => { await kube?.stop(); });

  it('installs both CRDs with the sample runbooks as Runbooks, with their printer columns', () => {
    const r = kube.kubectl(['get', 'runbooks', '-n', NS]);
    expect(r.stdout.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'CATEGORY', 'RISK', 'APPROVAL', 'READY', 'AGE']);
    expect(r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]).sort()).toEqual(sampleRunbooks().map((s) => s.manifest.metadata.name).sort());
    expect(r.stdout).toMatch(/clear-bgp-neighbor\s+remediation\s+high\s+true/);
    const x = kube.kubectl(['get', 'runbookexecutions', '-n', NS]);
    expect(x.stdout.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'RUNBOOK', 'PHASE', 'AGE']);
  });

  it('refuses an execution whose requestedBy is not its creator', () => {
    refused(create('alice', execution('forged-request', 'bob')),
      'spec.requestedBy is "bob" but the execution is created by "alice": set it to your own username (kubectl auth whoami)');
  });

  it('refuses an execution created with approvals already in it', () => {
    refused(create('alice', execution('pre-approved', 'alice', { approvals: [{ approvedBy: 'bob' }] })),
      'spec.approvals must be empty when an execution is created');
  });

  it('refuses a forged approval, in another user\'s name', () => {
    refused(patch('bob', 'clear-leaf1', { approvals: [{ approvedBy: 'ada' }] }),
      'the new approval names "ada" but is sent by "bob": an approval is given in the approver\'s own name');
    expect(approvals('clear-leaf1')).toEqual([]);
  });

  it('refuses a self-approval, even from a member of the approver group', () => {
    const r = create('erin', execution('erin-self', 'erin'));
    expect(r.stderr).toBe('');
    refused(patch('erin', 'erin-self', { approvals: [{ approvedBy: 'erin' }] }),
      '"erin" requested this execution and cannot approve it: another approver must');
  });

  it('refuses an approval from a user who may edit executions but holds no approve verb', () => {
    refused(patch('dave', 'clear-leaf1', { approvals: [{ approvedBy: 'dave' }] }),
      '"dave" may not approve runbook executions in helios-automation: approving needs the verb approve on runbookexecutions/approval');
  });

  it('lets RBAC, not the policy, stop a user who may not even patch executions', () => {
    refused(patch('alice', 'clear-leaf1', { approvals: [{ approvedBy: 'alice' }] }),
      'User "alice" cannot patch resource "runbookexecutions" in API group "automation.helios.io"');
  });

  it('accepts a valid approval by a member of the approver group, then one by a Helios admin; each appends', () => {
    const r = patch('bob', 'clear-leaf1', { approvals: [{ approvedBy: 'bob', comment: 'CHG-1234' }] });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(approvals('clear-leaf1')).toEqual([{ approvedBy: 'bob', comment: 'CHG-1234' }]);
    const second = patch('ada', 'clear-leaf1', { approvals: [{ approvedBy: 'bob', comment: 'CHG-1234' }, { approvedBy: 'ada' }] });
    expect(second.stderr).toBe('');
    expect(approvals('clear-leaf1')).toEqual([{ approvedBy: 'bob', comment: 'CHG-1234' }, { approvedBy: 'ada' }]);
  });

  it('refuses to remove or change an approval, or to add two in one update', () => {
    refused(patch('ada', 'clear-leaf1', { approvals: [] }), 'spec.approvals can only grow');
    refused(patch('ada', 'clear-leaf1', { approvals: [{ approvedBy: 'bob', comment: 'changed' }, { approvedBy: 'ada' }] }), 'spec.approvals can only grow');
    const r = create('alice', execution('two-at-once', 'alice'));
    expect(r.stderr).toBe('');
    refused(patch('ada', 'two-at-once', { approvals: [{ approvedBy: 'ada' }, { approvedBy: 'bob' }] }), 'an update adds at most one approval; this one adds 2');
  });

  it('refuses any edit of the approved request, by approvers and admins alike', () => {
    refused(patch('bob', 'clear-leaf1', { parameters: { neighbor: '198.51.100.9' } }),
      'spec.parameters cannot change once the execution exists (only approvals can be added); create a new RunbookExecution instead');
    refused(patch('ada', 'clear-leaf1', { target: { device: 'spine1' } }), 'spec.target cannot change once the execution exists');
    refused(patch('ada', 'clear-leaf1', { requestedBy: 'ada' }), 'spec.requestedBy cannot change once the execution exists');
    refused(patch('ada', 'clear-leaf1', { dryRun: true }), 'spec.dryRun cannot change once the execution exists');
  });

  it('lets only the operator and the executor write status', () => {
    // The test's admin is in system:masters: RBAC allows it everything, the policy still refuses.
    refused(kube.kubectl(['patch', 'runbookexecution', 'clear-leaf1', '-n', NS, '--type=merge', '--subresource=status', '-p', '{"status":{"phase":"Succeeded"}}']),
      'only the runbook operator and executor write the status of runbookexecutions; "admin" may not');
    refused(kube.kubectl(['patch', 'runbook', 'interface-bounce', '-n', NS, '--type=merge', '--subresource=status', '-p', '{"status":{"observedGeneration":1}}']),
      'only the runbook operator and executor write the status of runbooks; "admin" may not');
    // A Helios admin holds no right to status at all: RBAC stops them before the policy does.
    refused(patch('ada', 'clear-leaf1', { phase: 'Succeeded' }, 'status'), 'User "ada" cannot get resource "runbookexecutions/status"');
    const operator = kube.kubectl(['patch', 'runbookexecution', 'clear-leaf1', '-n', NS, `--as=${OPERATOR}`, '--type=merge', '--subresource=status',
      '-p', JSON.stringify({ status: { phase: 'Approved', history: [{ time: '2026-01-01T00:00:00Z', phase: 'Approved', reason: 'Approved' }] } })]);
    expect(operator.stderr).toBe('');
    const executor = kube.kubectl(['patch', 'runbookexecution', 'clear-leaf1', '-n', NS, `--as=${EXECUTOR}`, '--type=merge', '--subresource=status',
      '-p', JSON.stringify({ status: { steps: [{ name: 'disable-neighbor', phase: 'Succeeded' }] } })]);
    expect(executor.stderr).toBe('');
    expect(kube.kubectl(['get', 'runbookexecution', 'clear-leaf1', '-n', NS]).stdout).toMatch(/clear-leaf1\s+clear-bgp-neighbor\s+Approved/);
  });

  it('gives the executor exactly its status and reads, and the operator no write to specs', () => {
    const can = (user: string, verb: string, resource: string) => {
      const [name, subresource] = resource.split('/');
      return kube.kubectl(['auth', 'can-i', verb, name, '-n', NS, `--as=${user}`, ...(subresource ? [`--subresource=${subresource}`] : [])]).stdout.trim();
    };
    expect([
      can(EXECUTOR, 'get', 'runbookexecutions.automation.helios.io'),
      can(EXECUTOR, 'patch', 'runbookexecutions.automation.helios.io/status'),
      can(EXECUTOR, 'patch', 'runbookexecutions.automation.helios.io'),
      can(EXECUTOR, 'create', 'jobs.batch'),
      can(OPERATOR, 'create', 'jobs.batch'),
      can(OPERATOR, 'create', 'runbookexecutions.automation.helios.io'),
      can(OPERATOR, 'patch', 'runbookexecutions.automation.helios.io'),
      can(OPERATOR, 'approve', 'runbookexecutions.automation.helios.io/approval'),
      can(OPERATOR, 'update', 'leases.coordination.k8s.io'),
    ]).toEqual(['yes', 'yes', 'no', 'no', 'yes', 'yes', 'no', 'no', 'yes']);
    expect(kube.kubectl(['auth', 'can-i', 'watch', 'configmaps', '-n', 'helios-collection', `--as=${OPERATOR}`]).stdout.trim()).toBe('yes');
    expect(kube.kubectl(['auth', 'can-i', 'get', 'secrets', '-n', NS, `--as=${OPERATOR}`]).stdout.trim()).toBe('no');
  });

  it('accepts a RunbookExecution with every field the operator\'s types describe, status included', () => {
    const full: RunbookExecution = {
      apiVersion: 'automation.helios.io/v1alpha1',
      kind: 'RunbookExecution',
      metadata: { name: 'full', namespace: NS },
      spec: {
        runbookRef: { name: 'interface-bounce' },
        parameters: { interface: 'Ethernet1' },
        target: { selector: { matchLabels: { site: 'ams1', role: 'leaf' } } },
        dryRun: true,
        requestedBy: OPERATOR,
        triggerSource: 'alertmanager',
        triggeredBy: 'InterfaceDown 4f2a9c',
      },
      status: {
        observedGeneration: 1,
        phase: 'RolledBack',
        reason: 'StepFailed',
        message: 'step check-up failed',
        targets: [{ name: 'leaf1', address: '10.0.0.1:57400', labels: { site: 'ams1' } }],
        jobName: 'full-abc12',
        startTime: '2026-01-01T00:00:00Z',
        completionTime: '2026-01-01T00:01:00Z',
        steps: [{ name: 'disable', phase: 'Succeeded', startTime: '2026-01-01T00:00:01Z', endTime: '2026-01-01T00:00:02Z', output: '{}', devices: [{ device: 'leaf1', response: '{}' }] },
          { name: 'check-up', phase: 'Failed', error: 'not UP', devices: [{ device: 'leaf1', error: 'not UP' }] }],
        rollbackSteps: [{ name: 'restore', phase: 'Succeeded' }],
        savedState: [{ step: 'disable', device: 'leaf1', path: '/interfaces/interface[name=Ethernet1]/config/enabled', value: 'true' }, { step: 'disable', device: 'leaf1', path: '/x' }],
        result: { outcome: 'RolledBack', message: 'restored' },
        history: [{ time: '2026-01-01T00:00:00Z', phase: 'Pending', reason: 'Created', message: 'by alertmanager' }],
        conditions: [{ type: 'Ready', status: 'False', reason: 'Failed', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }],
      },
    };
    const { status, ...withoutStatus } = full;
    const created = kube.kubectl(['create', '-f', '-', `--as=${OPERATOR}`], JSON.stringify(withoutStatus));
    expect(created.stderr).toBe('');
    const written = kube.kubectl(['patch', 'runbookexecution', 'full', '-n', NS, `--as=${OPERATOR}`, '--type=merge', '--subresource=status', '-p', JSON.stringify({ status })]);
    expect(written.stderr).toBe('');
    const stored = JSON.parse(kube.kubectl(['get', 'runbookexecution', 'full', '-n', NS, '-o', 'json']).stdout);
    expect(stored.spec).toEqual(full.spec);
    expect(stored.status).toEqual(status);
  });

  it('accepts a Runbook with every field the operator\'s types describe, and fills in the documented defaults', () => {
    const full: Runbook = {
      apiVersion: 'automation.helios.io/v1alpha1',
      kind: 'Runbook',
      metadata: { name: 'every-field', namespace: NS },
      spec: {
        description: 'every kind of step',
        category: 'configuration',
        riskLevel: 'critical',
        approvalRequired: true,
        approvers: ['helios-network-operators'],
        parameters: [
          { name: 'interface', type: 'string', description: 'port', required: true, enum: ['Ethernet1', 'Ethernet2'] },
          { name: 'pause', type: 'duration', default: '30s' },
          { name: 'count', type: 'integer', default: '3' },
          { name: 'force', type: 'boolean', required: false },
        ],
        steps: [
          { name: 'read', gnmiGet: { paths: ['/interfaces/interface[name={{ params.interface }}]/state'] } },
          { name: 'change', gnmiSet: { update: [{ path: '/a', value: { nested: [1, 'two', null] } }], replace: [{ path: '/b', value: 7 }], delete: ['/c'] }, timeoutSeconds: 60 },
          { name: 'pause', wait: { seconds: 30 } },
          { name: 'check', condition: { expression: 'steps.read.output != ""', message: 'empty' } },
          { name: 'tell', notify: { message: 'done on {{ target.name }}' } },
          { name: 'compute', script: { expression: '1 + 1' } },
        ],
        rollbackOnFailure: true,
        rollbackSteps: [{ name: 'tell-rollback', notify: { message: 'rolled back' } }],
        timeoutSeconds: 900,
      },
    };
    const created = kube.kubectl(['create', '-f', '-'], JSON.stringify(full));
    expect(created.stderr).toBe('');
    const stored = JSON.parse(kube.kubectl(['get', 'runbook', 'every-field', '-n', NS, '-o', 'json']).stdout);
    const withDefaults = {
      ...full.spec,
      steps: full.spec.steps.map((s) => ({ timeoutSeconds: 30, ...s })),
      rollbackSteps: [{ timeoutSeconds: 30, ...full.spec.rollbackSteps![0] }],
    };
    expect(stored.spec).toEqual(withDefaults);
    const minimal = {
      ...full,
      metadata: { name: 'minimal', namespace: NS },
      spec: { category: 'diagnostics', riskLevel: 'low', steps: [{ name: 'read', gnmiGet: { paths: ['/system'] } }] },
    };
    expect(kube.kubectl(['create', '-f', '-'], JSON.stringify(minimal)).stderr).toBe('');
    expect(JSON.parse(kube.kubectl(['get', 'runbook', 'minimal', '-n', NS, '-o', 'json']).stdout).spec).toEqual({
      ...minimal.spec,
      approvalRequired: false,
      rollbackOnFailure: false,
      timeoutSeconds: 600,
      steps: [{ ...minimal.spec.steps[0], timeoutSeconds: 30 }],
    });
    const status = kube.kubectl(['patch', 'runbook', 'minimal', '-n', NS, `--as=${OPERATOR}`, '--type=merge', '--subresource=status', '-p', JSON.stringify({
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Valid', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }] },
    })]);
    expect(status.stderr).toBe('');
    expect(kube.kubectl(['get', 'runbook', 'minimal', '-n', NS]).stdout).toMatch(/minimal\s+diagnostics\s+low\s+false\s+True/);
  });

  it('refuses a runbook step with two kinds, repeated step names and a target with both device and selector, naming each', () => {
    const bad = {
      apiVersion: 'automation.helios.io/v1alpha1',
      kind: 'Runbook',
      metadata: { name: 'bad', namespace: NS },
      spec: {
        category: 'diagnostics',
        riskLevel: 'low',
        steps: [
          { name: 'read', gnmiGet: { paths: ['/system'] }, wait: { seconds: 1 } },
          { name: 'read', notify: { message: 'x' } },
          { name: 'nothing' },
          { name: 'empty-set', gnmiSet: {} },
        ],
        rollbackSteps: [{ name: 'nothing', notify: { message: 'y' } }],
      },
    };
    const r = kube.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(bad));
    refused(r, 'step "read" must have exactly one of gnmiGet, gnmiSet, wait, condition, notify, script');
    expect(r.stderr).toContain('step "nothing" must have exactly one of');
    expect(r.stderr).toContain('step names must be unique within steps');
    expect(r.stderr).toContain('rollbackSteps names must be unique and differ from every name in steps');
    expect(r.stderr).toContain('a gnmiSet step changes something: give at least one update, replace or delete');
    refused(create('alice', execution('both', 'alice', { target: { device: 'leaf1', selector: { matchLabels: { site: 'ams1' } } } })),
      'target needs exactly one of device (a NetBox device name) or selector (taxonomy labels)');
    refused(create('alice', execution('neither', 'alice', { target: {} })), 'target needs exactly one of device');
  });
});
