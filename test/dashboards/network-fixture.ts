import { BLACKBOX_JOB } from '../../constructs/metrics/blackbox.js';
import { GNMI_METRICS, GNMI_TELEMETRY_JOB, GNMIC_JOB } from '../../constructs/metrics/gnmic.js';
import { SNMP_JOB } from '../../constructs/metrics/snmp-exporter.js';
import { SNMP_MODULE_DEFINITIONS, type SnmpModuleName } from '../../constructs/metrics/snmp-modules.js';
import { TAXONOMY_LABELS, type TaxonomyLabel } from '../../constructs/platform/taxonomy.js';

/**
 * The series Thanos Query serves for a small network, shaped as Helios's collectors
 * write them: the metric names of gnmic's output for the subscribed paths
 * (GNMI_METRICS), of the snmp_exporter modules (checked against
 * SNMP_MODULE_DEFINITIONS: a metric must be in the device's modules and carry exactly
 * its indexes and lookups as labels), of blackbox_exporter's probes; the labels their
 * scrapes add (job, instance, the blackbox module, gnmic's source and
 * subscription_name, the pod's) and the seven taxonomy labels, plus the external
 * labels Thanos adds (cluster, datacenter).
 *
 * Samples every 30 seconds (the scrape and gNMI sample interval) from 0 to 70
 * minutes; tests evaluate at 60 minutes. Counters grow at a constant rate, so every
 * rate is exact. The devices:
 *
 * - ams1-leaf-01, Arista over SNMP: Ethernet1 (10G) 1.5 Gbit/s in, 0.5 out, 2 discards/s
 *   in; Ethernet2 (1G) down and idle; CPU 35%, RAM 50%, 45.2 °C, two power sensors (one
 *   not operational); up one day; ping and an SSH port probed.
 * - ams1-spine-01, Arista over gNMI: Ethernet1 2 Gbit/s each way, Ethernet2 0.5 in, 1 out;
 *   CPUs at 91% and 42%, memory 90%, 41.5 °C, two power supplies; BGP to 192.0.2.1
 *   established throughout, to 192.0.2.2 down at 50.5-55.5 and since 58 minutes; every
 *   fourth ping lost.
 * - fra1-core-01, Cisco over SNMP: GigabitEthernet0/0/0 (1G) 0.8 Gbit/s in (2% of packets
 *   errored), 0.2 out; CPU 92%, memory 60%, 31 °C, restarted 66 minutes ago; its HTTPS
 *   probe fails.
 * - fra1-edge-02, Juniper over SNMP: unreachable (SNMP and ping fail).
 *
 * Plus one always-firing info alert, as a Watchdog-style rule writes it.
 */
export const EXTERNAL_LABELS = { cluster: 'dc1', datacenter: 'ams1' } as const;
export const STEPS = 140;
export const INTERVAL = '30s';
export const EVAL_TIME = '60m';

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

interface Device {
  readonly taxonomy: Readonly<Record<TaxonomyLabel, string>>;
  readonly address: string;
  readonly snmpModules?: readonly SnmpModuleName[];
}

function device(
  name: string, site: string, vendor: string, platform: string, role: string, tier: string, address: string, snmpModules?: SnmpModuleName[],
): Device {
  const taxonomy = { device: name, site, region: 'eu', vendor, platform, role, tier };
  if (Object.keys(taxonomy).sort().join() !== [...TAXONOMY_LABELS].sort().join()) throw new Error('the fixture\'s taxonomy is not TAXONOMY_LABELS');
  return { taxonomy, address, snmpModules };
}

export const LEAF = device('ams1-leaf-01', 'ams1', 'arista', 'eos', 'leaf', 'gold', '10.20.0.11', ['if_mib', 'arista_eos']);
export const SPINE = device('ams1-spine-01', 'ams1', 'arista', 'eos', 'spine', 'gold', '10.20.0.1');
export const CORE = device('fra1-core-01', 'fra1', 'cisco', 'ios-xe', 'border', 'silver', '10.30.0.1', ['if_mib', 'cisco_iosxe']);
export const EDGE = device('fra1-edge-02', 'fra1', 'juniper', 'junos', 'edge', 'silver', '10.30.0.2', ['if_mib', 'juniper_junos']);
export const DEVICES = [LEAF, SPINE, CORE, EDGE];

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(', ');
}

function series(metric: string, labels: Readonly<Record<string, string>>, values: string): InputSeries {
  return { series: `${metric}{${labelText({ ...EXTERNAL_LABELS, ...labels })}}`, values };
}

/** A constant. */
const flat = (value: number) => `${value}x${STEPS}`;
/** A counter growing by `perSecond`, sampled every 30 s. */
const counter = (perSecond: number) => `0+${perSecond * 30}x${STEPS}`;
/** Explicit samples, one per step. */
const samples = (at: (step: number) => number) => Array.from({ length: STEPS + 1 }, (_, i) => String(at(i))).join(' ');

