import { createHash } from 'node:crypto';
import { GNMIC_TARGET_NAME_MAX } from '../contract.js';

/**
 * gnmic target names. gnmic's Kubernetes locker takes a Lease per target, named
 * `gnmic-helios-targets-<target>` and labelled with that name as a label key, so a
 * target name must be valid inside a Lease name and short enough for a label key:
 * lowercase letters, digits, "-" and ".", every dot-separated part starting and
 * ending with a letter or digit, at most GNMIC_TARGET_NAME_MAX (42) characters.
 * NetBox device names are free text ("AMS1-Leaf_01", "core:1"), so they are translated.
 */
export const TARGET_NAME_MAX = GNMIC_TARGET_NAME_MAX;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function tidy(name: string): string {
  return name
    .split('.')
    .map((part) => part.replace(/-+/g, '-').replace(/^-+|-+$/g, ''))
    .filter((part) => part !== '')
    .join('.');
}

/** The target name a NetBox device name translates to, or "" when nothing usable is left. */
export function targetName(deviceName: string): string {
  const plain = deviceName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-');
  const name = tidy(plain);
  if (name.length <= TARGET_NAME_MAX) return name;
  // Two long names that share their first 33 characters must still differ.
  return tidy(`${tidy(name.slice(0, TARGET_NAME_MAX - 9))}-${shortHash(deviceName)}`);
}

function withSuffix(base: string, suffix: string): string {
  return tidy(`${tidy(base.slice(0, TARGET_NAME_MAX - suffix.length - 1))}-${suffix}`);
}

/**
 * A unique target name per device. Devices whose names translate to the same
 * target name (NetBox allows the same name at two sites, and "Leaf_1" and
 * "leaf-1" translate alike) are told apart by their NetBox id: the oldest device
 * (lowest id) keeps the plain name, so a newly added duplicate never renames a
 * device that is already monitored.
 */
export function assignTargetNames(devices: ReadonlyArray<{ readonly id: number; readonly name: string }>): Map<number, string> {
  const byId = [...devices].sort((a, b) => a.id - b.id);
  const wanted = new Map<number, string>();
  for (const d of byId) wanted.set(d.id, targetName(d.name) || `device-${d.id}`);

  const taken = new Set<string>();
  const names = new Map<number, string>();
  const later: number[] = [];
  for (const d of byId) {
    const name = wanted.get(d.id)!;
    if (taken.has(name)) {
      later.push(d.id);
    } else {
      taken.add(name);
      names.set(d.id, name);
    }
  }
  for (const id of later) {
    let name = withSuffix(wanted.get(id)!, String(id));
    for (let n = 2; taken.has(name); n++) name = withSuffix(wanted.get(id)!, `${id}-${n}`);
    taken.add(name);
    names.set(id, name);
  }
  return names;
}
