import { parse, stringify } from 'yaml';
import { gnmicConfigForTest } from './rewrites.js';
import { OBJECTS } from './world.js';
import { GNMI_METRICS, GNMIC_API_PORT, GNMIC_API_SERVICE, GNMIC_TELEMETRY_PORT } from '../../constructs/metrics/gnmic.js';
import { parseExposition } from '../metrics/collection-support.js';
import { find } from '../metrics/support.js';
import { KubeApiServer } from '../peers/harness/kube.js';
import { applyObjects } from '../peers/harness/metrics-peers.js';
import { scratch, startGnmiTarget, writeScratch } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { inPod, PodNetwork } from '../peers/harness/pod.js';
import { httpOk, PeerProcess, sleep, waitFor } from '../peers/harness/process.js';

/**
 * gnmic clustering for real: two pods of the synthesized gnmic StatefulSet run the
 * synthesized gnmic.yaml (only the listen addresses and the loader's file changed, see
 * rewrites.ts) with the Kubernetes Lease locker against a real kube-apiserver. Each pod
 * runs as a pod would: in a pod network with its pod IP, its own hostname (the pod name,
 * which the locker writes as the Lease holder), a service-account token the API server
 * issued for the pod with the API server's CA at the in-cluster path, and the
 * synthesized ServiceAccount, Role and RoleBinding deciding what it may do. The API
 * Service's Endpoints list both pods, as the endpoints controller would. Four
 * gnmi_target devices are the targets.
 */
const NS = 'helios-collection';
const CREDENTIALS = { username: 'helios', password: 'gn:mi s3cret' };
const DEVICES = ['leaf1', 'leaf2', 'leaf3', 'leaf4'];
const PODS = ['gnmic-0', 'gnmic-1'];
const config = parse(find(OBJECTS, 'ConfigMap', 'gnmic-config', NS).data['gnmic.yaml']);
const seconds = (d: string): number => {
  const m = /^(\d+)s$/.exec(d);
  if (!m) throw new Error(`not a duration in seconds: ${d}`);
  return Number(m[1]);
};
const LEASE_SEC = seconds(config.clustering.locker['lease-duration']);
const TARGETS_WATCH_SEC = seconds(config.clustering['targets-watch-timer']);
const LEADER_WAIT_SEC = seconds(config.clustering['leader-wait-timer']);
const SAMPLE_SEC = Math.max(...Object.values(config.subscriptions).map((s: any) => seconds(s['sample-interval'])));
const EXPIRATION_SEC = seconds(config.outputs.prometheus.expiration);
const RETRY_SEC = seconds(config.retry);
const targetLease = (device: string) => `gnmic-${config.clustering['cluster-name']}-targets-${device}`;

/** The pods' IPs, on the pod network's loopback (the API server refuses 127.0.0.0/8 in Endpoints). */
const POD_IPS = ['10.244.0.10', '10.244.0.11'];

/** The devices whose interface counters a pod's Prometheus output serves now (none when the pod is down). */
async function devicesIn(network: PodNetwork, ip: string): Promise<Set<string>> {
  try {
    const r = await fetch(`http://${network.fromNode(`${ip}:${GNMIC_TELEMETRY_PORT}`)}/metrics`, { signal: AbortSignal.timeout(3000) });
    const samples = parseExposition(await r.text()).filter((s) => s.name === GNMI_METRICS.inOctets);
    return new Set(samples.map((s) => s.labels.device));
  } catch {
    return new Set();
  }
}

interface Lease { name: string; holder: string; instance: string }

/**
 * gRPC's reconnect backoff (the connection-backoff spec: 1 s, ×1.6, ±20 % jitter, at
 * most 120 s): the longest wait before the next dial once a device has been away for
 * `outageSec` (the most attempts fit when every step is 20 % short).
 */
function grpcBackoffStepSec(outageSec: number): number {
  const step = (k: number) => Math.min(120, 1.6 ** k);
  let elapsed = 0;
  let k = 0;
  while (elapsed + 0.8 * step(k) <= outageSec) elapsed += 0.8 * step(k++);
  return 1.2 * step(k);
}

