import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';

/** The API group of Runbook and RunbookExecution (services/runbook-operator/src/api/types.ts repeats the shapes). */
export const RUNBOOK_GROUP = 'automation.helios.io';
export const RUNBOOK_VERSION = 'v1alpha1';
export const RUNBOOK_API_VERSION = `${RUNBOOK_GROUP}/${RUNBOOK_VERSION}`;
export const RUNBOOK_RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export const RUNBOOK_CATEGORIES = ['diagnostics', 'remediation', 'maintenance', 'configuration', 'backup'] as const;
const PARAMETER_TYPES = ['string', 'integer', 'boolean', 'duration'];
const PHASES = ['Pending', 'PendingApproval', 'Approved', 'Running', 'Succeeded', 'Failed', 'RollingBack', 'RolledBack', 'RollbackFailed'];
const STEP_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped'];
const OUTCOMES = ['Succeeded', 'Failed', 'RolledBack', 'RollbackFailed'];
const STEP_KINDS = ['gnmiGet', 'gnmiSet', 'wait', 'condition', 'notify', 'script'];

/**
 * Bounds on lists and strings: the API server refuses CEL rules whose worst-case cost
 * it cannot bound, and a runbook is a short procedure, not a program.
 */
const MAX_STEPS = 64;
const MAX_PATHS = 64;
const MAX_TEXT = 4096;
const MAX_NAME = 63;
/** Step outputs and device responses are truncated to 4 KiB by the executor; JSON escaping can add a little. */
const MAX_OUTPUT = 8192;
const MAX_HISTORY = 256;
/** A selector may match a whole fleet's worth of devices; the object's size (etcd's 1.5 MiB) is the real bound. */
const MAX_DEVICES = 10000;
const MAX_APPROVALS = 16;
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const PARAMETER_NAME = '^[a-z][a-zA-Z0-9_]*$';

type Schema = Record<string, unknown>;

const str = (maxLength = MAX_TEXT, extra: Schema = {}): Schema => ({ type: 'string', maxLength, ...extra });
const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
  type: 'object', ...(required.length ? { required } : {}), properties, ...extra,
});
const list = (items: Schema, maxItems: number, extra: Schema = {}): Schema => ({ type: 'array', maxItems, items, ...extra });
const rule = (r: string, message: string, extra: Schema = {}): Schema => ({ rule: r, message, ...extra });

const condition = obj({
  type: str(316),
  status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
  reason: str(1024),
  message: str(32768),
  lastTransitionTime: { type: 'string', format: 'date-time' },
  observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
}, ['type', 'status', 'reason', 'message', 'lastTransitionTime']);
const conditions = list(condition, 16, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

/** A gNMI path in gnmic's string form; may hold templates. */
const gnmiPath = str(1024, { minLength: 1 });
const gnmiChange = obj({
  path: gnmiPath,
  // Any JSON value, sent as JSON_IETF.
  value: { 'x-kubernetes-preserve-unknown-fields': true, 'description': 'Any JSON value, sent as JSON_IETF.' },
}, ['path', 'value']);

function stepSchema(): Schema {
  return obj({
    name: str(MAX_NAME, { pattern: DNS_LABEL, description: 'Unique within steps and rollbackSteps; later steps read its output as steps.<name>.output.' }),
    gnmiGet: obj({ paths: list(gnmiPath, MAX_PATHS, { minItems: 1 }) }, ['paths']),
    gnmiSet: obj({
      update: list(gnmiChange, MAX_PATHS),
      replace: list(gnmiChange, MAX_PATHS),
      delete: list(gnmiPath, MAX_PATHS),
    }, [], {
      'x-kubernetes-validations': [rule(
        '(has(self.update) ? size(self.update) : 0) + (has(self.replace) ? size(self.replace) : 0) + (has(self.delete) ? size(self.delete) : 0) > 0',
        'a gnmiSet step changes something: give at least one update, replace or delete',
      )],
    }),
    wait: obj({ seconds: { type: 'integer', minimum: 1, maximum: 86400 } }, ['seconds']),
    condition: obj({ expression: str(MAX_TEXT, { minLength: 1 }), message: str() }, ['expression']),
    notify: obj({ message: str(MAX_TEXT, { minLength: 1 }) }, ['message']),
    script: obj({ expression: str(MAX_TEXT, { minLength: 1 }) }, ['expression']),
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 30 },
  }, ['name'], {
    'x-kubernetes-validations': [{
      rule: `[${STEP_KINDS.map((k) => `has(self.${k})`).join(', ')}].filter(k, k).size() == 1`,
      messageExpression: `'step "' + self.name + '" must have exactly one of ${STEP_KINDS.join(', ')}'`,
    }],
  });
}

