import { stringify } from 'yaml';
import {
  allDashboards, interpolatePromQL, panelsOf, promqlQueries, variablePromQL, variablesOf,
  type Dashboard, type Intervals, type PromQLQuery, type Selection,
} from './grafana-model.js';
import { CORE, EDGE, EVAL_TIME, EXTERNAL_LABELS, INTERVAL, LEAF, SPINE, networkFixture } from './network-fixture.js';
import { clusterObjects, find, oneCluster } from '../metrics/support.js';
import { promtool, scratch, writeScratch } from '../peers/harness/network-peers.js';

/**
 * Every PromQL query of every dashboard (panel targets and query variables), with the
 * variables interpolated as Grafana does for the selection below, evaluated by
 * promtool (`test rules`, promql_expr_test) over the fixture's series and the
 * synthesized recording and alerting rules that produce what the panels read
 * (interface traffic and utilization, per-site traffic, device resources, the gNMI
 * target map, ALERTS). Each query must return exactly the expected series and values:
 * a query that returns nothing, or the wrong thing, on collector-shaped series fails.
 * All queries run in one promtool invocation.
 */
const SELECTION: Selection = {
  datasource: 'thanos',
  // Thanos adds `cluster` to what the shards record; promtool's recordings keep it only where the rule
  // keeps the label, so the cluster is left at All.
  cluster: '$__all',
  region: '$__all',
  site: ['ams1', 'fra1'],
  role: '$__all',
  vendor: '$__all',
  platform: '$__all',
  tier: '$__all',
  device: [LEAF, SPINE, CORE].map((d) => d.taxonomy.device),
  interface: ['Ethernet1', 'GigabitEthernet0/0/0'],
  severity: '$__all',
};
/** Dashboards whose device and interface variables take one value (the flow dashboards' own). */
const SINGLE_VALUE: Record<string, Selection> = {
  'helios-flow-interface-correlation': { device: SPINE.taxonomy.device, interface: 'Ethernet1' },
};
/** The last hour on a panel about 1,000 pixels wide; the Thanos datasource's interval is 30 s. */
const INTERVALS: Intervals = { rangeSec: 3600, intervalSec: 30, scrapeSec: 30 };

type Labels = Readonly<Record<string, string>>;
interface Expected { readonly labels: Labels; readonly value: number; readonly metric?: string }
const at = (labels: Labels, value: number): Expected => ({ labels, value });

const [leaf, spine, core, edge] = [LEAF, SPINE, CORE, EDGE].map((d) => d.taxonomy.device);
const GBIT = 1e9;
const DEVICES_VAR = [leaf, spine, core, edge].map((device) => at({ device }, 1));
const SCOPE_VARS: Record<string, Expected[]> = {
  $cluster: [at({ cluster: EXTERNAL_LABELS.cluster }, 1)],
  $region: [at({ region: 'eu' }, 1)],
  $site: [at({ site: 'ams1' }, 1), at({ site: 'fra1' }, 1)],
  $role: ['border', 'edge', 'leaf', 'spine'].map((role) => at({ role }, 1)),
  $vendor: ['arista', 'cisco', 'juniper'].map((vendor) => at({ vendor }, 1)),
  $platform: ['eos', 'ios-xe', 'junos'].map((platform) => at({ platform }, 1)),
  $tier: ['gold', 'silver'].map((tier) => at({ tier }, 1)),
};
const scoped = (uid: string, extra: Record<string, Expected[]> = {}) => Object.fromEntries(
  Object.entries({ ...SCOPE_VARS, ...extra }).map(([k, v]) => [`${uid} ${k}`, v]),
);
const byDevice = (values: Readonly<Record<string, number>>) => Object.entries(values).map(([device, value]) => at({ device }, value));
const ifc = (device: string, iface: string, value: number) => at({ device, interface: iface }, value);
const bySite = (ams1: number, fra1: number) => [at({ site: 'ams1' }, ams1), at({ site: 'fra1' }, fra1)];
const neighbor = (address: string, value: number) => at({ device: spine, neighbor_neighbor_address: address }, value);
const firing = (alertname: string, severity: string, site: string, device: string, value = 1) =>
  at({ alertname, severity, cluster: EXTERNAL_LABELS.cluster, site, device }, value);

const SPINE_ETHERNET1 = { cluster: EXTERNAL_LABELS.cluster, interface: 'Ethernet1', ...SPINE.taxonomy };

