import { Construct } from 'constructs';
import { BLACKBOX_JOB } from './blackbox.js';
import { BGP_SESSION_STATE_CODES, GNMI_METRICS } from './gnmic.js';
import { AlertRules, Severity, type RuleGroup } from './rules.js';
import { SNMP_JOB } from './snmp-exporter.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import { TAXONOMY_LABELS } from '../platform/taxonomy.js';

/**
 * The devices' own health, whichever collector reports it: the same conditions read
 * from gNMI (OpenConfig paths as gnmic names them) and from SNMP (the MIB objects of
 * the snmp_exporter modules). Recording rules put both under one name per measure,
 * so the alerts and dashboards need not know the source.
 *
 * These rules run on every Prometheus shard: a device's SNMP and gNMI series each sit
 * on one shard (SNMP hashed on the device, gNMI on the gnmic pod that holds it), and
 * every rule here reads one source at a time. DeviceUnreachable compares the sources
 * of one device, which may sit on different shards, so it runs on the Thanos Ruler
 * (`deviceGlobalRuleGroups`).
 */
export const DEVICE_RECORDS = {
  cpu: 'device:cpu_utilization:percent',
  memory: 'device:memory_utilization:percent',
  temperature: 'device:temperature:celsius',
  interfaceErrors: 'interface:errors:ratio_rate5m',
} as const;

/** DeviceRestarted fires for this long after the SNMP agent's restart. */
const RESTART_WINDOW_SEC = 15 * 60;
/**
 * Traffic per interface in bits per second, from either collector, under one
 * `interface` label (IF-MIB's ifName, OpenConfig's interface name) and the taxonomy
 * only: what interface panels, the interface variable and the per-site sums read
 * instead of raw counters, which at thousands of devices are slow to rate at query
 * time. An interface both collectors report (on one shard) is counted once.
 */
export const INTERFACE_RECORDS = {
  inBits: 'interface:in_bits:rate5m',
  outBits: 'interface:out_bits:rate5m',
} as const;

/**
 * Traffic per site, summed over every interface of the site's devices: the site
 * dashboards' bandwidth, which at the xl tier would otherwise add up tens of thousands
 * of series per point. On the Thanos Ruler because a site's devices are spread over
 * the Prometheus shards. An interface recorded by two shards (collected over SNMP on
 * one, gNMI on another) has one label set, which Thanos Query merges before the sum.
 */
export const SITE_RECORDS = {
  inBits: 'site:interface_in_bits:rate5m',
  outBits: 'site:interface_out_bits:rate5m',
} as const;

/**
 * The labels the interface traffic recordings keep. `cluster` is the shards' external
 * label, absent where the rule runs and added when Thanos serves the recording; it is
 * kept wherever the input has it, so the recording reads the same over Thanos.
 */
const INTERFACE_TRAFFIC_LABELS = ['cluster', 'interface', ...TAXONOMY_LABELS];

function interfaceBits(snmpOctets: string, gnmiOctets: string): string {
  const named = (expr: string, from: string) => `label_replace(${expr}, "interface", "$1", "${from}", "(.+)")`;
  return `8 * max by (${INTERFACE_TRAFFIC_LABELS.join(', ')}) (
  ${named(`rate(${snmpOctets}{job="${SNMP_JOB}"}[5m])`, 'ifName')}
or
  ${named(`rate(${gnmiOctets}[5m])`, 'interface_name')}
)`;
}

/**
 * Temperatures in degrees Celsius, each sensor named in `sensor`: OpenConfig's
 * component temperature, ENTITY-SENSOR-MIB sensors of type celsius (8) in units (9)
 * scaled by their precision (a label, hence one branch per precision in use), the
 * Cisco and Juniper tables (Juniper reports 0 for components without a sensor).
 */