function runbookSpecSchema(): Schema {
  const step = stepSchema();
  return obj({
    description: str(),
    category: { type: 'string', enum: [...RUNBOOK_CATEGORIES] },
    riskLevel: { type: 'string', enum: [...RUNBOOK_RISK_LEVELS] },
    approvalRequired: { type: 'boolean', default: false },
    approvers: list(str(256, { minLength: 1 }), 16, { 'x-kubernetes-list-type': 'set', 'description': 'Kubernetes groups whose members may approve (RBAC grants them the verb).' }),
    parameters: list(obj({
      name: str(MAX_NAME, { pattern: PARAMETER_NAME }),
      type: { type: 'string', enum: PARAMETER_TYPES },
      description: str(),
      required: { type: 'boolean' },
      default: str(1024),
      enum: list(str(1024), 64),
    }, ['name', 'type']), 32, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    steps: list(step, MAX_STEPS, { minItems: 1 }),
    rollbackOnFailure: { type: 'boolean', default: false },
    rollbackSteps: list(step, MAX_STEPS),
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 600 },
  }, ['category', 'riskLevel', 'steps'], {
    'x-kubernetes-validations': [
      {
        rule: 'self.steps.all(s, self.steps.filter(t, t.name == s.name).size() == 1)',
        message: 'step names must be unique within steps',
        fieldPath: '.steps',
      },
      {
        rule: '!has(self.rollbackSteps) || self.rollbackSteps.all(s, self.rollbackSteps.filter(t, t.name == s.name).size() == 1 && !self.steps.exists(t, t.name == s.name))',
        message: 'rollbackSteps names must be unique and differ from every name in steps',
        fieldPath: '.rollbackSteps',
      },
    ],
  });
}

function executionSpecSchema(): Schema {
  // Every field but approvals is fixed once created: what was approved is what runs.
  const immutable = ['runbookRef', 'parameters', 'target', 'dryRun', 'requestedBy', 'triggerSource', 'triggeredBy'];
  return obj({
    runbookRef: obj({ name: str(253, { minLength: 1 }) }, ['name']),
    parameters: { type: 'object', maxProperties: 32, additionalProperties: str(1024) },
    target: obj({
      device: str(253, { minLength: 1, description: 'A device name as in NetBox (the gnmic target name).' }),
      selector: obj({
        matchLabels: { type: 'object', minProperties: 1, maxProperties: 8, additionalProperties: str(253) },
      }, ['matchLabels']),
    }, [], {
      'x-kubernetes-validations': [rule('has(self.device) != has(self.selector)', 'target needs exactly one of device (a NetBox device name) or selector (taxonomy labels)')],
    }),
    dryRun: { type: 'boolean', default: false },
    requestedBy: str(253, { minLength: 1, description: 'The creating user\'s username (kubectl auth whoami); the admission policy checks it.' }),
    triggerSource: { type: 'string', enum: ['manual', 'alertmanager'], default: 'manual' },
    triggeredBy: str(1024),
    approvals: list(obj({ approvedBy: str(253, { minLength: 1 }), comment: str(1024) }, ['approvedBy']), MAX_APPROVALS),
  }, ['runbookRef', 'target', 'requestedBy'], {
    'x-kubernetes-validations': [
      ...immutable.map((f) => ({
        rule: `has(self.${f}) == has(oldSelf.${f}) && (!has(self.${f}) || self.${f} == oldSelf.${f})`,
        message: `spec.${f} cannot change once the execution exists (only approvals can be added); create a new RunbookExecution instead`,
        fieldPath: `.${f}`,
      })),
      {
        // Append-only: every approval already given stays where it is.
        rule: '!has(oldSelf.approvals) || (has(self.approvals) && size(self.approvals) >= size(oldSelf.approvals)'
          + ' && oldSelf.approvals.all(a, self.approvals.exists(b, b == a)))',
        message: 'spec.approvals can only grow: an approval, once given, is neither changed nor removed',
        fieldPath: '.approvals',
      },
    ],
  });
}

