import { DEVICE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { SNMP_JOB } from '../../constructs/metrics/snmp-exporter.js';
import {
  AlertThreshold, DashboardTag, DashboardUid, Thresholds, Unit, deviceLinks, heliosDashboard, scopeMatchers,
  selector, sharedVariables, stat, stateMappings, stateTimeline, thresholds, timeSeries,
} from '../shared/index.js';

/** ENTITY-SENSOR-MIB's sensor types of a power supply's readings: volts AC and DC, amperes, watts. */
const POWER_SENSOR_TYPES = '3|4|5|6';

/** Is this device itself healthy: CPU, memory, temperature, power, time since restart? */
export function deviceHealth(): DashboardModel {
  const device = scopeMatchers({ device: true });
  return heliosDashboard({
    uid: DashboardUid.DEVICE_HEALTH,
    title: 'Device Health',
    description: 'Is this device itself healthy: CPU, memory, temperature, power, time since restart?',
    tag: DashboardTag.NETWORK,
    variables: sharedVariables({ device: true }),
    panels: [
      timeSeries({
        title: 'CPU',
        description: `The busiest CPU of each device, from gNMI or SNMP (HOST-RESOURCES, Cisco, Juniper); HighCPU fires above ${AlertThreshold.CPU_PERCENT}% for 5 minutes.`,
        unit: Unit.PERCENT,
        width: 12,
        height: 8,
        min: 0,
        max: 100,
        thresholds: Thresholds.cpu(),
        links: deviceLinks('series'),
        queries: [{ expr: `max by (device) (${selector(DEVICE_RECORDS.cpu, device)})`, legend: '{{device}}' }],
      }),
      timeSeries({
        title: 'Memory',
        description: `The share of memory in use; HighMemory fires above ${AlertThreshold.MEMORY_PERCENT}% for 5 minutes.`,
        unit: Unit.PERCENT,
        width: 12,
        height: 8,
        min: 0,
        max: 100,
        thresholds: Thresholds.memory(),
        links: deviceLinks('series'),
        queries: [{ expr: `max by (device) (${selector(DEVICE_RECORDS.memory, device)})`, legend: '{{device}}' }],
      }),
      timeSeries({
        title: 'Temperature',
        description: 'Every temperature sensor of the device, in degrees Celsius (gNMI components, ENTITY-SENSOR, Cisco and Juniper tables).',
        unit: Unit.CELSIUS,
        width: 12,
        height: 8,
        // Common vendor warning levels: most line cards throttle or alarm between 70 and 85 °C.
        thresholds: thresholds({ color: 'green' }, { color: 'orange', from: 70 }, { color: 'red', from: 85 }),
        queries: [{ expr: `max by (device, sensor) (${selector(DEVICE_RECORDS.temperature, device)})`, legend: '{{device}} {{sensor}}' }],
      }),
      stat({
        title: 'Time since restart',
        description: 'How long each device\'s SNMP agent has been running (sysUpTime): a short time means a recent reload.',
        unit: Unit.DURATION,
        width: 12,
        height: 8,
        // Less than a day since a restart is worth knowing about.
        thresholds: thresholds({ color: 'orange' }, { color: 'green', from: 86_400 }),
        links: deviceLinks('series'),
        queries: [{ expr: `max by (device) (${selector('sysUpTime', [`job="${SNMP_JOB}"`, ...device])}) / 100`, legend: '{{device}}', instant: true }],
      }),
      timeSeries({
        title: 'Power supply output',
        description: 'Watts each power supply delivers (OpenConfig power-supply output-power over gNMI); a supply dropping to 0 has failed or lost its feed.',
        unit: Unit.WATTS,
        width: 12,
        height: 8,
        queries: [{ expr: `sum by (device, component_name) (${selector(GNMI_METRICS.powerSupplyOutputPower, device)})`, legend: '{{device}} {{component_name}}' }],
      }),
      stateTimeline({
        title: 'Power and temperature sensors',
        description: 'Whether each SNMP sensor of power (volts, amperes, watts) and temperature works (ENTITY-SENSOR-MIB entPhySensorOperStatus).',
        unit: Unit.STATE,
        width: 12,
        height: 8,
        mappings: stateMappings({ 1: ['ok', 'green'], 2: ['unavailable', 'orange'], 3: ['not operational', 'red'] }),
        queries: [{
          expr: `max by (device, entPhysicalName) (${selector('entPhySensorOperStatus', [`job="${SNMP_JOB}"`, ...device, `entPhySensorType=~"${POWER_SENSOR_TYPES}|8"`])})`,
          legend: '{{device}} {{entPhysicalName}}',
        }],
      }),
    ],
  });
}
