import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { all, oneCluster, parseYaml, synthObjects } from './support.js';
import { ALERTS_OVERVIEW_DASHBOARD, dashboardUrl, DEFAULT_RUNBOOK_BASE_URL, runbookUrl } from '../../constructs/metrics/rules.js';
import { EMBEDDED_DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { REPO_ROOT } from '../shared.js';

interface Alert {
  readonly alert: string;
  readonly expr: string;
  readonly annotations: Record<string, string>;
  /** The PrometheusRule (namespace/name) or the Thanos Ruler's rule file it came from. */
  readonly source: string;
}

/** Every alerting rule a cluster evaluates: the PrometheusRules' and the Thanos Ruler's rule file. */
function alertsOf(objects: readonly any[]): Alert[] {
  const fromGroups = (groups: any[], source: string): Alert[] => groups.flatMap((g) => g.rules.filter((r: any) => r.alert)
    .map((r: any) => ({ alert: r.alert, expr: r.expr, annotations: r.annotations, source })));
  const ruler = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'thanos-ruler-rules');
  return [
    ...all(objects, 'PrometheusRule').flatMap((r) => fromGroups(r.spec.groups, `PrometheusRule ${r.metadata.namespace}/${r.metadata.name}`)),
    ...(ruler ? fromGroups(parseYaml(ruler.data['rules.yaml']).groups, 'the Thanos Ruler') : []),
  ];
}

/** Every recording rule a cluster evaluates: the recorded series → its expression. */
function recordsOf(objects: readonly any[]): Map<string, string> {
  const ruler = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'thanos-ruler-rules');
  const groups = [...all(objects, 'PrometheusRule').flatMap((r) => r.spec.groups), ...(ruler ? parseYaml(ruler.data['rules.yaml']).groups : [])];
  return new Map(groups.flatMap((g: any) => g.rules.filter((r: any) => r.record).map((r: any) => [r.record, r.expr])));
}

/** The series an expression reads, with those the recorded series it reads are made of. */
function seriesBehind(expr: string, records: Map<string, string>): Set<string> {
  const out = new Set<string>();
  const visit = (e: string) => {
    for (const name of seriesOf(e)) {
      if (out.has(name)) continue;
      out.add(name);
      const recorded = records.get(name);
      if (recorded) visit(recorded);
    }
  };
  visit(expr);
  return out;
}

/** The dashboards a cluster's Grafana provisions: uid → model, read from the labelled ConfigMaps. */
function dashboardsOf(objects: readonly any[]): Map<string, any> {
  const out = new Map<string, any>();
  for (const cm of all(objects, 'ConfigMap').filter((o) => o.metadata.labels?.grafana_dashboard === '1')) {
    for (const text of Object.values<string>(cm.data)) {
      const model = JSON.parse(text);
      out.set(model.uid, model);
    }
  }
  return out;
}

/** The anchors GitHub gives a Markdown document's headings. */
function headingAnchors(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} +(.+?) *#*$/gm)].map(([, text]) => text.toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')));
}

/** The repository file and heading a runbook URL leads to, given the base URL it was built with. */
function runbookTarget(url: string, base: string): { file: string; anchor: string } {
  expect(url.startsWith(`${base}/`)).toBe(true);
  const [file, anchor, ...rest] = url.slice(base.length + 1).split('#');
  expect(rest).toEqual([]);
  return { file, anchor };
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);

/** The series an expression reads: its identifiers that are not functions, keywords, label names or values, or durations. */
function seriesOf(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...code.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?![a-zA-Z0-9_:])(?!\s*\()/g)].map(([name]) => name).filter((name) => !PROMQL_WORDS.has(name));
}

/** Every dashboard query's text: PromQL expressions and SQL. */
function queriesOf(dashboard: any): string {
  const panels = (dashboard.panels ?? []).flatMap((p: any) => [p, ...(p.panels ?? [])]);
  return panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr ?? t.rawSql ?? '')).join('\n');
}

