import { Construct } from 'constructs';
import { TargetGenerator, type TargetGeneratorProps } from './target-generator.js';
import type { PlatformBase } from '../platform/platform-base.js';

export interface AutomationStackProps {
  readonly platform: PlatformBase;
  readonly targetGenerator: Omit<TargetGeneratorProps, 'platform'>;
}

/**
 * Automation around the collectors (spec user stories 4 and 5): the Target
 * Generator, which keeps the collectors' targets in step with NetBox. The Runbook
 * operator joins it here.
 */
export class AutomationStack extends Construct {
  public readonly targetGenerator: TargetGenerator;

  public constructor(scope: Construct, id: string, props: AutomationStackProps) {
    super(scope, id);
    this.targetGenerator = new TargetGenerator(this, 'target-generator', { platform: props.platform, ...props.targetGenerator });
  }
}