/** An snmp_exporter series of a device: the metric must be in its modules, labelled by exactly the metric's indexes and lookups. */
function snmp(d: Device, metric: string, labels: Readonly<Record<string, string>>, values: string): InputSeries {
  const definition = (d.snmpModules ?? []).flatMap((m) => SNMP_MODULE_DEFINITIONS[m].metrics).find((m) => m.name === metric);
  if (!definition) throw new Error(`${metric} is in none of ${d.taxonomy.device}'s snmp_exporter modules (${d.snmpModules})`);
  const expected = [...(definition.indexes ?? []).map((i) => i.labelname), ...(definition.lookups ?? []).map((l) => l.labelname)].sort();
  if (Object.keys(labels).sort().join() !== expected.join()) throw new Error(`${metric}: labels ${Object.keys(labels)} are not its indexes and lookups ${expected}`);
  return series(metric, { ...d.taxonomy, job: SNMP_JOB, instance: d.address, ...labels }, values);
}

/** A gnmic Prometheus-output series of a device's target, scraped from gnmic-0. */
function gnmi(d: Device, metric: string, subscription: string, keys: Readonly<Record<string, string>>, values: string): InputSeries {
  return series(metric, {
    ...d.taxonomy,
    ...keys,
    source: d.taxonomy.device,
    subscription_name: subscription,
    job: GNMI_TELEMETRY_JOB,
    instance: '10.244.1.5:9804',
    namespace: 'helios-collection',
    pod: 'gnmic-0',
  }, values);
}

/** A blackbox_exporter probe series (the module kept from `__param_module`). */
function probe(d: Device, module: string, target: string, metric: string, extra: Readonly<Record<string, string>>, values: string): InputSeries {
  return series(metric, { ...d.taxonomy, ...extra, job: BLACKBOX_JOB, instance: target, module }, values);
}

/** Per second. */
interface SnmpCounters {
  readonly inOctets: number;
  readonly outOctets: number;
  readonly inUcast: number;
  readonly outUcast: number;
  readonly inErrors?: number;
  readonly outErrors?: number;
  readonly inDiscards?: number;
  readonly outDiscards?: number;
}

function ifMib(d: Device, ifIndex: number, ifName: string, ifAlias: string, speedMbps: number, oper: number, c: SnmpCounters): InputSeries[] {
  const l = { ifIndex: String(ifIndex), ifName, ifAlias };
  return [
    snmp(d, 'ifHighSpeed', l, flat(speedMbps)),
    snmp(d, 'ifAdminStatus', l, flat(1)),
    snmp(d, 'ifOperStatus', l, flat(oper)),
    snmp(d, 'ifHCInOctets', l, counter(c.inOctets)),
    snmp(d, 'ifHCOutOctets', l, counter(c.outOctets)),
    snmp(d, 'ifHCInUcastPkts', l, counter(c.inUcast)),
    snmp(d, 'ifHCOutUcastPkts', l, counter(c.outUcast)),
    ...['ifHCInMulticastPkts', 'ifHCInBroadcastPkts', 'ifHCOutMulticastPkts', 'ifHCOutBroadcastPkts'].map((m) => snmp(d, m, l, counter(0))),
    snmp(d, 'ifInErrors', l, counter(c.inErrors ?? 0)),
    snmp(d, 'ifOutErrors', l, counter(c.outErrors ?? 0)),
    snmp(d, 'ifInDiscards', l, counter(c.inDiscards ?? 0)),
    snmp(d, 'ifOutDiscards', l, counter(c.outDiscards ?? 0)),
  ];
}

/** Per second. */
interface OpenconfigCounters {
  readonly inOctets: number;
  readonly outOctets: number;
  readonly inPkts: number;
  readonly outPkts: number;
  readonly outDiscards?: number;
}

function openconfigInterface(d: Device, name: string, c: OpenconfigCounters): InputSeries[] {
  const k = { interface_name: name };
  return [
    gnmi(d, GNMI_METRICS.operStatus, 'interfaces', k, flat(1)),
    gnmi(d, GNMI_METRICS.adminStatus, 'interfaces', k, flat(1)),
    gnmi(d, GNMI_METRICS.inOctets, 'interfaces', k, counter(c.inOctets)),
    gnmi(d, GNMI_METRICS.outOctets, 'interfaces', k, counter(c.outOctets)),
    gnmi(d, GNMI_METRICS.inPkts, 'interfaces', k, counter(c.inPkts)),
    gnmi(d, GNMI_METRICS.outPkts, 'interfaces', k, counter(c.outPkts)),
    gnmi(d, GNMI_METRICS.inErrors, 'interfaces', k, counter(0)),
    gnmi(d, GNMI_METRICS.outErrors, 'interfaces', k, counter(0)),
    gnmi(d, GNMI_METRICS.inDiscards, 'interfaces', k, counter(0)),
    gnmi(d, GNMI_METRICS.outDiscards, 'interfaces', k, counter(c.outDiscards ?? 0)),
  ];
}

