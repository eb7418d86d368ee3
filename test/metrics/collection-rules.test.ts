import { stringify } from 'yaml';
import { all, clusterObjects, find, oneCluster, parseYaml } from './support.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import { promtool, scratch, writeScratch } from '../peers/harness/network-peers.js';

/**
 * The collectors' and devices' rules, as synthesized, under promtool (Prometheus 2.42):
 * `check rules` on the files as they are (expressions, durations and annotation
 * templates), and `test rules` for every alert, firing, not firing and exactly at its
 * threshold. For the unit tests the annotations are left out of a copy of each file:
 * promtool compares them verbatim, and what an alert fires on is the expression, its
 * `for` and its labels. DeviceUnreachable is tested with its annotations.
 */
const objects = clusterObjects(oneCluster({ tier: 'medium' }));
const dir = scratch('collection-rules');
const OWN = ['gnmic', 'snmp-exporter', 'blackbox-exporter', 'device-alerts'];
const rules = (name: string) => find(objects, 'PrometheusRule', name, 'helios-collection').spec;
const rulerFile = parseYaml(find(objects, 'ConfigMap', 'thanos-ruler-rules', 'helios-storage').data['rules.yaml']);
const reachability = { groups: rulerFile.groups.filter((g: any) => g.name === 'device-reachability') };

const withoutAnnotations = (spec: any) => ({
  groups: spec.groups.map((g: any) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }: any) => r) })),
});
const files = Object.fromEntries(OWN.map((name) => [name, writeScratch(dir, `${name}.yaml`, stringify(rules(name)))]));
const logicFiles = Object.fromEntries(OWN.map((name) => [name, writeScratch(dir, `${name}.logic.yaml`, stringify(withoutAnnotations(rules(name))))]));
const reachabilityFile = writeScratch(dir, 'device-reachability.yaml', stringify(reachability));

function unitTest(name: string, ruleFiles: string[], tests: object[]): void {
  const file = writeScratch(dir, `${name}.test.yaml`, stringify({ rule_files: ruleFiles, evaluation_interval: '1m', tests }));
  const r = promtool(['test', 'rules', file]);
  if (r.status !== 0) throw new Error(`promtool test rules ${name} failed:\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toMatch(/SUCCESS/);
}

const series = (s: string, values: string) => ({ series: s, values });
const alert = (alertname: string, evalTime: string, expLabels: Array<Record<string, string>>) => ({
  eval_time: evalTime, alertname, exp_alerts: expLabels.map((exp_labels) => ({ exp_labels })),
});

const SNMP = 'device="leaf1", instance="10.0.0.1", job="snmp", site="ams1"';
const GNMI = 'device="leaf2", job="gnmi", site="ams1", source="leaf2"';
const snmpLabels = { device: 'leaf1', instance: '10.0.0.1', job: 'snmp', site: 'ams1' };
const gnmiLabels = { device: 'leaf2', job: 'gnmi', site: 'ams1', source: 'leaf2' };

describe('promtool check rules on the collectors\' rules', () => {
  it('accepts each PrometheusRule and the Ruler\'s device-reachability group', () => {
    const r = promtool(['check', 'rules', ...Object.values(files), reachabilityFile]);
    expect(r.stdout + r.stderr).not.toMatch(/FAILED|error/i);
    expect(r.status).toBe(0);
  });

  it('gives each of its alerts a severity, a summary, a description and a runbook link', () => {
    const alerts = [...OWN.flatMap((n) => rules(n).groups), ...reachability.groups].flatMap((g: any) => g.rules.filter((x: any) => x.alert));
    expect(alerts.map((a: any) => a.alert).sort()).toEqual([
      'BGPSessionDown', 'BGPSessionFlapping', 'DeviceRestarted', 'DeviceUnreachable', 'GnmiTargetDown', 'HighCPU', 'HighMemory',
      'InterfaceErrorRate', 'InterfaceFlapping', 'ServiceProbeFailing', 'SnmpScrapeFailing',
    ]);
    // The info alerts are what the email route carries.
    expect(alerts.filter((a: any) => a.labels.severity === 'info').map((a: any) => a.alert).sort()).toEqual(['DeviceRestarted', 'InterfaceFlapping']);
    for (const a of alerts) {
      expect(['critical', 'warning', 'info']).toContain(a.labels.severity);
      expect(Object.keys(a.annotations).sort()).toEqual(['dashboard_url', 'description', 'runbook_url', 'summary']);
      expect(a.annotations.runbook_url).toMatch(new RegExp(`#${a.alert.toLowerCase()}$`));
    }
  });

  it('lives in helios-collection with the labels Prometheus selects rules by', () => {
    for (const r of all(objects, 'PrometheusRule').filter((x) => OWN.includes(x.metadata.name))) {
      expect(r.metadata.namespace).toBe('helios-collection');
      expect(r.metadata.labels['app.kubernetes.io/part-of']).toBe('helios');
    }
  });
});

