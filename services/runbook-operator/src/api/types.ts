/**
 * The Runbook and RunbookExecution resources (automation.helios.io/v1alpha1) as the
 * operator and the executor read and write them. The CRDs themselves are defined once,
 * in constructs/automation (synthesized by the AutomationStack); the service image holds
 * the service alone, so the shapes are repeated here and a test validates objects of
 * these types against the synthesized CRD schemas.
 */

export const GROUP = 'automation.helios.io';
export const VERSION = 'v1alpha1';
export const RUNBOOKS = 'runbooks';
export const EXECUTIONS = 'runbookexecutions';
/** The pseudo-subresource on which approvers hold the custom verb `approve`. */
export const APPROVAL_SUBRESOURCE = 'approval';
export const APPROVE_VERB = 'approve';

/** The namespace the operator, its Jobs and (by default) the runbooks live in. */
export const AUTOMATION_NAMESPACE = 'helios-automation';
/** Operator Deployment, Lease, ServiceAccount and Service name. */
export const OPERATOR_NAME = 'helios-runbook-operator';
/** The ServiceAccount executor Jobs run as; with the operator's, the only writers of status. */
export const EXECUTOR_SERVICE_ACCOUNT = 'helios-runbook-executor';
/** Secret (from the secret store through an ExternalSecret) with `username` and `password` for gNMI. */
export const GNMI_CREDENTIALS_SECRET = 'helios-runbook-gnmi-credentials';
/** Secret (ExternalSecret) with key `token`: the bearer token Alertmanager sends to the webhook. */
export const WEBHOOK_TOKEN_SECRET = 'helios-runbook-webhook-token';
/** Operator ports: metrics + probes, and the Alertmanager webhook (path ALERTS_PATH). */
export const METRICS_PORT = 8080;
export const WEBHOOK_PORT = 8443;
export const ALERTS_PATH = '/api/v1/alerts';
/** Label on Jobs (and their Pods) naming the execution they run. */
export const EXECUTION_LABEL = 'automation.helios.io/execution';

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = typeof RISK_LEVELS[number];
export const CATEGORIES = ['diagnostics', 'remediation', 'maintenance', 'configuration', 'backup'] as const;
export type Category = typeof CATEGORIES[number];
export const PARAMETER_TYPES = ['string', 'integer', 'boolean', 'duration'] as const;
export type ParameterType = typeof PARAMETER_TYPES[number];

export interface RunbookParameter {
  /** DNS-label-like: [a-z][a-zA-Z0-9_]*; referenced in templates as {{ params.<name> }}. */
  readonly name: string;
  readonly type: ParameterType;
  readonly description?: string;
  /** @default true when no `default` is given */
  readonly required?: boolean;
  /** Written as a string, parsed by `type` (e.g. "30s", "5", "true"). */
  readonly default?: string;
  /** Allowed values (strings, parsed by `type`). */
  readonly enum?: readonly string[];
}

/**
 * Text fields of steps (paths, values, messages, expressions) may hold templates
 * `{{ params.NAME }}`, `{{ target.name }}`, `{{ target.address }}`, `{{ target.labels.LABEL }}`,
 * `{{ execution.name }}`. Nothing else is substituted; an unknown name fails the step.
 */
export interface GnmiGetStep {
  readonly paths: readonly string[];
}
export interface GnmiSetUpdate {
  /** gNMI path in gnmic's string form, e.g. /interfaces/interface[name={{ params.interface }}]/config/enabled */
  readonly path: string;
  /** Sent as JSON_IETF; any JSON value. */
  readonly value: unknown;
}
export interface GnmiSetStep {
  readonly update?: readonly GnmiSetUpdate[];
  readonly replace?: readonly GnmiSetUpdate[];
  readonly delete?: readonly string[];
}
export interface WaitStep {
  readonly seconds: number;
}
/** Evaluates `expression` (the safe expression language) over earlier steps' outputs; false fails the step. */
export interface ConditionStep {
  readonly expression: string;
  /** The message the failure carries. */
  readonly message?: string;
}
export interface NotifyStep {
  /** Written as an Event on the execution and a log line. */
  readonly message: string;
}
/** The safe expression language: no shell, no I/O; its value becomes the step's output. */
export interface ScriptStep {
  readonly expression: string;
}

/** Exactly one of the kinds is set (the CRD checks it). */
export interface RunbookStep {
  /** DNS label, unique within steps + rollbackSteps; outputs are read as steps.<name>.output */
  readonly name: string;
  readonly gnmiGet?: GnmiGetStep;
  readonly gnmiSet?: GnmiSetStep;
  readonly wait?: WaitStep;
  readonly condition?: ConditionStep;
  readonly notify?: NotifyStep;
  readonly script?: ScriptStep;
  /** @default 30 */
  readonly timeoutSeconds?: number;
}

export interface RunbookSpec {
  readonly description?: string;
  readonly category: Category;
  readonly riskLevel: RiskLevel;
  /** @default false */
  readonly approvalRequired?: boolean;
  /** Kubernetes groups whose members may approve executions of this runbook (RBAC grants them the verb). */
  readonly approvers?: readonly string[];
  readonly parameters?: readonly RunbookParameter[];
  readonly steps: readonly RunbookStep[];
  /** @default false */
  readonly rollbackOnFailure?: boolean;
  /**
   * Extra steps after the automatic rollback; the automatic part restores, with Set
   * replace, every path a succeeded gnmiSet changed, from the values read before it.
   */
  readonly rollbackSteps?: readonly RunbookStep[];
  /** @default 600 */
  readonly timeoutSeconds?: number;
}

