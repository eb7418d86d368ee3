import { Construct } from 'constructs';
import { RunbookOperator, type RunbookOperatorProps } from './runbook-operator.js';
import { SampleRunbooks, sampleApproverGroups } from './sample-runbooks.js';
import { TargetGenerator, type TargetGeneratorProps } from './target-generator.js';
import type { PlatformBase } from '../platform/platform-base.js';

export interface AutomationStackProps {
  readonly platform: PlatformBase;
  readonly targetGenerator: Omit<TargetGeneratorProps, 'platform'>;
  readonly runbookOperator: Omit<RunbookOperatorProps, 'platform'>;
  /** Include the repository's runbooks/ (and bind their approver groups). @default false */
  readonly sampleRunbooks?: boolean;
}

/**
 * Automation around the collectors (spec user stories 4 and 5): the Target
 * Generator, which keeps the collectors' targets in step with NetBox, and the
 * Runbook operator, which runs runbooks against the devices.
 */
export class AutomationStack extends Construct {
  public readonly targetGenerator: TargetGenerator;
  public readonly runbookOperator: RunbookOperator;

  public constructor(scope: Construct, id: string, props: AutomationStackProps) {
    super(scope, id);
    this.targetGenerator = new TargetGenerator(this, 'target-generator', { platform: props.platform, ...props.targetGenerator });
    const samples = props.sampleRunbooks ?? false;
    this.runbookOperator = new RunbookOperator(this, 'runbook-operator', {
      platform: props.platform,
      ...props.runbookOperator,
      approverGroups: [...(props.runbookOperator.approverGroups ?? []), ...(samples ? sampleApproverGroups() : [])],
    });
    if (samples) {
      new SampleRunbooks(this, 'sample-runbooks', { platform: props.platform });
    }
  }
}