function temperatures(): string {
  const sensor = (expr: string, from: string) => `label_replace(${expr}, "sensor", "$1", "${from}", "(.+)")`;
  const entity = (precision: number) => {
    const value = `entPhySensorValue{job="${SNMP_JOB}", entPhySensorType="8", entPhySensorScale="9", entPhySensorPrecision="${precision}"}`;
    return sensor(precision === 0 ? value : `${value} / ${10 ** precision}`, 'entPhysicalName');
  };
  return [
    sensor(GNMI_METRICS.temperature, 'component_name'),
    entity(0),
    entity(1),
    entity(2),
    sensor(`ciscoEnvMonTemperatureStatusValue{job="${SNMP_JOB}"}`, 'ciscoEnvMonTemperatureStatusDescr'),
    sensor(`jnxOperatingTemp{job="${SNMP_JOB}"} > 0`, 'jnxOperatingDescr'),
  ].join('\nor\n');
}

/** The hrStorage areas that are a device's RAM (EOS, PAN-OS and other net-snmp agents name them so). */
const RAM_STORAGE = 'RAM|Physical memory|Real Memory';

function direction(expr: string, value: 'in' | 'out'): string {
  return `label_replace(${expr}, "direction", "${value}", "", "")`;
}

/** Errored packets per packet handled, per interface and direction, over 5 minutes. */
function errorRatios(): string {
  const snmp = (dir: 'In' | 'Out') => `rate(if${dir}Errors{job="${SNMP_JOB}"}[5m]) / (`
    + ['Ucast', 'Multicast', 'Broadcast'].map((k) => `rate(ifHC${dir}${k}Pkts{job="${SNMP_JOB}"}[5m])`).join(' + ')
    + ` + rate(if${dir}Errors{job="${SNMP_JOB}"}[5m]))`;
  // OpenConfig's in-pkts/out-pkts count errored packets too.
  const gnmi = (errors: string, pkts: string) => `rate(${errors}[5m]) / rate(${pkts}[5m])`;
  return [
    direction(snmp('In'), 'in'),
    direction(snmp('Out'), 'out'),
    direction(gnmi(GNMI_METRICS.inErrors, GNMI_METRICS.inPkts), 'in'),
    direction(gnmi(GNMI_METRICS.outErrors, GNMI_METRICS.outPkts), 'out'),
  ].join('\nor\n');
}

