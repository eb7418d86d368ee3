import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { cronScheduleProblem } from './cron-schedule.js';
import { AUTOMATION_RUNBOOKS } from './runbooks.js';
import {
  ServiceMonitor, ServiceMonitorSpecEndpointsRelabelingsAction as Action,
} from '../../imports/servicemonitor-monitoring.coreos.com.js';
import { netboxPeer, type NetBoxEndpoint } from '../flows/flow-enricher.js';
import { AlertRules, Severity, type AlertRule } from '../metrics/rules.js';
import { SelfMonitoring } from '../metrics/self-monitoring.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer, type WorkloadRef } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase, SecretReference } from '../platform/platform-base.js';
import {
  httpProbe, secureContainer, secureJobContainer, securePodSecurityContext, type ResourceSizing,
} from '../platform/security.js';
import { TARGET_SET_LABEL, TARGET_SHARDS_MAX, TargetSet, targetConfigMapName, targetNamespace } from '../platform/targets.js';

/** How the Target Generator runs. */
export enum TargetGeneratorMode {
  /** A CronJob: one sync per schedule; metrics through a Pushgateway. */
  CRONJOB = 'cronjob',
  /** A Deployment: syncs on an interval and within seconds of a NetBox webhook; metrics scraped. */
  WEBHOOK = 'webhook',
}

const OWNER: ComponentIdentity = { name: 'target-generator', component: 'integration' };
const PUSHGATEWAY: ComponentIdentity = { name: 'pushgateway', component: 'integration' };
const NS = HeliosNamespace.INTEGRATION;
const HTTP_PORT = 8080;
const PUSHGATEWAY_PORT = 9091;
const SECRET_NAME = 'target-generator-netbox';
const SECRET_DIR = '/etc/netbox';
/** The characters a NetBox filter name has; the service refuses the ones it sets itself. */
const FILTER_NAME = /^[a-z0-9_]+$/;
const RESERVED_FILTERS = ['limit', 'offset', 'ordering', 'exclude', 'cf_helios_monitor'];

export interface TargetGeneratorProps {
  readonly platform: PlatformBase;
  /** NetBox, where the inventory comes from. */
  readonly netbox: NetBoxEndpoint;
  readonly resources: ResourceSizing;
  /** The Pushgateway's (CronJob mode). */
  readonly pushgatewayResources: ResourceSizing;
  /** @default TargetGeneratorMode.CRONJOB */
  readonly mode?: TargetGeneratorMode;
  /** CronJob mode: when syncs run, in cron syntax. @default "*\/5 * * * *" (every five minutes) */
  readonly schedule?: string;
  /** Webhook mode: the sync that catches what no webhook announced. @default 300 */
  readonly syncIntervalSec?: number;
  /**
   * NetBox filters on top of helios_monitor=true, as NetBox query parameters
   * (`site=ams1&status=active`).
   * @default - every device with helios_monitor=true
   */
  readonly deviceFilter?: string;
  /** Webhook mode: the secret NetBox signs its webhooks with, in the secret store. @default - key helios/netbox, property webhook-secret */
  readonly webhookSecret?: SecretReference;
  /**
   * Webhook mode: namespaces whose pods may deliver webhooks besides NetBox's own,
   * such as an ingress controller's when NetBox runs outside the cluster.
   * @default - NetBox only
   */
  readonly webhookFromNamespaces?: readonly string[];
  /** A sync may remove at most this share of a set's targets at once... @default 25 */
  readonly massDeletionPercent?: number;
  /** ...unless it removes no more than this many. @default 10 */
  readonly massDeletionMinTargets?: number;
}

/**
 * The Target Generator (services/target-generator): reads the devices NetBox marks
 * helios_monitor=true and writes gnmic, SNMP, blackbox and Prometheus targets into
 * the ConfigMaps the collectors mount (constructs/platform/targets.ts).
 *
 * It may get and patch exactly those ConfigMaps and nothing else. A Role cannot
 * limit `create` to names (the name is not known when create is authorized), so the
 * generator is not allowed to create at all: this construct creates every shard of
 * every set, empty, and the generator's server-side apply patches their data. The
 * manifests own the ConfigMaps' labels, the generator their data and annotations
 * (field manager helios-target-generator), so re-applying one never undoes the other.
 */
export class TargetGenerator extends Construct {
  public readonly workload: WorkloadRef;
  public readonly mode: TargetGeneratorMode;

