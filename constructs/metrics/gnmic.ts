import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { AlertRules, Severity, type RuleGroup } from './rules.js';
import { PodMonitor, PodMonitorSpecPodMetricsEndpointsRelabelingsAction as Action } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import { ScalableKind, type ComponentIdentity, type PlatformBase, type SecretReference } from '../platform/platform-base.js';
import { spreadOverNodes } from '../platform/scheduling.js';
import { httpProbe, secureContainer, securePodSecurityContext, type ResourceSizing } from '../platform/security.js';
import {
  GNMIC_CLUSTER_NAME, TARGET_SET_LABEL, TARGETS_MOUNT_PATH, TargetSet, targetConfigMapName, targetFileName, targetFilesGlob,
  targetFilesVolume, type GnmiSubscription,
} from '../platform/targets.js';

/** gnmic's REST API: cluster membership, target assignment, health and its own metrics. */
export const GNMIC_API_PORT = 7890;
/** gnmic's Prometheus output: the telemetry of the targets this pod holds. */
export const GNMIC_TELEMETRY_PORT = 9804;
/**
 * The gNMI ports devices listen on that the collectors may reach: 6030 is Arista
 * EOS's default, 57400 the one gnmic, Nokia and most IOS XR/Junos setups use.
 */
export const GNMI_DEVICE_PORTS = [6030, 57400] as const;
/**
 * How often devices send each sampled path, and how often Prometheus scrapes what
 * gnmic holds of them. A change on a device reaches Prometheus (and Thanos Query,
 * which reads the shard's head through its sidecar) at the latest one sample plus one
 * scrape later: 10 s + 15 s = 25 s, within spec SC-002's 30 s.
 */
export const GNMI_SAMPLE_INTERVAL_SEC = 10;
export const GNMI_TELEMETRY_SCRAPE_INTERVAL_SEC = 15;
/**
 * How long gnmic waits before it subscribes again to a device whose connection or
 * stream failed (gnmic's `retry`, every target's `retry-timer`). Beneath it, gRPC
 * redials the device with its own exponential backoff (1 s, x1.6, up to 120 s), which
 * gnmic 0.45 does not expose; a subscription succeeds on the first retry after a redial.
 */
export const GNMI_RETRY_SEC = 5;

/**
 * The paths of each subscription. Every list is walked with an explicit `[key=*]`
 * wildcard: devices (EOS, IOS XR, Junos, SR Linux) treat it like an omitted key, and
 * the gnxi gnmi_target the tests run accepts only this form. Paths end at the
 * leaves or small containers Helios uses, so devices send no configuration.
 */
export const GNMI_SUBSCRIPTION_PATHS: Readonly<Record<GnmiSubscription, readonly string[]>> = {
  interfaces: [
    '/interfaces/interface[name=*]/state/counters',
    '/interfaces/interface[name=*]/state/oper-status',
    '/interfaces/interface[name=*]/state/admin-status',
  ],
  system: [
    '/system/cpus/cpu[index=*]/state/total/instant',
    '/system/memory/state/physical',
    '/system/memory/state/used',
  ],
  platform: [
    '/components/component[name=*]/state/temperature/instant',
    '/components/component[name=*]/power-supply/state',
  ],
  bgp: [
    '/network-instances/network-instance[name=*]/protocols/protocol[identifier=BGP][name=*]/bgp/neighbors/neighbor[neighbor-address=*]/state/session-state',
    '/network-instances/network-instance[name=*]/protocols/protocol[identifier=BGP][name=*]/bgp/neighbors/neighbor[neighbor-address=*]/afi-safis/afi-safi[afi-safi-name=*]/state/prefixes',
  ],
};

/**
 * OpenConfig interface states as numbers: Prometheus keeps numbers only, and these
 * are IF-MIB's ifOperStatus/ifAdminStatus codes, so a gNMI and an SNMP interface
 * read alike (1 up, 2 down, ...).
 */
