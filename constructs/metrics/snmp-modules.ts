import type { SNMP_MODULES } from '../platform/targets.js';

/**
 * snmp_exporter modules, written in the format its generator emits (`modules:` of
 * snmp.yml), because the generator needs the vendors' MIB files to run. Each module
 * walks only the columns its metrics and lookups read; the OIDs come from the
 * public MIBs named on each group.
 *
 * Targets ask for IF-MIB plus their vendor's module (`module=if_mib,arista_eos`):
 * snmp_exporter walks both and merges the series.
 */

/** How an OID's value becomes a sample or a label (snmp_exporter's metric types). */
export type SnmpValueType = 'gauge' | 'counter' | 'DisplayString';

export interface SnmpIndex {
  readonly labelname: string;
  readonly type: SnmpValueType;
}

/** A label whose value is read from another column at the same index. */
export interface SnmpLookup {
  readonly labels: readonly string[];
  readonly labelname: string;
  readonly oid: string;
  readonly type: SnmpValueType;
}

export interface SnmpMetric {
  readonly name: string;
  readonly oid: string;
  readonly type: SnmpValueType;
  readonly help: string;
  /** @default - a scalar */
  readonly indexes?: readonly SnmpIndex[];
  /** @default - no lookups */
  readonly lookups?: readonly SnmpLookup[];
  /**
   * What the numbers of an enumerated gauge mean (documentation; the sample stays the
   * number). A Map, so the YAML keys are integers, as the exporter requires.
   * @default - not enumerated
   */
  readonly enum_values?: ReadonlyMap<number, string>;
}

export interface SnmpModule {
  /** Subtrees (here: table columns) walked with GETBULK. */
  readonly walk: readonly string[];
  /** Scalars fetched with GET, instance `.0` included. @default - none */
  readonly get?: readonly string[];
  readonly metrics: readonly SnmpMetric[];
}

export type SnmpModuleName = typeof SNMP_MODULES[number];

function column(
  name: string, oid: string, type: SnmpValueType, help: string,
  indexes: readonly SnmpIndex[], lookups: readonly SnmpLookup[] = [], enumValues?: Record<number, string>,
): SnmpMetric {
  return {
    name,
    oid,
    type,
    help: `${help} - ${oid}`,
    indexes,
    ...(lookups.length ? { lookups } : {}),
    ...(enumValues ? { enum_values: new Map(Object.entries(enumValues).map(([code, meaning]) => [Number(code), meaning])) } : {}),
  };
}

function lookup(labelname: string, oid: string, labels: readonly string[], type: SnmpValueType = 'DisplayString'): SnmpLookup {
  return { labels, labelname, oid, type };
}

/** Walked columns: every metric's OID and every lookup's, once, in OID order. */
function walked(metrics: readonly SnmpMetric[], extra: readonly string[] = []): string[] {
  const oids = new Set([...extra, ...metrics.filter((m) => m.indexes?.length).flatMap((m) => [m.oid, ...(m.lookups ?? []).map((l) => l.oid)])]);
  const key = (oid: string) => oid.split('.').map((n) => n.padStart(10, '0')).join('.');
  return [...oids].sort((a, b) => key(a).localeCompare(key(b)));
}

