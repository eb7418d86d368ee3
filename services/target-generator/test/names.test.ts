import { gnmicTargetNameProblem } from '../../../constructs/platform/targets.js';
import { assignTargetNames, TARGET_NAME_MAX, targetName } from '../src/targets/names.js';

/** What Kubernetes accepts as a Lease name (a DNS subdomain), which gnmic's locker derives from the target name. */
const LEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('target names', () => {
  it.each([
    ['AMS1-Leaf-01', 'ams1-leaf-01'],
    ['core:1', 'core-1'],
    ['Leaf_1 (spare)', 'leaf-1-spare'],
    ['edge1.ams1.example.net', 'edge1.ams1.example.net'],
    ['-.weird..-name-.', 'weird.name'],
    ['Zürich–Core', 'zurich-core'],
    ['r1/0/1', 'r1-0-1'],
  ])('translates %j to %j', (device, target) => {
    expect(targetName(device)).toBe(target);
    expect(target).toMatch(LEASE_NAME);
    expect(gnmicTargetNameProblem(target)).toBeUndefined();
  });

  it('leaves nothing for a name without a letter or digit', () => {
    expect(targetName('---')).toBe('');
    expect(targetName('日本')).toBe('');
  });

  it('shortens long names to the 42 characters a Lease label key leaves, keeping long names with a common start apart', () => {
    expect(TARGET_NAME_MAX).toBe(42);
    const a = targetName(`${'spine'.repeat(20)}-a`);
    const b = targetName(`${'spine'.repeat(20)}-b`);
    expect(a.length).toBeLessThanOrEqual(TARGET_NAME_MAX);
    expect(b.length).toBeLessThanOrEqual(TARGET_NAME_MAX);
    expect(a).not.toBe(b);
    expect(gnmicTargetNameProblem(a)).toBeUndefined();
    expect(a.startsWith('spinespine')).toBe(true);
  });

  it('tells colliding devices apart by NetBox id, the oldest keeping the plain name, whatever the input order', () => {
    const devices = [
      { id: 30, name: 'leaf-1' },
      { id: 7, name: 'Leaf_1' },
      { id: 12, name: 'LEAF:1' },
      { id: 5, name: '???' },
      { id: 40, name: 'leaf-1-30' },
    ];
    const names = assignTargetNames(devices);
    expect(Object.fromEntries(names)).toEqual({ 7: 'leaf-1', 12: 'leaf-1-12', 30: 'leaf-1-30-2', 40: 'leaf-1-30', 5: 'device-5' });
    expect(assignTargetNames([...devices].reverse())).toEqual(names);
    expect(new Set(names.values()).size).toBe(devices.length);
  });

  it('keeps a suffixed long name within the limit', () => {
    const long = 'border-router-with-a-very-long-inventory-name-ams1-rack-12';
    const names = assignTargetNames([{ id: 1, name: long }, { id: 123456, name: long }]);
    expect(names.get(1)!.length).toBeLessThanOrEqual(TARGET_NAME_MAX);
    expect(names.get(123456)).toMatch(/-123456$/);
    expect(names.get(123456)!.length).toBeLessThanOrEqual(TARGET_NAME_MAX);
    expect(gnmicTargetNameProblem(names.get(123456)!)).toBeUndefined();
  });

  it('gives every one of many near-duplicates a unique, valid, short name', () => {
    const devices = Array.from({ length: 200 }, (_, i) => ({ id: i + 1, name: i % 2 ? `Switch ${i % 7}` : `switch-${i % 7}` }));
    const names = [...assignTargetNames(devices).values()];
    expect(new Set(names).size).toBe(200);
    for (const n of names) {
      expect(n).toMatch(LEASE_NAME);
      expect(gnmicTargetNameProblem(n)).toBeUndefined();
    }
  });
});
