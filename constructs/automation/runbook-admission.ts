import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { RUNBOOK_GROUP, RUNBOOK_VERSION } from './runbook-crds.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';

/** The pseudo-subresource on which approvers hold the custom verb `approve` (no such endpoint exists; RBAC only names it). */
export const APPROVAL_SUBRESOURCE = 'approval';
export const APPROVE_VERB = 'approve';
/** The policy that ties an execution to its requester and its approvals to their approvers. */
export const APPROVALS_POLICY = 'helios-runbook-approvals';
/** The policy that keeps status writes to the operator and the executor. */
export const STATUS_POLICY = 'helios-runbook-status-writers';

export interface RunbookAdmissionProps {
  readonly platform: PlatformBase;
  readonly owner: ComponentIdentity;
  /** The usernames that may write the status of runbooks and executions (the operator's and the executor's service accounts). */
  readonly statusWriters: readonly string[];
}

const USER = 'request.userInfo.username';
/** Only a validation about a newly added approval applies: an update that adds none (a label, a finalizer) passes them. */
const ADDS_APPROVAL = 'request.operation == \'UPDATE\' && size(variables.approvals) > size(variables.oldApprovals)';
const NEW_APPROVAL = 'variables.approvals[size(variables.approvals) - 1]';

/**
 * The approval gate, enforced by the API server (ValidatingAdmissionPolicy, CEL):
 * an execution is created in its requester's own name with no approvals; each update
 * adds at most one approval, in the name of the user who sends it, never the
 * requester's, and only from a user who holds `approve` on runbookexecutions/approval
 * (checked with the authorizer, so RBAC decides who approves); and only the operator
 * and the executor write status. The CRD's own rules keep the approved request
 * (everything in spec but approvals) from changing.
 */
export class RunbookAdmission extends Construct {
  public constructor(scope: Construct, id: string, props: RunbookAdmissionProps) {
    super(scope, id);
    const labels = props.platform.labelsFor(props.owner);
    const writers = `[${[...props.statusWriters].map((w) => `'${w}'`).join(', ')}]`;

    this.policy(APPROVALS_POLICY, labels, {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [{ apiGroups: [RUNBOOK_GROUP], apiVersions: [RUNBOOK_VERSION], operations: ['CREATE', 'UPDATE'], resources: ['runbookexecutions'] }],
      },
      variables: [
        { name: 'approvals', expression: 'has(object.spec.approvals) ? object.spec.approvals : []' },
        { name: 'oldApprovals', expression: 'request.operation == \'UPDATE\' && has(oldObject.spec.approvals) ? oldObject.spec.approvals : []' },
      ],
      validations: [
        {
          expression: `request.operation != 'CREATE' || object.spec.requestedBy == ${USER}`,
          messageExpression: `'spec.requestedBy is "' + object.spec.requestedBy + '" but the execution is created by "' + ${USER} + '": set it to your own username (kubectl auth whoami)'`,
          reason: 'Forbidden',
        },
        {
          expression: 'request.operation != \'CREATE\' || size(variables.approvals) == 0',
          message: 'spec.approvals must be empty when an execution is created: approvers add their approvals afterwards, one per update',
          reason: 'Forbidden',
        },
        {
          expression: 'request.operation != \'UPDATE\' || size(variables.approvals) <= size(variables.oldApprovals) + 1',
          messageExpression: '\'an update adds at most one approval; this one adds \' + string(size(variables.approvals) - size(variables.oldApprovals))',
          reason: 'Forbidden',
        },
        {
          // With at most one added, the earlier ones are unchanged exactly when the old list plus the new last one is the new list.
          expression: 'request.operation != \'UPDATE\' || (size(variables.approvals) == size(variables.oldApprovals) ? variables.approvals == variables.oldApprovals'
            + ' : size(variables.approvals) < size(variables.oldApprovals) || variables.oldApprovals + [variables.approvals[size(variables.approvals) - 1]] == variables.approvals)',
          message: 'spec.approvals is append-only: approvals already given cannot be changed, reordered or removed',
          reason: 'Forbidden',
        },
        {
          expression: `!(${ADDS_APPROVAL}) || ${NEW_APPROVAL}.approvedBy == ${USER}`,
          messageExpression: `'the new approval names "' + ${NEW_APPROVAL}.approvedBy + '" but is sent by "' + ${USER} + '": an approval is given in the approver\\'s own name'`,
          reason: 'Forbidden',
        },
        {
          expression: `!(${ADDS_APPROVAL}) || ${NEW_APPROVAL}.approvedBy != object.spec.requestedBy`,
          messageExpression: '\'"\' + object.spec.requestedBy + \'" requested this execution and cannot approve it: another approver must\'',
          reason: 'Forbidden',
        },
        {
          expression: `!(${ADDS_APPROVAL}) || authorizer.group('${RUNBOOK_GROUP}').resource('runbookexecutions').subresource('${APPROVAL_SUBRESOURCE}')`
            + `.namespace(object.metadata.namespace).name(object.metadata.name).check('${APPROVE_VERB}').allowed()`,
          messageExpression: `'"' + ${USER} + '" may not approve runbook executions in ' + object.metadata.namespace`
            + ` + ': approving needs the verb ${APPROVE_VERB} on runbookexecutions/${APPROVAL_SUBRESOURCE} (held by helios-admin and the runbooks\\' approver groups)'`,
          reason: 'Forbidden',
        },
      ],
    });

    this.policy(STATUS_POLICY, labels, {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [{
          apiGroups: [RUNBOOK_GROUP],
          apiVersions: [RUNBOOK_VERSION],
          operations: ['UPDATE'],
          resources: ['runbooks/status', 'runbookexecutions/status'],
        }],
      },
      validations: [{
        expression: `${USER} in ${writers}`,
        messageExpression: `'only the runbook operator and executor write the status of ' + request.resource.resource + '; "' + ${USER} + '" may not'`,
        reason: 'Forbidden',
      }],
    });
  }

  private policy(name: string, labels: Record<string, string>, spec: Record<string, unknown>): void {
    new ApiObject(this, name, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, labels },
      spec,
    } as any);
    new ApiObject(this, `${name}-binding`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, labels },
      spec: { policyName: name, validationActions: ['Deny'] },
    } as any);
  }
}
