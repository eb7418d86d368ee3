import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/prometheusrule-monitoring.coreos.com.js';
import type { AlertLinks, ComponentIdentity, PlatformBase } from '../platform/platform-base.js';

/** How urgent an alert is; Alertmanager routes on it (critical → PagerDuty, warning → Slack, info → email). */
export enum Severity {
  CRITICAL = 'critical',
  WARNING = 'warning',
  INFO = 'info',
  /** A heartbeat for a dead man's switch (Watchdog): routed by name, never to a person. */
  NONE = 'none',
}

/** The Helios repository on the web, at the branch the runbooks of the latest release are on. */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/helios-observability/helios/blob/main';
/** The document, in the repository, with the metrics stack's runbooks: one heading per alert. */
export const METRICS_RUNBOOKS = 'constructs/metrics/README.md';
/** The dashboard that lists every firing alert: where an alert links when no dashboard shows its series. */
export const ALERTS_OVERVIEW_DASHBOARD = 'helios-alerts-overview';

export interface AlertRule {
  /** The alert's name, in UpperCamelCase (`DeviceUnreachable`). */
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires (`5m`). @default - fires on the first evaluation that matches */
  readonly forDuration?: string;
  readonly severity: Severity;
  /** One line, may use `{{ $labels.x }}` and `{{ $value }}`. */
  readonly summary: string;
  /** What it means and what to check first. */
  readonly description: string;
  /**
   * The uid of the dashboard that shows the series the alert fires on.
   * @default ALERTS_OVERVIEW_DASHBOARD
   */
  readonly dashboard?: string;
}

export interface RecordingRule {
  /** The recorded series' name, `level:metric:operations` by the Prometheus convention. */
  readonly record: string;
  readonly expr: string;
}

export interface RuleGroup {
  readonly name: string;
  /** How often the group is evaluated. @default - the evaluator's global interval */
  readonly intervalSec?: number;
  /** @default - no alerts */
  readonly alerts?: readonly AlertRule[];
  /** @default - no recording rules */
  readonly records?: readonly RecordingRule[];
}

/** One rule as the Prometheus rule-file format (and the PrometheusRule CRD) writes it. */
export interface RuleFileRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RuleFileGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: RuleFileRule[];
}

const ALERT_NAME = /^[A-Z][A-Za-z0-9]*$/;
const RECORD_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const DURATION = /^[1-9][0-9]*(s|m|h)$/;

/** Where a component's alerts link to: the links of the platform, and the document with the component's runbooks. */
export interface RuleLinks extends AlertLinks {
  /** The runbook document's path in the repository. @default METRICS_RUNBOOKS */
  readonly runbooks?: string;
}

/** The runbook link of an alert: its heading's anchor in the runbook document. */
export function runbookUrl(alert: string, links: RuleLinks = {}): string {
  const base = (links.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL).replace(/\/+$/, '');
  return `${base}/${links.runbooks ?? METRICS_RUNBOOKS}#${alert.toLowerCase()}`;
}

/** A dashboard's link: absolute under Grafana's URL when it is known, else relative to Grafana. */
export function dashboardUrl(uid: string, grafanaUrl?: string): string {
  return `${(grafanaUrl ?? '').replace(/\/+$/, '')}/d/${uid}`;
}

/**
 * Rule groups in the Prometheus rule-file format, checked: every alert has a
 * severity, a summary, a description, a runbook link and a dashboard link; names are
 * unique and valid. What goes into a PrometheusRule's spec and what a Thanos Ruler
 * reads from a file.
 */
export function ruleFileGroups(groups: readonly RuleGroup[], links: RuleLinks = {}): RuleFileGroup[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  return groups.map((group) => {
    if (names.has(group.name)) throw new Error(`rule group "${group.name}" is defined twice; group names must be unique`);
    names.add(group.name);
    const alerts = group.alerts ?? [];
    const records = group.records ?? [];
    if (alerts.length + records.length === 0) throw new Error(`rule group "${group.name}" has no rules`);
    const rules: RuleFileRule[] = [
      ...records.map((r) => {
        if (!RECORD_NAME.test(r.record)) throw new Error(`recording rule "${r.record}" in group "${group.name}": not a valid metric name`);
        return { record: r.record, expr: r.expr };
      }),
      ...alerts.map((a) => {
        if (!ALERT_NAME.test(a.alert)) throw new Error(`alert "${a.alert}" in group "${group.name}": name it in UpperCamelCase (letters and digits)`);
        if (seen.has(a.alert)) throw new Error(`alert "${a.alert}" is defined twice`);
        seen.add(a.alert);
        if (a.forDuration !== undefined && !DURATION.test(a.forDuration)) {
          throw new Error(`alert "${a.alert}": for "${a.forDuration}" is not a duration such as 30s, 5m or 1h`);
        }
        if (!a.summary.trim() || !a.description.trim()) throw new Error(`alert "${a.alert}": summary and description are required`);
        return {
          alert: a.alert,
          expr: a.expr,
          for: a.forDuration,
          labels: { severity: a.severity },
          annotations: {
            summary: a.summary,
            description: a.description,
            runbook_url: runbookUrl(a.alert, links),
            dashboard_url: dashboardUrl(a.dashboard ?? ALERTS_OVERVIEW_DASHBOARD, links.grafanaUrl),
          },
        };
      }),
    ];
    return { name: group.name, interval: group.intervalSec ? `${group.intervalSec}s` : undefined, rules };
  });
}

export interface AlertRulesProps {
  readonly platform: PlatformBase;
  /** The component the rules watch; the PrometheusRule is named after it. */
  readonly owner: ComponentIdentity;
  readonly namespace: string;
  readonly groups: readonly RuleGroup[];
  /** The document, in the repository, with these alerts' runbooks. @default METRICS_RUNBOOKS */
  readonly runbooks?: string;
}

/**
 * A component's alerting (and recording) rules as a PrometheusRule that every
 * Helios Prometheus shard loads: it carries the Helios labels the Prometheus
 * resource selects on and lives in a Helios namespace.
 */
export class AlertRules extends Construct {
  public readonly groups: readonly RuleFileGroup[];

  public constructor(scope: Construct, id: string, props: AlertRulesProps) {
    super(scope, id);
    this.groups = ruleFileGroups(props.groups, { ...props.platform.alertLinks, runbooks: props.runbooks });
    new PrometheusRule(this, 'resource', {
      metadata: props.platform.metadataFor(props.owner, props.namespace),
      spec: {
        groups: this.groups.map((g) => ({
          name: g.name,
          interval: g.interval,
          rules: g.rules.map((r) => ({ ...r, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
        })),
      },
    });
  }
}
