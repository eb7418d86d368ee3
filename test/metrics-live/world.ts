import { readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { ALL_RECEIVERS, clusterObjects, oneCluster, renderExternalSecret } from '../metrics/support.js';
import { KubeApiServer } from '../peers/harness/kube.js';
import { applyObjects, gunzipText, startPrometheusOperator, waitForSecret } from '../peers/harness/metrics-peers.js';
import { type PeerProcess } from '../peers/harness/process.js';
import { crdSetOf, schemaDir } from '../schema-sources.js';

/**
 * One cluster as a user would configure it (dc1 in datacenter ams1, medium tier,
 * every alert receiver), synthesized by Helios.
 */
export const CLUSTER = { name: 'dc1', datacenter: 'ams1' } as const;
export const CONFIG = oneCluster({ extra: ALL_RECEIVERS });
export const OBJECTS = clusterObjects(CONFIG);

/** What Vault holds for the ExternalSecrets the metrics path needs (ESO renders them into Secrets). */
export const VAULT: Record<string, Record<string, string>> = {
  'alertmanager-helios-config': {
    pagerdutyRoutingKey: 'R0ut1ng-key-42',
    slackApiUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
    smtpPassword: 'p@ss: "w0rd"',
    deadMansSwitchUrl: 'https://hc-ping.example.net/5f0c2d9e',
    runbookWebhookToken: 'runbook-t0ken',
  },
  'thanos-objstore': { accessKey: 'helios-test', secretKey: 'helios-test-secret' },
  'snmp-exporter-auths': { community: 'c0mm: un1ty#x', v3Username: 'helios-v3', v3AuthPassword: 'auth-pass: #123', v3PrivPassword: 'priv-pass-123' },
};

const OPERATOR_KINDS = new Set(['Prometheus', 'Alertmanager', 'ServiceMonitor', 'PodMonitor', 'Probe', 'ScrapeConfig', 'PrometheusRule', 'AlertmanagerConfig', 'ThanosRuler']);

/** The synthesized objects the Prometheus Operator reads. */
export const OPERATOR_OBJECTS = OBJECTS.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/') && OPERATOR_KINDS.has(o.kind));

/**
 * The Secrets the External Secrets Operator would write from the synthesized
 * ExternalSecrets (ESO itself cannot run here): the template rendered with VAULT.
 */
export function esoSecrets(): any[] {
  return OBJECTS.filter((o) => o.kind === 'ExternalSecret' && o.metadata.name in VAULT).map((es) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: es.spec.target.name, namespace: es.metadata.namespace },
    stringData: renderExternalSecret(es, VAULT[es.metadata.name]),
  }));
}

/** What the real operator generated from the synthesized objects. */
export interface OperatorOutput {
  /** prometheus.yaml.gz of the `prometheus-<name>` Secret, parsed. */
  readonly prometheus: any;
  readonly prometheusText: string;
  /** alertmanager.yaml.gz of the `alertmanager-<name>-generated` Secret. */
  readonly alertmanagerText: string;
  /** The rule files of the `prometheus-<name>-rulefiles-N` ConfigMaps, by file name. */
  readonly ruleFiles: Record<string, string>;
  /** The Thanos sidecar's HTTP client config for Prometheus (prometheus-<name>-thanos-prometheus-http-client-file). */
  readonly sidecarHttpClientText: string;
  /** The web config files of Prometheus and Alertmanager (<kind>-<name>-web-config). */
  readonly prometheusWebConfigText: string;
  readonly alertmanagerWebConfigText: string;
  /** The StatefulSets the operator created, by namespace/name. */
  readonly statefulSets: Record<string, any>;
}

/**
 * A kube-apiserver with the Prometheus Operator's CRDs, the synthesized namespaces,
 * operator objects and ESO-rendered Secrets applied, and the real Prometheus
 * Operator reconciling them.
 */
export class OperatorWorld {
  public static async start(): Promise<OperatorWorld> {
    const kube = await KubeApiServer.start();
    try {
      const crds = schemaDir(crdSetOf('monitoring.coreos.com')!);
      if (readdirSync(crds).length === 0) throw new Error(`no CRDs in ${crds}`);
      const r = kube.kubectl(['apply', '--server-side', '--field-manager=helios-tests', '-f', crds]);
      if (r.status !== 0) throw new Error(`installing the prometheus-operator CRDs failed:\n${r.stderr}`);
      await kube.waitForCrds();
      applyObjects(kube, OBJECTS.filter((o) => o.kind === 'Namespace'));
      applyObjects(kube, [...esoSecrets(), ...OPERATOR_OBJECTS]);
      const operator = await startPrometheusOperator(kube);
      return new OperatorWorld(kube, operator);
    } catch (e) {
      await kube.stop();
      throw e;
    }
  }

  private constructor(public readonly kube: KubeApiServer, public readonly operator: PeerProcess) {}

  /** Waits for the operator's generated configuration and reads it. */
  public async output(): Promise<OperatorOutput> {
    const prometheus = OPERATOR_OBJECTS.find((o) => o.kind === 'Prometheus');
    const alertmanager = OPERATOR_OBJECTS.find((o) => o.kind === 'Alertmanager');
    const promNs = prometheus.metadata.namespace;
    const promSecret = await waitForSecret(this.kube, promNs, `prometheus-${prometheus.metadata.name}`, 'prometheus.yaml.gz');
    const amSecret = await waitForSecret(this.kube, alertmanager.metadata.namespace, `alertmanager-${alertmanager.metadata.name}-generated`, 'alertmanager.yaml.gz');
    const prometheusText = gunzipText(promSecret['prometheus.yaml.gz']);
    const ruleFiles: Record<string, string> = {};
    const cms = JSON.parse(this.kube.kubectl(['get', 'configmap', '-n', promNs, '-l', `prometheus-name=${prometheus.metadata.name}`, '-o', 'json']).stdout);
    for (const cm of cms.items) Object.assign(ruleFiles, cm.data);
    const statefulSets: Record<string, any> = {};
    for (const ss of JSON.parse(this.kube.kubectl(['get', 'statefulset', '-A', '-o', 'json']).stdout).items) {
      statefulSets[`${ss.metadata.namespace}/${ss.metadata.name}`] = ss;
    }
    const promName = `prometheus-${prometheus.metadata.name}`;
    const amName = `alertmanager-${alertmanager.metadata.name}`;
    const text = async (ns: string, name: string, key: string) => (await waitForSecret(this.kube, ns, name, key))[key].toString('utf8');
    return {
      prometheus: parse(prometheusText),
      prometheusText,
      alertmanagerText: gunzipText(amSecret['alertmanager.yaml.gz']),
      sidecarHttpClientText: await text(promNs, `${promName}-thanos-prometheus-http-client-file`, 'prometheus.http-client-file.yaml'),
      prometheusWebConfigText: await text(promNs, `${promName}-web-config`, 'web-config.yaml'),
      alertmanagerWebConfigText: await text(alertmanager.metadata.namespace, `${amName}-web-config`, 'web-config.yaml'),
      ruleFiles,
      statefulSets,
    };
  }

  public async stop(): Promise<void> {
    await this.operator.stop();
    await this.kube.stop();
  }
}
