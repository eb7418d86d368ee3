export { AutomationStack, type AutomationStackProps } from './automation-stack.js';
export { TargetGenerator, TargetGeneratorMode, type TargetGeneratorProps } from './target-generator.js';