describe('promtool test rules: device resources (HighCPU > 80%, HighMemory > 85%, 5 minutes)', () => {
  it('HighCPU fires above 80% from each source, not at exactly 80%, only after 5 minutes', () => {
    unitTest('high-cpu', [logicFiles['device-alerts']], [{
      interval: '1m',
      input_series: [
        series(`${GNMI_METRICS.cpuTotal}{${GNMI}, cpu_index="0"}`, '81x10'),
        series(`${GNMI_METRICS.cpuTotal}{${GNMI}, cpu_index="1"}`, '80x10'),
        series(`hrProcessorLoad{${SNMP}, hrDeviceIndex="196608"}`, '95x10'),
        series(`cpmCPUTotal1minRev{${SNMP}, cpmCPUTotalIndex="1"}`, '90x10'),
        series(`cpmCPUTotal1minRev{${SNMP}, cpmCPUTotalIndex="2"}`, '80x10'),
        series(`jnxOperatingCPU{${SNMP}, jnxOperatingContentsIndex="9", jnxOperatingL1Index="1", jnxOperatingL2Index="0", jnxOperatingL3Index="0", jnxOperatingDescr="Routing Engine 0"}`, '85x10'),
      ],
      alert_rule_test: [
        alert('HighCPU', '4m', []),
        alert('HighCPU', '5m', [
          { ...gnmiLabels, cpu_index: '0', severity: 'warning' },
          { ...snmpLabels, hrDeviceIndex: '196608', severity: 'warning' },
          { ...snmpLabels, cpmCPUTotalIndex: '1', severity: 'warning' },
          { ...snmpLabels, jnxOperatingContentsIndex: '9', jnxOperatingL1Index: '1', jnxOperatingL2Index: '0', jnxOperatingL3Index: '0', jnxOperatingDescr: 'Routing Engine 0', severity: 'warning' },
        ]),
      ],
    }]);
  });

  it('HighMemory fires above 85% from each source, not at exactly 85%', () => {
    const ram = (descr: string, index: string) => `${SNMP}, hrStorageDescr="${descr}", hrStorageIndex="${index}"`;
    unitTest('high-memory', [logicFiles['device-alerts']], [{
      interval: '1m',
      input_series: [
        // gNMI: 86 of 100 used; SNMP host resources: RAM 85.0% exactly, a disk at 99% that is not memory.
        series(`${GNMI_METRICS.memoryPhysical}{${GNMI}}`, '100x10'),
        series(`${GNMI_METRICS.memoryUsed}{${GNMI}}`, '86x10'),
        series(`hrStorageSize{${ram('Physical memory', '1')}}`, '200x10'),
        series(`hrStorageUsed{${ram('Physical memory', '1')}}`, '170x10'),
        series(`hrStorageSize{${ram('/', '36')}}`, '100x10'),
        series(`hrStorageUsed{${ram('/', '36')}}`, '99x10'),
        // Cisco: 900 of 1000 KiB used; Juniper: a routing engine at 85% (not above).
        series(`cpmCPUMemoryUsed{${SNMP}, cpmCPUTotalIndex="1"}`, '900x10'),
        series(`cpmCPUMemoryFree{${SNMP}, cpmCPUTotalIndex="1"}`, '100x10'),
        series(`jnxOperatingBuffer{${SNMP}, jnxOperatingContentsIndex="9", jnxOperatingL1Index="1", jnxOperatingL2Index="0", jnxOperatingL3Index="0"}`, '85x10'),
      ],
      alert_rule_test: [
        alert('HighMemory', '4m', []),
        alert('HighMemory', '5m', [
          { ...gnmiLabels, severity: 'warning' },
          { ...snmpLabels, cpmCPUTotalIndex: '1', severity: 'warning' },
        ]),
      ],
      promql_expr_test: [{
        expr: 'device:memory_utilization:percent{hrStorageDescr="Physical memory"}',
        eval_time: '5m',
        exp_samples: [{ labels: `device:memory_utilization:percent{${ram('Physical memory', '1')}}`, value: 85 }],
      }],
    }]);
  });
});