describe('gnmic clustered with the Kubernetes Lease locker, two pods, four devices', () => {
  const dir = scratch('gnmic-cluster');
  let kube: KubeApiServer;
  let network: PodNetwork;
  const devices = new Map<string, Awaited<ReturnType<typeof startGnmiTarget>>>();
  const pods = new Map<string, { ip: string; process: PeerProcess }>();
  /** Every moment a device was served by both pods at once. */
  const doubles: string[] = [];
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();

  const leases = (): Lease[] => {
    const r = kube.kubectl(['get', 'leases', '-n', NS, '-o', 'json']);
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout).items.map((l: any) => ({
      name: l.metadata.name, holder: l.spec.holderIdentity, instance: l.metadata.labels?.[l.metadata.name],
    }));
  };
  const holders = (): Record<string, string> => Object.fromEntries(leases().filter((l) => l.name.includes('-targets-')).map((l) => [l.name, l.holder]));
  const servedBy = async (): Promise<Record<string, string[]>> => {
    const served: Record<string, string[]> = {};
    for (const [pod, { ip }] of pods) for (const device of await devicesIn(network, ip)) (served[device] ??= []).push(pod);
    return served;
  };

  let targets: string;
  /** Starts (or restarts, as the StatefulSet would) one gnmic pod. */
  const startPod = async (name: string): Promise<void> => {
    const ip = POD_IPS[PODS.indexOf(name)];
    const file = writeScratch(dir, `${name}.yaml`, stringify(gnmicConfigForTest(config, ip, targets)));
    const serviceAccount = find(OBJECTS, 'StatefulSet', 'gnmic', NS).spec.template.spec.serviceAccountName;
    const pod = inPod(kube, network, { name, namespace: NS, serviceAccount }, dir, peerBin('gnmic'), ['--config', file, 'subscribe']);
    const process = await PeerProcess.start({
      name: `gnmic-${name}`,
      command: pod.command,
      args: pod.args,
      env: { ...pod.env, POD_NAME: name, GNMIC_USERNAME: CREDENTIALS.username, GNMIC_PASSWORD: CREDENTIALS.password },
      ready: () => httpOk(`http://${network.fromNode(`${ip}:${GNMIC_API_PORT}`)}/api/v1/healthz`),
    });
    pods.set(name, { ip, process });
  };
  /** A crash, not a shutdown: the pod cannot release its Leases, so they must expire. */
  const crash = async (name: string): Promise<void> => {
    const { process } = pods.get(name)!;
    try { globalThis.process.kill(-process.pid, 'SIGKILL'); } catch { /* already gone */ }
    await process.stop();
  };

  beforeAll(async () => {
    kube = await KubeApiServer.start();
    applyObjects(kube, OBJECTS.filter((o) => o.kind === 'Namespace' && o.metadata.name === NS));
    applyObjects(kube, ['ServiceAccount', 'Role', 'RoleBinding'].map((kind) => find(OBJECTS, kind, 'gnmic', NS)));
    applyObjects(kube, [find(OBJECTS, 'Service', GNMIC_API_SERVICE, NS)]);

    // The two pods of the StatefulSet, Running and Ready with their pod IPs.
    const podIps = POD_IPS;
    const statefulSet = find(OBJECTS, 'StatefulSet', 'gnmic', NS);
    applyObjects(kube, PODS.map((name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: statefulSet.spec.template.metadata.labels }, spec: statefulSet.spec.template.spec })));
    const uids: Record<string, string> = {};
    for (const [i, name] of PODS.entries()) {
      const r = kube.kubectl(['patch', 'pod', '-n', NS, name, '--subresource=status', '--type=merge', '-o', 'json', '-p',
        JSON.stringify({ status: { phase: 'Running', podIP: podIps[i], podIPs: [{ ip: podIps[i] }], conditions: [{ type: 'Ready', status: 'True' }] } })]);
      if (r.status !== 0) throw new Error(r.stderr);
      uids[name] = JSON.parse(r.stdout).metadata.uid;
    }
    // What the endpoints controller writes for the headless API Service: both ready pods.
    const port = find(OBJECTS, 'Service', GNMIC_API_SERVICE, NS).spec.ports[0];
    applyObjects(kube, [{
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: GNMIC_API_SERVICE, namespace: NS },
      subsets: [{
        addresses: PODS.map((name, i) => ({ ip: podIps[i], targetRef: { kind: 'Pod', name, namespace: NS, uid: uids[name] } })),
        ports: [{ name: port.name, port: GNMIC_API_PORT, protocol: 'TCP' }],
      }],
    }]);

    // The devices, and the target file as the Target Generator writes it (insecure: gnmi_target runs without TLS).
    for (const device of DEVICES) devices.set(device, await startGnmiTarget(undefined, CREDENTIALS));
    const taxonomy = (device: string) => ({ device, site: 'ams1', region: 'eu', vendor: 'arista', platform: 'eos', role: 'leaf', tier: 'gold' });
    targets = writeScratch(dir, 'gnmic-targets.yaml', DEVICES.map((device) =>
      `${device}: ${JSON.stringify({ 'address': devices.get(device)!.address, 'subscriptions': ['interfaces'], 'event-tags': taxonomy(device), 'tags': ['site=ams1'], 'insecure': true })}\n`).join(''));
    network = await PodNetwork.start(dir, podIps, {
      nodePorts: [Number(new URL(kube.server).port), ...[...devices.values()].map((d) => d.port)],
      podPorts: podIps.flatMap((ip) => [`${ip}:${GNMIC_API_PORT}`, `${ip}:${GNMIC_TELEMETRY_PORT}`]),
    });

    for (const name of PODS) await startPod(name);

    // Both outputs, every second, for the whole test: a device served by both at once is a sample written twice.
    sampler = (async () => {
      while (sampling) {
        const served = await servedBy();
        for (const [device, by] of Object.entries(served)) if (by.length > 1) doubles.push(`${new Date().toISOString()} ${device} in ${by.join(' and ')}`);
        await sleep(1000);
      }
    })();
  }, 300_000);

  afterAll(async () => {
    sampling = false;
    await sampler;
    for (const { process } of pods.values()) await process.stop();
    for (const device of devices.values()) await device.stop();
    await network?.stop();
    await kube?.stop();
  }, 120_000);

  it('locks each device once in a Lease visible in the API server, splits the devices over both pods, and each pod serves only its own', async () => {
    await waitFor('every device held and served by one pod', async () => {
      const held = holders();
      const served = await servedBy();
      return DEVICES.every((d) => PODS.includes(held[targetLease(d)]) && served[d]?.length === 1 && served[d][0] === held[targetLease(d)]);
    }, 180_000, 1000);
    const all = leases();
    const leader = all.find((l) => l.name === `gnmic-${config.clustering['cluster-name']}-leader`);
    expect(PODS).toContain(leader?.holder);
    const targetLeases = all.filter((l) => l.name.includes('-targets-'));
    expect(targetLeases.map((l) => l.name).sort()).toEqual(DEVICES.map(targetLease));
    // The holder (the pod's hostname) and the member the leader assigned it to (the pod name) agree.
    for (const l of targetLeases) expect(l.instance).toBe(l.holder);
    const byPod = PODS.map((pod) => targetLeases.filter((l) => l.holder === pod).length);
    expect(byPod.every((n) => n >= 1)).toBe(true);
    const served = await servedBy();
    for (const device of DEVICES) expect(served[device]).toEqual([holders()[targetLease(device)]]);
    console.log(`gnmic cluster: leader ${leader!.holder}; ${targetLeases.map((l) => `${l.name} → ${l.holder}`).join(', ')}`);
    expect(doubles).toEqual([]);
  }, 240_000);

  it('moves the devices of a killed pod to the other within the Lease duration plus one targets-watch pass and one sample', async () => {
    const leader = leases().find((l) => l.name.endsWith('-leader'))!.holder;
    const victim = PODS.find((p) => p !== leader)!;
    const survivor = leader;
    const moved = DEVICES.filter((d) => holders()[targetLease(d)] === victim);
    expect(moved.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    await crash(victim);
    await waitFor(`${moved.join(', ')} held and served by ${survivor}`, async () => {
      const held = holders();
      const served = await servedBy();
      return moved.every((d) => held[targetLease(d)] === survivor && served[d]?.length === 1 && served[d][0] === survivor);
    }, 120_000, 500);
    const failover = (Date.now() - killedAt) / 1000;
    const bound = LEASE_SEC + TARGETS_WATCH_SEC + SAMPLE_SEC;
    console.log(`gnmic failover: ${moved.join(', ')} moved from ${victim} (killed) to ${survivor} in ${failover.toFixed(1)} s`
      + ` (bound ${bound} s = Lease ${LEASE_SEC} s + the leader's targets-watch-timer ${TARGETS_WATCH_SEC} s + one sample ${SAMPLE_SEC} s)`);
    expect(failover).toBeLessThan(bound);
    // Every device is now in the survivor's output, and Leases name it.
    const served = await servedBy();
    for (const device of DEVICES) expect(served[device]).toEqual([survivor]);
    expect(Object.values(holders()).every((h) => h === survivor)).toBe(true);
    expect(doubles).toEqual([]);
  }, 240_000);

  it('drops a device that stops answering from its output (no frozen value) and streams it again after the configured retry once it is back', async () => {
    const [survivor] = [...pods.entries()].filter(([, p]) => p.process.running).map(([name]) => name);
    const device = 'leaf1';
    const old = devices.get(device)!;
    const stoppedAt = Date.now();
    await old.stop();
    await waitFor(`${device} gone from ${survivor}'s output`, async () => !(await devicesIn(network, pods.get(survivor)!.ip)).has(device), (EXPIRATION_SEC + 15) * 1000, 500);
    const gone = (Date.now() - stoppedAt) / 1000;
    console.log(`gnmic: ${device}'s series left the output ${gone.toFixed(1)} s after the device stopped (expiration ${EXPIRATION_SEC} s)`);
    expect(gone).toBeLessThanOrEqual(EXPIRATION_SEC + 2);
    // The pod keeps the device's Lease while it retries: it does not move.
    expect(holders()[targetLease(device)]).toBe(survivor);
    // Still gone a moment later: nothing re-serves the last value.
    await sleep(3000);
    expect((await devicesIn(network, pods.get(survivor)!.ip)).has(device)).toBe(false);

    const outage = (Date.now() - stoppedAt) / 1000;
    const back = await startGnmiTarget(undefined, CREDENTIALS, old.port);
    devices.set(device, back);
    const backAt = Date.now();
    await waitFor(`${device} streamed again`, async () => (await devicesIn(network, pods.get(survivor)!.ip)).has(device), 180_000, 500);
    const reconnect = (Date.now() - backAt) / 1000;
    const bound = grpcBackoffStepSec(outage) + RETRY_SEC + 2;
    console.log(`gnmic reconnect: ${device} streamed again ${reconnect.toFixed(1)} s after it came back from a ${outage.toFixed(0)} s outage`
      + ` (bound ${bound.toFixed(1)} s = gRPC's redial backoff after that outage ${grpcBackoffStepSec(outage).toFixed(1)} s + gnmic retry ${RETRY_SEC} s + 2 s)`);
    expect(reconnect).toBeLessThan(bound);
    const served = await servedBy();
    expect(served[device]).toEqual([survivor]);
    expect(doubles).toEqual([]);
  }, 300_000);
  it('hands the leader Lease and every device to a restarted pod when the leader is killed', async () => {
    const leader = leases().find((l) => l.name.endsWith('-leader'))!.holder;
    const restarted = PODS.find((p) => p !== leader)!;
    await startPod(restarted);
    // The new member waits for the leader Lease; the leader keeps its devices (gnmic does not rebalance on its own).
    await sleep(5000);
    expect(leases().find((l) => l.name.endsWith('-leader'))!.holder).toBe(leader);
    const killedAt = Date.now();
    await crash(leader);
    await waitFor(`${restarted} leading and serving every device`, async () => {
      const held = holders();
      const served = await servedBy();
      return leases().find((l) => l.name.endsWith('-leader'))?.holder === restarted
        && DEVICES.every((d) => held[targetLease(d)] === restarted && served[d]?.length === 1 && served[d][0] === restarted);
    }, 180_000, 500);
    const failover = (Date.now() - killedAt) / 1000;
    const renewSec = LEASE_SEC / 2;
    // The new leader's loader checks its leadership every second, then hands each loaded device out at once.
    const bound = LEASE_SEC + renewSec + LEADER_WAIT_SEC + 1 + SAMPLE_SEC;
    console.log(`gnmic leader failover: ${restarted} took the leader Lease and all ${DEVICES.length} devices ${failover.toFixed(1)} s after ${leader} was killed`
      + ` (bound ${bound} s = Lease ${LEASE_SEC} s + the locker's renew period ${renewSec} s + leader-wait-timer ${LEADER_WAIT_SEC} s + the loader's 1 s + one sample ${SAMPLE_SEC} s)`);
    expect(failover).toBeLessThan(bound);
    expect(doubles).toEqual([]);
  }, 300_000);
});