export function deviceRuleGroups(): RuleGroup[] {
  const established = BGP_SESSION_STATE_CODES.ESTABLISHED;
  return [
    {
      name: 'device-resources',
      records: [
        {
          record: DEVICE_RECORDS.cpu,
          expr: [
            GNMI_METRICS.cpuTotal,
            `hrProcessorLoad{job="${SNMP_JOB}"}`,
            `cpmCPUTotal1minRev{job="${SNMP_JOB}"}`,
            // Components without a CPU (fans, PICs) report 0.
            `jnxOperatingCPU{job="${SNMP_JOB}"} > 0`,
          ].join('\nor\n'),
        },
        {
          record: DEVICE_RECORDS.memory,
          expr: [
            `100 * ${GNMI_METRICS.memoryUsed} / ${GNMI_METRICS.memoryPhysical}`,
            `100 * hrStorageUsed{job="${SNMP_JOB}", hrStorageDescr=~"${RAM_STORAGE}"} / hrStorageSize`,
            `100 * cpmCPUMemoryUsed{job="${SNMP_JOB}"} / (cpmCPUMemoryUsed + cpmCPUMemoryFree)`,
            `jnxOperatingBuffer{job="${SNMP_JOB}"} > 0`,
          ].join('\nor\n'),
        },
        { record: DEVICE_RECORDS.temperature, expr: temperatures() },
      ],
      alerts: [
        {
          alert: 'HighCPU',
          dashboard: 'helios-device-health',
          expr: `${DEVICE_RECORDS.cpu} > 80`,
          forDuration: '5m',
          severity: Severity.WARNING,
          summary: '{{ $labels.device }}: CPU at {{ $value | printf "%.0f" }}%',
          description: 'A CPU of {{ $labels.device }} has been busier than 80% for 5 minutes. A control plane that stays this'
            + ' busy answers routing protocols and management late; look for a routing churn, a flood of punted traffic or'
            + ' a runaway process on the device.',
        },
        {
          alert: 'HighMemory',
          dashboard: 'helios-device-health',
          expr: `${DEVICE_RECORDS.memory} > 85`,
          forDuration: '5m',
          severity: Severity.WARNING,
          summary: '{{ $labels.device }}: memory at {{ $value | printf "%.0f" }}%',
          description: 'More than 85% of the memory of {{ $labels.device }} has been in use for 5 minutes. Processes may be'
            + ' killed or the device may reload when it runs out; check for a leak (memory rising since the last reload)'
            + ' or a routing table that outgrew the platform.',
        },
      ],
    },
    {
      name: 'device-interfaces',
      records: [
        { record: DEVICE_RECORDS.interfaceErrors, expr: errorRatios() },
        { record: INTERFACE_RECORDS.inBits, expr: interfaceBits('ifHCInOctets', GNMI_METRICS.inOctets) },
        { record: INTERFACE_RECORDS.outBits, expr: interfaceBits('ifHCOutOctets', GNMI_METRICS.outOctets) },
      ],
      alerts: [{
        alert: 'InterfaceErrorRate',
        dashboard: 'helios-interface-analytics',
        expr: `${DEVICE_RECORDS.interfaceErrors} > 0.01`,
        forDuration: '5m',
        severity: Severity.WARNING,
        summary: '{{ $labels.device }}: {{ $value | humanizePercentage }} of {{ $labels.direction }}bound packets on'
          + ' {{ with $labels.ifName }}{{ . }}{{ else }}{{ $labels.interface_name }}{{ end }} are errored',
        description: 'More than 1% of the packets an interface of {{ $labels.device }} handled in one direction were errored'
          + ' for 5 minutes. Inbound errors point at the cable, optic or the far end (CRC, symbol errors); outbound at'
          + ' the local port. Compare with the far end\'s counters and the optic levels.',
      }],
    },
    {
      name: 'device-bgp',
      alerts: [
        {
          alert: 'BGPSessionDown',
          dashboard: 'helios-bgp-status',
          expr: `${GNMI_METRICS.bgpSessionState} != ${established}`,
          forDuration: '1m',
          severity: Severity.CRITICAL,
          summary: '{{ $labels.device }}: BGP session to {{ $labels.neighbor_neighbor_address }} is not established',
          description: 'The BGP session of {{ $labels.device }} to {{ $labels.neighbor_neighbor_address }} (network instance'
            + ' {{ $labels.network_instance_name }}) has not been established for a minute (state {{ $value }}; 6 is'
            + ' established, 1 idle, 3 active). Routes through this neighbor are withdrawn. Check the link, the neighbor and'
            + ' the session\'s last error on the device.',
        },
        {
          alert: 'BGPSessionFlapping',
          dashboard: 'helios-bgp-status',
          expr: `changes(${GNMI_METRICS.bgpSessionState}[15m]) > 2`,
          severity: Severity.WARNING,
          summary: '{{ $labels.device }}: BGP session to {{ $labels.neighbor_neighbor_address }} changed state {{ $value }} times in 15 minutes',
          description: 'The BGP session of {{ $labels.device }} to {{ $labels.neighbor_neighbor_address }} keeps changing state.'
            + ' Each change withdraws and re-advertises its routes; look for a flapping link, hold-timer expiries or a'
            + ' prefix limit on either side.',
        },
      ],
    },
    {
      // Low priority on their own (info, by email): the warnings and critical alerts say whether a change hurts.
      name: 'device-changes',
      alerts: [
        {
          alert: 'DeviceRestarted',
          expr: `sysUpTime{job="${SNMP_JOB}"} / 100 < ${RESTART_WINDOW_SEC}`,
          severity: Severity.INFO,
          dashboard: 'helios-device-health',
          summary: '{{ $labels.device }} restarted {{ $value | humanizeDuration }} ago',
          description: 'The SNMP agent of {{ $labels.device }} has been up for less than 15 minutes: the device reloaded'
            + ' (a crash, a power cut, someone\'s reload) or only its agent restarted. Check the device\'s reload reason'
            + ' (show version, the logs). sysUpTime also wraps to zero after 497 days of uptime, which shows here as a restart.',
        },
        {
          alert: 'InterfaceFlapping',
          expr: [
            `changes(ifOperStatus{job="${SNMP_JOB}"}[15m]) > 2`,
            `changes(${GNMI_METRICS.operStatus}[15m]) > 2`,
          ].join('\nor\n'),
          severity: Severity.INFO,
          dashboard: 'helios-interface-analytics',
          summary: '{{ $labels.device }}: {{ with $labels.ifName }}{{ . }}{{ else }}{{ $labels.interface_name }}{{ end }}'
            + ' changed its operational state {{ $value }} times in 15 minutes',
          description: 'An interface of {{ $labels.device }} keeps going up and down: a bad cable or optic, a far end that'
            + ' reloads, or an unstable carrier circuit. Protocols over it (BGP, LACP) and the error rate tell whether it'
            + ' hurts traffic. SNMP sees only the states at each walk, so flaps between walks are missed; gNMI streams every change.',
        },
      ],
    },
  ];
}

