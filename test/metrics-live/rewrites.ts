import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { OperatorOutput } from './world.js';
import { GNMIC_MERGED_TARGETS } from '../../constructs/metrics/gnmic.js';
import { TARGETS_MOUNT_PATH } from '../../constructs/platform/targets.js';
import { find } from '../metrics/support.js';
import { writeScratch } from '../peers/harness/network-peers.js';

/**
 * Every change the live test makes to what Helios synthesized or the operator
 * generated, in one place. Each is an address (a Service or pod address becomes a
 * loopback port), a mounted path (a scratch folder instead), a value the pod's
 * environment substitutes, or a test-only speed-up named as such. Nothing else of
 * the configurations is touched.
 */

/** Where the in-pod paths of the generated Prometheus configuration live in the test. */
export interface PrometheusPaths {
  /** The folder holding the target files (the pod mounts them at TARGETS_MOUNT_PATH). */
  readonly targetsDir: string;
  /** The folder holding the operator's rule files (the pod mounts the rulefiles ConfigMaps). */
  readonly rulesDir: string;
  /** A kubeconfig for kubernetes_sd (the pod uses its service account in-cluster). */
  readonly kubeconfig: string;
  /** The Alertmanager's loopback address (the pod discovers the alertmanager-operated endpoints). */
  readonly alertmanager: string;
  /** $(SHARD) and $(POD_NAME), which the config reloader substitutes in the pod. */
  readonly shard: number;
  readonly podName: string;
  /**
   * The exporters' loopback addresses, by the Service address the synthesized
   * ScrapeConfigs send devices to (`snmp-exporter.helios-collection.svc:9116`).
   * @default - none
   */
  readonly services?: Readonly<Record<string, string>>;
}

/** The operator-generated prometheus.yaml, as the given shard's pod would run it, on loopback. */
export function prometheusConfigForTest(generated: any, paths: PrometheusPaths): any {
  let text = JSON.stringify(generated)
    .replaceAll('$(SHARD)', String(paths.shard))
    .replaceAll('$(POD_NAME)', paths.podName)
    .replaceAll(TARGETS_MOUNT_PATH, paths.targetsDir);
  for (const [service, address] of Object.entries(paths.services ?? {})) text = text.replaceAll(service, address);
  const config = JSON.parse(text);
  config.rule_files = [join(paths.rulesDir, '*.yaml')];
  for (const job of config.scrape_configs) {
    for (const sd of job.kubernetes_sd_configs ?? []) sd.kubeconfig_file = paths.kubeconfig;
  }
  config.alerting.alertmanagers = config.alerting.alertmanagers.map((am: any) => {
    const { kubernetes_sd_configs: _sd, relabel_configs: _relabel, ...rest } = am;
    return { ...rest, static_configs: [{ targets: [paths.alertmanager] }] };
  });
  return config;
}

/**
 * The gnmic pod's merge-targets container script, with its two mounts in scratch
 * folders: the projected target ConfigMaps and the emptyDir gnmic's loader reads.
 */
export function mergeScriptForTest(script: string, targetsDir: string, mergedDir: string): string {
  return script.replaceAll(TARGETS_MOUNT_PATH, targetsDir).replaceAll(dirname(GNMIC_MERGED_TARGETS), mergedDir);
}

/**
 * A container's args with its volume mounts in scratch folders: each mount path
 * (the longest first, as mounts nest) becomes the folder holding what the volume
 * would project.
 */
export function mountedArgsForTest(args: readonly string[], mounts: Readonly<Record<string, string>>): string[] {
  const paths = Object.keys(mounts).sort((a, b) => b.length - a.length);
  return args.map((arg) => {
    const path = paths.find((p) => arg.includes(`${p}/`));
    return path === undefined ? arg : arg.replace(`${path}/`, `${mounts[path]}/`);
  });
}

/**
 * Container args with flags replaced (`--flag=value`), removed (value undefined) or
 * added; `$(POD_NAME)` substituted as the kubelet would.
 */
export function argsForTest(args: readonly string[], changes: Readonly<Record<string, string | undefined>>, podName: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const flag = arg.split('=')[0];
    if (flag in changes) {
      if (!seen.has(flag) && changes[flag] !== undefined) out.push(`${flag}=${changes[flag]}`);
      seen.add(flag);
    } else {
      out.push(arg.replaceAll('$(POD_NAME)', podName));
    }
  }
  for (const [flag, value] of Object.entries(changes)) if (!seen.has(flag) && value !== undefined) out.push(`${flag}=${value}`);
  return out;
}

/**
 * Test-only speed-ups (not addresses): blocks of 1 minute instead of 2 hours so the
 * sidecar uploads one within the test, and the Store Gateway re-reading the bucket
 * every 10 s instead of 3 minutes.
 */