describe('promtool test rules: InterfaceErrorRate (> 1% of packets, 5 minutes)', () => {
  it('fires on 2% inbound (SNMP) and 2% outbound (gNMI), not on exactly 1%', () => {
    const ifLabels = (i: string) => `${SNMP}, ifIndex="${i}", ifName="Ethernet${i}"`;
    const snmpIf = (i: string, inErrorsPerMin: number, outErrorsPerMin: number) => [
      // 99 packets delivered a second; errored packets are counted apart from them.
      series(`ifInErrors{${ifLabels(i)}}`, `0+${inErrorsPerMin}x20`),
      series(`ifHCInUcastPkts{${ifLabels(i)}}`, '0+5940x20'),
      series(`ifHCInMulticastPkts{${ifLabels(i)}}`, '0x20'),
      series(`ifHCInBroadcastPkts{${ifLabels(i)}}`, '0x20'),
      series(`ifOutErrors{${ifLabels(i)}}`, `0+${outErrorsPerMin}x20`),
      series(`ifHCOutUcastPkts{${ifLabels(i)}}`, '0+5940x20'),
      series(`ifHCOutMulticastPkts{${ifLabels(i)}}`, '0x20'),
      series(`ifHCOutBroadcastPkts{${ifLabels(i)}}`, '0x20'),
    ];
    const gnmiIf = (name: string, outErrorsPerMin: number) => [
      // OpenConfig's packet counters include the errored ones: 100 a second.
      series(`${GNMI_METRICS.inErrors}{${GNMI}, interface_name="${name}"}`, '0x20'),
      series(`${GNMI_METRICS.inPkts}{${GNMI}, interface_name="${name}"}`, '0+6000x20'),
      series(`${GNMI_METRICS.outErrors}{${GNMI}, interface_name="${name}"}`, `0+${outErrorsPerMin}x20`),
      series(`${GNMI_METRICS.outPkts}{${GNMI}, interface_name="${name}"}`, '0+6000x20'),
    ];
    unitTest('interface-errors', [logicFiles['device-alerts']], [{
      interval: '1m',
      input_series: [
        ...snmpIf('1', 120, 0), // 2 of 101 inbound: 1.98%
        ...snmpIf('2', 60, 60), // 1 of 100 both ways: exactly 1%
        ...gnmiIf('Ethernet7', 120), // 2 of 100 outbound
        ...gnmiIf('Ethernet8', 60), // exactly 1%
      ],
      // The ratio exists from the second sample (1m) on; the alert fires 5 minutes later.
      alert_rule_test: [
        alert('InterfaceErrorRate', '5m', []),
        alert('InterfaceErrorRate', '6m', [
          { ...snmpLabels, ifIndex: '1', ifName: 'Ethernet1', direction: 'in', severity: 'warning' },
          { ...gnmiLabels, interface_name: 'Ethernet7', direction: 'out', severity: 'warning' },
        ]),
      ],
      promql_expr_test: [{
        expr: 'interface:errors:ratio_rate5m{ifIndex="2"}',
        eval_time: '10m',
        exp_samples: [
          { labels: `interface:errors:ratio_rate5m{${ifLabels('2')}, direction="in"}`, value: 0.01 },
          { labels: `interface:errors:ratio_rate5m{${ifLabels('2')}, direction="out"}`, value: 0.01 },
        ],
      }],
    }]);
  });
});