export const INTERFACE_STATUS_CODES: Readonly<Record<string, number>> = {
  UP: 1, DOWN: 2, TESTING: 3, UNKNOWN: 4, DORMANT: 5, NOT_PRESENT: 6, LOWER_LAYER_DOWN: 7,
};
/** OpenConfig BGP session states as BGP4-MIB's bgpPeerState codes (6 is established). */
export const BGP_SESSION_STATE_CODES: Readonly<Record<string, number>> = {
  IDLE: 1, CONNECT: 2, ACTIVE: 3, OPENSENT: 4, OPENCONFIRM: 5, ESTABLISHED: 6,
};

/** The Prometheus metric names gnmic's output gives the paths above (no prefix, no subscription name). */
export const GNMI_METRICS = {
  inOctets: 'interfaces_interface_state_counters_in_octets',
  outOctets: 'interfaces_interface_state_counters_out_octets',
  inPkts: 'interfaces_interface_state_counters_in_pkts',
  outPkts: 'interfaces_interface_state_counters_out_pkts',
  inErrors: 'interfaces_interface_state_counters_in_errors',
  outErrors: 'interfaces_interface_state_counters_out_errors',
  inDiscards: 'interfaces_interface_state_counters_in_discards',
  outDiscards: 'interfaces_interface_state_counters_out_discards',
  operStatus: 'interfaces_interface_state_oper_status',
  adminStatus: 'interfaces_interface_state_admin_status',
  cpuTotal: 'system_cpus_cpu_state_total_instant',
  memoryPhysical: 'system_memory_state_physical',
  memoryUsed: 'system_memory_state_used',
  temperature: 'components_component_state_temperature_instant',
  powerSupplyOutputPower: 'components_component_power_supply_state_output_power',
  bgpSessionState: 'network_instances_network_instance_protocols_protocol_bgp_neighbors_neighbor_state_session_state',
  bgpPrefixesReceived: 'network_instances_network_instance_protocols_protocol_bgp_neighbors_neighbor_afi_safis_afi_safi_state_prefixes_received',
  bgpPrefixesSent: 'network_instances_network_instance_protocols_protocol_bgp_neighbors_neighbor_afi_safis_afi_safi_state_prefixes_sent',
} as const;

/** The `job` labels of gnmic's two scrape endpoints. */
export const GNMI_TELEMETRY_JOB = 'gnmi';
export const GNMIC_JOB = 'gnmic';

const OWNER: ComponentIdentity = { name: 'gnmic', component: 'collector' };
const NS = HeliosNamespace.COLLECTION;
/** The Service whose Endpoints gnmic's k8s locker watches for cluster members: `<cluster-name>-gnmic-api`. */
export const GNMIC_API_SERVICE = `${GNMIC_CLUSTER_NAME}-gnmic-api`;
const CONFIG_DIR = '/etc/gnmic';
const MERGED_DIR = '/run/helios';
/** The one file gnmic's file loader reads: every mounted shard, concatenated. */
export const GNMIC_MERGED_TARGETS = `${MERGED_DIR}/gnmic-targets.yaml`;
const MERGE_HEARTBEAT = `${MERGED_DIR}/merge.heartbeat`;
const MERGE_INTERVAL_SEC = 5;
const LOADER_INTERVAL_SEC = 10;

/**
 * Concatenates the target shards into the loader's single file. Each shard holds one
 * `"name": {...}` line per target (the Target Generator's format), so the lines of all
 * shards form one YAML map; document markers and the `{}` of an empty shard are
 * dropped. awk ends every line with a newline, so a shard without a final newline
 * cannot glue two targets together. The file is replaced only when it changes, and
 * by rename, so gnmic never reads half of it.
 */
