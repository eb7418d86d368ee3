import * as contract from '../../../target-generator/src/contract.js';
import { generateTargets } from '../../../target-generator/src/targets/generate.js';
import { shardSet } from '../../../target-generator/src/targets/shards.js';
import type { MonitoredDevice } from '../../../target-generator/src/netbox/devices.js';
import {
  GNMIC_TARGETS_NAMESPACE, gnmicConfigMapName, gnmicFileName, InventoryFromConfigMaps, parseGnmicTargets, resolveTargets, TARGET_SET_LABEL, TARGET_SHARDS_MAX,
  type TargetConfigMap,
} from '../../src/controller/targets.js';
import { INVENTORY } from './fixtures.js';

function device(id: number, name: string, address: string, site: string, role: string): MonitoredDevice {
  return {
    id, name, address, probes: [],
    taxonomy: { device: name, site, region: 'europe', vendor: 'arista', platform: 'eos', role, tier: 'access' },
    gnmi: { port: 6030, subscriptions: ['interfaces'] },
  };
}

describe('target resolution', () => {
  test('the operator reads the ConfigMaps and files the Target Generator writes', () => {
    expect(GNMIC_TARGETS_NAMESPACE).toBe(contract.targetNamespace(contract.TargetSet.GNMIC));
    expect(TARGET_SHARDS_MAX).toBe(contract.TARGET_SHARDS_MAX);
    expect(TARGET_SET_LABEL).toBe(contract.TARGET_SET_LABEL);
    for (let shard = 0; shard < TARGET_SHARDS_MAX; shard++) {
      expect(gnmicConfigMapName(shard)).toBe(contract.targetConfigMapName(contract.TargetSet.GNMIC, shard));
      expect(gnmicFileName(shard)).toBe(contract.targetFileName(contract.TargetSet.GNMIC, shard));
    }
  });

  test('devices from the Target Generator\'s own shard files resolve with address and taxonomy', () => {
    const devices = [device(1, 'leaf-a', '10.1.0.1', 'ams1', 'leaf'), device(2, 'leaf-b', '2001:db8::2', 'ams1', 'leaf'), device(3, 'spine-a', '10.1.0.9', 'fra1', 'spine')];
    const names = new Map(devices.map((d) => [d.id, d.name]));
    // A tiny shard size spreads the three devices over several files.
    const files = shardSet(contract.TargetSet.GNMIC, generateTargets(devices, names)[contract.TargetSet.GNMIC], 400)
      .map((f) => ({ configMap: f.configMap, text: f.content }));
    expect(files.filter((f) => f.text !== '').length).toBeGreaterThan(1);
    const inventory = parseGnmicTargets(files);
    expect([...inventory.keys()].sort()).toEqual(['leaf-a', 'leaf-b', 'spine-a']);
    expect(resolveTargets({ device: 'leaf-b' }, inventory)).toEqual({
      ok: true, targets: [{ name: 'leaf-b', address: '[2001:db8::2]:6030', labels: { device: 'leaf-b', site: 'ams1', region: 'europe', vendor: 'arista', platform: 'eos', role: 'leaf', tier: 'access' } }],
    });
    const bySelector = resolveTargets({ selector: { matchLabels: { site: 'ams1', role: 'leaf' } } }, inventory);
    expect(bySelector.ok && bySelector.targets.map((t) => t.name)).toEqual(['leaf-a', 'leaf-b']);
  });

  test.each([
    [{ device: 'nope' }, 'TargetNotFound', /spec.target.device: "nope" is not in the gnmic target ConfigMaps/],
    [{ selector: { matchLabels: { site: 'mars' } } }, 'TargetNotFound', /no device .* has site=mars/],
    [{ selector: { matchLabels: {} } }, 'InvalidTarget', /matchLabels: empty/],
    [{}, 'InvalidTarget', /exactly one of device and selector/],
    [{ device: 'leaf1', selector: { matchLabels: { site: 'lab1' } } }, 'InvalidTarget', /exactly one/],
  ])('%j does not resolve: %s', (target, reason, message) => {
    const r = resolveTargets(target, INVENTORY);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message).toMatch(message);
    }
  });

  test('a file that is not a target map is an error naming its ConfigMap', () => {
    expect(() => parseGnmicTargets([{ configMap: 'helios-targets-gnmic-3', text: '- a\n- b\n' }])).toThrow(/helios-targets-gnmic-3: expected a map .* got a list/);
    expect(() => parseGnmicTargets([{ configMap: 'helios-targets-gnmic-1', text: '"x": {"port": 1}\n' }])).toThrow(/helios-targets-gnmic-1: target x has no address/);
    expect(() => parseGnmicTargets([{ configMap: 'helios-targets-gnmic-2', text: '"x": {"address": [\n' }])).toThrow(/helios-targets-gnmic-2: not YAML/);
    expect(parseGnmicTargets([{ configMap: 'helios-targets-gnmic-0', text: '' }]).size).toBe(0);
  });

  test('the inventory from cached ConfigMaps follows each shard\'s version and forgets a deleted shard', () => {
    const cms = new Map<string, TargetConfigMap>();
    const put = (shard: number, version: string, text: string): void => {
      cms.set(gnmicConfigMapName(shard), { metadata: { name: gnmicConfigMapName(shard), resourceVersion: version }, data: { [gnmicFileName(shard)]: text } });
    };
    const cache = new InventoryFromConfigMaps((name) => cms.get(name));
    put(0, '1', '"a": {"address": "10.0.0.1:6030", "event-tags": {"site": "x"}}\n');
    put(5, '1', '"b": {"address": "10.0.0.2:6030"}\n');
    const first = cache.inventory();
    expect([...first.keys()].sort()).toEqual(['a', 'b']);
    put(0, '2', '"c": {"address": "10.0.0.3:6030"}\n');
    expect([...cache.inventory().keys()].sort()).toEqual(['b', 'c']);
    cms.delete(gnmicConfigMapName(5));
    expect([...cache.inventory().keys()]).toEqual(['c']);
  });
});
