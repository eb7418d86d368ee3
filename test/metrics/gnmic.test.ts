import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseExposition, type Sample } from './collection-support.js';
import { clusterObjects, find, oneCluster } from './support.js';
import { GNMI_METRICS } from '../../constructs/metrics/gnmic.js';
import { GNMIC_CLUSTER_NAME, GNMIC_TARGET_NAME_MAX, TARGETS_MOUNT_PATH, gnmicTargetNameProblem } from '../../constructs/platform/targets.js';
import { TAXONOMY_LABELS } from '../../constructs/platform/taxonomy.js';
import { scratch, startGnmiTarget, startGnmicCollector, writeScratch } from '../peers/harness/network-peers.js';
import { peerData } from '../peers/harness/paths.js';
import { freePort, PeerProcess, waitFor } from '../peers/harness/process.js';

const objects = clusterObjects(oneCluster({ tier: 'medium' }));
const configMap = find(objects, 'ConfigMap', 'gnmic-config', 'helios-collection');
const statefulSet = find(objects, 'StatefulSet', 'gnmic', 'helios-collection');
const mergeContainer = statefulSet.spec.template.spec.containers.find((c: any) => c.name === 'merge-targets');
const CREDENTIALS = { username: 'helios', password: 'gn:mi s3cret' };

/**
 * The test device: gnxi gnmi_target with the harness's four interfaces (Ethernet4
 * down), plus two CPUs, memory and a temperature sensor (models the target serves).
 */
function deviceFile(dir: string, hostname: string): string {
  const device = JSON.parse(readFileSync(peerData('gnmi-target', 'interfaces.json'), 'utf8'));
  device['openconfig-system:system'] = {
    config: { hostname },
    cpus: { cpu: [0, 1].map((index) => ({ index, state: { index, total: { instant: index === 0 ? 42 : 91 } } })) },
    memory: { state: { physical: '8589934592', used: '7730941133' } },
  };
  device['openconfig-platform:components'] = {
    component: [{ name: 'TempSensor1', config: { name: 'TempSensor1' }, state: { name: 'TempSensor1', temperature: { instant: '41.5' } } }],
  };
  return writeScratch(dir, `${hostname}.json`, JSON.stringify(device));
}

/** One target line as the Target Generator writes it; `insecure` because gnmi_target runs without TLS. */
function targetLine(name: string, address: string, subscriptions: string[], tags: Record<string, string>): string {
  return `${JSON.stringify(name)}: ${JSON.stringify({ address, subscriptions, 'event-tags': tags, 'tags': [`site=${tags.site}`], 'insecure': true })}\n`;
}

const taxonomy = (device: string) => ({ device, site: 'ams1', region: 'eu', vendor: 'arista', platform: 'eos', role: 'leaf', tier: 'gold' });