/**
 * Rules over the whole cluster's data, for the Thanos Ruler: the traffic per site
 * (SITE_RECORDS), and DeviceUnreachable: a device is unreachable
 * when none of the collectors that should reach it does: no gNMI connection (gnmic's
 * per-target `gnmic_target_up`, mapped to its device), no SNMP walk (`up` of the snmp
 * job) and no ICMP answer. A device monitored by one collector only is judged by it.
 */
/** The alert that says a device is down: it mutes that device's other alerts (alertmanager.ts). */
export const DEVICE_UNREACHABLE_ALERT = 'DeviceUnreachable';

export function deviceGlobalRuleGroups(): RuleGroup[] {
  const gnmi = 'label_replace(gnmic_target_up, "target", "$1", "name", "(.+)")'
    + ' * on (target) group_left (device) gnmi_target:taxonomy:info';
  const perSite = (record: string) => `sum by (cluster, region, site) (${record})`;
  return [{
    name: 'site-traffic',
    records: [
      { record: SITE_RECORDS.inBits, expr: perSite(INTERFACE_RECORDS.inBits) },
      { record: SITE_RECORDS.outBits, expr: perSite(INTERFACE_RECORDS.outBits) },
    ],
  }, {
    name: 'device-reachability',
    alerts: [{
      alert: DEVICE_UNREACHABLE_ALERT,
      dashboard: 'helios-network-overview',
      expr: `max by (device) (\n  ${gnmi}\nor\n  up{job="${SNMP_JOB}"}\nor\n  probe_success{job="${BLACKBOX_JOB}", module="icmp"}\n) == 0`,
      forDuration: '2m',
      severity: Severity.CRITICAL,
      summary: 'Device {{ $labels.device }} is unreachable',
      description: 'For 2 minutes no collector has reached {{ $labels.device }}: no gNMI connection, no SNMP answer and no'
        + ' ping reply, for each of them that monitors the device. The device is down, isolated, or its management network'
        + ' is cut off from helios-collection. Check its power and uplinks, then the management path.',
    }],
  }];
}

export interface DeviceAlertsProps {
  readonly platform: PlatformBase;
}

/** The device alerts and recordings every Prometheus shard evaluates, as one PrometheusRule. */
export class DeviceAlerts extends Construct {
  public readonly alerts: AlertRules;
  /** For the Thanos Ruler: the rules that need every shard's data. */
  public readonly globalGroups: readonly RuleGroup[] = deviceGlobalRuleGroups();

  public constructor(scope: Construct, id: string, props: DeviceAlertsProps) {
    super(scope, id);
    const owner: ComponentIdentity = { name: 'device-alerts', component: 'collector' };
    this.alerts = new AlertRules(this, 'alerts', { platform: props.platform, owner, namespace: HeliosNamespace.COLLECTION, groups: deviceRuleGroups() });
  }
}