describe('promtool test rules: BGP (gNMI session-state, 6 = established)', () => {
  const neighbor = (addr: string) => `${GNMI}, network_instance_name="default", protocol_identifier="BGP", protocol_name="BGP", neighbor_neighbor_address="${addr}"`;
  const labels = (addr: string) => ({ ...gnmiLabels, network_instance_name: 'default', protocol_identifier: 'BGP', protocol_name: 'BGP', neighbor_neighbor_address: addr });

  it('BGPSessionDown fires after a minute not established, not while established', () => {
    unitTest('bgp-down', [logicFiles['device-alerts']], [{
      interval: '30s',
      input_series: [
        series(`${GNMI_METRICS.bgpSessionState}{${neighbor('192.0.2.1')}}`, '6x4 1x10'),
        series(`${GNMI_METRICS.bgpSessionState}{${neighbor('192.0.2.2')}}`, '6x15'),
        series(`${GNMI_METRICS.bgpSessionState}{${neighbor('192.0.2.3')}}`, '3x15'),
      ],
      alert_rule_test: [
        // 192.0.2.1 goes idle at 2m30s: first seen down at the 3m evaluation, firing a minute later.
        alert('BGPSessionDown', '3m', [{ ...labels('192.0.2.3'), severity: 'critical' }]),
        alert('BGPSessionDown', '4m', [{ ...labels('192.0.2.1'), severity: 'critical' }, { ...labels('192.0.2.3'), severity: 'critical' }]),
      ],
    }]);
  });

  it('BGPSessionFlapping fires on the third state change within 15 minutes', () => {
    unitTest('bgp-flapping', [logicFiles['device-alerts']], [{
      interval: '1m',
      input_series: [
        series(`${GNMI_METRICS.bgpSessionState}{${neighbor('192.0.2.1')}}`, '6 6 1 6 6 6 6 6 6 6'),
        series(`${GNMI_METRICS.bgpSessionState}{${neighbor('192.0.2.2')}}`, '6 1 6 1 6 6 6 6 6 6'),
      ],
      alert_rule_test: [
        alert('BGPSessionFlapping', '2m', []),
        alert('BGPSessionFlapping', '4m', [{ ...labels('192.0.2.2'), severity: 'warning' }]),
      ],
    }]);
  });
});

describe('promtool test rules: device changes (info, by email)', () => {
  it('DeviceRestarted fires while the SNMP agent has been up less than 15 minutes, with the uptime in the summary', () => {
    const restarted = rules('device-alerts').groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === 'DeviceRestarted');
    const fired = (labels: Record<string, string>, ago: string) => ({
      exp_labels: { ...labels, severity: 'info' },
      exp_annotations: {
        summary: `${labels.device} restarted ${ago} ago`,
        description: restarted.annotations.description.replace('{{ $labels.device }}', labels.device),
        runbook_url: restarted.annotations.runbook_url,
        dashboard_url: restarted.annotations.dashboard_url,
      },
    });
    const leaf9 = { device: 'leaf9', instance: '10.0.0.9', job: 'snmp', site: 'ams1' };
    unitTest('device-restarted', [files['device-alerts']], [{
      interval: '1m',
      input_series: [
        // leaf1, up for 1,000 hours, reloads at 10m: its sysUpTime (hundredths of a second) starts again from 0.
        series(`sysUpTime{${SNMP}}`, '360000000+6000x9 0+6000x30'),
        // leaf9 has been up 899 seconds at 0m and 959 at 1m.
        series('sysUpTime{device="leaf9", instance="10.0.0.9", job="snmp", site="ams1"}', '89900+6000x10'),
      ],
      alert_rule_test: [
        { eval_time: '0m', alertname: 'DeviceRestarted', exp_alerts: [fired(leaf9, '14m 59s')] },
        { eval_time: '5m', alertname: 'DeviceRestarted', exp_alerts: [] },
        { eval_time: '12m', alertname: 'DeviceRestarted', exp_alerts: [fired(snmpLabels, '2m 0s')] },
        { eval_time: '24m', alertname: 'DeviceRestarted', exp_alerts: [fired(snmpLabels, '14m 0s')] },
        { eval_time: '25m', alertname: 'DeviceRestarted', exp_alerts: [] },
      ],
    }]);
  });

  it('InterfaceFlapping fires on the third change of operational state within 15 minutes, from SNMP or gNMI', () => {
    const ifLabels = (i: string) => `${SNMP}, ifIndex="${i}", ifName="Ethernet${i}"`;
    unitTest('interface-flapping', [logicFiles['device-alerts']], [{
      interval: '1m',
      input_series: [
        // Ethernet1 goes down, up, down: three changes. Ethernet2 goes down and back: two.
        series(`ifOperStatus{${ifLabels('1')}}`, '1 1 2 1 2 2 2 2 2 2'),
        series(`ifOperStatus{${ifLabels('2')}}`, '1 2 1 1 1 1 1 1 1 1'),
        series(`${GNMI_METRICS.operStatus}{${GNMI}, interface_name="Ethernet7"}`, '1 2 1 2 1 1 1 1 1 1'),
      ],
      alert_rule_test: [
        alert('InterfaceFlapping', '3m', [{ ...gnmiLabels, interface_name: 'Ethernet7', severity: 'info' }]),
        alert('InterfaceFlapping', '4m', [
          { ...snmpLabels, ifIndex: '1', ifName: 'Ethernet1', severity: 'info' },
          { ...gnmiLabels, interface_name: 'Ethernet7', severity: 'info' },
        ]),
      ],
    }]);
  });
});

