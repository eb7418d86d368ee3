import { parse as parseYaml } from 'yaml';
import { records } from './helpers.js';
import { NetBoxFake } from './netbox-fake.js';
import { TAXONOMY_LABELS, TARGET_SHARDS_MAX, TargetSet } from '../src/contract.js';
import type { LiveShard } from '../src/kube/writer.js';
import { changedFiles } from '../src/kube/writer.js';
import { buildTargets, massDeletions } from '../src/sync.js';
import { generateTargets, yamlFlow } from '../src/targets/generate.js';
import { renderFile, SHARD_MAX_BYTES, shardSet } from '../src/targets/shards.js';

function inventory(build: (fake: NetBoxFake) => void) {
  const fake = NetBoxFake.offline();
  fake.addSite('ams1', 'europe');
  fake.addSite('nyc1', 'americas');
  build(fake);
  return records(fake);
}

function fileOf(files: ReturnType<typeof buildTargets>['files'], set: TargetSet, shard = 0): string {
  return files.find((f) => f.set === set && f.shard === shard)!.content;
}

describe('target files', () => {
  const inv = inventory((fake) => {
    fake.addDevice({ name: 'NYC1-Spine-1', site: 'nyc1', role: 'spine', primaryIp: '10.2.0.1/32', customFields: { helios_monitor: true, telemetry_profile: 'routing', gnmi_port: 6030, snmp_module: ['arista_eos'], blackbox_probes: ['icmp', 'http_2xx'], metrics_port: 9100 } });
    fake.addDevice({ name: 'ams1-fw-1', site: 'ams1', role: 'firewall', manufacturer: 'paloalto', platform: 'panos', primaryIp: '2001:db8::5/64', customFields: { helios_monitor: true, helios_gnmi: false, blackbox_probes: ['tcp_connect', 'dns'] } });
    fake.addDevice({ name: 'ams1-leaf-1', site: 'ams1', primaryIp: '10.1.0.1/32', customFields: { helios_monitor: true, telemetry_profile: 'minimal' } });
  });
  const built = buildTargets(inv);

  it('gives gnmic one target per line, a valid Lease name, the address, subscriptions by profile, the taxonomy as event-tags', () => {
    const text = fileOf(built.files, TargetSet.GNMIC);
    expect(text.split('\n')).toEqual([
      '"ams1-leaf-1": {"address": "10.1.0.1:57400", "subscriptions": ["interfaces"], "event-tags": {"device": "ams1-leaf-1", "site": "ams1", "region": "europe", "vendor": "arista", "platform": "eos", "role": "leaf", "tier": "standard"}, "tags": ["region=europe", "site=ams1"]}',
      '"nyc1-spine-1": {"address": "10.2.0.1:6030", "subscriptions": ["interfaces", "system", "platform", "bgp"], "event-tags": {"device": "NYC1-Spine-1", "site": "nyc1", "region": "americas", "vendor": "arista", "platform": "eos", "role": "spine", "tier": "standard"}, "tags": ["region=americas", "site=nyc1"]}',
      '',
    ]);
    // A YAML map, as gnmic's file loader reads it (and JSON, line by line).
    const targets = parseYaml(text);
    expect(Object.keys(targets)).toEqual(['ams1-leaf-1', 'nyc1-spine-1']);
    expect(Object.keys(targets['ams1-leaf-1']['event-tags'])).toEqual([...TAXONOMY_LABELS]);
  });

  it('gives snmp_exporter a file_sd group per device with module (if_mib first), auth and taxonomy', () => {
    const groups = JSON.parse(fileOf(built.files, TargetSet.SNMP));
    expect(groups).toEqual([
      { targets: ['2001:db8::5'], labels: { __param_module: 'if_mib', __param_auth: 'helios_v3', device: 'ams1-fw-1', site: 'ams1', region: 'europe', vendor: 'paloalto', platform: 'panos', role: 'firewall', tier: 'standard' } },
      { targets: ['10.1.0.1'], labels: expect.objectContaining({ __param_module: 'if_mib', device: 'ams1-leaf-1' }) },
      { targets: ['10.2.0.1'], labels: expect.objectContaining({ __param_module: 'if_mib,arista_eos', __param_auth: 'helios_v3', device: 'NYC1-Spine-1', role: 'spine' }) },
    ]);
  });

  it('gives blackbox one group per device and probe, the target shaped for the prober', () => {
    const groups = JSON.parse(fileOf(built.files, TargetSet.BLACKBOX));
    expect(groups.map((g: any) => [g.labels.__param_module, g.targets[0], g.labels.device])).toEqual([
      ['dns', '[2001:db8::5]', 'ams1-fw-1'],
      ['tcp_connect', '[2001:db8::5]:22', 'ams1-fw-1'],
      ['icmp', '10.1.0.1', 'ams1-leaf-1'],
      ['http_2xx', 'http://10.2.0.1/', 'NYC1-Spine-1'],
      ['icmp', '10.2.0.1', 'NYC1-Spine-1'],
    ]);
    for (const g of groups) expect(Object.keys(g.labels)).toEqual(['__param_module', ...TAXONOMY_LABELS]);
  });

  it('gives Prometheus the devices that serve metrics themselves', () => {
    expect(JSON.parse(fileOf(built.files, TargetSet.PROMETHEUS))).toEqual([
      { targets: ['10.2.0.1:9100'], labels: { device: 'NYC1-Spine-1', site: 'nyc1', region: 'americas', vendor: 'arista', platform: 'eos', role: 'spine', tier: 'standard' } },
    ]);
    expect(built.targets).toEqual({ gnmic: 2, snmp: 3, blackbox: 5, prometheus: 1 });
    expect(built.devices).toBe(3);
  });

  it('writes the same bytes whatever order NetBox lists the devices in', () => {
    const reversed = buildTargets({ devices: [...inv.devices].reverse(), sites: [...inv.sites].reverse() });
    expect(reversed.files.map((f) => f.hash)).toEqual(built.files.map((f) => f.hash));
  });

  it('writes empty files for empty sets: nothing for gnmic (it concatenates), an empty list for file_sd', () => {
    const empty = buildTargets({ devices: [], sites: [] });
    expect(empty.files).toHaveLength(4 * TARGET_SHARDS_MAX);
    expect(fileOf(empty.files, TargetSet.GNMIC)).toBe('');
    expect(JSON.parse(fileOf(empty.files, TargetSet.SNMP))).toEqual([]);
    expect(renderFile(TargetSet.BLACKBOX, [])).toBe('[]\n');
  });

  it('renders flow YAML that is also JSON', () => {
    const value = { 'a': ['x', 'y'], 'b': { c: 'd:e' }, 'quote"': 'new\nline' };
    expect(yamlFlow(value)).toBe('{"a": ["x", "y"], "b": {"c": "d:e"}, "quote\\"": "new\\nline"}');
    expect(JSON.parse(yamlFlow(value))).toEqual(value);
    expect(parseYaml(yamlFlow(value))).toEqual(value);
  });

  it('refuses a device without a target name (a programming error, not a data one)', () => {
    expect(() => generateTargets([{ id: 1, name: 'x', address: '10.0.0.1', taxonomy: {} as any, probes: [] }], new Map())).toThrow('device x (id 1) has no target name');
  });
});

