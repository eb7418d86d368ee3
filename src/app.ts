import { App, Chart } from 'cdk8s';
import type { ClusterPlan } from './plan.js';
import { AutomationStack } from '../constructs/automation/automation-stack.js';
import { FederationStack } from '../constructs/federation/federation-stack.js';
import { FlowStack } from '../constructs/flows/flow-stack.js';
import { MetricsStack } from '../constructs/metrics/metrics-stack.js';
import { ThanosQuery } from '../constructs/metrics/thanos-query.js';
import { PlatformBase } from '../constructs/platform/platform-base.js';

/**
 * One chart per cluster: cdk8s re-resolves the whole app for every chart it
 * synthesizes, so fewer, larger charts keep synth time linear in objects.
 *
 * Stacks are built in dependency order: flows first (Grafana in the metrics stack
 * reads its ClickHouse), then metrics, then automation (whose Target Generator
 * fills the collectors' target ConfigMaps). Federation comes first on the hub (its
 * Grafana reads the global query) and last on a member (it serves the metrics stack's
 * Thanos Query to the hub).
 */
export class ClusterChart extends Chart {
  public readonly platform: PlatformBase;
  public readonly flows?: FlowStack;
  public readonly metrics?: MetricsStack;
  public readonly automation?: AutomationStack;
  public readonly federation?: FederationStack;

  public constructor(app: App, plan: ClusterPlan) {
    super(app, plan.name, { disableResourceNameHashes: true });
    this.platform = new PlatformBase(this, 'platform', plan.platform);
    if (plan.flows) {
      this.flows = new FlowStack(this, 'flows', { platform: this.platform, ...plan.flows });
    }
    // The hub's global query comes first: its Grafana reads it.
    if (plan.federation?.globalQuery) {
      this.federation = new FederationStack(this, 'federation', {
        platform: this.platform,
        ...plan.federation,
        localStore: plan.metrics ? ThanosQuery.storeEndpointOf(this.platform) : undefined,
      });
    }
    if (plan.metrics) {
      this.metrics = new MetricsStack(this, 'metrics', {
        platform: this.platform,
        ...plan.metrics,
        // Grafana's ClickHouse datasource.
        flowStore: this.flows?.flowStore,
        grafanaQuery: this.federation?.globalQuery,
      });
    }
    if (plan.automation) {
      this.automation = new AutomationStack(this, 'automation', {
        platform: this.platform,
        ...plan.automation,
        runbookOperator: { ...plan.automation.runbookOperator, alertmanager: this.metrics?.alertmanager.workload },
      });
    }
    if (plan.federation?.member) {
      this.federation = new FederationStack(this, 'federation', { platform: this.platform, ...plan.federation, localQuery: this.metrics?.thanosQuery });
    }
  }
}
