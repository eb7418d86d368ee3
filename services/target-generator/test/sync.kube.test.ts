import { KubeApiServer } from '../../../test/peers/harness/kube.js';
import { type HttpPeer, startPushgateway } from '../../../test/peers/harness/network-peers.js';
import {
  createTargetNamespaces, fileSdGroups, gnmicTargets, memoryLogger, runCli, sample, targetConfigMaps, tokenFile,
} from './helpers.js';
import { NetBoxFake } from './netbox-fake.js';
import { ExitCode, runSync } from '../src/app.js';
import { TAXONOMY_LABELS, TargetSet } from '../src/contract.js';

/**
 * The sync against the real kube-apiserver and the NetBox fake: targets appear and
 * go with the inventory; a failing NetBox changes nothing; the CronJob mode's exit
 * codes and the metrics it leaves in a real Pushgateway.
 */
describe('a sync, on a real API server', () => {
  let kube: KubeApiServer;
  let fake: NetBoxFake;
  let pushgateway: HttpPeer;
  let env: NodeJS.ProcessEnv;
  const ids: number[] = [];

  beforeAll(async () => {
    [kube, fake, pushgateway] = await Promise.all([KubeApiServer.start(), NetBoxFake.start(), startPushgateway()]);
    await createTargetNamespaces(kube);
    fake.addSite('ams1', 'europe');
    fake.addSite('nyc1', 'americas');
    for (let i = 1; i <= 20; i++) {
      ids.push(fake.addDevice({ name: `leaf-${i}`, site: i % 2 ? 'ams1' : 'nyc1', customFields: { helios_monitor: true } }));
    }
    env = {
      NETBOX_URL: fake.url,
      NETBOX_TOKEN_FILE: tokenFile(fake),
      KUBECONFIG: kube.kubeconfigPath,
      PUSHGATEWAY_URL: pushgateway.url,
      NETBOX_TIMEOUT_SECONDS: '1',
      NETBOX_RETRIES: '1',
      NETBOX_RETRY_BACKOFF_SECONDS: '0',
    };
  });
  afterAll(async () => {
    await Promise.all([kube?.stop(), fake?.stop(), pushgateway?.stop()]);
  });
  afterEach(() => {
    fake.heal();
    expect(fake.violations).toEqual([]);
  });

  const syncNow = async (force = false) => {
    const log = memoryLogger();
    const code = await runSync({ ...env, PUSHGATEWAY_URL: undefined }, force, log, kube.kubeConfig());
    return { code, log };
  };
  const pushed = async () => (await fetch(`${pushgateway.url}/metrics`)).text();

  it('writes a device added with helios_monitor=true into the gnmic, SNMP and blackbox ConfigMaps, with every taxonomy label', async () => {
    expect((await syncNow()).code).toBe(ExitCode.OK);
    const id = fake.addDevice({
      name: 'AMS1-Border-1', site: 'ams1', role: 'border', manufacturer: 'juniper', platform: 'junos', primaryIp: '10.9.0.1/31',
      customFields: { helios_monitor: true, telemetry_profile: 'routing', gnmi_port: 32767, snmp_module: ['juniper_junos'], blackbox_probes: ['icmp', 'tcp_connect'], monitoring_tier: 'critical' },
    });
    ids.push(id);
    expect((await syncNow()).code).toBe(ExitCode.OK);

    const cms = await targetConfigMaps(kube);
    const taxonomy = { device: 'AMS1-Border-1', site: 'ams1', region: 'europe', vendor: 'juniper', platform: 'junos', role: 'border', tier: 'critical' };
    expect(gnmicTargets(cms)['ams1-border-1']).toEqual({
      'address': '10.9.0.1:32767',
      'subscriptions': ['interfaces', 'system', 'platform', 'bgp'],
      'event-tags': taxonomy,
      'tags': ['region=europe', 'site=ams1'],
    });
    expect(fileSdGroups(cms, TargetSet.SNMP).filter((g) => g.labels.device === 'AMS1-Border-1')).toEqual([
      { targets: ['10.9.0.1'], labels: { __param_module: 'if_mib,juniper_junos', __param_auth: 'helios_v3', ...taxonomy } },
    ]);
    const probes = fileSdGroups(cms, TargetSet.BLACKBOX).filter((g) => g.labels.device === 'AMS1-Border-1');
    expect(probes).toEqual([
      { targets: ['10.9.0.1'], labels: { __param_module: 'icmp', ...taxonomy } },
      { targets: ['10.9.0.1:22'], labels: { __param_module: 'tcp_connect', ...taxonomy } },
    ]);
    for (const g of fileSdGroups(cms, TargetSet.SNMP)) expect(Object.keys(g.labels).filter((l) => !l.startsWith('__'))).toEqual([...TAXONOMY_LABELS]);
    expect(cms['helios-targets-gnmic-0'].annotations).toMatchObject({ 'helios.io/targets': '21', 'helios.io/content-hash': expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it('removes the device when helios_monitor is set to false, and again when it is deleted from NetBox', async () => {
    const border = ids[ids.length - 1];
    const present = (cms: Awaited<ReturnType<typeof targetConfigMaps>>) => [
      'ams1-border-1' in gnmicTargets(cms),
      fileSdGroups(cms, TargetSet.SNMP).some((g) => g.labels.device === 'AMS1-Border-1'),
      fileSdGroups(cms, TargetSet.BLACKBOX).some((g) => g.labels.device === 'AMS1-Border-1'),
    ];
    fake.updateDevice(border, { customFields: { helios_monitor: false } });
    expect((await syncNow()).code).toBe(ExitCode.OK);
    expect(present(await targetConfigMaps(kube))).toEqual([false, false, false]);

    fake.updateDevice(border, { customFields: { helios_monitor: true } });
    expect((await syncNow()).code).toBe(ExitCode.OK);
    expect(present(await targetConfigMaps(kube))).toEqual([true, true, true]);

    fake.removeDevice(border);
    ids.pop();
    expect((await syncNow()).code).toBe(ExitCode.OK);
    const cms = await targetConfigMaps(kube);
    expect(present(cms)).toEqual([false, false, false]);
    expect(Object.keys(gnmicTargets(cms))).toHaveLength(20);
  });

  it('writes nothing when nothing changed', async () => {
    const before = await targetConfigMaps(kube);
    const { log } = await syncNow();
    expect(await targetConfigMaps(kube)).toEqual(before);
    expect(log.lines.find((l) => l.message === 'sync succeeded')).toBeDefined();
    // Every shard of every set exists (the collectors mount them all); unused ones are empty lists.
    expect(Object.keys(before)).toHaveLength(32);
    expect(before['helios-targets-snmp-3'].data).toEqual({ 'snmp-3.json': '[]\n' });
    expect(before['helios-targets-gnmic-5'].data).toEqual({ 'gnmic-5.yaml': '' });
  });

  it('as a CronJob run: exits 0 and pushes its metrics to the Pushgateway', async () => {
    const run = await runCli(['sync'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(ExitCode.OK);
    expect(run.logs.at(-1)).toMatchObject({ level: 'info', message: 'sync succeeded', devices: 20, written: [] });
    const metrics = await pushed();
    expect(sample(metrics, 'helios_targets', { type: 'gnmic' })).toBe(20);
    expect(sample(metrics, 'helios_targets', { type: 'blackbox' })).toBe(20);
    expect(sample(metrics, 'helios_target_sync_errors_total')).toBe(0);
    expect(sample(metrics, 'helios_target_sync_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it.each([
    ['answering 500', { kind: 'status', status: 500 } as const, /HTTP 500 \(after 2 attempts\)/],
    ['timing out', { kind: 'delay', ms: 3000 } as const, /no complete answer within 1 s/],
    ['returning malformed JSON', { kind: 'malformed' } as const, /the response is not JSON/],
  ])('NetBox %s: the ConfigMaps stay byte-identical, the error counter rises by one, the run exits non-zero', async (_, failure, message) => {
    const before = await targetConfigMaps(kube);
    const metricsBefore = await pushed();
    const errorsBefore = sample(metricsBefore, 'helios_target_sync_errors_total')!;
    const lastSuccess = sample(metricsBefore, 'helios_target_sync_last_success_timestamp_seconds');
    fake.fail(failure);

    const run = await runCli(['sync'], env);
    fake.heal();
    expect(run.code).toBe(ExitCode.SYNC_FAILED);
    expect(run.logs.at(-1)).toMatchObject({ level: 'error', message: expect.stringMatching(message) });
    expect(await targetConfigMaps(kube)).toEqual(before);
    const metrics = await pushed();
    expect(sample(metrics, 'helios_target_sync_errors_total')).toBe(errorsBefore + 1);
    // The last success stays that of the last run that succeeded: the alert counts from it.
    expect(sample(metrics, 'helios_target_sync_last_success_timestamp_seconds')).toBe(lastSuccess);
  });

  it('refuses to remove most targets at once: nothing written, the refusal counted, exit 3; --force writes', async () => {
    const before = await targetConfigMaps(kube);
    const removed = ids.splice(0, 15);
    for (const id of removed) fake.updateDevice(id, { customFields: { helios_monitor: false } });

    const refused = await runCli(['sync'], env);
    expect(refused.code).toBe(ExitCode.REFUSED);
    expect(refused.logs.at(-1)?.message).toBe('sync failed: refused to write targets: gnmic would go from 20 to 5 targets; snmp would go from 20 to 5 targets; '
      + 'blackbox would go from 20 to 5 targets (more than 25% and more than 10 of a set at once). If NetBox is right, run once with --force.');
    expect(await targetConfigMaps(kube)).toEqual(before);
    const metrics = await pushed();
    expect(sample(metrics, 'helios_target_sync_mass_deletion_refusals_total', { set: 'gnmic' })).toBe(1);
    expect(sample(metrics, 'helios_target_sync_mass_deletion_refusals_total', { set: 'prometheus' })).toBe(0);

    const forced = await runCli(['sync', '--force'], env);
    expect(forced.code).toBe(ExitCode.OK);
    expect(Object.keys(gnmicTargets(await targetConfigMaps(kube))).sort()).toEqual(['leaf-16', 'leaf-17', 'leaf-18', 'leaf-19', 'leaf-20']);
    expect(sample(await pushed(), 'helios_target_sync_mass_deletion_refusals_total', { set: 'gnmic' })).toBe(1);
  });

  it('exits 2 on a bad configuration, naming the variable', async () => {
    const run = await runCli(['sync'], { ...env, NETBOX_URL: 'netbox.example.net' });
    expect(run.code).toBe(ExitCode.BAD_CONFIG);
    expect(run.logs[0]).toMatchObject({ level: 'error', problems: ['NETBOX_URL="netbox.example.net": is not an http:// or https:// URL'] });
    const usage = await runCli(['synch'], env);
    expect(usage.code).toBe(ExitCode.BAD_CONFIG);
    expect(usage.stderr).toMatch(/^usage: target-generator sync \[--force\]/);
  });
});
