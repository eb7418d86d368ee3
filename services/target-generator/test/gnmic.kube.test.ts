import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiServer } from '../../../test/peers/harness/kube.js';
import { scratch, startGnmicCollector, startGnmiTarget, writeScratch } from '../../../test/peers/harness/network-peers.js';
import { freePort, type PeerProcess, waitFor } from '../../../test/peers/harness/process.js';
import { createTargetNamespaces, memoryLogger, targetConfigMaps, tokenFile } from './helpers.js';
import { NetBoxFake } from './netbox-fake.js';
import { ExitCode, runSync } from '../src/app.js';
import { GNMI_SUBSCRIPTIONS, TARGET_SHARDS_MAX, TargetSet, targetConfigMapName, targetFileName } from '../src/contract.js';

/**
 * Real gnmic, with its file loader on the target file the generator wrote, picks
 * up a target added in NetBox without a restart and subscribes to a real gNMI
 * target (gnxi's gnmi_target); the taxonomy arrives on its series as labels.
 */
describe('gnmic reading the generated targets', () => {
  let kube: KubeApiServer;
  let fake: NetBoxFake;
  let device: Awaited<ReturnType<typeof startGnmiTarget>>;
  let gnmic: PeerProcess;
  let api: string;
  let prometheus: string;
  let targetsFile: string;
  let env: NodeJS.ProcessEnv;

  /**
   * What the collector sees: every shard file of the set, concatenated into the one
   * file gnmic's loader reads, replaced atomically (as the kubelet updates a mount).
   */
  async function projectTargets(): Promise<void> {
    const cms = await targetConfigMaps(kube);
    const text = Array.from({ length: TARGET_SHARDS_MAX }, (_, n) => cms[targetConfigMapName(TargetSet.GNMIC, n)]?.data?.[targetFileName(TargetSet.GNMIC, n)] ?? '').join('');
    writeFileSync(`${targetsFile}.tmp`, text);
    renameSync(`${targetsFile}.tmp`, targetsFile);
  }

  async function syncAndProject(): Promise<void> {
    expect(await runSync(env, false, memoryLogger(), kube.kubeConfig())).toBe(ExitCode.OK);
    await projectTargets();
  }

  const gnmicTargets = async (): Promise<Record<string, any>> => {
    const r = await fetch(`${api}/api/v1/targets`);
    return r.status === 404 ? {} : (await r.json()) as Record<string, any>;
  };

  beforeAll(async () => {
    [kube, fake, device] = await Promise.all([KubeApiServer.start(), NetBoxFake.start(), startGnmiTarget()]);
    await createTargetNamespaces(kube);
    fake.addSite('lab1', 'europe');
    // A device gnmic cannot reach, so the file is not empty when gnmic starts.
    fake.addDevice({ name: 'lab-unreachable', site: 'lab1', primaryIp: '127.0.0.1/32', customFields: { helios_monitor: true, gnmi_port: 1, telemetry_profile: 'minimal' } });
    env = { NETBOX_URL: fake.url, NETBOX_TOKEN_FILE: tokenFile(fake) };

    const dir = scratch('gnmic-loader');
    targetsFile = join(dir, 'targets.yaml');
    await syncAndProject();
    const [apiPort, promPort] = [await freePort(), await freePort()];
    api = `http://127.0.0.1:${apiPort}`;
    prometheus = `http://127.0.0.1:${promPort}/metrics`;
    // The subscriptions the collector defines (GNMI_SUBSCRIPTIONS); gnmi_target serves the interfaces one.
    const paths: Record<string, string> = { interfaces: '/interfaces', system: '/system', platform: '/components', bgp: '/network-instances' };
    const config = writeScratch(dir, 'gnmic.yaml', `
username: admin
password: admin
insecure: true
encoding: json_ietf
log: true
api-server:
  address: 127.0.0.1:${apiPort}
loader:
  type: file
  path: ${targetsFile}
  interval: 2s
subscriptions:
${GNMI_SUBSCRIPTIONS.map((s) => `  ${s}:\n    paths: ["${paths[s]}"]\n    mode: stream\n    stream-mode: sample\n    sample-interval: 1s`).join('\n')}
outputs:
  prometheus:
    type: prometheus
    listen: 127.0.0.1:${promPort}
    expiration: -1s
`);
    gnmic = await startGnmicCollector(config, apiPort);
  });
  afterAll(async () => {
    await gnmic?.stop();
    await Promise.all([kube?.stop(), fake?.stop(), device?.stop()]);
  });

  it('loads the targets of the generated file', async () => {
    await waitFor('gnmic to load lab-unreachable', async () => 'lab-unreachable' in await gnmicTargets(), 30_000, 250);
  });

  it('picks up a target added in NetBox, without a restart, and subscribes to it with the taxonomy as labels', async () => {
    const pid = gnmic.pid;
    const [, port] = device.address.split(':');
    fake.addDevice({
      name: 'Lab-gNMI-1', site: 'lab1', role: 'spine', manufacturer: 'google', platform: 'gnxi', primaryIp: '127.0.0.1/32',
      customFields: { helios_monitor: true, gnmi_port: Number(port), telemetry_profile: 'minimal', monitoring_tier: 'lab' },
    });
    await syncAndProject();

    await waitFor('gnmic to load lab-gnmi-1', async () => 'lab-gnmi-1' in await gnmicTargets(), 30_000, 250);
    const target = (await gnmicTargets())['lab-gnmi-1'];
    expect(target.config).toMatchObject({
      'name': 'lab-gnmi-1',
      'address': device.address,
      'subscriptions': ['interfaces'],
      'event-tags': { device: 'Lab-gNMI-1', site: 'lab1', region: 'europe', vendor: 'google', platform: 'gnxi', role: 'spine', tier: 'lab' },
      'tags': ['region=europe', 'site=lab1'],
    });

    // Streamed data from the device, labelled with its taxonomy.
    let series = '';
    await waitFor('interface counters of lab-gnmi-1', async () => {
      series = (await (await fetch(prometheus)).text()).split('\n').filter((l) => l.includes('in_octets') && l.includes('Ethernet1')).join('\n');
      return series !== '';
    }, 60_000, 500);
    expect(series).toMatch(/device="Lab-gNMI-1"/);
    for (const label of ['site="lab1"', 'region="europe"', 'vendor="google"', 'platform="gnxi"', 'role="spine"', 'tier="lab"', 'source="lab-gnmi-1"']) {
      expect(series).toContain(label);
    }
    expect(series).toMatch(/ 1e\+06$| 1000000$/m);
    expect(gnmic.pid).toBe(pid);
    expect(gnmic.running).toBe(true);
  });

  it('drops the target when the device leaves NetBox, still without a restart', async () => {
    const id = (fake.inventory().devices.find((d: any) => d.name === 'Lab-gNMI-1') as any).id;
    fake.removeDevice(id);
    await syncAndProject();
    await waitFor('gnmic to drop lab-gnmi-1', async () => !('lab-gnmi-1' in await gnmicTargets()), 30_000, 250);
    expect(Object.keys(await gnmicTargets())).toEqual(['lab-unreachable']);
    expect(gnmic.running).toBe(true);
  });
});