describe('shards', () => {
  const many = inventory((fake) => {
    for (let i = 0; i < 400; i++) {
      fake.addDevice({ name: `leaf-${String(i).padStart(3, '0')}`, site: i % 2 ? 'ams1' : 'nyc1', customFields: { helios_monitor: true } });
    }
  });

  it('keep one shard while the set fits, and empty the others', () => {
    const files = buildTargets(many).files.filter((f) => f.set === TargetSet.GNMIC);
    expect(files.map((f) => f.targets)).toEqual([400, 0, 0, 0, 0, 0, 0, 0]);
    expect(files.map((f) => f.configMap)).toEqual(Array.from({ length: 8 }, (_, i) => `helios-targets-gnmic-${i}`));
    expect(files[0].namespace).toBe('helios-collection');
    expect(buildTargets(many).files.find((f) => f.set === TargetSet.SNMP)!.namespace).toBe('helios-storage');
  });

  it('split a set over the fewest shards under the size limit, each sorted, together holding every target once', () => {
    const limit = 40 * 1024;
    const files = buildTargets(many, limit).files.filter((f) => f.set === TargetSet.GNMIC);
    const used = files.filter((f) => f.targets > 0);
    const total = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    expect(used.length).toBeGreaterThanOrEqual(Math.ceil(total / limit));
    expect(used.length).toBeLessThan(TARGET_SHARDS_MAX);
    for (const f of files) expect(Buffer.byteLength(f.content)).toBeLessThanOrEqual(limit);
    const names = used.flatMap((f) => Object.keys(parseYaml(f.content)));
    expect(names).toHaveLength(400);
    expect(new Set(names).size).toBe(400);
    for (const f of used) {
      const own = Object.keys(parseYaml(f.content));
      expect(own).toEqual([...own].sort());
    }
    // Concatenated, the shards are one YAML map: what gnmic's single file loader reads.
    expect(Object.keys(parseYaml(files.map((f) => f.content).join('')))).toHaveLength(400);
  });

  it('keep every device in its shard when another is added, so one sync rewrites one shard', () => {
    const limit = 40 * 1024;
    const before = buildTargets(many, limit).files;
    const grown = inventory((fake) => {
      for (let i = 0; i < 400; i++) fake.addDevice({ name: `leaf-${String(i).padStart(3, '0')}`, site: i % 2 ? 'ams1' : 'nyc1', customFields: { helios_monitor: true } });
      fake.addDevice({ name: 'leaf-new', site: 'ams1', customFields: { helios_monitor: true } });
    });
    const after = buildTargets(grown, limit).files;
    const changed = after.filter((f, i) => f.hash !== before[i].hash);
    // One shard per set that has targets: gnmic, snmp, blackbox.
    expect(changed.map((f) => f.set)).toEqual([TargetSet.GNMIC, TargetSet.SNMP, TargetSet.BLACKBOX]);
  });

  it('fail with the numbers when a set outgrows every shard the collectors mount', () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({ device: `d${i}`, key: `d${i}`, text: 'x'.repeat(100) }));
    expect(() => shardSet(TargetSet.SNMP, entries, 1024)).toThrow('100 snmp targets (10 KiB) do not fit in 8 ConfigMaps of 1 KiB, the most the collectors mount (TARGET_SHARDS_MAX)');
    expect(SHARD_MAX_BYTES).toBe(921_600);
  });
});