describe('the synthesized gnmic cluster', () => {
  it('is a gnmic cluster whose API Service is <cluster-name>-gnmic-api with the API as its only port', () => {
    const config = parse(configMap.data['gnmic.yaml']);
    expect(config.clustering).toMatchObject({ 'cluster-name': GNMIC_CLUSTER_NAME, 'instance-name': '${POD_NAME}', 'locker': { type: 'k8s', namespace: 'helios-collection' } });
    const service = find(objects, 'Service', `${GNMIC_CLUSTER_NAME}-gnmic-api`, 'helios-collection');
    expect(service.spec.ports).toEqual([{ name: 'api', port: 7890, targetPort: 'api' }]);
    expect(service.spec.clusterIP).toBe('None');
    expect(statefulSet.spec.serviceName).toBe(service.metadata.name);
    expect(config['api-server'].address).toBe(':7890');
  });

  it('may hold Leases and watch only its own API Endpoints', () => {
    expect(find(objects, 'Role', 'gnmic', 'helios-collection').rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
      { apiGroups: [''], resources: ['endpoints'], resourceNames: ['helios-gnmic-api'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(statefulSet.spec.template.spec.serviceAccountName).toBe('gnmic');
  });

  it('scales between the tier\'s bounds with an HPA that owns the replica count', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'gnmic', 'helios-collection');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 4]);
    expect(statefulSet.spec.replicas).toBeUndefined();
    expect(find(objects, 'PodDisruptionBudget', 'gnmic', 'helios-collection').spec.maxUnavailable).toBe(1);
  });

  it('reads device credentials from the ExternalSecret\'s Secret, never from its config', () => {
    const env = statefulSet.spec.template.spec.containers[0].env;
    expect(env.filter((e: any) => e.name.startsWith('GNMIC_'))).toEqual([
      { name: 'GNMIC_USERNAME', valueFrom: { secretKeyRef: { name: 'gnmic-device-credentials', key: 'username' } } },
      { name: 'GNMIC_PASSWORD', valueFrom: { secretKeyRef: { name: 'gnmic-device-credentials', key: 'password' } } },
    ]);
    expect(find(objects, 'ExternalSecret', 'gnmic-device-credentials', 'helios-collection').spec.data.map((d: any) => d.secretKey)).toEqual(['password', 'username']);
    expect(configMap.data['gnmic.yaml']).not.toMatch(/password|username/);
  });

  it('writes the example target ConfigMap only when no Target Generator runs', () => {
    // With a Target Generator, the shard is its own: created empty, for it to fill.
    expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'helios-targets-gnmic-0').map((o: any) => [o.metadata.labels['app.kubernetes.io/name'], o.data]))
      .toEqual([['target-generator', undefined]]);
    const without = clusterObjects(oneCluster({ extra: '    stacks: { automation: false }\n' }));
    const example = find(without, 'ConfigMap', 'helios-targets-gnmic-0', 'helios-collection');
    expect(parse(example.data['gnmic-0.yaml'])).toEqual({});
  });

  it('makes a device change queryable within 30 s (SC-002): one sample interval plus one telemetry scrape, in every tier', () => {
    const seconds = (d: string) => {
      const m = /^(\d+)s$/.exec(d);
      if (!m) throw new Error(`not a duration in seconds: ${d}`);
      return Number(m[1]);
    };
    for (const tier of ['small', 'medium', 'large', 'xl']) {
      const tierObjects = tier === 'medium' ? objects : clusterObjects(oneCluster({ tier }));
      const config = parse(find(tierObjects, 'ConfigMap', 'gnmic-config', 'helios-collection').data['gnmic.yaml']);
      const samples = Object.values(config.subscriptions).map((s: any) => seconds(s['sample-interval']));
      const telemetry = find(tierObjects, 'PodMonitor', 'gnmic', 'helios-collection').spec.podMetricsEndpoints
        .find((e: any) => e.port === 'telemetry');
      const worst = Math.max(...samples) + seconds(telemetry.interval);
      expect([tier, worst]).toEqual([tier, 25]);
      expect(worst).toBeLessThan(30);
      // A series outlives four missed samples, so it survives a late one but not a lost device.
      expect(seconds(config.outputs.prometheus.expiration)).toBe(4 * Math.max(...samples));
    }
  });

  it('retries a device whose connection or stream failed every 5 s (gnmic `retry`, the default of every target\'s retry-timer)', () => {
    const config = parse(configMap.data['gnmic.yaml']);
    expect(config.retry).toBe('5s');
  });

  it('takes target names that fit in a Lease name and its label key', () => {
    expect(GNMIC_TARGET_NAME_MAX).toBe(63 - 'gnmic-helios-targets-'.length);
    expect(gnmicTargetNameProblem('ams1-leaf-01.dc1')).toBeUndefined();
    expect(gnmicTargetNameProblem('AMS1-Leaf')).toMatch(/not a valid Lease name/);
    expect(gnmicTargetNameProblem('10.0.0.1:57400')).toMatch(/not a valid Lease name/);
    expect(gnmicTargetNameProblem('a'.repeat(GNMIC_TARGET_NAME_MAX + 1))).toMatch(`at most ${GNMIC_TARGET_NAME_MAX}`);
  });
});

/**
 * Real gnmic v0.45.0 with the synthesized gnmic.yaml, adjusted for the test only in:
 * the API and Prometheus listen addresses (free loopback ports), the loader's path (a
 * scratch folder), and no `clustering` section (gnmic's k8s locker needs in-cluster
 * credentials at fixed paths). Credentials come through GNMIC_USERNAME/GNMIC_PASSWORD
 * as in the pod. The synthesized merge loop runs as in the sidecar, on scratch folders.
 */