/** What each query returns at EVAL_TIME, by `<uid> <panel> <refId>` or `<uid> $<variable>`. */
const EXPECTED: Record<string, Expected[]> = {
  // Network Overview
  ...scoped('helios-network-overview'),
  'helios-network-overview Devices A': [at({}, 4)],
  'helios-network-overview Devices unreachable A': [at({}, 1)],
  'helios-network-overview BGP sessions A': [at({}, 1)],
  'helios-network-overview BGP sessions B': [at({}, 1)],
  'helios-network-overview Devices reachable per site A': bySite(1, 0.5),
  // Utilizations 0 (leaf Ethernet2), 0.15 (leaf Ethernet1), 0.8 (core uplink), cumulative per band.
  'helios-network-overview Interface utilization A': [['0.1', 1], ['0.25', 2], ['0.5', 2], ['0.75', 2], ['0.9', 3], ['1', 3], ['+Inf', 3]].map(([le, n]) => at({ le: String(le) }, Number(n))),
  'helios-network-overview Traffic per site A': bySite(4 * GBIT, 0.8 * GBIT),
  'helios-network-overview Traffic per site B': bySite(3.5 * GBIT, 0.2 * GBIT),
  'helios-network-overview Interfaces with the most errors A': [at({ device: core, interface: 'GigabitEthernet0/0/0', direction: 'in' }, 0.02)],

  // Site Overview
  ...scoped('helios-site-overview'),
  'helios-site-overview Devices per site A': bySite(2, 2),
  'helios-site-overview Availability A': bySite(1, 0.5),
  'helios-site-overview Alerts firing per site A': bySite(4, 4),
  'helios-site-overview Bandwidth per site A': bySite(4 * GBIT, 0.8 * GBIT),
  'helios-site-overview Bandwidth per site B': bySite(3.5 * GBIT, 0.2 * GBIT),

  // Device Health
  ...scoped('helios-device-health', { $device: DEVICES_VAR }),
  'helios-device-health CPU A': byDevice({ [leaf]: 35, [spine]: 91, [core]: 92 }),
  'helios-device-health Memory A': byDevice({ [leaf]: 50, [spine]: 90, [core]: 60 }),
  'helios-device-health Temperature A': [at({ device: leaf, sensor: 'Cpu temp sensor' }, 45.2), at({ device: spine, sensor: 'TempSensor1' }, 41.5), at({ device: core, sensor: 'Inlet' }, 31)],
  'helios-device-health Time since restart A': byDevice({ [leaf]: 90_000, [core]: 3_960 }),
  'helios-device-health Power supply output A': [at({ device: spine, component_name: 'PowerSupply1' }, 180), at({ device: spine, component_name: 'PowerSupply2' }, 175)],
  'helios-device-health Power and temperature sensors A': [
    at({ device: leaf, entPhysicalName: 'Cpu temp sensor' }, 1),
    at({ device: leaf, entPhysicalName: 'PowerSupply1 output power' }, 1),
    at({ device: leaf, entPhysicalName: 'PowerSupply2 output power' }, 3),
  ],

  // Interface Analytics: the three chosen devices, Ethernet1 and GigabitEthernet0/0/0 only.
  ...scoped('helios-interface-analytics', {
    $device: DEVICES_VAR,
    $interface: ['Ethernet1', 'Ethernet2', 'GigabitEthernet0/0/0'].map((i) => at({ interface: i }, 1)),
  }),
  'helios-interface-analytics Traffic A': [ifc(leaf, 'Ethernet1', 1.5 * GBIT), ifc(spine, 'Ethernet1', 2 * GBIT), ifc(core, 'GigabitEthernet0/0/0', 0.8 * GBIT)],
  'helios-interface-analytics Traffic B': [ifc(leaf, 'Ethernet1', 0.5 * GBIT), ifc(spine, 'Ethernet1', 2 * GBIT), ifc(core, 'GigabitEthernet0/0/0', 0.2 * GBIT)],
  'helios-interface-analytics Utilization of link speed A': [ifc(leaf, 'Ethernet1', 0.15), ifc(core, 'GigabitEthernet0/0/0', 0.8)],
  'helios-interface-analytics Utilization of link speed B': [ifc(leaf, 'Ethernet1', 0.05), ifc(core, 'GigabitEthernet0/0/0', 0.2)],
  'helios-interface-analytics Errors A': [ifc(leaf, 'Ethernet1', 0), ifc(spine, 'Ethernet1', 0), ifc(core, 'GigabitEthernet0/0/0', 2000)],
  'helios-interface-analytics Errors B': [ifc(leaf, 'Ethernet1', 0), ifc(spine, 'Ethernet1', 0), ifc(core, 'GigabitEthernet0/0/0', 0)],
  'helios-interface-analytics Discards A': [ifc(leaf, 'Ethernet1', 2), ifc(spine, 'Ethernet1', 0), ifc(core, 'GigabitEthernet0/0/0', 0)],
  'helios-interface-analytics Discards B': [ifc(leaf, 'Ethernet1', 0), ifc(spine, 'Ethernet1', 0), ifc(core, 'GigabitEthernet0/0/0', 0)],
  'helios-interface-analytics Operational status A': [ifc(leaf, 'Ethernet1', 1), ifc(spine, 'Ethernet1', 1), ifc(core, 'GigabitEthernet0/0/0', 1)],
  'helios-interface-analytics Busiest interfaces A': [ifc(leaf, 'Ethernet1', 2 * GBIT), ifc(spine, 'Ethernet1', 4 * GBIT), ifc(core, 'GigabitEthernet0/0/0', 1 * GBIT)],

  // Latency & Reachability
  ...scoped('helios-latency-reachability', { $device: DEVICES_VAR }),
  'helios-latency-reachability Ping round-trip time A': byDevice({ [leaf]: 0.0012, [spine]: 0.0008, [core]: 0.0152 }),
  // One ping of the five in the last 2 minutes lost.
  'helios-latency-reachability Ping loss A': byDevice({ [leaf]: 0, [spine]: 0.2, [core]: 0 }),
  'helios-latency-reachability TCP connect time A': [at({ device: leaf, instance: `${LEAF.address}:22` }, 0.0021)],
  'helios-latency-reachability HTTP response time A': [['connect', 0.016], ['processing', 0], ['resolve', 0], ['tls', 0.03], ['transfer', 0]]
    .map(([phase, s]) => at({ device: core, instance: 'https://10.30.0.1/', phase: String(phase) }, Number(s))),
  'helios-latency-reachability Failing probes A': [{
    metric: 'probe_success',
    labels: { ...EXTERNAL_LABELS, ...CORE.taxonomy, job: 'blackbox', instance: 'https://10.30.0.1/', module: 'http_2xx' },
    value: 0,
  }],

  // BGP Status: 192.0.2.2 changed state 3 times and is down since 58 minutes.
  ...scoped('helios-bgp-status', { $device: DEVICES_VAR }),
  'helios-bgp-status Sessions A': [at({}, 1)],
  'helios-bgp-status Sessions B': [at({}, 1)],
  'helios-bgp-status Session state A': [neighbor('192.0.2.1', 6), neighbor('192.0.2.2', 1)],
  'helios-bgp-status Established for A': [neighbor('192.0.2.1', 3600), neighbor('192.0.2.2', 0)],
  'helios-bgp-status State changes A': [neighbor('192.0.2.1', 0), neighbor('192.0.2.2', 3)],
  'helios-bgp-status Prefixes A': [neighbor('192.0.2.1', 120_000), neighbor('192.0.2.2', 0)],
  'helios-bgp-status Prefixes B': [neighbor('192.0.2.1', 12), neighbor('192.0.2.2', 0)],

  // Top Talkers (metrics)
  ...scoped('helios-top-talkers-metrics'),
  'helios-top-talkers-metrics Busiest interfaces A': [
    ifc(leaf, 'Ethernet1', 2 * GBIT), ifc(leaf, 'Ethernet2', 0), ifc(spine, 'Ethernet1', 4 * GBIT), ifc(spine, 'Ethernet2', 1.5 * GBIT), ifc(core, 'GigabitEthernet0/0/0', 1 * GBIT),
  ],
  'helios-top-talkers-metrics Busiest devices A': byDevice({ [leaf]: 2 * GBIT, [spine]: 5.5 * GBIT, [core]: 1 * GBIT }),
  'helios-top-talkers-metrics Fullest links now A': [ifc(leaf, 'Ethernet1', 0.15), ifc(leaf, 'Ethernet2', 0), ifc(core, 'GigabitEthernet0/0/0', 0.8)],
  'helios-top-talkers-metrics Fullest links, peak of the last hour A': [ifc(leaf, 'Ethernet1', 0.15), ifc(leaf, 'Ethernet2', 0), ifc(core, 'GigabitEthernet0/0/0', 0.8)],

  // Flow Interface Correlation: the counters of the one interface chosen, as recorded.
  'helios-flow-interface-correlation Interface traffic (counters) A': [{ metric: 'interface:in_bits:rate5m', labels: { ...SPINE_ETHERNET1 }, value: 2 * GBIT }],
  'helios-flow-interface-correlation Interface traffic (counters) B': [{ metric: 'interface:out_bits:rate5m', labels: { ...SPINE_ETHERNET1 }, value: 2 * GBIT }],

  // Alerts Overview: what the synthesized rules fire on the fixture (DeviceUnreachable for
  // fra1-edge-02 has no site, so choosing sites leaves it out), plus the info alert.
  'helios-alerts-overview $cluster': SCOPE_VARS.$cluster,
  'helios-alerts-overview $region': SCOPE_VARS.$region,
  'helios-alerts-overview $site': SCOPE_VARS.$site,
  'helios-alerts-overview Firing by severity A': [at({ severity: 'critical' }, 1), at({ severity: 'warning' }, 7)],
  'helios-alerts-overview Firing by site A': bySite(4, 4),
  'helios-alerts-overview Informational alerts A': [at({ alertname: 'Watchdog', severity: 'info', cluster: EXTERNAL_LABELS.cluster }, 1)],
  'helios-alerts-overview Firing alerts A': [
    firing('BGPSessionDown', 'critical', 'ams1', spine),
    firing('BGPSessionFlapping', 'warning', 'ams1', spine),
    firing('HighCPU', 'warning', 'ams1', spine),
    firing('HighCPU', 'warning', 'fra1', core),
    firing('HighMemory', 'warning', 'ams1', spine),
    firing('InterfaceErrorRate', 'warning', 'fra1', core),
    firing('ServiceProbeFailing', 'warning', 'fra1', core),
    firing('SnmpScrapeFailing', 'warning', 'fra1', edge),
  ],
  // Seconds since each became active: most from the start; the error ratio needs two samples;
  // the BGP alerts since 58 minutes.
  'helios-alerts-overview Firing alerts B': [
    firing('BGPSessionDown', 'critical', 'ams1', spine, 120),
    firing('BGPSessionFlapping', 'warning', 'ams1', spine, 120),
    firing('HighCPU', 'warning', 'ams1', spine, 3600),
    firing('HighCPU', 'warning', 'fra1', core, 3600),
    firing('HighMemory', 'warning', 'ams1', spine, 3600),
    firing('InterfaceErrorRate', 'warning', 'fra1', core, 3570),
    firing('ServiceProbeFailing', 'warning', 'fra1', core, 3600),
    firing('SnmpScrapeFailing', 'warning', 'fra1', edge, 3600),
  ],
  'helios-alerts-overview Alert history A': [
    ['BGPSessionDown', 'critical'], ['BGPSessionFlapping', 'warning'], ['HighCPU', 'warning'], ['HighMemory', 'warning'],
    ['InterfaceErrorRate', 'warning'], ['ServiceProbeFailing', 'warning'], ['SnmpScrapeFailing', 'warning'],
  ].map(([alertname, severity]) => at({ alertname, severity }, 1)),
};

