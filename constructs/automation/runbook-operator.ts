import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { RunbookAdmission, APPROVAL_SUBRESOURCE, APPROVE_VERB } from './runbook-admission.js';
import { RUNBOOK_GROUP, RunbookCrds } from './runbook-crds.js';
import { AUTOMATION_RUNBOOKS } from './runbooks.js';
import {
  ServiceMonitor, ServiceMonitorSpecEndpointsRelabelingsAction as Action,
} from '../../imports/servicemonitor-monitoring.coreos.com.js';
import { GNMI_DEVICE_PORTS } from '../metrics/gnmic.js';
import { AlertRules, Severity, type AlertRule } from '../metrics/rules.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, Protocol, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { httpProbe, secureContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';
import { TargetSet, targetNamespace } from '../platform/targets.js';

/** Names and ports the operator, its executor Jobs and the manifests share (services/runbook-operator/src/api/types.ts). */
export const RUNBOOK_OPERATOR = 'helios-runbook-operator';
export const RUNBOOK_EXECUTOR = 'helios-runbook-executor';
export const RUNBOOK_NAMESPACE = HeliosNamespace.AUTOMATION;
export const RUNBOOK_GNMI_CREDENTIALS_SECRET = 'helios-runbook-gnmi-credentials';
export const RUNBOOK_WEBHOOK_TOKEN_SECRET = 'helios-runbook-webhook-token';
export const RUNBOOK_METRICS_PORT = 8080;
export const RUNBOOK_WEBHOOK_PORT = 8443;
export const RUNBOOK_ALERTS_PATH = '/api/v1/alerts';
/** Label on the executor Jobs and their pods, naming the execution they run. */
export const RUNBOOK_EXECUTION_LABEL = 'automation.helios.io/execution';
/** Where Alertmanager delivers alerts that carry a `runbook` label. */
export const RUNBOOK_WEBHOOK_URL = `http://${RUNBOOK_OPERATOR}.${RUNBOOK_NAMESPACE}.svc:${RUNBOOK_WEBHOOK_PORT}${RUNBOOK_ALERTS_PATH}`;
/** The store key of the webhook's bearer token: the operator's Secret and Alertmanager's config read the same one. */
export const DEFAULT_RUNBOOK_WEBHOOK_TOKEN: SecretReference = { key: 'helios/runbook-operator', property: 'webhook-token' };

const OWNER: ComponentIdentity = { name: RUNBOOK_OPERATOR, component: 'automation' };
const EXECUTOR: ComponentIdentity = { name: RUNBOOK_EXECUTOR, component: 'automation' };
const NS = RUNBOOK_NAMESPACE;
const WEBHOOK_TOKEN_DIR = '/etc/helios/webhook';
const REPLICAS = 2;

export interface RunbookOperatorProps {
  readonly platform: PlatformBase;
  readonly resources: ResourceSizing;
  /** The networks the devices' gNMI ports are in: the only place executor Jobs may connect to, besides the API server. */
  readonly managementNetworks: readonly string[];
  /** Where the Kubernetes API server's endpoints are, for the executor Jobs' egress. */
  readonly kubernetesApiNetworks: readonly string[];
  /** The Alertmanager pods, when the cluster runs them: they deliver alerts with a `runbook` label to the webhook. @default - no webhook ingress */
  readonly alertmanager?: WorkloadRef;
  /** Kubernetes groups bound to approve runbook executions in helios-automation (besides helios-admin). @default - none */
  readonly approverGroups?: readonly string[];
  /** The executor's gNMI credentials. @default - key helios/runbook-operator, properties gnmi-username and gnmi-password */
  readonly gnmiUsername?: SecretReference;
  /** @default - key helios/runbook-operator, property gnmi-password */
  readonly gnmiPassword?: SecretReference;
  /** The bearer token Alertmanager sends to the webhook. @default DEFAULT_RUNBOOK_WEBHOOK_TOKEN */
  readonly webhookToken?: SecretReference;
}

