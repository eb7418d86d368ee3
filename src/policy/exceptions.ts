import { PolicyRule } from './rules.js';

/**
 * A deliberate departure from the Helios policy for one object. Every exception
 * says why; a test fails when an exception no longer matches any synthesized object.
 */
export interface PolicyException {
  readonly rule: PolicyRule;
  readonly kind: string;
  /** @default - a cluster-scoped object */
  readonly namespace?: string;
  readonly name: string;
  /** The field path (or a prefix of it) the exception covers. */
  readonly field: string;
  readonly reason: string;
}

/**
 * Every exception to the Helios policy, in one place. The service-account-token ones are the
 * complete list of pods that call the Kubernetes API; every other pod mounts no token.
 */
export const POLICY_EXCEPTIONS: readonly PolicyException[] = [
  {
    rule: PolicyRule.SERVICE_ACCOUNT_TOKEN,
    kind: 'StatefulSet',
    namespace: 'helios-collection',
    name: 'gnmic',
    field: 'spec.template.spec.automountServiceAccountToken',
    reason: 'gnmic members elect a leader and lock each target they stream through Leases (its Kubernetes locker)',
  },
  {
    rule: PolicyRule.SERVICE_ACCOUNT_TOKEN,
    kind: 'CronJob',
    namespace: 'helios-integration',
    name: 'target-generator',
    field: 'spec.jobTemplate.spec.template.spec.automountServiceAccountToken',
    reason: 'the target generator writes the target ConfigMaps it renders from NetBox',
  },
  {
    rule: PolicyRule.SERVICE_ACCOUNT_TOKEN,
    kind: 'Deployment',
    namespace: 'helios-automation',
    name: 'helios-runbook-operator',
    field: 'spec.template.spec.automountServiceAccountToken',
    reason: 'the Runbook operator watches runbooks and executions, writes their status, starts executor Jobs and holds its leader Lease',
  },
  {
    rule: PolicyRule.SERVICE_ACCOUNT_TOKEN,
    kind: 'Prometheus',
    namespace: 'helios-storage',
    name: 'helios',
    field: 'spec.automountServiceAccountToken',
    reason: 'Prometheus discovers the pods, services and endpoints of ServiceMonitors, PodMonitors and Probes through the API',
  },
];