export const TEST_BLOCK_DURATION = '1m';
export const TEST_STORE_SYNC = '10s';

/**
 * The compactor's flags for one test pass: one pass instead of a resident loop, blocks
 * counted from their upload instead of after 30 minutes (test-only), and its data folder
 * and bucket configuration in scratch files.
 */
export function compactorOnePass(dataDir: string, objstoreFile: string): Record<string, string | undefined> {
  return {
    '--wait': undefined,
    '--wait-interval': undefined,
    '--consistency-delay': '0s',
    '--http-address': '127.0.0.1:0',
    '--data-dir': dataDir,
    '--objstore.config-file': objstoreFile,
  };
}

/**
 * The synthesized gnmic.yaml as the pod with IP `podIp` runs it: the API and the
 * Prometheus output listen on that address instead of every interface (the pods share
 * one host here, each on its own loopback address), and the loader reads a scratch file
 * instead of the merge sidecar's. Clustering, the locker, subscriptions, retry and
 * outputs stay as synthesized.
 */
export function gnmicConfigForTest(generated: any, podIp: string, targetsFile: string): any {
  const config = structuredClone(generated);
  config['api-server'].address = `${podIp}${config['api-server'].address}`;
  config.outputs.prometheus.listen = `${podIp}${config.outputs.prometheus.listen}`;
  config.loader.path = targetsFile;
  return config;
}

/** Where the receivers of the generated Alertmanager configuration are reached in the test. */
export interface ReceiverStandIns {
  /** A webhook stand-in's URL for a path: /pagerduty (Events API), /slack, and /<receiver name> for webhook receivers. */
  readonly url: (path: string) => string;
  /** The SMTP stand-in's host:port, instead of the relay's; without it the synthesized relay stays (unreachable here). */
  readonly smarthost?: string;
}

/**
 * The operator-generated alertmanager.yaml with each receiver's address pointed at a
 * stand-in; routes, inhibitions, templates, TLS and credentials stay as generated. The
 * SMTP stand-in's certificate comes from a test CA that Alertmanager trusts through
 * SSL_CERT_FILE (the pod trusts the relay's public CA), so smtp_require_tls stays on.
 */
export function alertmanagerConfigForTest(generatedText: string, standIns: ReceiverStandIns): any {
  const config = parse(generatedText);
  if (config.global.slack_api_url !== undefined) config.global.slack_api_url = standIns.url('/slack');
  if (config.global.smtp_smarthost !== undefined && standIns.smarthost) config.global.smtp_smarthost = standIns.smarthost;
  for (const receiver of config.receivers) {
    for (const pagerduty of receiver.pagerduty_configs ?? []) pagerduty.url = standIns.url('/pagerduty');
    for (const webhook of receiver.webhook_configs ?? []) webhook.url = standIns.url(`/${receiver.name}`);
  }
  return config;
}

/**
 * The synthesized args of the Thanos workload `name` (a `kind` in helios-storage) as
 * its pod 0 runs them here. Each Thanos workload runs one container (the Ruler's is
 * named thanos-rule).
 */
export function thanosArgsForTest(objects: readonly any[], name: string, kind: string, changes: Readonly<Record<string, string | undefined>>,
): string[] {
  const [container] = find(objects, kind, name, 'helios-storage').spec.template.spec.containers;
  return argsForTest(container.args, changes, `${name}-0`);
}

/** The Store Gateway's synthesized args on loopback ports, with its cache folder and the test's bucket. */
export function storeGatewayArgsForTest(
  objects: readonly any[], ports: { readonly http: number; readonly grpc: number }, dataDir: string, objstoreFile: string,
): string[] {
  return thanosArgsForTest(objects, 'thanos-store', 'StatefulSet', {
    '--http-address': `127.0.0.1:${ports.http}`,
    '--grpc-address': `127.0.0.1:${ports.grpc}`,
    '--data-dir': dataDir,
    '--objstore.config-file': objstoreFile,
    '--sync-block-duration': TEST_STORE_SYNC,
  });
}

/**
 * The operator's Alertmanager args as one unclustered replica runs them here: the
 * given configuration file, storage and web config in `dir`, listening on loopback.
 */
export function alertmanagerArgsForTest(out: OperatorOutput, configFile: string, dir: string, port: number): string[] {
  const statefulSet = out.statefulSets['helios-visualization/alertmanager-helios'];
  return argsForTest(statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'alertmanager').args, {
    '--config.file': configFile,
    '--storage.path': join(dir, 'alertmanager'),
    '--web.listen-address': `127.0.0.1:${port}`,
    '--cluster.listen-address': '',
    '--cluster.peer': undefined,
    '--cluster.advertise-address': undefined,
    '--web.config.file': writeScratch(dir, 'alertmanager-web-config.yaml', out.alertmanagerWebConfigText),
  }, 'alertmanager-helios-0');
}
