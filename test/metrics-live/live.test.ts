import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { liveDashboardQueries } from './dashboard-queries.js';
import { GNMI_CREDENTIALS, liveDevices, startDeviceServices, startGnmiDevice, startGnmiStandIn, startSnmpDevice, targetsFromNetBox } from './network.js';
import { alertmanagerArgsForTest, alertmanagerConfigForTest, argsForTest, compactorOnePass, mergeScriptForTest, mountedArgsForTest, prometheusConfigForTest, storeGatewayArgsForTest, TEST_BLOCK_DURATION, thanosArgsForTest } from './rewrites.js';
import { CLUSTER, esoSecrets, OBJECTS, OperatorWorld, VAULT, type OperatorOutput } from './world.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import { TAXONOMY_LABELS } from '../../constructs/platform/taxonomy.js';
import { type PromQLQuery } from '../dashboards/grafana-model.js';
import { hashmod } from '../metrics/collection-support.js';
import { find } from '../metrics/support.js';
import { applyObjects, instantQuery, s3Keys, startHttpPeer, startS3Server, type HttpProcess } from '../peers/harness/metrics-peers.js';
import { gnmic, scratch, writeScratch } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { freePort, PeerProcess, sleep, tcpOpen, waitFor } from '../peers/harness/process.js';
import { Sink } from '../peers/harness/webhook-sink.js';

/**
 * The metrics path running for real, from one synthesized cluster: the devices of
 * network.ts, described in the NetBox fake and turned into targets by the real
 * Target Generator; the gNMI devices (gnmi_target, and the harness's gNMI device
 * stand-in for BGP and power supplies) streamed by gnmic with the
 * synthesized config, the SNMP device walked by snmp_exporter and probed by
 * blackbox_exporter with theirs, all scraped by two
 * replicas of Prometheus shard 0 running the configuration the real operator
 * generated, Thanos sidecars uploading to an S3 server (moto), Store Gateway,
 * Query and Ruler with the synthesized args and rules, and Alertmanager with the
 * operator-generated routing delivering to a webhook sink that stands in for
 * PagerDuty. Every change to those configurations is in rewrites.ts.
 */
const SHARDS: number = OBJECTS.find((o) => o.kind === 'Prometheus').spec.shards;
const DEVICES = liveDevices(SHARDS);
const TAXONOMY = DEVICES.leaf1.taxonomy;
const TELEMETRY_PORT = 9804;
const API_PORT = 7890;
const REPLICAS = ['prometheus-helios-0', 'prometheus-helios-1'];

/**
 * A loopback pod IP whose two gnmic scrape addresses both fall in Prometheus shard 0
 * (the operator shards on __address__); in a /24 of its own, so that no other test's
 * gnmic answers on it.
 */
function podIpInShard0(shards: number): string {
  for (let i = 2; i < 255; i++) {
    const ip = `127.13.2.${i}`;
    if (hashmod(`${ip}:${TELEMETRY_PORT}`, shards) === 0 && hashmod(`${ip}:${API_PORT}`, shards) === 0) return ip;
  }
  throw new Error('no loopback address hashes into shard 0');
}

/** Polls every dashboard query through Thanos Query while the tests run, keeping each one's first non-empty answer. */
class DashboardWatch {
  public readonly answered = new Map<string, { series: number; example: string; afterSec: number }>();
  public readonly errors = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  public constructor(public readonly queries: readonly PromQLQuery[], private readonly startedAt = Date.now()) {}