/** Checks every alert of every cluster: its runbook is a heading in this repository and its dashboard is provisioned. */
function checkLinks(config: string, expectedFor: (cluster: string) => { runbookBase: string; grafanaUrl: string }): number {
  let checked = 0;
  for (const [cluster, objects] of synthObjects(config)) {
    const expected = expectedFor(cluster);
    const dashboards = dashboardsOf(objects);
    const records = recordsOf(objects);
    const alerts = alertsOf(objects);
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      const where = `${cluster}: ${a.alert} (${a.source})`;
      const { file, anchor } = runbookTarget(a.annotations.runbook_url, expected.runbookBase);
      expect([where, existsSync(join(REPO_ROOT, file))]).toEqual([where, true]);
      expect([where, anchor]).toEqual([where, a.alert.toLowerCase()]);
      expect([where, headingAnchors(readFileSync(join(REPO_ROOT, file), 'utf8')).has(anchor)]).toEqual([where, true]);

      const m = /^(.*)\/d\/([a-z0-9-]+)$/.exec(a.annotations.dashboard_url);
      expect([where, m?.[1]]).toEqual([where, expected.grafanaUrl]);
      const dashboard = dashboards.get(m![2]);
      expect([where, m![2], dashboard !== undefined]).toEqual([where, m![2], true]);
      // The dashboard shows what the alert fires on (the series, or those a recorded series is made of), or the firing alerts.
      const queries = queriesOf(dashboard);
      const shown = m![2] === ALERTS_OVERVIEW_DASHBOARD
        ? /\bALERTS\b/.test(queries)
        : [...seriesBehind(a.expr, records)].some((name) => new RegExp(`(^|[^a-zA-Z0-9_:])${name}($|[^a-zA-Z0-9_:])`).test(queries));
      expect([where, m![2], shown]).toEqual([where, m![2], true]);
      checked++;
    }
  }
  return checked;
}

describe('every alert of every stack links to its runbook and its dashboard', () => {
  it('with no helios.yaml: runbooks upstream, dashboards relative to Grafana', () => {
    const checked = checkLinks(EMBEDDED_DEFAULT_CONFIG, () => ({ runbookBase: DEFAULT_RUNBOOK_BASE_URL, grafanaUrl: '' }));
    // Metrics, flows and automation alerts, the Ruler's DeviceUnreachable among them.
    expect(checked).toBeGreaterThanOrEqual(23);
  });

  it('with alerting.runbookBaseUrl and grafana.url, in a cluster without flows too', () => {
    const mirror = 'https://git.example.net/netops/helios/-/blob/v1.4.0';
    const config = oneCluster({ extra: `    alerting: { runbookBaseUrl: "${mirror}/" }\n    grafana: { url: "https://grafana.example.net" }\n` })
      + oneCluster({ extra: `    alerting: { runbookBaseUrl: "${mirror}" }\n    grafana: { url: "https://grafana.dc2.example.net/" }\n    stacks: { flows: false }\n` })
        .replace('clusters:\n', '').replace('name: dc1', 'name: dc2');
    const grafanaUrls: Record<string, string> = { dc1: 'https://grafana.example.net', dc2: 'https://grafana.dc2.example.net' };
    const checked = checkLinks(config, (cluster) => ({ runbookBase: mirror, grafanaUrl: grafanaUrls[cluster] }));
    const withoutFlows = alertsOf(synthObjects(config).get('dc2')!);
    expect(withoutFlows.map((a) => a.alert)).not.toContain('FlowRateAnomaly');
    expect(checked).toBeGreaterThan(withoutFlows.length);
  });

  it('builds the links from one base URL and Grafana\'s URL', () => {
    expect(runbookUrl('DeviceUnreachable')).toBe('https://github.com/helios-observability/helios/blob/main/constructs/metrics/README.md#deviceunreachable');
    expect(runbookUrl('FlowRateAnomaly', { runbookBaseUrl: 'https://git.example.net/helios/', runbooks: 'constructs/flows/README.md' }))
      .toBe('https://git.example.net/helios/constructs/flows/README.md#flowrateanomaly');
    expect(dashboardUrl('helios-bgp-status')).toBe('/d/helios-bgp-status');
    expect(dashboardUrl('helios-bgp-status', 'https://grafana.example.net/')).toBe('https://grafana.example.net/d/helios-bgp-status');
  });

  it('reads the series of an expression, not its functions, keywords or labels', () => {
    expect(seriesOf('max by (device) (label_replace(gnmic_target_up, "target", "$1", "name", "(.+)") * on (target) group_left (device) gnmi_target:taxonomy:info\nor\n  up{job="snmp"}) == 0'))
      .toEqual(['gnmic_target_up', 'gnmi_target:taxonomy:info', 'up']);
    expect(seriesOf('rate(ifInErrors{job="snmp"}[5m]) > 0.01')).toEqual(['ifInErrors']);
  });

  it('fails for an anchor no heading has (the check can fail)', () => {
    expect(headingAnchors('# Title\n### DeviceUnreachable\n## Alert runbooks\n').has('deviceunreachable')).toBe(true);
    expect(headingAnchors('# Title\n### DeviceUnreachable\n').has('devicedown')).toBe(false);
    expect(headingAnchors('## Alerts and runbooks\n')).toEqual(new Set(['alerts-and-runbooks']));
  });
});