function stepStatus(): Schema {
  return obj({
    name: str(MAX_NAME),
    phase: { type: 'string', enum: STEP_PHASES },
    startTime: { type: 'string', format: 'date-time' },
    endTime: { type: 'string', format: 'date-time' },
    output: str(MAX_OUTPUT),
    error: str(MAX_TEXT),
    devices: list(obj({ device: str(253), response: str(MAX_OUTPUT), error: str(MAX_TEXT) }, ['device']), MAX_DEVICES),
  }, ['name', 'phase']);
}

function executionStatusSchema(): Schema {
  return obj({
    observedGeneration: { type: 'integer', format: 'int64' },
    phase: { type: 'string', enum: PHASES },
    reason: str(1024),
    message: str(),
    targets: list(obj({
      name: str(253),
      address: str(512),
      labels: { type: 'object', additionalProperties: str(253) },
    }, ['name', 'address']), MAX_DEVICES),
    jobName: str(253),
    startTime: { type: 'string', format: 'date-time' },
    completionTime: { type: 'string', format: 'date-time' },
    steps: list(stepStatus(), MAX_STEPS),
    rollbackSteps: list(stepStatus(), MAX_STEPS),
    savedState: list(obj({ step: str(MAX_NAME), device: str(253), path: str(1024), value: str(MAX_OUTPUT) }, ['step', 'device', 'path']), 4096),
    result: obj({ outcome: { type: 'string', enum: OUTCOMES }, message: str() }, ['outcome']),
    history: list(obj({
      time: { type: 'string', format: 'date-time' },
      phase: { type: 'string', enum: PHASES },
      reason: str(1024),
      message: str(),
    }, ['time', 'phase', 'reason']), MAX_HISTORY),
    conditions,
  });
}

export interface CrdDefinition {
  readonly plural: string;
  readonly kind: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly printerColumns: ReadonlyArray<{ name: string; type: string; jsonPath: string; description?: string }>;
  readonly spec: Schema;
  readonly status: Schema;
}

/** The two resources, as the CRDs declare them. */
export const RUNBOOK_CRDS: readonly CrdDefinition[] = [
  {
    plural: 'runbooks',
    kind: 'Runbook',
    singular: 'runbook',
    shortNames: ['rb'],
    printerColumns: [
      { name: 'Category', type: 'string', jsonPath: '.spec.category' },
      { name: 'Risk', type: 'string', jsonPath: '.spec.riskLevel' },
      { name: 'Approval', type: 'boolean', jsonPath: '.spec.approvalRequired' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    spec: runbookSpecSchema(),
    status: obj({ observedGeneration: { type: 'integer', format: 'int64' }, conditions }),
  },
  {
    plural: 'runbookexecutions',
    kind: 'RunbookExecution',
    singular: 'runbookexecution',
    shortNames: ['rbx'],
    printerColumns: [
      { name: 'Runbook', type: 'string', jsonPath: '.spec.runbookRef.name' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    spec: executionSpecSchema(),
    status: executionStatusSchema(),
  },
];

/** The openAPIV3Schema of one resource: what the API server (and the tests) validate objects against. */
export function crdSchema(def: CrdDefinition): Schema {
  return obj({
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: def.spec,
    status: def.status,
  }, ['spec']);
}

/** The CustomResourceDefinition object of one resource. */
export function crdManifest(def: CrdDefinition, metadata: { name?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { ...metadata, name: `${def.plural}.${RUNBOOK_GROUP}` },
    spec: {
      group: RUNBOOK_GROUP,
      scope: 'Namespaced',
      names: { plural: def.plural, singular: def.singular, kind: def.kind, listKind: `${def.kind}List`, shortNames: [...def.shortNames], categories: ['helios'] },
      versions: [{
        name: RUNBOOK_VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
        schema: { openAPIV3Schema: crdSchema(def) },
      }],
    },
  };
}

export interface RunbookCrdsProps {
  readonly platform: PlatformBase;
  readonly owner: ComponentIdentity;
}

/** The Runbook and RunbookExecution CRDs (cluster-scoped objects). */
export class RunbookCrds extends Construct {
  public constructor(scope: Construct, id: string, props: RunbookCrdsProps) {
    super(scope, id);
    for (const def of RUNBOOK_CRDS) {
      const { apiVersion, kind, metadata, ...rest } = crdManifest(def, { labels: props.platform.labelsFor(props.owner) }) as any;
      new ApiObject(this, def.plural, { apiVersion, kind, metadata, ...rest });
    }
  }
}