type Query = PromQLQuery;

/**
 * promtool 2.42 compares values exactly, and a rate over float timestamps lands a unit
 * in the last place off (3.5000000000000005E+09). Its failures are read back and
 * accepted when only that differs: the same series, values within 1e-9 relative.
 * Returns the failures that are more than rounding.
 */
function beyondRounding(output: string): string[] {
  const samples = (line: string) => new Map([...line.slice(line.indexOf(':') + 1).matchAll(/([\w:]*\{[^}]*\}) (\S+?)(?:,|$)/g)].map((m) => [m[1], Number(m[2])]));
  const lines = output.split('\n');
  const wrong: string[] = [];
  lines.forEach((line, i) => {
    if (!line.trim().startsWith('expr:')) return;
    const [exp, got] = [lines[i + 1] ?? '', lines[i + 2] ?? ''];
    if (!exp.trim().startsWith('exp:') || !got.trim().startsWith('got:')) {
      wrong.push([line, exp, got].join('\n'));
      return;
    }
    const [e, g] = [samples(exp), samples(got)];
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), 1e-12);
    const same = e.size === g.size && [...e].every(([labels, v]) => g.has(labels) && close(v, g.get(labels)!));
    if (!same) wrong.push([line, exp, got].join('\n'));
  });
  return wrong;
}