describe('real gnmic with the synthesized configuration and merge loop, streaming from gnmi_target', () => {
  const dir = scratch('gnmic');
  const targetsDir = join(dir, 'targets');
  const mergedDir = join(dir, 'merged');
  let leaf1: Awaited<ReturnType<typeof startGnmiTarget>>;
  let leaf2: Awaited<ReturnType<typeof startGnmiTarget>> | undefined;
  let merge: PeerProcess;
  let collector: PeerProcess;
  let apiPort: number;
  let telemetryPort: number;

  const scrape = async (port: number): Promise<Sample[]> => parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const series = async (name: string, device: string) => (await scrape(telemetryPort)).filter((s) => s.name === name && s.labels.device === device);

  beforeAll(async () => {
    for (const d of [targetsDir, mergedDir]) mkdirSync(d, { recursive: true });
    leaf1 = await startGnmiTarget(deviceFile(dir, 'leaf1'), CREDENTIALS);
    writeScratch(targetsDir, 'gnmic-0.yaml', targetLine('leaf1', leaf1.address, ['interfaces', 'system', 'platform'], taxonomy('leaf1')));
    // An empty shard, as the Target Generator leaves one.
    writeScratch(targetsDir, 'gnmic-1.yaml', '{}\n');

    const script: string = mergeContainer.command[2].replaceAll(TARGETS_MOUNT_PATH, targetsDir).replaceAll('/run/helios', mergedDir);
    const merged = join(mergedDir, 'gnmic-targets.yaml');
    merge = await PeerProcess.start({
      name: 'gnmic-merge-targets',
      command: '/bin/sh',
      args: [mergeContainer.command[1], script],
      ready: () => existsSync(merged),
    });

    [apiPort, telemetryPort] = [await freePort(), await freePort()];
    const config = parse(configMap.data['gnmic.yaml']);
    delete config.clustering;
    config['api-server'].address = `127.0.0.1:${apiPort}`;
    config.outputs.prometheus.listen = `127.0.0.1:${telemetryPort}`;
    config.loader.path = merged;
    // gnmi_target's platform model has no power-supply container, and one unknown path fails the whole subscription.
    config.subscriptions.platform.paths = config.subscriptions.platform.paths.filter((p: string) => !p.includes('power-supply'));
    const configFile = writeScratch(dir, 'gnmic.yaml', stringify(config));
    collector = await startGnmicCollector(configFile, apiPort, { GNMIC_USERNAME: CREDENTIALS.username, GNMIC_PASSWORD: CREDENTIALS.password });
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await merge?.stop();
    await leaf2?.stop();
    await leaf1?.stop();
  });

  it('exposes interface counters with the taxonomy on every series', async () => {
    await waitFor('leaf1 interface counters', async () => (await series(GNMI_METRICS.inOctets, 'leaf1')).length === 4, 90_000, 1000);
    const samples = (await scrape(telemetryPort)).filter((s) => s.labels.device === 'leaf1');
    for (const s of samples) {
      for (const label of TAXONOMY_LABELS) expect(s.labels[label]).toBe(taxonomy('leaf1')[label]);
      expect(s.labels.source).toBe('leaf1');
    }
    const inOctets = await series(GNMI_METRICS.inOctets, 'leaf1');
    expect(inOctets.map((s) => [s.labels.interface_name, s.value]).sort()).toEqual([
      ['Ethernet1', 1_000_000], ['Ethernet2', 2_000_000], ['Ethernet3', 3_000_000], ['Ethernet4', 4_000_000],
    ]);
    console.log(`metric names from gnmic: ${[...new Set(samples.map((s) => s.name))].sort().join(', ')}`);
    console.log(`a series as exposed: ${GNMI_METRICS.inOctets}${JSON.stringify(inOctets[0].labels)}`);
  }, 120_000);

  it('turns interface states into IF-MIB codes (1 up, 2 down)', async () => {
    const oper = await series(GNMI_METRICS.operStatus, 'leaf1');
    expect(oper.map((s) => [s.labels.interface_name, s.value]).sort()).toEqual([['Ethernet1', 1], ['Ethernet2', 1], ['Ethernet3', 1], ['Ethernet4', 2]]);
    expect((await series(GNMI_METRICS.adminStatus, 'leaf1')).find((s) => s.labels.interface_name === 'Ethernet4')?.value).toBe(2);
    for (const name of [GNMI_METRICS.inErrors, GNMI_METRICS.outErrors, GNMI_METRICS.inPkts, GNMI_METRICS.outPkts, GNMI_METRICS.outOctets]) {
      expect(await series(name, 'leaf1')).toHaveLength(4);
    }
  });

  it('streams CPU, memory and temperature under the names the device rules use', async () => {
    await waitFor('leaf1 system and platform', async () => (await series(GNMI_METRICS.temperature, 'leaf1')).length === 1, 60_000, 1000);
    expect((await series(GNMI_METRICS.cpuTotal, 'leaf1')).map((s) => [s.labels.cpu_index, s.value]).sort()).toEqual([['0', 42], ['1', 91]]);
    expect((await series(GNMI_METRICS.memoryPhysical, 'leaf1'))[0].value).toBe(8589934592);
    expect((await series(GNMI_METRICS.memoryUsed, 'leaf1'))[0].value).toBe(7730941133);
    expect((await series(GNMI_METRICS.temperature, 'leaf1'))[0]).toMatchObject({ value: 41.5, labels: { component_name: 'TempSensor1' } });
  });

  it('reports the target up on its API\'s metrics, by target name', async () => {
    await waitFor('gnmic_target_up', async () => (await scrape(apiPort)).some((s) => s.name === 'gnmic_target_up' && s.labels.name === 'leaf1' && s.value === 1), 60_000, 1000);
  }, 90_000);

  it('picks up a target added to another shard, without a restart', async () => {
    const pid = collector.pid;
    leaf2 = await startGnmiTarget(deviceFile(dir, 'leaf2'), CREDENTIALS);
    writeScratch(targetsDir, 'gnmic-1.yaml', targetLine('leaf2', leaf2.address, ['interfaces'], taxonomy('leaf2')));
    const t0 = Date.now();
    await waitFor('leaf2 interface counters', async () => (await series(GNMI_METRICS.inOctets, 'leaf2')).length === 4, 90_000, 1000);
    console.log(`leaf2 streamed ${((Date.now() - t0) / 1000).toFixed(1)} s after its shard was written (merge every 5 s, loader every 10 s)`);
    expect(collector.pid).toBe(pid);
    expect(collector.running).toBe(true);
    expect(await series(GNMI_METRICS.inOctets, 'leaf1')).toHaveLength(4);
  }, 120_000);
});
