export { AutomationStack, type AutomationStackProps } from './automation-stack.js';
export { RunbookOperator, type RunbookOperatorProps } from './runbook-operator.js';
export { TargetGenerator, TargetGeneratorMode, type TargetGeneratorProps } from './target-generator.js';
