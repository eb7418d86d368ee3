/**
 * One full sync of 10,000 devices: from the NetBox fake, through the real
 * ConfigMap writer, into a real kube-apiserver; the generator runs as it does in
 * its CronJob (`node lib/src/main.js sync` with the deployed flags, built by
 * `npm run bench` first).
 * Prints the elapsed time and peak RSS against the goals (< 5 s, < 200 MiB),
 * and checks that every target arrived and that every ConfigMap is under 1 MiB.
 *
 *   npm run bench:targets            (from the repository root)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { KubeApiServer } from '../../../test/peers/harness/kube.js';
import { scratch } from '../../../test/peers/harness/network-peers.js';
import { TARGET_SETS, TARGET_SHARDS_MAX, TargetSet, targetConfigMapName, targetFileName, targetNamespace } from '../src/contract.js';
import { NetBoxFake } from '../test/netbox-fake.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const GOAL_SECONDS = 5;
const GOAL_RSS_MIB = 200;
const CONFIGMAP_LIMIT = 1024 * 1024;
const SERVICE = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Node's flags as deployed: the image's ENTRYPOINT (Dockerfile) keeps the young
 * generation small, and the TargetGenerator construct caps the heap at half the
 * memory limit (xl, the tier for 8,000+ devices: 384 MiB → 192).
 */
const NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=192'];

interface Run {
  readonly wallSeconds: number;
  readonly code: number | null;
  readonly last: { message: string; seconds?: number; peakRssMiB?: number; written?: string[]; targets?: Record<string, number>; phases?: Record<string, number> };
}

function runGenerator(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...NODE_FLAGS, join(SERVICE, 'lib', 'src', 'main.js'), 'sync'], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
      resolve({ wallSeconds, code, last: JSON.parse(lines.at(-1) ?? '{"message":"no output"}') });
    });
  });
}

function inventory(fake: NetBoxFake): void {
  const regions = ['europe', 'americas', 'apac', 'mea'];
  for (let s = 0; s < 120; s++) fake.addSite(`site-${String(s).padStart(3, '0')}`, regions[s % regions.length]);
  const vendors = [['arista', 'eos'], ['cisco', 'ios-xe'], ['juniper', 'junos'], ['paloalto', 'panos']];
  const roles = ['leaf', 'spine', 'border', 'firewall', 'access'];
  for (let i = 0; i < DEVICES; i++) {
    const [manufacturer, platform] = vendors[i % vendors.length];
    fake.addDevice({
      name: `${roles[i % roles.length]}-${String(i).padStart(5, '0')}.dc${i % 7}`,
      site: `site-${String(i % 120).padStart(3, '0')}`,
      role: roles[i % roles.length],
      manufacturer,
      platform,
      primaryIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
      customFields: {
        helios_monitor: true,
        telemetry_profile: ['minimal', 'standard', 'routing'][i % 3],
        snmp_module: i % 2 ? [`${manufacturer === 'cisco' ? 'cisco_iosxe' : manufacturer === 'juniper' ? 'juniper_junos' : manufacturer === 'paloalto' ? 'paloalto_panos' : 'arista_eos'}`] : null,
        blackbox_probes: i % 4 === 0 ? ['icmp', 'tcp_connect'] : null,
        metrics_port: i % 10 === 0 ? 9100 : null,
        monitoring_tier: i % 5 === 0 ? 'critical' : null,
      },
    });
  }
}

