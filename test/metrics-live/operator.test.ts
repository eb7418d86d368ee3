import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CLUSTER, OPERATOR_OBJECTS, OperatorWorld, VAULT, type OperatorOutput } from './world.js';
import { promtool3 } from '../peers/harness/metrics-peers.js';
import { amtool, scratch, writeScratch } from '../peers/harness/network-peers.js';

/**
 * The real Prometheus Operator (v0.93.0) reconciles Helios's synthesized
 * Prometheus, Alertmanager, PodMonitor, ServiceMonitor, ScrapeConfig and
 * PrometheusRule objects on a real kube-apiserver; the configuration it generates
 * passes the real promtool (Prometheus 3.5) and amtool and says what Helios meant.
 * Helios synthesizes no Probe, AlertmanagerConfig nor ThanosRuler objects (blackbox
 * probes are a ScrapeConfig, routing is the Alertmanager's config Secret, the Ruler a
 * StatefulSet), so none is applied.
 */
describe('the Prometheus Operator rendering Helios\'s synthesized metrics objects', () => {
  let world: OperatorWorld;
  let out: OperatorOutput;
  const dir = scratch('operator-render');

  const job = (name: string) => {
    const found = out.prometheus.scrape_configs.find((j: any) => j.job_name === name);
    if (!found) throw new Error(`no scrape job ${name}; jobs: ${out.prometheus.scrape_configs.map((j: any) => j.job_name).join(', ')}`);
    return found;
  };

  beforeAll(async () => {
    world = await OperatorWorld.start();
    out = await world.output();
  }, 300_000);

  afterAll(async () => { await world?.stop(); });

  it('turns every synthesized object into part of the generated configuration, with no object rejected', () => {
    const kinds = [...new Set(OPERATOR_OBJECTS.map((o) => o.kind))].sort();
    console.log(`applied ${OPERATOR_OBJECTS.length} operator objects (${kinds.join(', ')}); ${out.prometheus.scrape_configs.length} scrape jobs, ${Object.keys(out.ruleFiles).length} rule files generated`);
    expect(kinds).toEqual(['Alertmanager', 'PodMonitor', 'Prometheus', 'PrometheusRule', 'ScrapeConfig', 'ServiceMonitor']);
    // The operator names each PodMonitor/ServiceMonitor job podMonitor/<ns>/<name>/<endpoint index>.
    for (const o of OPERATOR_OBJECTS.filter((x) => x.kind === 'PodMonitor')) {
      o.spec.podMetricsEndpoints.forEach((_: unknown, i: number) => job(`podMonitor/${o.metadata.namespace}/${o.metadata.name}/${i}`));
    }
    for (const o of OPERATOR_OBJECTS.filter((x) => x.kind === 'ServiceMonitor')) job(`serviceMonitor/${o.metadata.namespace}/${o.metadata.name}/0`);
    for (const o of OPERATOR_OBJECTS.filter((x) => x.kind === 'ScrapeConfig')) job(`scrapeConfig/${o.metadata.namespace}/${o.metadata.name}`);
    // Rejected objects are reported in the resource's status and the operator's log.
    expect(world.operator.log()).not.toMatch(/(skipping|rejected|invalid) (podmonitor|servicemonitor|scrapeconfig|prometheusrule)/i);
    const rules = OPERATOR_OBJECTS.filter((o) => o.kind === 'PrometheusRule').map((o) => `${o.metadata.namespace}-${o.metadata.name}-`);
    for (const prefix of rules) expect(Object.keys(out.ruleFiles).some((f) => f.startsWith(prefix))).toBe(true);
  });

  it('passes promtool 3 `check config`, with every rule file it references', () => {
    const rulesDir = join(dir, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    for (const [name, text] of Object.entries(out.ruleFiles)) writeScratch(rulesDir, name, text);
    const config = structuredClone(out.prometheus);
    // One mounted folder per rulefiles ConfigMap (the operator splits them at 1 MiB); each is read.
    expect(config.rule_files.length).toBeGreaterThanOrEqual(1);
    for (const f of config.rule_files) expect(f).toMatch(/^\/etc\/prometheus\/rules\/prometheus-helios-rulefiles-\d+\/\*\.yaml$/);
    // Only the mount paths of the rule files move into the scratch folder.
    config.rule_files = [join(rulesDir, '*.yaml')];
    const path = writeScratch(dir, 'prometheus.yaml', stringify(config));
    const r = promtool3(['check', 'config', path]);
    console.log(r.stdout.trim().split('\n').filter((l) => /SUCCESS|FAILED|rules found/.test(l)).slice(0, 4).join('\n'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${Object.keys(out.ruleFiles).length} rule files found`);
  });

  it('labels every series with the cluster and datacenter, and each replica apart for deduplication', () => {
    expect(out.prometheus.global.external_labels).toEqual({
      cluster: CLUSTER.name, datacenter: CLUSTER.datacenter, prometheus: 'helios-storage/helios', prometheus_replica: '$(POD_NAME)',
    });
    expect(out.prometheus.global.scrape_interval).toBe('30s');
    expect(out.prometheus.global.evaluation_interval).toBe('30s');
  });

  it('scrapes SNMP devices through snmp_exporter and blackbox targets through blackbox_exporter, with Helios\'s relabelings', () => {
    const snmp = job('scrapeConfig/helios-collection/snmp-devices');
    expect(snmp.metrics_path).toBe('/snmp');
    expect(snmp.file_sd_configs).toEqual([{ files: ['/etc/helios/targets/snmp-*.json'], refresh_interval: '1m' }]);
    expect(snmp.relabel_configs).toEqual(expect.arrayContaining([
      expect.objectContaining({ source_labels: ['__address__'], target_label: '__param_target', action: 'replace' }),
      expect.objectContaining({ source_labels: ['__param_target'], target_label: 'instance', action: 'replace' }),
      expect.objectContaining({ target_label: '__address__', replacement: 'snmp-exporter.helios-collection.svc:9116', action: 'replace' }),
      // Shards split SNMP devices by device (__tmp_hash), not by the exporter address they all share.
      expect.objectContaining({ source_labels: ['__tmp_hash'], target_label: '__tmp_hash', modulus: 2, action: 'hashmod' }),
    ]));
    const blackbox = job('scrapeConfig/helios-collection/blackbox-probes');
    expect(blackbox.metrics_path).toBe('/probe');
    expect(blackbox.relabel_configs).toEqual(expect.arrayContaining([
      expect.objectContaining({ source_labels: ['__param_module'], target_label: 'module', action: 'replace' }),
      expect.objectContaining({ target_label: '__address__', replacement: 'blackbox-exporter.helios-collection.svc:9115', action: 'replace' }),
    ]));
    expect(job('scrapeConfig/helios-collection/device-metrics').file_sd_configs[0].files).toEqual(['/etc/helios/targets/prometheus-*.json']);
  });

  it('scrapes gnmic\'s telemetry port as job "gnmi" and its API as job "gnmic", from the pods of helios-collection', () => {
    const telemetry = job('podMonitor/helios-collection/gnmic/0');
    expect(telemetry.kubernetes_sd_configs).toEqual([expect.objectContaining({ role: 'pod', namespaces: { names: ['helios-collection'] } })]);
    expect(telemetry.relabel_configs).toEqual(expect.arrayContaining([
      expect.objectContaining({ action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'telemetry' }),
      expect.objectContaining({ target_label: 'job', replacement: 'gnmi' }),
    ]));
    expect(job('podMonitor/helios-collection/gnmic/1').relabel_configs).toEqual(expect.arrayContaining([
      expect.objectContaining({ target_label: 'job', replacement: 'gnmic' }),
    ]));
  });

  it('sends alerts to the synthesized Alertmanager', () => {
    expect(out.prometheus.alerting.alertmanagers).toEqual([{
      api_version: 'v2',
      kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: ['helios-visualization'] } }],
      relabel_configs: [
        { action: 'keep', source_labels: ['__meta_kubernetes_service_name'], regex: 'alertmanager-operated' },
        { action: 'keep', source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: 'web' },
      ],
    }]);
  });

  it('renders the Alertmanager config Secret ESO writes into a configuration amtool accepts, with every receiver intact', () => {
    const path = writeScratch(dir, 'alertmanager.yaml', out.alertmanagerText);
    const r = amtool(['check-config', path]);
    console.log(r.stdout.trim().split('\n').slice(0, 8).join('\n'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
    expect(r.stdout).toContain(' - 6 receivers');
    expect(parse(out.alertmanagerText).receivers.map((x: any) => x.name).sort()).toEqual(['deadmansswitch', 'default', 'email', 'pagerduty', 'runbook-operator', 'slack']);
    // The Runbook operator's webhook, with the bearer token ESO rendered.
    expect(out.alertmanagerText).toContain(VAULT['alertmanager-helios-config'].runbookWebhookToken);
    expect(out.alertmanagerText).toContain(VAULT['alertmanager-helios-config'].pagerdutyRoutingKey);
    const routed = amtool(['config', 'routes', 'test', `--config.file=${path}`, '--verify.receivers=pagerduty', 'severity=critical', 'alertname=DeviceUnreachable']);
    expect(routed.stdout.trim()).toBe('pagerduty');
    expect(routed.status).toBe(0);
  });

  it('creates the Prometheus and Alertmanager StatefulSets with the synthesized shards, replicas and Thanos sidecar', () => {
    const names = Object.keys(out.statefulSets).sort();
    expect(names).toEqual(expect.arrayContaining(['helios-storage/prometheus-helios', 'helios-storage/prometheus-helios-shard-1', 'helios-visualization/alertmanager-helios']));
    const shard0 = out.statefulSets['helios-storage/prometheus-helios'];
    expect(shard0.spec.replicas).toBe(2);
    const sidecar = shard0.spec.template.spec.containers.find((c: any) => c.name === 'thanos-sidecar');
    expect(sidecar.image).toBe('quay.io/thanos/thanos:v0.42.4');
    expect(sidecar.args).toEqual(expect.arrayContaining(['sidecar', expect.stringMatching(/^--objstore\.config=/)]));
    const prometheus = shard0.spec.template.spec.containers.find((c: any) => c.name === 'prometheus');
    expect(prometheus.image).toBe('quay.io/prometheus/prometheus:v3.5.0');
    // With a sidecar, blocks are cut at 2h and never compacted locally: the sidecar uploads them.
    expect(prometheus.args).toEqual(expect.arrayContaining(['--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h', '--storage.tsdb.retention.time=24h']));
    expect(out.statefulSets['helios-visualization/alertmanager-helios'].spec.replicas).toBe(2);
  });
});