describe('the mass-deletion guard', () => {
  const guard = { maxDropPercent: 25, minTargets: 10 };
  const live = (set: TargetSet, ...targets: number[]) => targets.map((t) => ({ set, targets: t }));
  const counts = (gnmic: number, snmp = 0) => ({ gnmic, snmp, blackbox: 0, prometheus: 0 });

  it('lets a set lose up to the share or up to the minimum, and refuses more than both', () => {
    expect(massDeletions(counts(75), live(TargetSet.GNMIC, 60, 40), guard)).toEqual([]);
    expect(massDeletions(counts(74), live(TargetSet.GNMIC, 60, 40), guard)).toEqual([{ set: 'gnmic', before: 100, after: 74 }]);
    expect(massDeletions(counts(0), live(TargetSet.GNMIC, 10), guard)).toEqual([]);
    expect(massDeletions(counts(0), live(TargetSet.GNMIC, 11), guard)).toEqual([{ set: 'gnmic', before: 11, after: 0 }]);
    expect(massDeletions(counts(500, 0), [...live(TargetSet.GNMIC, 100), ...live(TargetSet.SNMP, 100)], guard)).toEqual([{ set: 'snmp', before: 100, after: 0 }]);
  });

  it('never blocks a first sync or a growing set', () => {
    expect(massDeletions(counts(1000), [], guard)).toEqual([]);
    expect(massDeletions(counts(0), [], { maxDropPercent: 0, minTargets: 0 })).toEqual([]);
  });
});

describe('which files to write', () => {
  const files = buildTargets(inventory((fake) => {
    fake.addDevice({ name: 'a', site: 'ams1', customFields: { helios_monitor: true } });
  })).files;
  const liveOf = (f: typeof files[number], hash?: string, targets = f.targets): LiveShard => ({ set: f.set, namespace: f.namespace, configMap: f.configMap, exists: true, hash, targets });

  it('skips files the cluster already holds, and writes growing shards before shrinking ones', () => {
    expect(changedFiles(files, files.map((f) => liveOf(f, f.hash)))).toEqual({ growing: [], shrinking: [] });
    const gnmic0 = files.find((f) => f.configMap === 'helios-targets-gnmic-0')!;
    const gnmic1 = files.find((f) => f.configMap === 'helios-targets-gnmic-1')!;
    const live = files.map((f) => (f === gnmic0 ? liveOf(f, 'sha256:old', 0) : f === gnmic1 ? liveOf(f, 'sha256:old', 5) : liveOf(f, f.hash)));
    const { growing, shrinking } = changedFiles(files, live);
    expect(growing.map((f) => f.configMap)).toEqual(['helios-targets-gnmic-0']);
    expect(shrinking.map((f) => f.configMap)).toEqual(['helios-targets-gnmic-1']);
    expect(changedFiles(files, []).growing.length).toBe(files.length);
  });
});
