import { App, Chart } from 'cdk8s';
import type { ClusterPlan } from './plan.js';
import { PlatformBase } from '../constructs/platform/platform-base.js';

/**
 * One chart per cluster: cdk8s re-resolves the whole app for every chart it
 * synthesizes, so fewer, larger charts keep synth time linear in objects.
 *
 * Stacks are built in dependency order: flows first (Grafana in the metrics stack
 * reads its ClickHouse), then metrics, then automation (whose Target Generator
 * fills the collectors' target ConfigMaps).
 */
export class ClusterChart extends Chart {
  public readonly platform: PlatformBase;

  public constructor(app: App, plan: ClusterPlan) {
    super(app, plan.name, { disableResourceNameHashes: true });
    this.platform = new PlatformBase(this, 'platform', plan.platform);
  }
}