describe('promtool test rules: the collectors\' own alerts', () => {
  it('SnmpScrapeFailing fires after 5 minutes of failed walks', () => {
    unitTest('snmp-failing', [logicFiles['snmp-exporter']], [{
      interval: '1m',
      input_series: [series(`up{${SNMP}}`, '0x10'), series('up{device="leaf9", instance="10.0.0.9", job="snmp", site="ams1"}', '1x10')],
      alert_rule_test: [alert('SnmpScrapeFailing', '4m', []), alert('SnmpScrapeFailing', '5m', [{ ...snmpLabels, severity: 'warning' }])],
    }]);
  });

  it('ServiceProbeFailing fires for TCP/HTTP/DNS probes, not for ICMP (DeviceUnreachable\'s)', () => {
    const probe = (module: string) => `device="leaf1", instance="10.0.0.1:22", job="blackbox", module="${module}"`;
    unitTest('probe-failing', [logicFiles['blackbox-exporter']], [{
      interval: '1m',
      input_series: [series(`probe_success{${probe('tcp_connect')}}`, '0x10'), series(`probe_success{${probe('icmp')}}`, '0x10')],
      alert_rule_test: [
        alert('ServiceProbeFailing', '4m', []),
        alert('ServiceProbeFailing', '5m', [{ device: 'leaf1', instance: '10.0.0.1:22', job: 'blackbox', module: 'tcp_connect', severity: 'warning' }]),
      ],
    }]);
  });

  it('GnmiTargetDown fires after 5 minutes without a gNMI connection, named by target', () => {
    unitTest('gnmi-target-down', [logicFiles.gnmic], [{
      interval: '1m',
      input_series: [
        series('gnmic_target_up{job="gnmic", name="ams1-leaf-02", pod="gnmic-0"}', '0x10'),
        series('gnmic_target_up{job="gnmic", name="ams1-leaf-03", pod="gnmic-1"}', '1x10'),
      ],
      alert_rule_test: [
        alert('GnmiTargetDown', '4m', []),
        alert('GnmiTargetDown', '5m', [{ job: 'gnmic', name: 'ams1-leaf-02', target: 'ams1-leaf-02', pod: 'gnmic-0', severity: 'warning' }]),
      ],
    }]);
  });

  it('remembers each gNMI target\'s device after its telemetry stops, and forgets targets gnmic drops', () => {
    const taxonomy = 'device="AMS1-Leaf_02", platform="eos", region="eu", role="leaf", site="ams1", tier="gold", vendor="arista"';
    unitTest('gnmi-taxonomy', [logicFiles.gnmic], [{
      interval: '1m',
      input_series: [
        // Telemetry for 10 minutes, then none; gnmic keeps the target for 30 minutes.
        series(`${GNMI_METRICS.adminStatus}{${taxonomy}, interface_name="Ethernet1", job="gnmi", source="ams1-leaf-02"}`, '1x10 _x50'),
        series('gnmic_target_up{job="gnmic", name="ams1-leaf-02", pod="gnmic-0"}', '1x10 0x20 _x30'),
      ],
      promql_expr_test: [
        { expr: 'gnmi_target:taxonomy:info', eval_time: '5m', exp_samples: [{ labels: `gnmi_target:taxonomy:info{${taxonomy}, target="ams1-leaf-02"}`, value: 1 }] },
        { expr: 'gnmi_target:taxonomy:info', eval_time: '30m', exp_samples: [{ labels: `gnmi_target:taxonomy:info{${taxonomy}, target="ams1-leaf-02"}`, value: 1 }] },
        { expr: 'gnmi_target:taxonomy:info', eval_time: '50m', exp_samples: [] },
      ],
    }]);
  });
});