  public start(url: string, everyMs: number): void {
    const tick = async () => {
      await this.poll(url);
      if (!this.stopped) this.timer = setTimeout(tick, everyMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Asks each query not answered yet once. */
  public async poll(url: string, queries: readonly PromQLQuery[] = this.queries): Promise<void> {
    for (const q of queries) {
      if (this.stopped || this.answered.has(q.key)) continue;
      try {
        const result = await instantQuery(url, q.expr);
        if (result.length > 0) {
          const afterSec = Math.round((Date.now() - this.startedAt) / 1000);
          this.answered.set(q.key, { series: result.length, example: JSON.stringify(result[0]), afterSec });
        }
      } catch (e) {
        this.errors.set(q.key, (e as Error).message);
      }
    }
  }

  public get since(): number {
    return this.startedAt;
  }

  public missing(): string[] {
    return this.queries.map((q) => q.key).filter((k) => !this.answered.has(k));
  }

  public stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

describe('the live metrics path: device → gnmic → Prometheus (operator config) → Thanos → query, and alerts → Alertmanager → receiver', () => {
  const dir = scratch('metrics-live');
  const peers: Array<{ stop(): Promise<void> }> = [];
  const sink = new Sink();
  let world: OperatorWorld;
  let out: OperatorOutput;
  let leaf1: Awaited<ReturnType<typeof startGnmiDevice>>;
  let targetFiles: Record<string, string>;
  let query: HttpProcess;
  let storeQuery: HttpProcess;
  let s3: Awaited<ReturnType<typeof startS3Server>>;
  let bucket: string;
  let objstoreFile: string;
  let prometheus: HttpProcess[] = [];
  const started = async <T extends { stop(): Promise<void> }>(p: Promise<T>): Promise<T> => {
    const peer = await p;
    peers.unshift(peer);
    return peer;
  };
  const inOctets = `${GNMI_METRICS.inOctets}{device="leaf1"}`;
  const dashboards = new DashboardWatch(liveDashboardQueries(Object.values(DEVICES), 'Ethernet1'));
  let traffic: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    world = await OperatorWorld.start();
    out = await world.output();
    await sink.start();
    const shards = SHARDS;

    // The bucket, with the synthesized objstore.yml as ESO renders it; only the MinIO Service address becomes the S3 server's.
    const objstore = parse(esoSecrets().find((s) => s.metadata.name === 'thanos-objstore').stringData['objstore.yml']);
    bucket = objstore.config.bucket;
    s3 = await started(startS3Server(bucket));
    objstore.config.endpoint = s3.endpoint;
    objstoreFile = writeScratch(dir, 'objstore.yml', stringify(objstore));

    // The devices, and their targets as the real Target Generator writes them from NetBox into the
    // target ConfigMaps; the kubelet would project those into the gnmic and Prometheus pods.
    const gnmiPorts = { leaf1: await freePort(), border1: await freePort() };
    leaf1 = await startGnmiDevice(dir, DEVICES.leaf1.address, gnmiPorts.leaf1);
    peers.unshift(await startGnmiStandIn(dir, DEVICES.border1.address, gnmiPorts.border1));
    peers.unshift(await startSnmpDevice(dir, DEVICES.spine1.address));
    peers.unshift(await startDeviceServices(DEVICES.spine1.address));
    const targetsDir = join(dir, 'targets');
    mkdirSync(targetsDir, { recursive: true });
    targetFiles = await targetsFromNetBox(world.kube, DEVICES, gnmiPorts);
    for (const [name, text] of Object.entries(targetFiles)) writeScratch(targetsDir, name, text);

    // The exporters with their synthesized args, config files and auths (ESO-rendered), on loopback.
    const exporter = async (name: string, files: Record<string, Record<string, string>>) => {
      const deployment = find(OBJECTS, 'Deployment', name, 'helios-collection');
      const [container] = deployment.spec.template.spec.containers;
      const mounts: Record<string, string> = {};
      for (const m of container.volumeMounts) {
        mounts[m.mountPath] = join(dir, `${name}-${m.name}`);
        mkdirSync(mounts[m.mountPath], { recursive: true });
        for (const [file, text] of Object.entries(files[m.name])) writeScratch(mounts[m.mountPath], file, text);
      }
      const port = await freePort();
      const args = argsForTest(mountedArgsForTest(container.args, mounts), { '--web.listen-address': `127.0.0.1:${port}` }, `${name}-0`);
      await started(startHttpPeer(name, name.replace('-', '_'), args, port, '/metrics'));
      return `127.0.0.1:${port}`;
    };
    const snmpAuths = esoSecrets().find((s) => s.metadata.name === 'snmp-exporter-auths').stringData;
    const snmpExporter = await exporter('snmp-exporter', {
      modules: find(OBJECTS, 'ConfigMap', 'snmp-exporter-modules', 'helios-collection').data,
      auths: snmpAuths,
    });
    const blackboxExporter = await exporter('blackbox-exporter', { config: find(OBJECTS, 'ConfigMap', 'blackbox-exporter-config', 'helios-collection').data });

    // gnmic as the synthesized pod gnmic-0 would run it (pod IP on loopback), its merge-targets container beside it.
    const podIp = podIpInShard0(shards);
    const statefulSet = find(OBJECTS, 'StatefulSet', 'gnmic', 'helios-collection');
    applyObjects(world.kube, [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gnmic-0', namespace: 'helios-collection', labels: statefulSet.spec.template.metadata.labels }, spec: statefulSet.spec.template.spec }]);
    const status = world.kube.kubectl(['patch', 'pod', '-n', 'helios-collection', 'gnmic-0', '--subresource=status', '--type=merge', '-p',
      JSON.stringify({ status: { phase: 'Running', podIP: podIp, podIPs: [{ ip: podIp }], conditions: [{ type: 'Ready', status: 'True' }] } })]);
    if (status.status !== 0) throw new Error(status.stderr);
    const mergedDir = join(dir, 'gnmic-merged');
    mkdirSync(mergedDir, { recursive: true });
    const merge = statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'merge-targets');
    const mergedFile = join(mergedDir, 'gnmic-targets.yaml');
    peers.unshift(await PeerProcess.start({
      name: 'gnmic-merge-targets',
      command: merge.command[0],
      args: [...merge.command.slice(1, -1), mergeScriptForTest(merge.command.at(-1), targetsDir, mergedDir)],
      ready: () => existsSync(mergedFile),
    }));
    const gnmicConfig = parse(find(OBJECTS, 'ConfigMap', 'gnmic-config', 'helios-collection').data['gnmic.yaml']);
    // The Kubernetes Lease locker needs in-cluster credentials at fixed paths: one instance, unclustered.
    delete gnmicConfig.clustering;
    gnmicConfig['api-server'].address = `${podIp}:${API_PORT}`;
    gnmicConfig.outputs.prometheus.listen = `${podIp}:${TELEMETRY_PORT}`;
    gnmicConfig.loader.path = mergedFile;
    const gnmicFile = writeScratch(dir, 'gnmic.yaml', stringify(gnmicConfig));
    // Its ports are fixed: answered before it starts, they would be another gnmic's, and the test would read that one.
    for (const port of [API_PORT, TELEMETRY_PORT]) if (await tcpOpen(port, podIp)) throw new Error(`${podIp}:${port} is taken before gnmic starts`);
    const collector = await PeerProcess.start({
      name: 'gnmic',
      command: peerBin('gnmic'),
      args: ['--config', gnmicFile, 'subscribe'],
      env: { GNMIC_USERNAME: GNMI_CREDENTIALS.username, GNMIC_PASSWORD: GNMI_CREDENTIALS.password },
      ready: () => tcpOpen(API_PORT, podIp),
    });
    peers.unshift(collector);

    // Alertmanager with the operator-generated configuration.
    const amPort = await freePort();
    const amConfig = alertmanagerConfigForTest(out.alertmanagerText, { url: (path) => sink.url(path) });
    const amArgs = alertmanagerArgsForTest(out, writeScratch(dir, 'alertmanager.yaml', stringify(amConfig)), dir, amPort);
    await started(startHttpPeer('alertmanager', 'alertmanager', amArgs, amPort, '/-/ready'));

    // Two replicas of shard 0, each with its Thanos sidecar.
    const rulesDir = join(dir, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    for (const [name, text] of Object.entries(out.ruleFiles)) writeScratch(rulesDir, name, text);
    const promSet = out.statefulSets['helios-storage/prometheus-helios'];
    const containers = promSet.spec.template.spec.containers;
    const grpcEndpoints: string[] = [];
    for (const replica of REPLICAS) {
      const [port, grpc, http] = [await freePort(), await freePort(), await freePort()];
      const config = prometheusConfigForTest(out.prometheus, {
        targetsDir,
        rulesDir,
        kubeconfig: world.kube.kubeconfigPath,
        alertmanager: `127.0.0.1:${amPort}`,
        shard: 0,
        podName: replica,
        services: { 'snmp-exporter.helios-collection.svc:9116': snmpExporter, 'blackbox-exporter.helios-collection.svc:9115': blackboxExporter },
      });
      const configFile = writeScratch(dir, `${replica}.yaml`, stringify(config));
      const tsdb = join(dir, replica);
      const args = argsForTest(containers.find((c: any) => c.name === 'prometheus').args, {
        '--config.file': configFile,
        '--storage.tsdb.path': tsdb,
        '--web.listen-address': `127.0.0.1:${port}`,
        '--web.config.file': writeScratch(dir, 'prometheus-web-config.yaml', out.prometheusWebConfigText),
        '--storage.tsdb.min-block-duration': TEST_BLOCK_DURATION,
        '--storage.tsdb.max-block-duration': TEST_BLOCK_DURATION,
      }, replica);
      prometheus.push(await started(startHttpPeer(`prometheus-${replica}`, 'prometheus', args, port, '/-/ready')));
      const sidecarArgs = argsForTest(containers.find((c: any) => c.name === 'thanos-sidecar').args, {
        '--prometheus.url': `http://127.0.0.1:${port}/`,
        '--grpc-address': `127.0.0.1:${grpc}`,
        '--http-address': `127.0.0.1:${http}`,
        '--tsdb.path': tsdb,
        '--objstore.config': undefined,
        '--objstore.config-file': objstoreFile,
        '--prometheus.http-client-file': writeScratch(dir, 'prometheus.http-client-file.yaml', out.sidecarHttpClientText),
      }, replica);
      await started(startHttpPeer(`thanos-sidecar-${replica}`, 'thanos', sidecarArgs, http, '/-/ready'));
      grpcEndpoints.push(`127.0.0.1:${grpc}`);
    }

    // Store Gateway, Query and Ruler with the synthesized args.
    const thanosArgs = (name: string, kind: string, changes: Record<string, string | undefined>) => thanosArgsForTest(OBJECTS, name, kind, changes);
    const [storeGrpc, storeHttp] = [await freePort(), await freePort()];
    await started(startHttpPeer('thanos-store', 'thanos', storeGatewayArgsForTest(OBJECTS, { http: storeHttp, grpc: storeGrpc }, join(dir, 'store'), objstoreFile), storeHttp, '/-/ready'));
    const [ruleGrpc, ruleHttp, queryGrpc] = [await freePort(), await freePort(), await freePort()];
    const [queryHttp, storeQueryGrpc, storeQueryHttp] = [await freePort(), await freePort(), await freePort()];
    // The synthesized endpoints file's shape; each DNS SRV name becomes the loopback addresses it would resolve to.
    const endpointsFile = (addresses: string[], name: string) =>
      writeScratch(dir, name, stringify({ endpoints: addresses.map((address) => ({ address, strict: false, group: false })) }));
    const queryKind = OBJECTS.some((o) => o.kind === 'Deployment' && o.metadata.name === 'thanos-query') ? 'Deployment' : 'StatefulSet';
    query = await started(startHttpPeer('thanos-query', 'thanos', thanosArgs('thanos-query', queryKind, {
      '--http-address': `127.0.0.1:${queryHttp}`,
      '--grpc-address': `127.0.0.1:${queryGrpc}`,
      '--endpoint.sd-config-file': endpointsFile([...grpcEndpoints, `127.0.0.1:${ruleGrpc}`, `127.0.0.1:${storeGrpc}`], 'endpoints.yaml'),
    }), queryHttp, '/-/ready'));
    // A second Query that sees only the Store Gateway: what the bucket alone answers.
    storeQuery = await started(startHttpPeer('thanos-query-store-only', 'thanos', thanosArgs('thanos-query', queryKind, {
      '--http-address': `127.0.0.1:${storeQueryHttp}`,
      '--grpc-address': `127.0.0.1:${storeQueryGrpc}`,
      '--endpoint.sd-config-file': endpointsFile([`127.0.0.1:${storeGrpc}`], 'endpoints-store.yaml'),
    }), storeQueryHttp, '/-/ready'));
    const rulerRules = join(dir, 'ruler');
    mkdirSync(rulerRules, { recursive: true });
    for (const [name, text] of Object.entries(find(OBJECTS, 'ConfigMap', 'thanos-ruler-rules', 'helios-storage').data as Record<string, string>)) writeScratch(rulerRules, name, text);
    await started(startHttpPeer('thanos-ruler', 'thanos', thanosArgs('thanos-ruler', 'StatefulSet', {
      '--http-address': `127.0.0.1:${ruleHttp}`,
      '--grpc-address': `127.0.0.1:${ruleGrpc}`,
      '--data-dir': join(dir, 'ruler-data'),
      '--rule-file': join(rulerRules, '*.yaml'),
      '--query': `http://127.0.0.1:${queryHttp}`,
      '--objstore.config-file': objstoreFile,
      '--alertmanagers.url': `http://127.0.0.1:${amPort}`,
    }), ruleHttp, '/-/ready'));

    // A port of leaf1 taking errors: its packet and error counters grow, as on a bad link.
    let tick = 0;
    traffic = setInterval(() => {
      tick++;
      execFile(peerBin('gnmic'), ['-a', leaf1.address, '--skip-verify', '-u', GNMI_CREDENTIALS.username, '-p', GNMI_CREDENTIALS.password, 'set',
        '--update', `/interfaces/interface[name=Ethernet2]/state/counters/in-pkts:::string:::${2000 + tick * 1000}`,
        '--update', `/interfaces/interface[name=Ethernet2]/state/counters/in-errors:::string:::${1 + tick * 10}`], () => undefined);
    }, 15_000);
    dashboards.start(query.url, 20_000);
  }, 600_000);

  afterAll(async () => {
    dashboards.stop();
    clearInterval(traffic);
    for (const p of peers) await p.stop();
    await leaf1?.stop();
    await sink.stop();
    await world?.stop();
  }, 120_000);

  it('takes its targets from the Target Generator\'s sync of NetBox: gnmic, SNMP and blackbox targets with the devices\' taxonomy', () => {
    const { leaf1: leaf, spine1: spine, border1: border } = DEVICES;
    const gnmicTargets = parse(targetFiles['gnmic-0.yaml']);
    expect(Object.keys(gnmicTargets).sort()).toEqual([border.name, leaf.name]);
    expect(gnmicTargets[leaf.name]).toMatchObject({ 'address': leaf1.address, 'event-tags': leaf.taxonomy, 'subscriptions': ['interfaces'] });
    expect(gnmicTargets[border.name]).toMatchObject({ 'event-tags': border.taxonomy, 'subscriptions': ['interfaces', 'system', 'platform', 'bgp'] });
    expect(JSON.parse(targetFiles['snmp-0.json'])).toEqual([{ targets: [spine.address], labels: { __param_module: 'if_mib,arista_eos', __param_auth: 'helios_v2c', ...spine.taxonomy } }]);
    expect(JSON.parse(targetFiles['blackbox-0.json']).map((g: any) => [g.targets, g.labels.__param_module, g.labels.device])).toEqual([
      // One line per probe, ordered by "<target name> <module>".
      [[`http://${spine.address}/`], 'http_2xx', spine.name], [[spine.address], 'icmp', spine.name], [[`${spine.address}:22`], 'tcp_connect', spine.name],
    ]);
  });

  it('answers through Thanos Query with the device\'s series, all seven taxonomy labels and the cluster/datacenter labels, one series per interface after deduplication', async () => {
    await waitFor('leaf1 counters through Thanos Query', async () => (await instantQuery(query.url, inOctets)).length === 4, 180_000, 1000);
    const series = await instantQuery(query.url, inOctets);
    for (const s of series) {
      for (const label of TAXONOMY_LABELS) expect(s.metric[label]).toBe(TAXONOMY[label as keyof typeof TAXONOMY]);
      expect(s.metric.cluster).toBe(CLUSTER.name);
      expect(s.metric.datacenter).toBe(CLUSTER.datacenter);
      expect(s.metric.job).toBe('gnmi');
      expect(s.metric.prometheus_replica).toBeUndefined();
    }
    expect(series.map((s) => [s.metric.interface_name, Number(s.value[1])]).sort()).toEqual([
      ['Ethernet1', 1_000_000], ['Ethernet2', 2_000_000], ['Ethernet3', 3_000_000], ['Ethernet4', 4_000_000],
    ]);
    // Both replicas scraped it: without deduplication, every series twice.
    await waitFor('both replicas through Query', async () => (await instantQuery(query.url, inOctets, { dedup: 'false' })).length === 8, 90_000, 1000);
    const raw = await instantQuery(query.url, inOctets, { dedup: 'false' });
    expect([...new Set(raw.map((s) => s.metric.prometheus_replica))].sort()).toEqual(REPLICAS);
    console.log(`through Thanos Query: ${series.length} series deduplicated, ${raw.length} without; e.g. ${JSON.stringify(series[0].metric)}`);
  }, 300_000);

  it('shows a counter changed on the device through Thanos Query, within SC-002\'s 30 s, and prints the delay', async () => {
    const value = 9_123_456_789;
    const set = gnmic(['-a', leaf1.address, '--skip-verify', '-u', GNMI_CREDENTIALS.username, '-p', GNMI_CREDENTIALS.password, 'set',
      '--update', `/interfaces/interface[name=Ethernet1]/state/counters/in-octets:::string:::${value}`]);
    expect(set.status).toBe(0);
    // The counter changed on the device when its Set answered; the gnmic CLI's own start (seconds on a busy machine) is not the path's.
    const t0 = Date.now();
    const q = `max(${GNMI_METRICS.inOctets}{device="leaf1",interface_name="Ethernet1"})`;
    await waitFor('the new counter through Thanos Query', async () => Number((await instantQuery(query.url, q))[0]?.value[1]) === value, 120_000, 250);
    const delay = (Date.now() - t0) / 1000;
    const gnmicConfig = parse(find(OBJECTS, 'ConfigMap', 'gnmic-config', 'helios-collection').data['gnmic.yaml']);
    const scrape = find(OBJECTS, 'PodMonitor', 'gnmic', 'helios-collection').spec.podMetricsEndpoints[0].interval;
    console.log(`SC-002: device change → Thanos Query in ${delay.toFixed(1)} s (bounded by gnmic's sample-interval ${gnmicConfig.subscriptions.interfaces['sample-interval']} + the scrape interval ${scrape} + Query's read; spec: ≤ 30 s)`);
    // The synthesized intervals bound the delay at 10 s + 15 s plus the scrape and Query's read: SC-002 holds.
    expect(delay).toBeLessThan(30);
  }, 180_000);

  it('uploads blocks to the bucket, and the Store Gateway alone answers from them', async () => {
    await waitFor('a block in the bucket', async () => (await s3Keys(s3.url, bucket)).some((k) => k.endsWith('/meta.json')), 300_000, 2000);
    const keys = await s3Keys(s3.url, bucket);
    const blocks = new Set(keys.filter((k) => k.endsWith('/meta.json')).map((k) => k.split('/')[0]));
    console.log(`bucket ${bucket}: ${blocks.size} blocks, ${keys.length} objects`);
    // Both replicas upload their own copy of each series; the store-only Query returns each interface once.
    const q = `last_over_time(${inOctets}[15m])`;
    await waitFor('the Store Gateway serving both replicas\' blocks', async () => (await instantQuery(storeQuery.url, q, { dedup: 'false' })).length === 8, 180_000, 2000);
    const raw = await instantQuery(storeQuery.url, q, { dedup: 'false' });
    expect([...new Set(raw.map((s) => s.metric.prometheus_replica))].sort()).toEqual(REPLICAS);
    const dedup = await instantQuery(storeQuery.url, q);
    expect(dedup.map((s) => s.metric.interface_name).sort()).toEqual(['Ethernet1', 'Ethernet2', 'Ethernet3', 'Ethernet4']);
    for (const s of dedup) expect([s.metric.cluster, s.metric.datacenter]).toEqual([CLUSTER.name, CLUSTER.datacenter]);
  }, 480_000);

  it('runs the Compactor once over the bucket with the synthesized retention, and it leaves the blocks readable', async () => {
    const compactor = find(OBJECTS, 'StatefulSet', 'thanos-compactor', 'helios-storage');
    const args = argsForTest(compactor.spec.template.spec.containers[0].args, compactorOnePass(join(dir, 'compact'), objstoreFile), 'thanos-compactor-0');
    const r = spawnSync(peerBin('thanos'), args, { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/level=(error|warn).*halt/);
    expect(r.status).toBe(0);
    for (const [resolution, hours] of [['raw samples', 336], ['5 min aggregated samples', 720], ['1 hour aggregated samples', 2160]] as const) {
      expect(r.stderr).toContain(`msg="retention policy of ${resolution} is enabled" duration=${hours}h0m0s`);
    }
    expect(r.stderr).toContain('msg="compaction iterations done"');
    expect(r.stderr).toContain('msg="downsampling iterations done"');
    await sleep(12_000); // one Store Gateway sync (TEST_STORE_SYNC) after the pass
    expect(await instantQuery(storeQuery.url, `last_over_time(${inOctets}[15m])`)).toHaveLength(4);
  }, 180_000);

  it('fires DeviceUnreachable through the Ruler when the device stops, and Alertmanager delivers it to the PagerDuty receiver with its runbook', async () => {
    await leaf1.stop();
    const stoppedAt = Date.now();
    const leaf1Page = (r: { path: string; body: any }) => r.path === '/pagerduty' && JSON.stringify(r.body).includes('DeviceUnreachable') && JSON.stringify(r.body).includes('leaf1');
    await waitFor('DeviceUnreachable of leaf1 at the PagerDuty sink', () => sink.received.some(leaf1Page), 420_000, 1000);
    const page = sink.received.find(leaf1Page)!;
    console.log(`DeviceUnreachable paged ${((Date.now() - stoppedAt) / 1000).toFixed(0)} s after the device stopped (rule for: 2m, Ruler eval 1m, group_wait)`);
    expect(page.body.routing_key).toBe(VAULT['alertmanager-helios-config'].pagerdutyRoutingKey);
    expect(page.body.event_action).toBe('trigger');
    const text = JSON.stringify(page.body);
    expect(text).toContain('leaf1');
    expect(text).toContain('https://github.com/helios-observability/helios/blob/main/constructs/metrics/README.md#deviceunreachable');
    // Critical pages, and nothing of DeviceUnreachable reaches the non-paging channels.
    await sleep(1000);
    expect(sink.received.filter((r) => r.path === '/slack' && JSON.stringify(r.body).includes('DeviceUnreachable'))).toEqual([]);
    // A device that stopped answering is stale, not frozen at its last value: gnmic expires its
    // series (output expiration: four sample intervals) and Prometheus writes staleness markers when they vanish.
    expect(await instantQuery(query.url, inOctets)).toEqual([]);
  }, 480_000);

  it('answers every PromQL query of the dashboards with data from this stack', async () => {
    const keys = dashboards.queries.map((q) => q.key);
    // The background poll ran while the tests did; what it has not seen yet gets a last chance. The longest
    // wait is for the Ruler's hourly peaks: a group evaluated every 5 minutes, on the first evaluation
    // after the 5-minute utilization exists.
    dashboards.stop();
    const rest = new DashboardWatch(dashboards.queries.filter((q) => dashboards.missing().includes(q.key)), dashboards.since);
    await waitFor('every dashboard query to return data', async () => {
      await rest.poll(query.url);
      return rest.missing().length === 0;
    }, 300_000, 10_000).catch(() => undefined);
    for (const [k, v] of rest.answered) dashboards.answered.set(k, v);
    for (const [k, v] of rest.errors) dashboards.errors.set(k, v);
    const report = dashboards.queries.map((q) => {
      const a = dashboards.answered.get(q.key);
      return a ? `  ${q.key}: ${a.series} series after ${a.afterSec} s` : `  ${q.key}: NO DATA`;
    });
    console.log(`dashboard queries through Thanos Query: ${dashboards.answered.size} of ${keys.length} returned data\n${report.join('\n')}`);
    expect([...dashboards.errors]).toEqual([]);
    expect(dashboards.missing().map((k) => `${k}: ${dashboards.queries.find((q) => q.key === k)!.expr}`)).toEqual([]);
    // The scope variables list every device, reached by different collectors, with the taxonomy NetBox gave them.
    const variable = async (key: string, label: string) => (await instantQuery(query.url, dashboards.queries.find((q) => q.key === key)!.expr))
      .map((r) => r.metric[label]).sort();
    expect(await variable('helios-device-health $device', 'device')).toEqual(Object.values(DEVICES).map((d) => d.name).sort());
    expect(await variable('helios-device-health $site', 'site')).toEqual([...new Set(Object.values(DEVICES).map((d) => d.taxonomy.site))].sort());
  }, 360_000);
});