async function main(): Promise<number> {
  const kube = await KubeApiServer.start();
  const fake = await NetBoxFake.start({ validate: false });
  try {
    const core = kube.kubeConfig().makeApiClient(CoreV1Api);
    for (const ns of new Set(TARGET_SETS.map(targetNamespace))) await core.createNamespace({ body: { metadata: { name: ns } } });
    inventory(fake);
    const token = join(scratch('bench-token'), 'token');
    writeFileSync(token, fake.token);
    const env = { NETBOX_URL: fake.url, NETBOX_TOKEN_FILE: token, KUBECONFIG: kube.kubeconfigPath };

    const runs: Array<[string, Run]> = [];
    runs.push(['first sync (writes every ConfigMap)', await runGenerator(env)]);
    runs.push(['second sync (nothing changed)', await runGenerator(env)]);
    fake.addDevice({ name: 'leaf-new', site: 'site-000', customFields: { helios_monitor: true } });
    runs.push(['third sync (one device added)', await runGenerator(env)]);

    console.log(`\nTarget Generator benchmark: ${DEVICES} devices (NetBox fake → real writer → real kube-apiserver)\n`);
    console.log('run                                    exit  sync s  wall s  peak RSS MiB  written  (NetBox / build / read / write s)');
    for (const [name, r] of runs) {
      const p = r.last.phases;
      console.log(`${name.padEnd(38)} ${String(r.code).padStart(4)}  ${(r.last.seconds ?? NaN).toFixed(2).padStart(6)}  ${r.wallSeconds.toFixed(2).padStart(6)}  ${String(r.last.peakRssMiB ?? '?').padStart(12)}  ${String(r.last.written?.length ?? '?').padStart(7)}  (${p ? [p.netbox, p.build, p.read, p.write].map((x) => x.toFixed(2)).join(' / ') : '?'})`);
    }

    let failures = runs.filter(([, r]) => r.code !== 0).map(([name, r]) => `${name}: exit ${r.code}: ${r.last.message}`);
    console.log('\nset          shards used  largest ConfigMap data KiB (the API server allows 1024)  targets');
    for (const set of TARGET_SETS) {
      let used = 0; let largest = 0; let targets = 0;
      const names = new Set<string>();
      for (let shard = 0; shard < TARGET_SHARDS_MAX; shard++) {
        const cm = await core.readNamespacedConfigMap({ namespace: targetNamespace(set), name: targetConfigMapName(set, shard) });
        const file = cm.data?.[targetFileName(set, shard)] ?? '';
        const entries = set === TargetSet.GNMIC ? Object.keys(parseYaml(file) ?? {}) : (JSON.parse(file) as Array<{ targets: string[]; labels: Record<string, string> }>).map((g) => `${g.targets[0]} ${g.labels.__param_module ?? ''}`);
        entries.forEach((e) => names.add(e));
        if (entries.length > 0) used++;
        targets += entries.length;
        // What the API server's ConfigMap validation adds up: every key and value of data.
        largest = Math.max(largest, Object.entries(cm.data ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0));
      }
      console.log(`${set.padEnd(12)} ${String(used).padStart(11)}  ${(largest / 1024).toFixed(0).padStart(54)}  ${String(targets).padStart(7)}`);
      if (largest > CONFIGMAP_LIMIT) failures.push(`${set}: a ConfigMap holds ${largest} bytes of data, over 1 MiB`);
      if (names.size !== targets) failures.push(`${set}: ${targets - names.size} targets appear twice`);
      const expected = runs.at(-1)![1].last.targets?.[set];
      if (targets !== expected) failures.push(`${set}: ${targets} targets in the ConfigMaps, the sync reported ${expected}`);
    }
    const gnmicTargets = runs.at(-1)![1].last.targets?.gnmic;
    if (gnmicTargets !== DEVICES + 1) failures.push(`gnmic: ${gnmicTargets} targets, expected ${DEVICES + 1}`);
    if (runs[1][1].last.written?.length !== 0) failures.push(`the second sync wrote ${runs[1][1].last.written?.length} ConfigMaps; nothing had changed`);

    const first = runs[0][1];
    console.log(`\ngoals for one full sync: < ${GOAL_SECONDS} s: ${first.last.seconds! < GOAL_SECONDS ? 'met' : 'MISSED'} (${first.last.seconds?.toFixed(2)} s in the process, ${first.wallSeconds.toFixed(2)} s with Node's start-up);`
      + ` < ${GOAL_RSS_MIB} MiB: ${first.last.peakRssMiB! < GOAL_RSS_MIB ? 'met' : 'MISSED'} (${first.last.peakRssMiB} MiB peak RSS)`);
    failures = [...new Set(failures)];
    if (failures.length) console.log(`\nFAILED:\n  ${failures.join('\n  ')}`);
    return failures.length ? 1 : 0;
  } finally {
    await fake.stop();
    await kube.stop();
  }
}

process.exitCode = await main();