function entitySensor(d: Device, index: string, name: string, type: number, precision: number, value: number, status: number): InputSeries[] {
  const l = { entPhysicalIndex: index, entPhysicalName: name, entPhySensorType: String(type), entPhySensorScale: '9', entPhySensorPrecision: String(precision) };
  return [snmp(d, 'entPhySensorValue', l, flat(value)), snmp(d, 'entPhySensorOperStatus', l, flat(status))];
}

function bgpNeighbor(d: Device, address: string, state: string, received: string, sent: string): InputSeries[] {
  const neighbor = { network_instance_name: 'default', protocol_identifier: 'BGP', protocol_name: 'BGP', neighbor_neighbor_address: address };
  const family = { ...neighbor, afi_safi_afi_safi_name: 'IPV4_UNICAST' };
  return [
    gnmi(d, GNMI_METRICS.bgpSessionState, 'bgp', neighbor, state),
    gnmi(d, GNMI_METRICS.bgpPrefixesReceived, 'bgp', family, received),
    gnmi(d, GNMI_METRICS.bgpPrefixesSent, 'bgp', family, sent),
  ];
}

const up = (d: Device, job: string, instance: string, value: string, extra: Readonly<Record<string, string>> = {}) =>
  series('up', { ...d.taxonomy, ...extra, job, instance }, value);

const BYTES_PER_GBIT = 1e9 / 8;