export function targetMergeScript(
  targetsDir: string = TARGETS_MOUNT_PATH,
  merged: string = GNMIC_MERGED_TARGETS,
  heartbeat: string = MERGE_HEARTBEAT,
): string {
  const glob = targetFilesGlob(TargetSet.GNMIC).replace(TARGETS_MOUNT_PATH, targetsDir);
  return [
    'set -eu',
    'while true; do',
    `  set -- ${glob}`,
    '  if [ -e "$1" ]; then awk \'!/^[[:space:]]*(---|\\{\\})[[:space:]]*$/\' "$@" > "$MERGED.tmp"; else : > "$MERGED.tmp"; fi',
    '  if cmp -s "$MERGED.tmp" "$MERGED"; then rm -f "$MERGED.tmp"; else mv -f "$MERGED.tmp" "$MERGED"; fi',
    `  touch "${heartbeat}"`,
    `  sleep ${MERGE_INTERVAL_SEC}`,
    'done',
  ].join('\n').replace(/\$MERGED/g, merged);
}

export interface GnmicConfigOptions {
  /** The file the loader reads. @default GNMIC_MERGED_TARGETS */
  readonly targetsFile?: string;
  /** @default true */
  readonly clustering?: boolean;
}

/**
 * gnmic's configuration (gnmic.yaml). Device credentials are not in it: gnmic reads
 * GNMIC_USERNAME and GNMIC_PASSWORD from its environment, filled from a Secret.
 */
export function gnmicConfig(options: GnmicConfigOptions = {}): Record<string, unknown> {
  const stateCodes = (codes: Readonly<Record<string, number>>) => Object.entries(codes)
    .map(([state, code]) => ({ replace: { 'apply-on': 'value', 'old': `^${state}$`, 'new': String(code) } }));
  return {
    'api-server': { 'address': `:${GNMIC_API_PORT}`, 'enable-metrics': true, 'healthz-disable-logging': true },
    // Device certificates are mostly self-signed: TLS without verification unless a target sets its own CA.
    'skip-verify': true,
    'encoding': 'json_ietf',
    'log': true,
    'retry': `${GNMI_RETRY_SEC}s`,
    ...(options.clustering ?? true ? {
      clustering: {
        'cluster-name': GNMIC_CLUSTER_NAME,
        // The locker names members after the pods behind the API Service's Endpoints.
        'instance-name': '${POD_NAME}',
        'targets-watch-timer': '20s',
        'leader-wait-timer': '10s',
        'locker': { 'type': 'k8s', 'namespace': NS, 'lease-duration': '10s' },
      },
    } : {}),
    'loader': {
      'type': 'file',
      'path': options.targetsFile ?? GNMIC_MERGED_TARGETS,
      'interval': `${LOADER_INTERVAL_SEC}s`,
      'enable-metrics': true,
    },
    'subscriptions': Object.fromEntries(Object.entries(GNMI_SUBSCRIPTION_PATHS).map(([name, paths]) => [name, {
      'paths': [...paths],
      'mode': 'stream',
      'stream-mode': 'sample',
      'sample-interval': `${GNMI_SAMPLE_INTERVAL_SEC}s`,
    }])),
    'outputs': {
      prometheus: {
        'type': 'prometheus',
        'listen': `:${GNMIC_TELEMETRY_PORT}`,
        'path': '/metrics',
        // Four missed samples and a series is gone, so a lost target stops looking healthy.
        'expiration': `${4 * GNMI_SAMPLE_INTERVAL_SEC}s`,
        'event-processors': ['interface-status-codes', 'bgp-session-state-codes'],
      },
    },
    'processors': {
      'interface-status-codes': {
        'event-strings': { 'value-names': ['/state/(oper|admin)-status$'], 'transforms': stateCodes(INTERFACE_STATUS_CODES) },
      },
      'bgp-session-state-codes': {
        'event-strings': { 'value-names': ['/state/session-state$'], 'transforms': stateCodes(BGP_SESSION_STATE_CODES) },
      },
    },
  };
}