describe('promtool test rules: DeviceUnreachable (Thanos Ruler, 2 minutes, critical)', () => {
  const description = (device: string) => reachability.groups[0].rules[0].annotations.description.replace('{{ $labels.device }}', device);
  const link = reachability.groups[0].rules[0].annotations;
  const fired = (device: string) => ({
    exp_labels: { device, severity: 'critical' },
    exp_annotations: { summary: `Device ${device} is unreachable`, description: description(device), runbook_url: link.runbook_url, dashboard_url: link.dashboard_url },
  });
  const info = (target: string, device: string) => series(`gnmi_target:taxonomy:info{device="${device}", site="ams1", target="${target}"}`, '1x10');

  it('fires when every collector of a device fails, whichever collectors monitor it, and only then', () => {
    const file = writeScratch(dir, 'reachability.test.yaml', stringify({
      rule_files: [reachabilityFile],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          // snmp-only: SNMP walks fail.
          series('up{device="snmp-only", instance="10.0.0.1", job="snmp"}', '0x10'),
          // gnmi-only: its target (named differently from the device) is down.
          series('gnmic_target_up{job="gnmic", name="gnmi-only-t", pod="gnmic-0"}', '0x10'),
          info('gnmi-only-t', 'gNMI-Only'),
          // icmp-only: no ping reply.
          series('probe_success{device="icmp-only", instance="10.0.0.3", job="blackbox", module="icmp"}', '0x10'),
          // both: gNMI down but SNMP answers: reachable.
          series('gnmic_target_up{job="gnmic", name="both", pod="gnmic-1"}', '0x10'),
          info('both', 'both'),
          series('up{device="both", instance="10.0.0.4", job="snmp"}', '1x10'),
          // all-down: gNMI, SNMP and ICMP all fail.
          series('gnmic_target_up{job="gnmic", name="all-down", pod="gnmic-1"}', '0x10'),
          info('all-down', 'all-down'),
          series('up{device="all-down", instance="10.0.0.5", job="snmp"}', '0x10'),
          series('probe_success{device="all-down", instance="10.0.0.5", job="blackbox", module="icmp"}', '0x10'),
          // healthy, and a failing HTTP probe that is no reachability signal.
          series('up{device="healthy", instance="10.0.0.6", job="snmp"}', '1x10'),
          series('probe_success{device="healthy", instance="http://10.0.0.6/", job="blackbox", module="http_2xx"}', '0x10'),
        ],
        alert_rule_test: [
          { eval_time: '1m', alertname: 'DeviceUnreachable', exp_alerts: [] },
          { eval_time: '2m', alertname: 'DeviceUnreachable', exp_alerts: ['all-down', 'gNMI-Only', 'icmp-only', 'snmp-only'].map(fired) },
        ],
      }],
    }));
    const r = promtool(['test', 'rules', file]);
    if (r.status !== 0) throw new Error(`promtool test rules failed:\n${r.stdout}\n${r.stderr}`);
  });
});
