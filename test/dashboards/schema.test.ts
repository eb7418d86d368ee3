import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import {
  allDashboards, isBuiltin, panelsOf, resolveDatasource, targetDatasource, variableReferences, variablesOf,
  type Dashboard, type Panel,
} from './grafana-model.js';
import { DashboardUid } from '../../dashboards/shared/index.js';
import { clusterObjects, find, oneCluster } from '../metrics/support.js';
import { GRAFANA_SCHEMAS, schemaDir } from '../schema-sources.js';

/**
 * Every dashboard Helios provisions, network and flows, against Grafana's own JSON
 * schemas (the foundation SDK's, test/schema-sources.ts) and against the mistakes
 * a schema cannot see: duplicate uids, datasources Grafana does not have, variables
 * nobody defines, panels drawn over each other, numbers without a unit, links to
 * dashboards or variables that do not exist.
 */
const SCHEMAS = schemaDir(GRAFANA_SCHEMAS);
const ajv = new Ajv({ strict: false, allErrors: true });
const schemaFile = (kind: string) => JSON.parse(readFileSync(join(SCHEMAS, `${kind}.jsonschema.json`), 'utf8'));
/**
 * Grafana's CUE model types a field override's matcher options and property value as
 * `_` (anything), and a variable's query as a string or an open struct: `byName` and
 * `byRegexp` match on a string, a unit override's value is a string, a datasource's
 * variable query is its query model (strings and numbers). The JSON schema generator
 * wrote `object` for each of these, which no working dashboard satisfies; they are
 * widened back to anything, and nothing else is changed.
 */
function dashboardKind(): Record<string, any> {
  const schema = schemaFile('dashboard');
  delete schema.definitions.MatcherConfig.properties.options.type;
  delete schema.definitions.DynamicConfigValue.properties.value.type;
  const query = schema.definitions.VariableModel.properties.query.oneOf.find((o: any) => o.type === 'object');
  query.additionalProperties = {};
  return schema;
}
const dashboardSchema = ajv.compile(dashboardKind());
const prometheusSchema = ajv.compile(schemaFile('prometheus'));

/** The ClickHouse plugin's query model (no published schema; the plugin's raw SQL editor saves this). */
const clickhouseSchema = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['refId', 'datasource', 'editorType', 'queryType', 'rawSql', 'format'],
  properties: {
    refId: { type: 'string', minLength: 1 },
    hide: { type: 'boolean' },
    datasource: { type: 'object', required: ['type', 'uid'], properties: { type: { const: 'grafana-clickhouse-datasource' }, uid: { type: 'string' } } },
    editorType: { const: 'sql' },
    queryType: { enum: ['timeseries', 'table'] },
    rawSql: { type: 'string', minLength: 1 },
    format: { enum: [0, 1, 2, 3, 4] },
  },
});

/** Panel plugin id → the schema file of its options and custom field config. */
const PANEL_KINDS: Record<string, string> = {
  'timeseries': 'timeseries',
  'stat': 'stat',
  'table': 'table',
  'bargauge': 'bargauge',
  'gauge': 'gauge',
  'state-timeline': 'statetimeline',
  'status-history': 'statushistory',
  'heatmap': 'heatmap',
  'piechart': 'piechart',
  'barchart': 'barchart',
  'geomap': 'geomap',
  'text': 'text',
};
/** Panels that show no numbers, so need no unit. */
const NOT_NUMERIC = new Set(['text', 'row', 'dashlist', 'news']);

const panelValidators = new Map<string, { options: ValidateFunction; custom?: ValidateFunction }>();
function panelValidator(type: string): { options: ValidateFunction; custom?: ValidateFunction } {
  const kind = PANEL_KINDS[type];
  if (!kind) throw new Error(`panel type "${type}" has no schema here; add it to PANEL_KINDS`);
  if (!panelValidators.has(type)) {
    const schema = schemaFile(kind);
    const ref = (def: string) => ajv.compile({ ...schema, $id: `${kind}-${def}`, $ref: `#/definitions/${def}` });
    panelValidators.set(type, { options: ref('Options'), custom: schema.definitions.FieldConfig ? ref('FieldConfig') : undefined });
  }
  return panelValidators.get(type)!;
}

function errors(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors, { separator: '\n  ' });
}

const { network, flows } = allDashboards();
const dashboards: Dashboard[] = [...network, ...flows];
const where = (d: Dashboard, p?: Panel) => `${d.uid}${p ? ` panel "${p.title}"` : ''}`;

