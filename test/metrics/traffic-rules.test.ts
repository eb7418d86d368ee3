import { stringify } from 'yaml';
import { clusterObjects, find, oneCluster } from './support.js';
import { DEVICE_RECORDS, INTERFACE_RECORDS, SITE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import { promtool, scratch, writeScratch } from '../peers/harness/network-peers.js';

/**
 * The recordings the dashboards read instead of raw series, under promtool as
 * synthesized: traffic per interface from either collector under one `interface`
 * label (Prometheus shards), traffic per site (Thanos Ruler), temperatures from every
 * source in degrees Celsius, and the gNMI target map keeping the cluster label.
 */
const objects = clusterObjects(oneCluster({ tier: 'medium' }));
const dir = scratch('traffic-rules');
const shardRules = (name: string) => writeScratch(dir, `${name}.yaml`, stringify(find(objects, 'PrometheusRule', name, 'helios-collection').spec));
const deviceRules = shardRules('device-alerts');
const gnmicRules = shardRules('gnmic');
const rulerRules = writeScratch(dir, 'thanos-ruler.yaml', find(objects, 'ConfigMap', 'thanos-ruler-rules', 'helios-storage').data['rules.yaml']);

function unitTest(name: string, ruleFiles: string[], test: object): void {
  const file = writeScratch(dir, `${name}.test.yaml`, stringify({ rule_files: ruleFiles, evaluation_interval: '1m', tests: [{ interval: '1m', ...test }] }));
  const r = promtool(['test', 'rules', file]);
  if (r.status !== 0) throw new Error(`promtool test rules ${name} failed:\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toMatch(/SUCCESS/);
}

const series = (s: string, values: string) => ({ series: s, values });
const TAXONOMY = 'device="ams1-leaf-01", platform="eos", region="eu", role="leaf", site="ams1", tier="gold", vendor="arista"';
const SNMP = `${TAXONOMY}, instance="10.20.0.11", job="snmp"`;
const GNMI = `${TAXONOMY}, job="gnmi", source="ams1-leaf-01", subscription_name="interfaces"`;
/** 750 MB a minute: 12.5 MB/s, 100 Mbit/s. */
const HUNDRED_MBIT = '0+750000000x20';

describe('interface traffic recordings (Prometheus shards)', () => {
  it('record bits per second per interface from IF-MIB and OpenConfig counters under one interface label, the taxonomy only', () => {
    unitTest('interface-bits', [deviceRules], {
      input_series: [
        // SNMP only: Ethernet1, 100 Mbit/s in, 300 out.
        series(`ifHCInOctets{${SNMP}, ifIndex="1", ifName="Ethernet1", ifAlias="uplink"}`, HUNDRED_MBIT),
        series(`ifHCOutOctets{${SNMP}, ifIndex="1", ifName="Ethernet1", ifAlias="uplink"}`, '0+2250000000x20'),
        // gNMI only: Ethernet7.
        series(`${GNMI_METRICS.inOctets}{${GNMI}, interface_name="Ethernet7"}`, HUNDRED_MBIT),
        series(`${GNMI_METRICS.outOctets}{${GNMI}, interface_name="Ethernet7"}`, HUNDRED_MBIT),
        // Both collectors report Ethernet3 (gNMI's counter a little ahead): one series, the higher rate.
        series(`ifHCInOctets{${SNMP}, ifIndex="3", ifName="Ethernet3"}`, HUNDRED_MBIT),
        series(`${GNMI_METRICS.inOctets}{${GNMI}, interface_name="Ethernet3"}`, '0+1500000000x20'),
        // Another job's ifHCInOctets is not a device's.
        series('ifHCInOctets{device="x", job="node", ifName="eth0"}', HUNDRED_MBIT),
      ],
      promql_expr_test: [
        {
          expr: INTERFACE_RECORDS.inBits,
          eval_time: '10m',
          exp_samples: [
            { labels: `${INTERFACE_RECORDS.inBits}{${TAXONOMY}, interface="Ethernet1"}`, value: 1e8 },
            { labels: `${INTERFACE_RECORDS.inBits}{${TAXONOMY}, interface="Ethernet3"}`, value: 2e8 },
            { labels: `${INTERFACE_RECORDS.inBits}{${TAXONOMY}, interface="Ethernet7"}`, value: 1e8 },
          ],
        },
        {
          expr: INTERFACE_RECORDS.outBits,
          eval_time: '10m',
          exp_samples: [
            { labels: `${INTERFACE_RECORDS.outBits}{${TAXONOMY}, interface="Ethernet1"}`, value: 3e8 },
            { labels: `${INTERFACE_RECORDS.outBits}{${TAXONOMY}, interface="Ethernet7"}`, value: 1e8 },
          ],
        },
      ],
    });
  });
});

describe('site traffic recordings (Thanos Ruler)', () => {
  it('sum the interface recordings per cluster and site', () => {
    const ifc = (record: string, cluster: string, site: string, device: string, iface: string, bps: number) =>
      series(`${record}{cluster="${cluster}", device="${device}", interface="${iface}", region="eu", site="${site}"}`, `${bps}x10`);
    unitTest('site-bits', [rulerRules], {
      input_series: [
        ifc(INTERFACE_RECORDS.inBits, 'dc1', 'ams1', 'leaf-01', 'Ethernet1', 1e8),
        ifc(INTERFACE_RECORDS.inBits, 'dc1', 'ams1', 'leaf-01', 'Ethernet2', 2e8),
        ifc(INTERFACE_RECORDS.inBits, 'dc1', 'ams1', 'spine-01', 'Ethernet1', 4e8),
        ifc(INTERFACE_RECORDS.inBits, 'dc1', 'fra1', 'core-01', 'Gi0/0/0', 8e8),
        ifc(INTERFACE_RECORDS.inBits, 'dc2', 'ams1', 'leaf-09', 'Ethernet1', 16e8),
        ifc(INTERFACE_RECORDS.outBits, 'dc1', 'ams1', 'leaf-01', 'Ethernet1', 5e8),
      ],
      promql_expr_test: [
        {
          expr: SITE_RECORDS.inBits,
          eval_time: '5m',
          exp_samples: [
            { labels: `${SITE_RECORDS.inBits}{cluster="dc1", region="eu", site="ams1"}`, value: 7e8 },
            { labels: `${SITE_RECORDS.inBits}{cluster="dc1", region="eu", site="fra1"}`, value: 8e8 },
            { labels: `${SITE_RECORDS.inBits}{cluster="dc2", region="eu", site="ams1"}`, value: 16e8 },
          ],
        },
        { expr: SITE_RECORDS.outBits, eval_time: '5m', exp_samples: [{ labels: `${SITE_RECORDS.outBits}{cluster="dc1", region="eu", site="ams1"}`, value: 5e8 }] },
      ],
    });
  });
});

describe('temperature recording (Prometheus shards)', () => {
  it('reads every source in degrees Celsius, each sensor named in `sensor`, and nothing that is not a temperature', () => {
    const entity = (index: string, name: string, type: number, scale: number, precision: number, value: number) => series(
      `entPhySensorValue{${SNMP}, entPhysicalIndex="${index}", entPhysicalName="${name}", entPhySensorType="${type}", entPhySensorScale="${scale}", entPhySensorPrecision="${precision}"}`,
      `${value}x10`,
    );
    const jnx = (descr: string, value: number) => series(
      `jnxOperatingTemp{${SNMP}, jnxOperatingContentsIndex="7", jnxOperatingL1Index="1", jnxOperatingL2Index="0", jnxOperatingL3Index="0", jnxOperatingDescr="${descr}"}`,
      `${value}x10`,
    );
    unitTest('temperature', [deviceRules], {
      input_series: [
        series(`${GNMI_METRICS.temperature}{${GNMI}, component_name="TempSensor1"}`, '41.5x10'),
        entity('1', 'Inlet', 8, 9, 0, 28),
        entity('2', 'Cpu', 8, 9, 1, 452),
        entity('3', 'Asic', 8, 9, 2, 6150),
        // Watts, and a temperature in millidegrees (scale 8): neither is read.
        entity('4', 'PowerSupply1', 6, 9, 0, 120),
        entity('5', 'Odd', 8, 8, 0, 30000),
        series(`ciscoEnvMonTemperatureStatusValue{${SNMP}, ciscoEnvMonTemperatureStatusIndex="1", ciscoEnvMonTemperatureStatusDescr="Outlet"}`, '33x10'),
        jnx('Routing Engine 0', 39),
        // Components without a sensor report 0.
        jnx('FPC: EX4300 @ 0/*/*', 0),
      ],
      promql_expr_test: [{
        expr: `max by (device, sensor) (${DEVICE_RECORDS.temperature})`,
        eval_time: '5m',
        exp_samples: [
          ['TempSensor1', 41.5], ['Inlet', 28], ['Cpu', 45.2], ['Asic', 61.5], ['Outlet', 33], ['Routing Engine 0', 39],
        ].map(([sensor, value]) => ({ labels: `{device="ams1-leaf-01", sensor="${sensor}"}`, value })),
      }],
    });
  });
});

describe('gNMI target map', () => {
  it('keeps the cluster label when its input has it (as when evaluated over Thanos)', () => {
    unitTest('gnmi-target-cluster', [gnmicRules], {
      input_series: [
        series(`${GNMI_METRICS.adminStatus}{cluster="dc1", ${GNMI}, interface_name="Ethernet1"}`, '1x10'),
        series('gnmic_target_up{cluster="dc1", job="gnmic", name="ams1-leaf-01", pod="gnmic-0"}', '1x10'),
      ],
      promql_expr_test: [{
        expr: 'gnmi_target:taxonomy:info',
        eval_time: '5m',
        exp_samples: [{ labels: `gnmi_target:taxonomy:info{cluster="dc1", ${TAXONOMY}, target="ams1-leaf-01"}`, value: 1 }],
      }],
    });
  });
});