/** A target file with no targets: what the example ConfigMap holds until the Target Generator writes its own. */
export function exampleTargetFile(): string {
  return [
    '# Written by the Target Generator from NetBox; until it runs, add targets here,',
    '# one per line, the name a valid Lease name (lowercase, digits, "-", "."):',
    '# "ams1-leaf-01": {"address": "10.20.0.11:6030", "subscriptions": ["interfaces", "system"], "event-tags": {"device": "ams1-leaf-01", "site": "ams1", "region": "eu", "vendor": "arista", "platform": "eos", "role": "leaf", "tier": "gold"}}',
    '{}',
    '',
  ].join('\n');
}

/** Device credentials in the secret store; one pair for every target. */
export interface GnmiCredentials {
  /** @default { key: "helios/gnmi", property: "username" } */
  readonly username?: SecretReference;
  /** @default { key: "helios/gnmi", property: "password" } */
  readonly password?: SecretReference;
}

export interface GnmicProps {
  readonly platform: PlatformBase;
  /** HPA bounds: the collector scales on CPU between them. */
  readonly replicasMin: number;
  readonly replicasMax: number;
  readonly resources: ResourceSizing;
  /** The networks the devices' gNMI servers are in. */
  readonly managementNetworks: readonly string[];
  /** @default - the helios/gnmi key of the secret store */
  readonly credentials?: GnmiCredentials;
  /**
   * Write `helios-targets-gnmic-0` with an empty target list, for clusters without
   * the Target Generator (which otherwise owns that ConfigMap).
   * @default false
   */
  readonly exampleTargets?: boolean;
}

/**
 * gnmic, the gNMI collector: a StatefulSet whose pods form one gnmic cluster. The
 * leader (elected through a Lease) loads the target file and hands each target to
 * the member with the fewest; each member takes a Lease per target it streams, so a
 * target is collected once, and a dead member's targets move when its Leases expire.
 * Members are the pods behind the `helios-gnmic-api` Service, whose only port is the
 * API (the locker takes the first port of its Endpoints). Each pod serves the
 * telemetry of its own targets, so Prometheus scrapes every pod (a PodMonitor) rather
 * than a Service; pull rather than gnmic's remote write keeps Prometheus's sharding,
 * replicas and `up`, and gnmic's writer drops samples when Prometheus restarts.
 */
export class Gnmic extends Construct {
  public readonly workload: WorkloadRef;
  /** The rendered gnmic.yaml. */
  public readonly config: string;
  public readonly alerts: AlertRules;