/**
 * The Runbook operator (services/runbook-operator): the Runbook and RunbookExecution
 * CRDs, the admission policies that make approvals real, and the operator itself, two
 * replicas of which one acts (a coordination.k8s.io Lease). It starts each execution
 * as a Job running the executor under its own service account, which may read its
 * runbook and execution and write the execution's status, nothing else.
 */
export class RunbookOperator extends Construct {
  public readonly workload: WorkloadRef;

  public constructor(scope: Construct, id: string, props: RunbookOperatorProps) {
    super(scope, id);
    const { platform } = props;
    this.workload = { ...OWNER, namespace: NS, podSelector: platform.selectorFor(OWNER) };
    const serviceAccountUser = (name: string) => `system:serviceaccount:${NS}:${name}`;

    new RunbookCrds(this, 'crds', { platform, owner: OWNER });
    new RunbookAdmission(this, 'admission', {
      platform,
      owner: OWNER,
      statusWriters: [serviceAccountUser(RUNBOOK_OPERATOR), serviceAccountUser(RUNBOOK_EXECUTOR)],
    });
    this.addRbac(platform, props.approverGroups ?? []);

    platform.addExternalSecret(this, 'gnmi-credentials', {
      namespace: NS,
      secretName: RUNBOOK_GNMI_CREDENTIALS_SECRET,
      owner: EXECUTOR,
      data: {
        username: props.gnmiUsername ?? { key: 'helios/runbook-operator', property: 'gnmi-username' },
        password: props.gnmiPassword ?? { key: 'helios/runbook-operator', property: 'gnmi-password' },
      },
    });
    platform.addExternalSecret(this, 'webhook-token', {
      namespace: NS,
      secretName: RUNBOOK_WEBHOOK_TOKEN_SECRET,
      owner: OWNER,
      data: { token: props.webhookToken ?? DEFAULT_RUNBOOK_WEBHOOK_TOKEN },
    });

    const image = platform.image('runbook-operator');
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        // Two replicas for a fast takeover; the Lease holder alone acts.
        replicas: REPLICAS,
        selector: { matchLabels: this.workload.podSelector },
        template: {
          metadata: { labels: platform.labelsFor(OWNER) },
          spec: {
            serviceAccountName: RUNBOOK_OPERATOR,
            automountServiceAccountToken: true,
            securityContext: securePodSecurityContext(),
            affinity: spreadOverNodes(this.workload.podSelector),
            containers: [secureContainer({
              name: 'runbook-operator',
              image,
              args: ['operate'],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                // The executor Jobs run the operator's own image.
                { name: 'HELIOS_EXECUTOR_IMAGE', value: image },
                { name: 'WEBHOOK_TOKEN_FILE', value: `${WEBHOOK_TOKEN_DIR}/token` },
                { name: 'NODE_OPTIONS', value: `--max-old-space-size=${Math.floor(props.resources.memoryLimitMiB / 2)}` },
              ],
              ports: [
                { name: 'metrics', containerPort: RUNBOOK_METRICS_PORT },
                { name: 'webhook', containerPort: RUNBOOK_WEBHOOK_PORT },
              ],
              resources: props.resources,
              readinessProbe: httpProbe('/readyz', 'metrics'),
              livenessProbe: httpProbe('/healthz', 'metrics', { initialDelaySeconds: 30 }),
              volumeMounts: [{ name: 'webhook-token', mountPath: WEBHOOK_TOKEN_DIR, readOnly: true }],
            })],
            volumes: [{ name: 'webhook-token', secret: { secretName: RUNBOOK_WEBHOOK_TOKEN_SECRET } }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { ...this.workload.podSelector },
        ports: [
          { name: 'metrics', port: RUNBOOK_METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') },
          { name: 'webhook', port: RUNBOOK_WEBHOOK_PORT, targetPort: k8s.IntOrString.fromString('webhook') },
        ],
      },
    });
    new ServiceMonitor(this, 'monitor', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: { ...this.workload.podSelector } },
        endpoints: [{
          port: 'metrics',
          path: '/metrics',
          interval: '30s',
          // Every Prometheus shard scrapes both replicas, so each shard's alerts see the Lease holder's counts.
          relabelings: [
            { targetLabel: 'job', replacement: RUNBOOK_OPERATOR, action: Action.REPLACE },
            { targetLabel: '__tmp_disable_sharding', replacement: 'true', action: Action.REPLACE },
          ],
        }],
      },
    });
    platform.addPodDisruptionBudget(this, this.workload, REPLICAS);

    platform.allowScrape(this.workload, RUNBOOK_METRICS_PORT);
    platform.allowKubernetesApi(this.workload, 'the Runbook operator watches runbooks and executions and starts their Jobs');
    if (props.alertmanager) {
      platform.network.allow({
        description: 'Alertmanager starts runbooks through the operator\'s webhook',
        from: FlowPeer.workload(props.alertmanager),
        to: FlowPeer.workload(this.workload),
        ports: [{ port: RUNBOOK_WEBHOOK_PORT }],
      });
    }
    this.addExecutorNetworkPolicy(platform, props);

    new AlertRules(this, 'alerts', {
      platform,
      owner: OWNER,
      namespace: NS,
      runbooks: AUTOMATION_RUNBOOKS,
      groups: [{ name: 'helios-runbook-operator', alerts: runbookAlerts() }],
    });
  }

  private addRbac(platform: PlatformBase, approverGroups: readonly string[]): void {
    const labels = platform.labelsFor(OWNER);
    const bind = (id: string, namespace: string, role: string, subjects: k8s.Subject[], kind = 'Role') => new k8s.KubeRoleBinding(this, id, {
      metadata: { name: role, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
      subjects,
    });
    const sa = (name: string): k8s.Subject => ({ kind: 'ServiceAccount', name, namespace: NS });

    for (const identity of [OWNER, EXECUTOR]) {
      new k8s.KubeServiceAccount(this, `${identity.name}-sa`, { metadata: platform.metadataFor(identity, NS), automountServiceAccountToken: false });
    }

    new k8s.KubeRole(this, 'operator-role', {
      metadata: { name: RUNBOOK_OPERATOR, namespace: NS, labels },
      rules: [
        { apiGroups: [RUNBOOK_GROUP], resources: ['runbooks', 'runbookexecutions'], verbs: ['get', 'list', 'watch'] },
        // Alertmanager's alerts become executions, created in the operator's name.
        { apiGroups: [RUNBOOK_GROUP], resources: ['runbookexecutions'], verbs: ['create'] },
        { apiGroups: [RUNBOOK_GROUP], resources: ['runbooks/status', 'runbookexecutions/status'], verbs: ['get', 'update', 'patch'] },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      ],
    });
    bind('operator-binding', NS, RUNBOOK_OPERATOR, [sa(RUNBOOK_OPERATOR)]);

    // Targets are resolved against the gnmic target ConfigMaps the Target Generator writes.
    // A watch cannot be limited to names, so the operator reads the namespace's ConfigMaps;
    // none holds a secret (the policy refuses credentials in ConfigMaps).
    const targets = targetNamespace(TargetSet.GNMIC);
    new k8s.KubeRole(this, 'targets-role', {
      metadata: { name: RUNBOOK_OPERATOR, namespace: targets, labels },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    });
    bind('targets-binding', targets, RUNBOOK_OPERATOR, [sa(RUNBOOK_OPERATOR)]);

    new k8s.KubeRole(this, 'executor-role', {
      metadata: { name: RUNBOOK_EXECUTOR, namespace: NS, labels: platform.labelsFor(EXECUTOR) },
      rules: [
        { apiGroups: [RUNBOOK_GROUP], resources: ['runbooks', 'runbookexecutions'], verbs: ['get'] },
        { apiGroups: [RUNBOOK_GROUP], resources: ['runbookexecutions/status'], verbs: ['get', 'patch'] },
        // notify steps and Set results become Events on the execution.
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'executor-binding', {
      metadata: { name: RUNBOOK_EXECUTOR, namespace: NS, labels: platform.labelsFor(EXECUTOR) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: RUNBOOK_EXECUTOR },
      subjects: [sa(RUNBOOK_EXECUTOR)],
    });

    // Approvers read runbooks and executions and add their approval with a patch; the
    // admission policy checks the `approve` verb on the approval pseudo-subresource.
    new k8s.KubeClusterRole(this, 'approver-role', {
      metadata: { name: RUNBOOK_APPROVER_ROLE, labels },
      rules: [
        { apiGroups: [RUNBOOK_GROUP], resources: ['runbooks', 'runbookexecutions'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [RUNBOOK_GROUP], resources: ['runbookexecutions'], verbs: ['patch', 'update'] },
        { apiGroups: [RUNBOOK_GROUP], resources: [`runbookexecutions/${APPROVAL_SUBRESOURCE}`], verbs: [APPROVE_VERB] },
      ],
    });
    const groups = [...new Set(approverGroups)].sort();
    if (groups.length > 0) {
      bind('approver-binding', NS, RUNBOOK_APPROVER_ROLE, groups.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })), 'ClusterRole');
    }
  }

  /**
   * The executor Jobs' pods carry only the execution label (whose value differs per
   * execution), which a flow's equality selector cannot match: their policy selects
   * the label's presence. They reach the API server and the devices' gNMI ports.
   */
  private addExecutorNetworkPolicy(platform: PlatformBase, props: RunbookOperatorProps): void {
    const peers = (cidrs: readonly string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    const ports = (list: readonly number[]) => list.map((port) => ({ port: k8s.IntOrString.fromNumber(port), protocol: Protocol.TCP }));
    new k8s.KubeNetworkPolicy(this, 'executor-network', {
      metadata: platform.metadataFor(EXECUTOR, NS),
      spec: {
        podSelector: { matchExpressions: [{ key: RUNBOOK_EXECUTION_LABEL, operator: 'Exists' }] },
        policyTypes: ['Ingress', 'Egress'],
        egress: [
          { to: peers(props.kubernetesApiNetworks), ports: ports([443, 6443]) },
          { to: peers(props.managementNetworks), ports: ports(GNMI_DEVICE_PORTS) },
        ],
      },
    });
  }
}

/** Holders may approve runbook executions (the custom verb `approve` on runbookexecutions/approval). */
export const RUNBOOK_APPROVER_ROLE = 'helios-runbook-approver';

/**
 * RunbookApprovalPending: an execution has waited for approval for an hour.
 * RunbookExecutionFailed: an execution ended Failed or RollbackFailed (the device may be half-changed).
 * RunbookRollbackTriggered: an execution failed and was rolled back.
 * Both replicas are scraped; only the Lease holder counts, so the others' zeros do not hide it.
 */
export function runbookAlerts(): AlertRule[] {
  const total = 'helios_runbook_executions_total';
  return [
    {
      alert: 'RunbookApprovalPending',
      expr: 'max without (instance, pod) (helios_runbook_pending_approvals) > 0',
      forDuration: '1h',
      severity: Severity.WARNING,
      summary: '{{ $value }} runbook execution(s) have waited for approval for over an hour',
      description: 'A RunbookExecution of a runbook that needs approval is still PendingApproval: the change it asks for has not run. '
        + 'An approver (helios-admin or a member of the runbook\'s approver groups) reviews it with `kubectl -n helios-automation get runbookexecutions` and approves or deletes it.',
    },
    {
      alert: 'RunbookExecutionFailed',
      expr: `sum by (runbook, result) (increase(${total}{result=~"Failed|RollbackFailed"}[15m])) > 0`,
      severity: Severity.WARNING,
      summary: 'Runbook {{ $labels.runbook }} ended {{ $labels.result }}',
      description: 'An execution of the runbook failed. After Failed, the device is as the steps that succeeded left it; after RollbackFailed, '
        + 'the rollback itself failed and the device may be half-changed: check it first. The execution\'s status names the failing step and the device\'s answer.',
    },
    {
      alert: 'RunbookRollbackTriggered',
      expr: `sum by (runbook) (increase(${total}{result="RolledBack"}[15m])) > 0`,
      severity: Severity.WARNING,
      summary: 'Runbook {{ $labels.runbook }} failed and was rolled back',
      description: 'A step failed and the executor restored the values the changed paths had before the execution. The device is back as it was; '
        + 'the change did not happen. The execution\'s status names the failing step.',
    },
  ];
}