/** The datasources Grafana is provisioned with (synthesized, a cluster with flows). */
const provisioning = find(clusterObjects(oneCluster()), 'ConfigMap', 'grafana-provisioning', 'helios-visualization');
const provisioned: Array<{ uid: string; type: string }> = parse(provisioning.data['datasources.yaml']).datasources;

describe('the provisioned dashboards', () => {
  it('are the 8 network and 6 flow dashboards, under the uids the lead fixed, each once', () => {
    expect(network.map((d) => d.uid).sort()).toEqual(Object.values(DashboardUid).filter((u) => !u.startsWith('helios-flow-')).sort());
    expect(flows.map((d) => d.uid).sort()).toEqual(Object.values(DashboardUid).filter((u) => u.startsWith('helios-flow-')).sort());
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    expect(new Set(dashboards.map((d) => d.title)).size).toBe(dashboards.length);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s validates against Grafana\'s dashboard schema', (_, d) => {
    const json: unknown = d;
    if (!dashboardSchema(json)) throw new Error(`${d.uid}:\n  ${errors(dashboardSchema)}`);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: every panel\'s options and field config match its kind, every target its datasource\'s model', (_, d) => {
    const problems: string[] = [];
    for (const p of panelsOf(d)) {
      if (p.type === 'row') continue;
      const v = panelValidator(p.type);
      if (!v.options(p.options ?? {})) problems.push(`${where(d, p)} options: ${errors(v.options)}`);
      const custom = p.fieldConfig?.defaults?.custom;
      if (v.custom && !v.custom(custom ?? {})) problems.push(`${where(d, p)} fieldConfig.defaults.custom: ${errors(v.custom)}`);
      if (!v.custom && custom && Object.keys(custom).length > 0) problems.push(`${where(d, p)}: ${p.type} has no custom field config, got ${JSON.stringify(custom)}`);
      for (const t of p.targets ?? []) {
        const ds = resolveDatasource(d, targetDatasource(p, t));
        const validate = ds?.type === 'prometheus' ? prometheusSchema : ds?.type === 'grafana-clickhouse-datasource' ? clickhouseSchema : undefined;
        if (!validate) problems.push(`${where(d, p)} target ${t.refId}: datasource type ${ds?.type} has no query model here`);
        else if (!validate(t as unknown)) problems.push(`${where(d, p)} target ${t.refId}: ${errors(validate)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('dashboard lints', () => {
  it('provisions the datasources dashboards name (the synthesized Grafana\'s)', () => {
    expect(provisioned.map((p) => `${p.type}/${p.uid}`).sort()).toEqual(['alertmanager/alertmanager', 'grafana-clickhouse-datasource/clickhouse', 'prometheus/thanos']);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s queries only datasources Grafana provisions, of the type each query is written for', (_, d) => {
    const problems: string[] = [];
    const check = (what: string, ref: { type?: string; uid?: string } | undefined) => {
      const ds = resolveDatasource(d, ref);
      const match = provisioned.find((p) => p.uid === ds?.uid);
      if (!match) problems.push(`${what}: datasource ${JSON.stringify(ref)} resolves to uid ${ds?.uid}, which Grafana does not provision`);
      else if (ref?.type !== match.type) problems.push(`${what}: datasource type ${ref?.type}, but ${match.uid} is ${match.type}`);
    };
    for (const v of variablesOf(d)) {
      if (v.type === 'query') check(`variable ${v.name}`, v.datasource);
      if (v.type === 'datasource' && !provisioned.some((p) => p.type === v.query && p.uid === v.current?.value)) {
        problems.push(`datasource variable ${v.name}: its default ${JSON.stringify(v.current?.value)} is no provisioned ${v.query} datasource`);
      }
    }
    for (const p of panelsOf(d)) {
      if (p.type === 'row' || p.type === 'text') continue;
      check(where(d, p), p.datasource);
      for (const t of p.targets ?? []) check(`${where(d, p)} target ${t.refId}`, targetDatasource(p, t));
    }
    expect(problems).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s uses only variables it defines, each after the variables it depends on', (_, d) => {
    const problems: string[] = [];
    const defined = variablesOf(d).map((v) => v.name);
    expect(new Set(defined).size).toBe(defined.length);
    const checkText = (what: string, text: unknown, before: readonly string[] = defined) => {
      if (typeof text !== 'string') return;
      for (const name of variableReferences(text)) {
        if (isBuiltin(name)) continue;
        if (!defined.includes(name)) problems.push(`${what}: $${name} is not defined`);
        else if (!before.includes(name)) problems.push(`${what}: $${name} is defined after it`);
      }
    };
    variablesOf(d).forEach((v, i) => {
      checkText(`variable ${v.name}`, typeof v.query === 'string' ? v.query : JSON.stringify(v.query ?? ''), defined.slice(0, i));
      checkText(`variable ${v.name} datasource`, v.datasource?.uid, defined.slice(0, i));
    });
    for (const p of panelsOf(d)) {
      checkText(`${where(d, p)} title`, p.title);
      checkText(`${where(d, p)} datasource`, p.datasource?.uid);
      for (const link of p.fieldConfig?.defaults?.links ?? []) checkText(`${where(d, p)} link`, link.url);
      for (const t of p.targets ?? []) {
        for (const field of ['expr', 'rawSql', 'legendFormat']) checkText(`${where(d, p)} target ${t.refId} ${field}`, t[field]);
        checkText(`${where(d, p)} target ${t.refId} datasource`, t.datasource?.uid);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s places every panel inside the 24-column grid, none over another', (_, d) => {
    const boxes = panelsOf(d).filter((p) => p.type !== 'row').map((p) => ({ title: p.title, ...p.gridPos! }));
    const problems: string[] = [];
    for (const b of boxes) {
      if (b.x === undefined || b.y === undefined || !(b.w > 0) || !(b.h > 0)) problems.push(`"${b.title}" has no complete gridPos`);
      else if (b.x < 0 || b.x + b.w > 24) problems.push(`"${b.title}" spans columns ${b.x}-${b.x + b.w}, outside 0-24`);
    }
    boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) problems.push(`"${a.title}" and "${b.title}" overlap`);
    }));
    expect(problems).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s gives every numeric panel a unit, a title, a description and distinct query ids', (_, d) => {
    const problems: string[] = [];
    const ids = panelsOf(d).map((p) => p.id);
    if (new Set(ids).size !== ids.length || ids.some((id) => id === undefined)) problems.push(`panel ids ${ids} are not unique`);
    for (const p of panelsOf(d)) {
      if (p.type === 'row') continue;
      if (!NOT_NUMERIC.has(p.type) && !p.fieldConfig?.defaults?.unit) problems.push(`${where(d, p)} (${p.type}) has no unit`);
      if (!p.title?.trim() || !p.description?.trim()) problems.push(`${where(d, p)} lacks a title or a description`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      if (refIds.length === 0 && !NOT_NUMERIC.has(p.type)) problems.push(`${where(d, p)} has no query`);
      if (new Set(refIds).size !== refIds.length || refIds.some((r) => !r)) problems.push(`${where(d, p)} refIds ${refIds} are not unique`);
    }
    expect(problems).toEqual([]);
  });

  it('links only to Helios dashboards that exist, setting only variables they define', () => {
    const problems: string[] = [];
    const byUid = new Map(dashboards.map((d) => [d.uid, d]));
    let links = 0;
    for (const d of dashboards) {
      for (const p of panelsOf(d)) {
        for (const link of p.fieldConfig?.defaults?.links ?? []) {
          const m = /^\/d\/([\w-]+)\?(.*)$/.exec(link.url ?? '');
          if (!m) {
            problems.push(`${where(d, p)}: link ${link.url} is not /d/<uid>?...`);
            continue;
          }
          links++;
          const target = byUid.get(m[1]);
          if (!target) {
            problems.push(`${where(d, p)}: link to ${m[1]}, which is no provisioned dashboard`);
            continue;
          }
          for (const param of m[2].split('&').filter((q) => q.startsWith('var-'))) {
            const name = param.slice(4).split('=')[0];
            if (!variablesOf(target).some((v) => v.name === name)) problems.push(`${where(d, p)}: link sets var-${name}, which ${target.uid} does not define`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(links).toBeGreaterThan(0);
  });

  it('takes a device and an interface from the device panels to the interface dashboard and on to that interface\'s flows', () => {
    const urls = network.flatMap((d) => panelsOf(d).flatMap((p) => (p.fieldConfig?.defaults?.links ?? []).map((l) => l.url ?? '')));
    expect(urls).toContain('/d/helios-interface-analytics?var-device=${__field.labels.device}&${__url_time_range}');
    expect(urls).toContain('/d/helios-flow-interface-correlation?var-device=${__field.labels.device}&var-interface=${__field.labels.interface}&${__url_time_range}');
    expect(urls).toContain('/d/helios-flow-interface-correlation?var-device=${__data.fields.device}&var-interface=${__data.fields.interface}&${__url_time_range}');
  });

  it('is JSON Grafana can load as files (no undefined, no functions)', () => {
    for (const d of dashboards) expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(existsSync(SCHEMAS)).toBe(true);
  });
});