  public constructor(scope: Construct, id: string, props: GnmicProps) {
    super(scope, id);
    const { platform } = props;
    if (!Number.isInteger(props.replicasMin) || props.replicasMin < 1 || props.replicasMax < props.replicasMin) {
      throw new Error(`gnmic: replicasMin ${props.replicasMin} and replicasMax ${props.replicasMax} must be whole numbers with 1 <= replicasMin <= replicasMax`);
    }
    const selector = platform.selectorFor(OWNER);
    this.workload = { ...OWNER, namespace: NS, podSelector: selector };
    this.config = stringify(gnmicConfig(), { lineWidth: 0 });

    const credentials = {
      username: props.credentials?.username ?? { key: 'helios/gnmi', property: 'username' },
      password: props.credentials?.password ?? { key: 'helios/gnmi', property: 'password' },
    };
    const secretName = 'gnmic-device-credentials';
    platform.addExternalSecret(this, 'credentials', {
      namespace: NS, secretName, owner: OWNER, data: { username: credentials.username, password: credentials.password },
    });
    new k8s.KubeConfigMap(this, 'config', {
      metadata: platform.metadataFor(OWNER, NS, 'gnmic-config'),
      data: { 'gnmic.yaml': this.config },
    });
    if (props.exampleTargets) {
      new k8s.KubeConfigMap(this, 'example-targets', {
        metadata: {
          ...platform.metadataFor(OWNER, NS, targetConfigMapName(TargetSet.GNMIC, 0)),
          labels: { ...platform.labelsFor(OWNER), [TARGET_SET_LABEL]: TargetSet.GNMIC },
        },
        data: { [targetFileName(TargetSet.GNMIC, 0)]: exampleTargetFile() },
      });
    }
    this.addRbac(platform);

    new k8s.KubeService(this, 'api-service', {
      metadata: platform.metadataFor(OWNER, NS, GNMIC_API_SERVICE),
      spec: {
        clusterIp: 'None',
        selector,
        // One port only: gnmic takes the first port of the Endpoints as every member's API.
        ports: [{ name: 'api', port: GNMIC_API_PORT, targetPort: k8s.IntOrString.fromString('api') }],
      },
    });

    const targets = targetFilesVolume('targets', [TargetSet.GNMIC]);
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        serviceName: GNMIC_API_SERVICE,
        // No replicas: the HPA owns the count, and applying a fixed one would undo its scaling.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: platform.labelsFor(OWNER),
            annotations: { 'helios.io/config-sha256': createHash('sha256').update(this.config).digest('hex') },
          },
          spec: {
            serviceAccountName: OWNER.name,
            securityContext: securePodSecurityContext(),
            affinity: spreadOverNodes(selector),
            // Leases of a stopped pod are released at once instead of expiring.
            terminationGracePeriodSeconds: 30,
            containers: [
              secureContainer({
                name: 'gnmic',
                image: platform.image('gnmic'),
                args: ['--config', `${CONFIG_DIR}/gnmic.yaml`, 'subscribe'],
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'GNMIC_USERNAME', valueFrom: { secretKeyRef: { name: secretName, key: 'username' } } },
                  { name: 'GNMIC_PASSWORD', valueFrom: { secretKeyRef: { name: secretName, key: 'password' } } },
                ],
                ports: [
                  { name: 'api', containerPort: GNMIC_API_PORT },
                  { name: 'telemetry', containerPort: GNMIC_TELEMETRY_PORT },
                ],
                resources: props.resources,
                readinessProbe: httpProbe('/api/v1/healthz', 'api'),
                livenessProbe: httpProbe('/api/v1/healthz', 'api', { initialDelaySeconds: 30 }),
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'merged-targets', mountPath: MERGED_DIR, readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              }),
              secureContainer({
                name: 'merge-targets',
                // gnmic's image is Alpine-based: its BusyBox shell runs the merge loop.
                image: platform.image('gnmic'),
                command: ['/bin/sh', '-c', targetMergeScript()],
                resources: { cpuRequestMilli: 5, cpuLimitMilli: 50, memoryRequestMiB: 8, memoryLimitMiB: 32 },
                readinessProbe: { exec: { command: ['test', '-f', GNMIC_MERGED_TARGETS] }, periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 2, timeoutSeconds: 5 },
                // The loop touches its heartbeat every few seconds; a stale one means it hangs.
                livenessProbe: {
                  exec: { command: ['/bin/sh', '-c', `[ -n "$(find ${MERGE_HEARTBEAT} -mmin -2)" ]`] },
                  periodSeconds: 30,
                  failureThreshold: 3,
                  initialDelaySeconds: 30,
                  timeoutSeconds: 5,
                },
                volumeMounts: [
                  { name: 'targets', mountPath: TARGETS_MOUNT_PATH, readOnly: true },
                  { name: 'merged-targets', mountPath: MERGED_DIR },
                ],
              }),
            ],
            volumes: [
              { name: 'config', configMap: { name: 'gnmic-config' } },
              targets,
              { name: 'merged-targets', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ],
          },
        },
      },
    });

    platform.addHorizontalPodAutoscaler(this, this.workload, {
      kind: ScalableKind.STATEFUL_SET,
      replicasMin: props.replicasMin,
      replicasMax: props.replicasMax,
      // Every scale-in moves the leaving pod's targets: scale in slowly, one pod at a time.
      scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] },
    });
    platform.addPodDisruptionBudget(this, this.workload, props.replicasMin);

    platform.network.allow({
      description: 'gnmic subscribes to devices over gNMI',
      from: FlowPeer.workload(this.workload),
      to: FlowPeer.networks('management', props.managementNetworks),
      ports: GNMI_DEVICE_PORTS.map((port) => ({ port })),
    });
    platform.network.allow({
      description: 'gnmic cluster members assign targets through each other\'s API',
      from: FlowPeer.workload(this.workload),
      to: FlowPeer.workload(this.workload),
      ports: [{ port: GNMIC_API_PORT }],
    });
    platform.allowKubernetesApi(this.workload, 'gnmic takes target and leader Leases and watches its members');
    platform.allowScrape(this.workload, GNMIC_TELEMETRY_PORT);
    platform.allowScrape(this.workload, GNMIC_API_PORT);

    new PodMonitor(this, 'podmonitor', {
      metadata: platform.metadataFor(OWNER, NS),
      spec: {
        selector: { matchLabels: { ...selector } },
        podMetricsEndpoints: [
          { port: 'telemetry', path: '/metrics', interval: `${GNMI_TELEMETRY_SCRAPE_INTERVAL_SEC}s`, relabelings: [{ targetLabel: 'job', replacement: GNMI_TELEMETRY_JOB, action: Action.REPLACE }] },
          { port: 'api', path: '/metrics', interval: '30s', relabelings: [{ targetLabel: 'job', replacement: GNMIC_JOB, action: Action.REPLACE }] },
        ],
      },
    });
    this.alerts = new AlertRules(this, 'alerts', { platform, owner: OWNER, namespace: NS, groups: gnmicRuleGroups() });
  }

  /** Its ServiceAccount may hold Leases and watch its own members' Endpoints, in its namespace only. */
  private addRbac(platform: PlatformBase): void {
    const metadata = platform.metadataFor(OWNER, NS);
    new k8s.KubeServiceAccount(this, 'service-account', { metadata });
    new k8s.KubeRole(this, 'role', {
      metadata,
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
        // gnmic watches with a metadata.name field selector, which the API server authorizes as a named request.
        { apiGroups: [''], resources: ['endpoints'], resourceNames: [GNMIC_API_SERVICE], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OWNER.name },
      subjects: [{ kind: 'ServiceAccount', name: OWNER.name, namespace: NS }],
    });
  }
}