export function networkFixture(): InputSeries[] {
  return [
    // ams1-leaf-01 over SNMP.
    up(LEAF, SNMP_JOB, LEAF.address, flat(1)),
    snmp(LEAF, 'sysUpTime', {}, `8640000+3000x${STEPS}`),
    ...ifMib(LEAF, 1, 'Ethernet1', 'to ams1-spine-01', 10_000, 1, { inOctets: 1.5 * BYTES_PER_GBIT, outOctets: 0.5 * BYTES_PER_GBIT, inUcast: 150_000, outUcast: 50_000, inDiscards: 2 }),
    ...ifMib(LEAF, 2, 'Ethernet2', '', 1_000, 2, { inOctets: 0, outOctets: 0, inUcast: 0, outUcast: 0 }),
    snmp(LEAF, 'hrProcessorLoad', { hrDeviceIndex: '196608' }, flat(35)),
    snmp(LEAF, 'hrStorageSize', { hrStorageIndex: '1', hrStorageDescr: 'RAM' }, flat(8_000_000)),
    snmp(LEAF, 'hrStorageUsed', { hrStorageIndex: '1', hrStorageDescr: 'RAM' }, flat(4_000_000)),
    ...entitySensor(LEAF, '100006001', 'Cpu temp sensor', 8, 1, 452, 1),
    ...entitySensor(LEAF, '100711101', 'PowerSupply1 output power', 6, 0, 120, 1),
    ...entitySensor(LEAF, '100721101', 'PowerSupply2 output power', 6, 0, 0, 3),
    up(LEAF, BLACKBOX_JOB, LEAF.address, flat(1), { module: 'icmp' }),
    probe(LEAF, 'icmp', LEAF.address, 'probe_success', {}, flat(1)),
    probe(LEAF, 'icmp', LEAF.address, 'probe_icmp_duration_seconds', { phase: 'rtt' }, flat(0.0012)),
    probe(LEAF, 'icmp', LEAF.address, 'probe_icmp_duration_seconds', { phase: 'setup' }, flat(0.0001)),
    up(LEAF, BLACKBOX_JOB, `${LEAF.address}:22`, flat(1), { module: 'tcp_connect' }),
    probe(LEAF, 'tcp_connect', `${LEAF.address}:22`, 'probe_success', {}, flat(1)),
    probe(LEAF, 'tcp_connect', `${LEAF.address}:22`, 'probe_duration_seconds', {}, flat(0.0021)),

    // ams1-spine-01 over gNMI; gnmic's own per-target series names the target only.
    series('gnmic_target_up', { job: GNMIC_JOB, name: SPINE.taxonomy.device, instance: '10.244.1.5:7890', namespace: 'helios-collection', pod: 'gnmic-0' }, flat(1)),
    series('up', { job: GNMI_TELEMETRY_JOB, instance: '10.244.1.5:9804', namespace: 'helios-collection', pod: 'gnmic-0' }, flat(1)),
    ...openconfigInterface(SPINE, 'Ethernet1', { inOctets: 2 * BYTES_PER_GBIT, outOctets: 2 * BYTES_PER_GBIT, inPkts: 200_000, outPkts: 200_000 }),
    ...openconfigInterface(SPINE, 'Ethernet2', { inOctets: 0.5 * BYTES_PER_GBIT, outOctets: 1 * BYTES_PER_GBIT, inPkts: 50_000, outPkts: 100_000, outDiscards: 5 }),
    gnmi(SPINE, GNMI_METRICS.cpuTotal, 'system', { cpu_index: '0' }, flat(91)),
    gnmi(SPINE, GNMI_METRICS.cpuTotal, 'system', { cpu_index: '1' }, flat(42)),
    gnmi(SPINE, GNMI_METRICS.memoryPhysical, 'system', {}, flat(8_000_000_000)),
    gnmi(SPINE, GNMI_METRICS.memoryUsed, 'system', {}, flat(7_200_000_000)),
    gnmi(SPINE, GNMI_METRICS.temperature, 'platform', { component_name: 'TempSensor1' }, flat(41.5)),
    gnmi(SPINE, GNMI_METRICS.powerSupplyOutputPower, 'platform', { component_name: 'PowerSupply1' }, flat(180)),
    gnmi(SPINE, GNMI_METRICS.powerSupplyOutputPower, 'platform', { component_name: 'PowerSupply2' }, flat(175)),
    ...bgpNeighbor(SPINE, '192.0.2.1', flat(6), flat(120_000), flat(12)),
    // Established until 50 min, idle 50.5-55 min, established 55.5-57.5 min, idle from 58 min.
    ...bgpNeighbor(SPINE, '192.0.2.2', samples((i) => (i <= 100 || (i >= 111 && i <= 115) ? 6 : 1)), samples((i) => (i <= 100 ? 1000 : 0)), samples((i) => (i <= 100 ? 12 : 0))),
    up(SPINE, BLACKBOX_JOB, SPINE.address, flat(1), { module: 'icmp' }),
    probe(SPINE, 'icmp', SPINE.address, 'probe_success', {}, samples((i) => (i % 4 === 3 ? 0 : 1))),
    probe(SPINE, 'icmp', SPINE.address, 'probe_icmp_duration_seconds', { phase: 'rtt' }, flat(0.0008)),

    // fra1-core-01 over SNMP: 98,000 good and 2,000 errored packets a second in.
    up(CORE, SNMP_JOB, CORE.address, flat(1)),
    snmp(CORE, 'sysUpTime', {}, `36000+3000x${STEPS}`),
    ...ifMib(CORE, 1, 'GigabitEthernet0/0/0', 'uplink fra1', 1_000, 1, { inOctets: 0.8 * BYTES_PER_GBIT, outOctets: 0.2 * BYTES_PER_GBIT, inUcast: 98_000, outUcast: 20_000, inErrors: 2_000 }),
    snmp(CORE, 'cpmCPUTotal1minRev', { cpmCPUTotalIndex: '7' }, flat(92)),
    snmp(CORE, 'cpmCPUMemoryUsed', { cpmCPUTotalIndex: '7' }, flat(600_000)),
    snmp(CORE, 'cpmCPUMemoryFree', { cpmCPUTotalIndex: '7' }, flat(400_000)),
    snmp(CORE, 'ciscoEnvMonTemperatureStatusValue', { ciscoEnvMonTemperatureStatusIndex: '1', ciscoEnvMonTemperatureStatusDescr: 'Inlet' }, flat(31)),
    up(CORE, BLACKBOX_JOB, CORE.address, flat(1), { module: 'icmp' }),
    probe(CORE, 'icmp', CORE.address, 'probe_success', {}, flat(1)),
    probe(CORE, 'icmp', CORE.address, 'probe_icmp_duration_seconds', { phase: 'rtt' }, flat(0.0152)),
    up(CORE, BLACKBOX_JOB, 'https://10.30.0.1/', flat(1), { module: 'http_2xx' }),
    probe(CORE, 'http_2xx', 'https://10.30.0.1/', 'probe_success', {}, flat(0)),
    ...[['resolve', 0], ['connect', 0.016], ['tls', 0.03], ['processing', 0], ['transfer', 0]].map(([phase, seconds]) => probe(CORE, 'http_2xx', 'https://10.30.0.1/', 'probe_http_duration_seconds', { phase: String(phase) }, flat(Number(seconds)))),

    // fra1-edge-02: the SNMP walk and the ping fail.
    up(EDGE, SNMP_JOB, EDGE.address, flat(0)),
    up(EDGE, BLACKBOX_JOB, EDGE.address, flat(1), { module: 'icmp' }),
    probe(EDGE, 'icmp', EDGE.address, 'probe_success', {}, flat(0)),

    // An info alert firing throughout, as Prometheus stores it.
    series('ALERTS', { alertname: 'Watchdog', alertstate: 'firing', severity: 'info' }, flat(1)),
  ];
}