/** Every PromQL query of a dashboard, interpolated for the selection above. */
function promqlQueriesOf(d: Dashboard): Query[] {
  return promqlQueries(d, { ...SELECTION, ...SINGLE_VALUE[d.uid] }, INTERVALS);
}

function labelText(e: Expected): string {
  const inner = Object.entries(e.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(', ');
  return `${e.metric ?? ''}{${inner}}`;
}

/**
 * Runs the queries in one promtool invocation over the fixture and the rules; fails
 * naming the queries whose results are not the expected ones. Returns how many ran.
 */
function evaluate(name: string, batch: ReadonlyArray<Query & { readonly expected: readonly Expected[] }>): number {
  const file = writeScratch(dir, `${name}.test.yaml`, stringify({
    rule_files: RULE_FILES,
    // The Prometheus shards' and the Ruler's evaluation interval.
    evaluation_interval: INTERVAL,
    tests: [{
      interval: INTERVAL,
      input_series: networkFixture(),
      promql_expr_test: batch.map((q) => ({
        expr: q.expr,
        eval_time: EVAL_TIME,
        exp_samples: q.expected.map((e) => ({ labels: labelText(e), value: e.value })),
      })),
    }],
  }, { lineWidth: 0 }));
  const r = promtool(['test', 'rules', file]);
  const output = r.stdout + r.stderr;
  if (r.status !== 0) {
    const wrong = beyondRounding(output);
    if (wrong.length > 0 || !/FAILED:/.test(output)) {
      const named = batch.filter((q) => wrong.some((w) => w.includes(JSON.stringify(q.expr).slice(0, 120)))).map((q) => q.key);
      throw new Error(`promtool test rules: wrong results for ${named.join('; ') || 'the file'}:\n${wrong.join('\n') || output}`);
    }
  }
  expect(output).toMatch(/SUCCESS|FAILED/);
  return batch.length;
}

const { network, flows } = allDashboards();
const queries = [...network, ...flows].flatMap(promqlQueriesOf);
const dir = scratch('dashboards-promql');
const objects = clusterObjects(oneCluster());

/** The rules whose recordings and alerts the panels read, as synthesized. */
function ruleFiles(): string[] {
  const shardRules = ['device-alerts', 'gnmic', 'snmp-exporter', 'blackbox-exporter']
    .map((name) => writeScratch(dir, `${name}.yaml`, stringify(find(objects, 'PrometheusRule', name, 'helios-collection').spec)));
  const ruler = writeScratch(dir, 'thanos-ruler.yaml', find(objects, 'ConfigMap', 'thanos-ruler-rules', 'helios-storage').data['rules.yaml']);
  return [...shardRules, ruler];
}
const RULE_FILES = ruleFiles();

describe('every PromQL query of the dashboards, on collector-shaped series (promtool)', () => {
  it('has an expected result for each query, and each expected result is for a query that exists and returns something', () => {
    const keys = queries.map((q) => q.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => !(k in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((k) => !keys.includes(k))).toEqual([]);
    expect(Object.entries(EXPECTED).filter(([, samples]) => samples.length === 0).map(([k]) => k)).toEqual([]);
    // Every network dashboard has its queries here.
    for (const d of network) expect(keys.some((k) => k.startsWith(`${d.uid} `))).toBe(true);
  });

  it('returns the expected series and values for every query, variables interpolated as Grafana does', () => {
    const evaluated = evaluate('dashboards', queries.map((q) => ({ ...q, expected: EXPECTED[q.key] ?? [] })));
    console.log(`promtool evaluated ${evaluated} dashboard queries over ${networkFixture().length} series`);
  });

  it('narrows the variables in a chain: a site leaves its roles and devices, a device its interfaces', () => {
    const analytics = network.find((d) => d.uid === 'helios-interface-analytics')!;
    const variables = variablesOf(analytics);
    const fra1: Selection = { ...SELECTION, site: ['fra1'], device: [core], interface: '$__all' };
    const query = (name: string) => {
      const definition = String(variables.find((v) => v.name === name)!.query);
      return interpolatePromQL(variablePromQL(definition), variables, fra1, INTERVALS);
    };
    const traffic = panelsOf(analytics).find((p) => p.title === 'Traffic')!.targets![0];
    evaluate('narrowing', [
      { key: '$role', expr: query('role'), expected: [at({ role: 'border' }, 1), at({ role: 'edge' }, 1)] },
      { key: '$device', expr: query('device'), expected: [at({ device: core }, 1), at({ device: edge }, 1)] },
      { key: '$interface', expr: query('interface'), expected: [at({ interface: 'GigabitEthernet0/0/0' }, 1)] },
      {
        key: 'Traffic A',
        expr: interpolatePromQL(String(traffic.expr), variables, fra1, INTERVALS),
        expected: [ifc(core, 'GigabitEthernet0/0/0', 0.8 * GBIT)],
      },
    ]);
  });
});