// IF-MIB (RFC 2863) and SNMPv2-MIB (RFC 3418).
const IF_INDEX: readonly SnmpIndex[] = [{ labelname: 'ifIndex', type: 'gauge' }];
const IF_LOOKUPS: readonly SnmpLookup[] = [
  lookup('ifName', '1.3.6.1.2.1.31.1.1.1.1', ['ifIndex']),
  lookup('ifAlias', '1.3.6.1.2.1.31.1.1.1.18', ['ifIndex']),
];
const IF_STATUS: Record<number, string> = { 1: 'up', 2: 'down', 3: 'testing', 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown' };
const ifColumn = (name: string, oid: string, type: SnmpValueType, help: string, enumValues?: Record<number, string>) =>
  column(name, oid, type, help, IF_INDEX, IF_LOOKUPS, enumValues);

const IF_MIB_METRICS: readonly SnmpMetric[] = [
  { name: 'sysUpTime', oid: '1.3.6.1.2.1.1.3', type: 'gauge', help: 'Hundredths of a second since the SNMP agent restarted - 1.3.6.1.2.1.1.3' },
  ifColumn('ifAdminStatus', '1.3.6.1.2.1.2.2.1.7', 'gauge', 'The desired state of the interface', { 1: 'up', 2: 'down', 3: 'testing' }),
  ifColumn('ifOperStatus', '1.3.6.1.2.1.2.2.1.8', 'gauge', 'The current operational state of the interface', IF_STATUS),
  ifColumn('ifInDiscards', '1.3.6.1.2.1.2.2.1.13', 'counter', 'Inbound packets discarded without an error, e.g. for lack of buffer space'),
  ifColumn('ifInErrors', '1.3.6.1.2.1.2.2.1.14', 'counter', 'Inbound packets with errors that were not delivered'),
  ifColumn('ifOutDiscards', '1.3.6.1.2.1.2.2.1.19', 'counter', 'Outbound packets discarded without an error'),
  ifColumn('ifOutErrors', '1.3.6.1.2.1.2.2.1.20', 'counter', 'Outbound packets not transmitted because of errors'),
  ifColumn('ifHCInOctets', '1.3.6.1.2.1.31.1.1.1.6', 'counter', 'Octets received, framing included (64-bit)'),
  ifColumn('ifHCInUcastPkts', '1.3.6.1.2.1.31.1.1.1.7', 'counter', 'Unicast packets received (64-bit)'),
  ifColumn('ifHCInMulticastPkts', '1.3.6.1.2.1.31.1.1.1.8', 'counter', 'Multicast packets received (64-bit)'),
  ifColumn('ifHCInBroadcastPkts', '1.3.6.1.2.1.31.1.1.1.9', 'counter', 'Broadcast packets received (64-bit)'),
  ifColumn('ifHCOutOctets', '1.3.6.1.2.1.31.1.1.1.10', 'counter', 'Octets transmitted, framing included (64-bit)'),
  ifColumn('ifHCOutUcastPkts', '1.3.6.1.2.1.31.1.1.1.11', 'counter', 'Unicast packets transmitted (64-bit)'),
  ifColumn('ifHCOutMulticastPkts', '1.3.6.1.2.1.31.1.1.1.12', 'counter', 'Multicast packets transmitted (64-bit)'),
  ifColumn('ifHCOutBroadcastPkts', '1.3.6.1.2.1.31.1.1.1.13', 'counter', 'Broadcast packets transmitted (64-bit)'),
  ifColumn('ifHighSpeed', '1.3.6.1.2.1.31.1.1.1.15', 'gauge', 'The interface\'s bandwidth in Mbit/s'),
];

// HOST-RESOURCES-MIB (RFC 2790): CPU load per processor and memory per storage area;
// Arista EOS and PAN-OS report their CPUs and RAM here.
const HR_DEVICE: readonly SnmpIndex[] = [{ labelname: 'hrDeviceIndex', type: 'gauge' }];
const HR_STORAGE: readonly SnmpIndex[] = [{ labelname: 'hrStorageIndex', type: 'gauge' }];
const HR_STORAGE_LOOKUPS = [lookup('hrStorageDescr', '1.3.6.1.2.1.25.2.3.1.3', ['hrStorageIndex'])];
const HOST_RESOURCES_METRICS: readonly SnmpMetric[] = [
  column('hrProcessorLoad', '1.3.6.1.2.1.25.3.3.1.2', 'gauge', 'Average percentage of the last minute this processor was busy', HR_DEVICE),
  column('hrStorageAllocationUnits', '1.3.6.1.2.1.25.2.3.1.4', 'gauge', 'Bytes per allocation unit of the storage area', HR_STORAGE, HR_STORAGE_LOOKUPS),
  column('hrStorageSize', '1.3.6.1.2.1.25.2.3.1.5', 'gauge', 'Size of the storage area in allocation units', HR_STORAGE, HR_STORAGE_LOOKUPS),
  column('hrStorageUsed', '1.3.6.1.2.1.25.2.3.1.6', 'gauge', 'Allocation units of the storage area in use', HR_STORAGE, HR_STORAGE_LOOKUPS),
];

// ENTITY-SENSOR-MIB (RFC 3433) with ENTITY-MIB's entPhysicalName: temperature and the
// other sensors. A value in degrees is entPhySensorValue / 10^precision when the type
// is celsius (8) and the scale units (9).
const ENT_PHYSICAL: readonly SnmpIndex[] = [{ labelname: 'entPhysicalIndex', type: 'gauge' }];
const SENSOR_LOOKUPS: readonly SnmpLookup[] = [
  lookup('entPhysicalName', '1.3.6.1.2.1.47.1.1.1.1.7', ['entPhysicalIndex']),
  lookup('entPhySensorType', '1.3.6.1.2.1.99.1.1.1.1', ['entPhysicalIndex'], 'gauge'),
  lookup('entPhySensorScale', '1.3.6.1.2.1.99.1.1.1.2', ['entPhysicalIndex'], 'gauge'),
  lookup('entPhySensorPrecision', '1.3.6.1.2.1.99.1.1.1.3', ['entPhysicalIndex'], 'gauge'),
];
const ENTITY_SENSOR_METRICS: readonly SnmpMetric[] = [
  column('entPhySensorValue', '1.3.6.1.2.1.99.1.1.1.4', 'gauge', 'The sensor\'s reading, in its type, scale and precision', ENT_PHYSICAL, SENSOR_LOOKUPS),
  column('entPhySensorOperStatus', '1.3.6.1.2.1.99.1.1.1.5', 'gauge', 'Whether the sensor works', ENT_PHYSICAL, SENSOR_LOOKUPS, { 1: 'ok', 2: 'unavailable', 3: 'nonoperational' }),
];

// CISCO-PROCESS-MIB (CPU busy and memory of each CPU, memory in KiB) and
// CISCO-ENVMON-MIB (temperatures in degrees Celsius), as IOS-XE implements them.
const CPM_CPU: readonly SnmpIndex[] = [{ labelname: 'cpmCPUTotalIndex', type: 'gauge' }];
const ENVMON_TEMP: readonly SnmpIndex[] = [{ labelname: 'ciscoEnvMonTemperatureStatusIndex', type: 'gauge' }];
const ENVMON_LOOKUPS = [lookup('ciscoEnvMonTemperatureStatusDescr', '1.3.6.1.4.1.9.9.13.1.3.1.2', ['ciscoEnvMonTemperatureStatusIndex'])];
const CISCO_IOSXE_METRICS: readonly SnmpMetric[] = [
  column('cpmCPUTotal1minRev', '1.3.6.1.4.1.9.9.109.1.1.1.1.7', 'gauge', 'Percentage of the last minute the CPU was busy', CPM_CPU),
  column('cpmCPUTotal5minRev', '1.3.6.1.4.1.9.9.109.1.1.1.1.8', 'gauge', 'Percentage of the last five minutes the CPU was busy', CPM_CPU),
  column('cpmCPUMemoryUsed', '1.3.6.1.4.1.9.9.109.1.1.1.1.12', 'gauge', 'Memory of the CPU in use, in KiB', CPM_CPU),
  column('cpmCPUMemoryFree', '1.3.6.1.4.1.9.9.109.1.1.1.1.13', 'gauge', 'Memory of the CPU free, in KiB', CPM_CPU),
  column('ciscoEnvMonTemperatureStatusValue', '1.3.6.1.4.1.9.9.13.1.3.1.3', 'gauge', 'The temperature at the sensor in degrees Celsius', ENVMON_TEMP, ENVMON_LOOKUPS),
  column('ciscoEnvMonTemperatureState', '1.3.6.1.4.1.9.9.13.1.3.1.6', 'gauge', 'The state of the temperature sensor', ENVMON_TEMP, ENVMON_LOOKUPS,
    { 1: 'normal', 2: 'warning', 3: 'critical', 4: 'shutdown', 5: 'notPresent', 6: 'notFunctioning' }),
];

// JUNIPER-MIB jnxOperatingTable: per component (routing engine, FPC, PIC...) its CPU busy
// percentage, memory (buffer) utilization percentage and temperature in degrees Celsius.
const JNX_OPERATING: readonly SnmpIndex[] = ['jnxOperatingContentsIndex', 'jnxOperatingL1Index', 'jnxOperatingL2Index', 'jnxOperatingL3Index']
  .map((labelname) => ({ labelname, type: 'gauge' as const }));
const JNX_LOOKUPS = [lookup('jnxOperatingDescr', '1.3.6.1.4.1.2636.3.1.13.1.5', JNX_OPERATING.map((i) => i.labelname))];
const JUNIPER_JUNOS_METRICS: readonly SnmpMetric[] = [
  column('jnxOperatingTemp', '1.3.6.1.4.1.2636.3.1.13.1.7', 'gauge', 'Temperature of the component in degrees Celsius', JNX_OPERATING, JNX_LOOKUPS),
  column('jnxOperatingCPU', '1.3.6.1.4.1.2636.3.1.13.1.8', 'gauge', 'CPU utilization of the component in percent', JNX_OPERATING, JNX_LOOKUPS),
  column('jnxOperatingBuffer', '1.3.6.1.4.1.2636.3.1.13.1.11', 'gauge', 'Memory (buffer pool) utilization of the component in percent', JNX_OPERATING, JNX_LOOKUPS),
];

// PAN-COMMON-MIB: the session table's fill, besides the host resources and sensors.
const PAN_METRICS: readonly SnmpMetric[] = [
  { name: 'panSessionUtilization', oid: '1.3.6.1.4.1.25461.2.1.2.3.1', type: 'gauge', help: 'Session table utilization in percent - 1.3.6.1.4.1.25461.2.1.2.3.1' },
  { name: 'panSessionActive', oid: '1.3.6.1.4.1.25461.2.1.2.3.3', type: 'gauge', help: 'Active sessions - 1.3.6.1.4.1.25461.2.1.2.3.3' },
];

/** Every module Helios ships, by the names the Target Generator puts in `__param_module`. */
export const SNMP_MODULE_DEFINITIONS: Readonly<Record<SnmpModuleName, SnmpModule>> = {
  if_mib: { walk: walked(IF_MIB_METRICS), get: ['1.3.6.1.2.1.1.3.0'], metrics: IF_MIB_METRICS },
  arista_eos: { walk: walked([...HOST_RESOURCES_METRICS, ...ENTITY_SENSOR_METRICS]), metrics: [...HOST_RESOURCES_METRICS, ...ENTITY_SENSOR_METRICS] },
  cisco_iosxe: { walk: walked(CISCO_IOSXE_METRICS), metrics: CISCO_IOSXE_METRICS },
  juniper_junos: { walk: walked(JUNIPER_JUNOS_METRICS), metrics: JUNIPER_JUNOS_METRICS },
  paloalto_panos: {
    walk: walked([...HOST_RESOURCES_METRICS, ...ENTITY_SENSOR_METRICS]),
    get: ['1.3.6.1.4.1.25461.2.1.2.3.1.0', '1.3.6.1.4.1.25461.2.1.2.3.3.0'],
    metrics: [...HOST_RESOURCES_METRICS, ...ENTITY_SENSOR_METRICS, ...PAN_METRICS],
  },
};