  public constructor(scope: Construct, id: string, props: TargetGeneratorProps) {
    super(scope, id);
    const { platform } = props;
    this.mode = props.mode ?? TargetGeneratorMode.CRONJOB;
    const schedule = props.schedule ?? '*/5 * * * *';
    checkSchedule(schedule);
    const deviceFilter = props.deviceFilter ?? '';
    checkDeviceFilter(deviceFilter);
    const massDeletionPercent = props.massDeletionPercent ?? 25;
    if (!Number.isInteger(massDeletionPercent) || massDeletionPercent < 0 || massDeletionPercent > 100) {
      throw new Error(`target generator: massDeletionPercent ${massDeletionPercent} is not a whole number from 0 to 100`);
    }
    const syncIntervalSec = props.syncIntervalSec ?? 300;
    if (!Number.isInteger(syncIntervalSec) || syncIntervalSec < 10) {
      throw new Error(`target generator: syncIntervalSec ${syncIntervalSec} is not a whole number of seconds of at least 10`);
    }
    const netbox = netboxPeer(props.netbox);
    this.workload = { ...OWNER, namespace: NS, podSelector: platform.selectorFor(OWNER) };

    this.addTargetConfigMaps(platform);
    new k8s.KubeServiceAccount(this, 'service-account', { metadata: platform.metadataFor(OWNER, NS), automountServiceAccountToken: false });
    this.addRbac(platform);

    const webhooks = this.mode === TargetGeneratorMode.WEBHOOK;
    platform.addExternalSecret(this, 'netbox-secret', {
      namespace: NS,
      secretName: SECRET_NAME,
      owner: OWNER,
      data: {
        token: props.netbox.token,
        ...(webhooks ? { 'webhook-secret': props.webhookSecret ?? { key: 'helios/netbox', property: 'webhook-secret' } } : {}),
      },
    });
    // Exactly the variables services/target-generator/src/config.ts reads, bar the secret files' paths.
    const settings: Record<string, string> = {
      NETBOX_URL: props.netbox.url,
      MASS_DELETION_PERCENT: String(massDeletionPercent),
      MASS_DELETION_MIN_TARGETS: String(props.massDeletionMinTargets ?? 10),
      ...(deviceFilter ? { NETBOX_DEVICE_FILTER: deviceFilter } : {}),
      ...(webhooks
        ? { LISTEN_PORT: String(HTTP_PORT), SYNC_INTERVAL_SECONDS: String(syncIntervalSec) }
        : { PUSHGATEWAY_URL: `http://${PUSHGATEWAY.name}.${NS}.svc:${PUSHGATEWAY_PORT}` }),
    };
    new k8s.KubeConfigMap(this, 'settings', {
      metadata: platform.metadataFor(OWNER, NS, 'target-generator-settings'),
      data: Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))),
    });
    const env: k8s.EnvVar[] = [
      { name: 'NETBOX_TOKEN_FILE', value: `${SECRET_DIR}/token` },
      ...(webhooks ? [{ name: 'WEBHOOK_SECRET_FILE', value: `${SECRET_DIR}/webhook-secret` }] : []),
      // The heap follows the memory limit; the image's entrypoint already keeps the young generation small.
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=${Math.floor(props.resources.memoryLimitMiB / 2)}` },
    ];
    const container = {
      name: 'target-generator',
      image: platform.image('target-generator'),
      env,
      envFrom: [{ configMapRef: { name: 'target-generator-settings' } }],
      resources: props.resources,
      volumeMounts: [{ name: 'netbox', mountPath: SECRET_DIR, readOnly: true }],
    };
    const podSpec = {
      serviceAccountName: OWNER.name,
      automountServiceAccountToken: true,
      securityContext: securePodSecurityContext(),
      volumes: [{ name: 'netbox', secret: { secretName: SECRET_NAME } }],
    };

    if (webhooks) {
      new k8s.KubeDeployment(this, 'deployment', {
        metadata: platform.metadataFor(OWNER, NS),
        spec: {
          // One writer: a second replica would only repeat every sync.
          replicas: 1,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: this.workload.podSelector },
          template: {
            metadata: { labels: platform.labelsFor(OWNER) },
            spec: {
              ...podSpec,
              containers: [secureContainer({
                ...container,
                args: ['serve'],
                ports: [{ name: 'http', containerPort: HTTP_PORT }],
                readinessProbe: httpProbe('/readyz', 'http'),
                livenessProbe: httpProbe('/healthz', 'http', { initialDelaySeconds: 30 }),
              })],
            },
          },
        },
      });
      new k8s.KubeService(this, 'service', {
        metadata: platform.metadataFor(OWNER, NS),
        spec: { selector: { ...this.workload.podSelector }, ports: [{ name: 'http', port: HTTP_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
      });
      new SelfMonitoring(this, 'monitoring', { platform, workload: this.workload, endpoints: [{ portName: 'http', port: HTTP_PORT, job: OWNER.name }] });
      platform.network.allow({ description: 'NetBox sends webhooks to the Target Generator', from: netbox.peer, to: FlowPeer.workload(this.workload), ports: [{ port: HTTP_PORT }] });
      for (const namespace of [...(props.webhookFromNamespaces ?? [])].sort()) {
        platform.network.allow({ description: `NetBox webhooks arrive through ${namespace}`, from: FlowPeer.namespace(namespace), to: FlowPeer.workload(this.workload), ports: [{ port: HTTP_PORT }] });
      }
    } else {
      new k8s.KubeCronJob(this, 'cronjob', {
        metadata: platform.metadataFor(OWNER, NS),
        spec: {
          schedule,
          // A sync still running when the next is due (NetBox slow) finishes first.
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 120,
          successfulJobsHistoryLimit: 1,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: platform.labelsFor(OWNER) },
            spec: {
              // The run retries NetBox itself; a failed sync waits for the next schedule, and its Job stays failed to be seen.
              backoffLimit: 0,
              activeDeadlineSeconds: 240,
              template: {
                metadata: { labels: platform.labelsFor(OWNER) },
                spec: { ...podSpec, restartPolicy: 'Never', containers: [secureJobContainer({ ...container, args: ['sync'] })] },
              },
            },
          },
        },
      });
      this.addPushgateway(platform, props.pushgatewayResources);
    }

    platform.network.allow({ description: 'the Target Generator reads the NetBox inventory', from: FlowPeer.workload(this.workload), to: netbox.peer, ports: netbox.ports });
    platform.allowKubernetesApi(this.workload, 'the Target Generator writes the target ConfigMaps');

    new AlertRules(this, 'alerts', {
      platform,
      owner: OWNER,
      namespace: NS,
      runbooks: AUTOMATION_RUNBOOKS,
      groups: [{ name: 'helios-target-generator', alerts: targetGeneratorAlerts() }],
    });
  }

  /** Every shard of every set, empty: the generator fills them; the collectors mount them. */
  private addTargetConfigMaps(platform: PlatformBase): void {
    for (const set of Object.values(TargetSet)) {
      for (let shard = 0; shard < TARGET_SHARDS_MAX; shard++) {
        const name = targetConfigMapName(set, shard);
        new k8s.KubeConfigMap(this, name, {
          metadata: {
            ...platform.metadataFor(OWNER, targetNamespace(set), name),
            labels: { ...platform.labelsFor(OWNER), [TARGET_SET_LABEL]: set },
          },
        });
      }
    }
  }

  /** get and patch on the target ConfigMaps, by name, in the namespace of each set. */
  private addRbac(platform: PlatformBase): void {
    const namespaces = [...new Set(Object.values(TargetSet).map(targetNamespace))].sort();
    for (const namespace of namespaces) {
      const names = Object.values(TargetSet).filter((set) => targetNamespace(set) === namespace)
        .flatMap((set) => Array.from({ length: TARGET_SHARDS_MAX }, (_, shard) => targetConfigMapName(set, shard)));
      new k8s.KubeRole(this, `role-${namespace}`, {
        metadata: platform.metadataFor(OWNER, namespace),
        rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: names, verbs: ['get', 'patch'] }],
      });
      new k8s.KubeRoleBinding(this, `binding-${namespace}`, {
        metadata: platform.metadataFor(OWNER, namespace),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OWNER.name },
        subjects: [{ kind: 'ServiceAccount', name: OWNER.name, namespace: NS }],
      });
    }
  }

  /** Where the CronJob's runs leave their metrics for Prometheus. */
  private addPushgateway(platform: PlatformBase, resources: ResourceSizing): void {
    const selector = platform.selectorFor(PUSHGATEWAY);
    const workload: WorkloadRef = { ...PUSHGATEWAY, namespace: NS, podSelector: selector };
    new k8s.KubeDeployment(this, 'pushgateway', {
      metadata: platform.metadataFor(PUSHGATEWAY, NS),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: platform.labelsFor(PUSHGATEWAY) },
          spec: {
            securityContext: securePodSecurityContext(),
            automountServiceAccountToken: false,
            containers: [secureContainer({
              name: 'pushgateway',
              image: platform.image('pushgateway'),
              // Kept on a volume, the last run's metrics survive a container restart.
              args: [`--web.listen-address=:${PUSHGATEWAY_PORT}`, '--persistence.file=/data/metrics', '--persistence.interval=1m'],
              ports: [{ name: 'http', containerPort: PUSHGATEWAY_PORT }],
              resources,
              readinessProbe: httpProbe('/-/ready', 'http'),
              livenessProbe: httpProbe('/-/healthy', 'http'),
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            })],
            volumes: [{ name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'pushgateway-service', {
      metadata: platform.metadataFor(PUSHGATEWAY, NS),
      spec: { selector: { ...selector }, ports: [{ name: 'http', port: PUSHGATEWAY_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    new ServiceMonitor(this, 'pushgateway-monitor', {
      metadata: platform.metadataFor(PUSHGATEWAY, NS),
      spec: {
        selector: { matchLabels: { ...selector } },
        endpoints: [{
          port: 'http',
          interval: '30s',
          // The pushed job label (helios-target-generator) wins over the Pushgateway's own.
          honorLabels: true,
          // Every Prometheus shard scrapes it: the alerts look for the metrics' absence,
          // which a shard that does not scrape them would always see.
          relabelings: [{ targetLabel: '__tmp_disable_sharding', replacement: 'true', action: Action.REPLACE }],
        }],
      },
    });
    platform.allowScrape(workload, PUSHGATEWAY_PORT);
    platform.network.allow({ description: 'the Target Generator pushes its metrics', from: FlowPeer.workload(this.workload), to: FlowPeer.workload(workload), ports: [{ port: PUSHGATEWAY_PORT }] });
  }
}

/**
 * TargetSyncFailing: no sync has succeeded for 15 minutes (three CronJob runs). The
 * last success is read over the past hour, so a restarted pod, a missed scrape or a
 * Pushgateway that lost its data hides nothing; and a generator that has reported
 * for 15 minutes without ever succeeding (a wrong token from day one) fires as well,
 * while a fresh install, whose first sync has not run yet, does not.
 *
 * TargetMassDeletionRefused: a sync was refused because it would have removed too
 * many targets of a set; it keeps firing while the refusals go on, that is until
 * NetBox is fixed or the removal is forced.
 */
export function targetGeneratorAlerts(): AlertRule[] {
  const lastSuccess = 'helios_target_sync_last_success_timestamp_seconds';
  const errors = 'helios_target_sync_errors_total';
  return [
    {
      alert: 'TargetSyncFailing',
      expr: `time() - max(last_over_time(${lastSuccess}[1h])) > 900`
        + ` or (absent_over_time(${lastSuccess}[1h]) and on() count(last_over_time(${errors}[1h] offset 15m)))`,
      severity: Severity.WARNING,
      summary: 'The Target Generator has not synced NetBox into the target ConfigMaps for 15 minutes',
      description: 'Devices added to or removed from NetBox are not reaching gnmic, snmp_exporter and blackbox_exporter; the existing targets stay as they were. '
        + 'Check the target-generator Job or pod logs in helios-integration (NetBox unreachable or refusing the token, the Kubernetes API refusing the writes) '
        + 'and helios_target_sync_errors_total.',
    },
    {
      alert: 'TargetMassDeletionRefused',
      expr: 'sum by (set) (increase(helios_target_sync_mass_deletion_refusals_total[15m])) > 0',
      severity: Severity.WARNING,
      summary: 'The Target Generator refused to remove most {{ $labels.set }} targets at once',
      description: 'A sync would have removed more of the set\'s targets than the mass-deletion guard allows, so nothing was written and the targets stay as they were. '
        + 'If NetBox lost the devices by mistake (a bulk edit, a failed import), fix NetBox; if the removal is meant, run one sync with --force.',
    },
  ];
}

/** Why a NetBox device filter is unusable, or undefined when it is fine. */
export function deviceFilterProblem(filter: string): string | undefined {
  for (const [name] of new URLSearchParams(filter)) {
    if (!FILTER_NAME.test(name)) {
      return `has "${name}", which is not a NetBox filter name; write name=value pairs joined by &, such as site=ams1&status=active`;
    }
    if (RESERVED_FILTERS.includes(name)) {
      return `sets "${name}", which the Target Generator sets itself (${RESERVED_FILTERS.join(', ')})`;
    }
  }
  return undefined;
}

function checkSchedule(schedule: string): void {
  const problem = cronScheduleProblem(schedule);
  if (problem) throw new Error(`target generator: schedule "${schedule}" ${problem}`);
}

function checkDeviceFilter(filter: string): void {
  const problem = deviceFilterProblem(filter);
  if (problem) throw new Error(`target generator: deviceFilter "${filter}" ${problem}`);
}
