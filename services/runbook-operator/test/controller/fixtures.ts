import type { Runbook, RunbookExecution, RunbookExecutionStatus, RunbookSpec } from '../../src/api/types.js';
import { parseGnmicTargets, type TargetInventory } from '../../src/controller/targets.js';

export function runbook(name: string, spec: Partial<RunbookSpec> = {}): Runbook {
  return {
    apiVersion: 'automation.helios.io/v1alpha1',
    kind: 'Runbook',
    metadata: { name, namespace: 'helios-automation', generation: 1 },
    spec: { category: 'diagnostics', riskLevel: 'low', steps: [{ name: 'read', gnmiGet: { paths: ['/interfaces'] } }], ...spec },
  };
}

export function execution(name: string, overrides: { spec?: Partial<RunbookExecution['spec']>; status?: RunbookExecutionStatus } = {}): RunbookExecution {
  return {
    apiVersion: 'automation.helios.io/v1alpha1',
    kind: 'RunbookExecution',
    metadata: { name, namespace: 'helios-automation', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { runbookRef: { name: 'rb' }, target: { device: 'leaf1' }, requestedBy: 'alice', ...overrides.spec },
    ...(overrides.status !== undefined ? { status: overrides.status } : {}),
  };
}

/** Two devices as the Target Generator writes them (one line per target, as in services/target-generator). */
export const GNMIC_FILE = [
  '"leaf1": {"address": "10.0.0.1:57400", "subscriptions": ["interfaces"], "event-tags": {"device": "leaf1", "site": "lab1", "region": "europe", "vendor": "arista", "platform": "eos", "role": "leaf", "tier": "access"}, "tags": ["region=europe", "site=lab1"]}',
  '"spine1": {"address": "[2001:db8::1]:6030", "subscriptions": ["interfaces"], "event-tags": {"device": "spine1", "site": "lab1", "region": "europe", "vendor": "arista", "platform": "eos", "role": "spine", "tier": "core"}, "tags": ["region=europe", "site=lab1"]}',
].map((l) => `${l}\n`).join('');

export const INVENTORY: TargetInventory = parseGnmicTargets([{ configMap: 'helios-targets-gnmic-0', text: GNMIC_FILE }]);