export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export interface RunbookStatus {
  readonly observedGeneration?: number;
  /** type Ready: False with reason + message naming the bad field when the runbook is invalid. */
  readonly conditions?: readonly Condition[];
}

export interface Runbook {
  readonly apiVersion: `${typeof GROUP}/${typeof VERSION}`;
  readonly kind: 'Runbook';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly generation?: number; readonly [k: string]: unknown };
  readonly spec: RunbookSpec;
  readonly status?: RunbookStatus;
}

export const PHASES = [
  'Pending', 'PendingApproval', 'Approved', 'Running', 'Succeeded', 'Failed', 'RollingBack', 'RolledBack', 'RollbackFailed',
] as const;
export type Phase = typeof PHASES[number];
export const TERMINAL_PHASES: readonly Phase[] = ['Succeeded', 'Failed', 'RolledBack', 'RollbackFailed'];
export const TRIGGER_SOURCES = ['manual', 'alertmanager'] as const;
export type TriggerSource = typeof TRIGGER_SOURCES[number];

/** Exactly one of device / selector (the CRD checks it). Resolved against the Target Generator's gnmic target ConfigMaps. */
export interface ExecutionTarget {
  /** A device name as in NetBox (the gnmic target name). */
  readonly device?: string;
  /** Taxonomy labels (site, region, role, vendor, platform, tier); every matching device is a target. */
  readonly selector?: { readonly matchLabels: Readonly<Record<string, string>> };
}

/** Append-only (the ValidatingAdmissionPolicy enforces it, and who may append). */
export interface Approval {
  /** Must equal the username of the user who adds the approval. */
  readonly approvedBy: string;
  readonly comment?: string;
}

export interface RunbookExecutionSpec {
  readonly runbookRef: { readonly name: string };
  /** Values as strings; parsed by the runbook's parameter types. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly target: ExecutionTarget;
  /** Resolve, template and read (gnmiGet, and the Gets before a Set), never Set. @default false */
  readonly dryRun?: boolean;
  /** The creating user's username; the policy requires it to equal request.userInfo.username on create. Immutable. */
  readonly requestedBy: string;
  /** @default manual */
  readonly triggerSource?: TriggerSource;
  /** Free text: the alert (name + fingerprint) or the person/ticket that started it. */
  readonly triggeredBy?: string;
  readonly approvals?: readonly Approval[];
}

export const STEP_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped'] as const;
export type StepPhase = typeof STEP_PHASES[number];

export interface DeviceResponse {
  readonly device: string;
  /** gNMI response as JSON (Get notifications / Set results), truncated to 4 KiB. */
  readonly response?: string;
  readonly error?: string;
}

export interface StepStatus {
  readonly name: string;
  readonly phase: StepPhase;
  readonly startTime?: string;
  readonly endTime?: string;
  /** JSON text; what `steps.<name>.output` reads in expressions. Truncated to 4 KiB. */
  readonly output?: string;
  readonly error?: string;
  readonly devices?: readonly DeviceResponse[];
}

/** What a gnmiSet step changed: the value read before it, so rollback restores it with Set replace. */
export interface SavedValue {
  readonly step: string;
  readonly device: string;
  readonly path: string;
  /** JSON text of the value before the Set; absent when the path did not exist (rollback deletes it). */
  readonly value?: string;
}

export interface ResolvedTarget {
  readonly name: string;
  /** host:port the executor dials. */
  readonly address: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface HistoryEntry {
  readonly time: string;
  readonly phase: Phase;
  readonly reason: string;
  readonly message?: string;
}

/**
 * Writers: the operator owns phase, reason, message, targets, jobName, start/completion
 * time, history and conditions; the executor (its Job) owns steps, rollbackSteps,
 * savedState and result. Each writes only its own fields (merge patch on /status).
 */
export interface RunbookExecutionStatus {
  readonly observedGeneration?: number;
  readonly phase?: Phase;
  readonly reason?: string;
  readonly message?: string;
  readonly targets?: readonly ResolvedTarget[];
  readonly jobName?: string;
  readonly startTime?: string;
  readonly completionTime?: string;
  readonly steps?: readonly StepStatus[];
  readonly rollbackSteps?: readonly StepStatus[];
  readonly savedState?: readonly SavedValue[];
  /** The executor's outcome; the operator turns it (with the Job's) into the final phase. */
  readonly result?: { readonly outcome: 'Succeeded' | 'Failed' | 'RolledBack' | 'RollbackFailed'; readonly message?: string };
  readonly history?: readonly HistoryEntry[];
  readonly conditions?: readonly Condition[];
}

export interface RunbookExecution {
  readonly apiVersion: `${typeof GROUP}/${typeof VERSION}`;
  readonly kind: 'RunbookExecution';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly generation?: number; readonly [k: string]: unknown };
  readonly spec: RunbookExecutionSpec;
  readonly status?: RunbookExecutionStatus;
}

/**
 * How the operator starts the executor: the Job's container runs
 * `runbook-operator execute` with these variables, and the gNMI credentials
 * Secret mounted read-only at GNMI_CREDENTIALS_DIR (files `username`, `password`).
 */
export const EXECUTOR_ENV = {
  namespace: 'HELIOS_EXECUTION_NAMESPACE',
  name: 'HELIOS_EXECUTION_NAME',
  /** `tls` (verify the device certificate against GNMI_CA_FILE), `skip-verify`, or `plaintext`. */
  tlsMode: 'HELIOS_GNMI_TLS',
  caFile: 'HELIOS_GNMI_CA_FILE',
} as const;
export const GNMI_CREDENTIALS_DIR = '/etc/helios/gnmi';