/**
 * The gnmic collector's rules: which device each target is (so target-level signals
 * carry the taxonomy) and the alert on targets it cannot stream from.
 */
export function gnmicRuleGroups(): RuleGroup[] {
  const target = (metric: string, from: string) => `label_replace(${metric}, "target", "$1", "${from}", "(.+)")`;
  // `cluster` is the shards' external label: absent where this runs, kept wherever the
  // input has it, so the map reads the same when evaluated over Thanos.
  const fresh = `group by (cluster, target, device, site, region, vendor, platform, role, tier) (${target(GNMI_METRICS.adminStatus, 'source')})`;
  return [{
    name: 'gnmi-targets',
    records: [{
      // Telemetry names its target in `source` and carries the taxonomy; gnmic's own
      // target metrics name the target only. This map remembers each target's device
      // while the target is down (telemetry stops, the map re-records itself) and
      // forgets targets gnmic no longer has.
      record: 'gnmi_target:taxonomy:info',
      expr: `${fresh} or (last_over_time(gnmi_target:taxonomy:info[10m]) unless on (target) ${fresh}) and on (target) ${target('gnmic_target_up', 'name')}`,
    }],
    alerts: [{
      alert: 'GnmiTargetDown',
      dashboard: 'helios-network-overview',
      expr: `${target('gnmic_target_up', 'name')} == 0`,
      forDuration: '5m',
      severity: Severity.WARNING,
      summary: 'gNMI target {{ $labels.target }} has no working connection',
      description: 'gnmic ({{ $labels.pod }}) has had no established gNMI connection to {{ $labels.target }} for 5 minutes, so'
        + ' its streaming telemetry is missing. Check that the device is reachable from helios-collection on its gNMI port'
        + ' (6030 or 57400), that gNMI is enabled and that the credentials in the secret store (helios/gnmi) are accepted.',
    }],
  }];
}
