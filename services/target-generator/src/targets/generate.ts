import { isIPv6 } from 'node:net';
import { type BlackboxModule, TAXONOMY_LABELS, type Taxonomy, TargetSet } from '../contract.js';
import type { MonitoredDevice } from '../netbox/devices.js';

/** One target of a set, rendered: one line of its target file. */
export interface TargetEntry {
  /** The device's target name: entries of one device stay in one shard. */
  readonly device: string;
  /** Orders the entries of a file. */
  readonly key: string;
  readonly text: string;
}

export type TargetEntries = Readonly<Record<TargetSet, readonly TargetEntry[]>>;

/** Where each blackbox probe aims at a device (the module names the prober; the target its address). */
const PROBE_TARGETS: Readonly<Record<BlackboxModule, (host: string) => string>> = {
  icmp: (host) => host,
  // The management plane every network device serves; the module checks the TCP handshake only.
  tcp_connect: (host) => `${host}:22`,
  http_2xx: (host) => `http://${host}/`,
  // The device answers DNS itself (a resolver or an authoritative server) on port 53.
  dns: (host) => host,
};

function host(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

function hostPort(address: string, port: number): string {
  return `${host(address)}:${port}`;
}

function labels(taxonomy: Taxonomy): Record<string, string> {
  return Object.fromEntries(TAXONOMY_LABELS.map((l) => [l, taxonomy[l]]));
}

/**
 * A value as a YAML flow collection that is also JSON, with a space after every
 * ":" and ",": YAML parsers that predate JSON compatibility (gnmic's yaml.v2) read
 * it as well as JSON parsers do.
 */
export function yamlFlow(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(yamlFlow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${yamlFlow(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

function byKey(a: TargetEntry, b: TargetEntry): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The targets of every set for the given devices (with their target names), each
 * set sorted by target name, so the same inventory always gives the same bytes.
 * A device's labels are rendered once and spliced into each of its targets: at
 * 10,000 devices this is most of the build's time.
 */
export function generateTargets(devices: readonly MonitoredDevice[], names: ReadonlyMap<number, string>): TargetEntries {
  const gnmic: TargetEntry[] = [];
  const snmp: TargetEntry[] = [];
  const blackbox: TargetEntry[] = [];
  const prometheus: TargetEntry[] = [];
  for (const d of devices) {
    const name = names.get(d.id);
    if (name === undefined) throw new Error(`device ${d.name} (id ${d.id}) has no target name`);
    const taxonomy = labels(d.taxonomy);
    // `"device": "x", "site": ...` without braces, as JSON and as gnmic's YAML want it.
    const labelsJson = JSON.stringify(taxonomy).slice(1, -1);
    const at = host(d.address);
    if (d.gnmi) {
      const tags = [`site=${d.taxonomy.site}`, ...(d.taxonomy.region ? [`region=${d.taxonomy.region}`] : [])].sort();
      const target = { 'address': hostPort(d.address, d.gnmi.port), 'subscriptions': d.gnmi.subscriptions, 'event-tags': taxonomy, tags };
      // One target per line, `"name": {...}`: shard files concatenate into one YAML map.
      gnmic.push({ device: name, key: name, text: `${JSON.stringify(name)}: ${yamlFlow(target)}` });
    }
    if (d.snmp) {
      const text = `{"targets":[${JSON.stringify(d.address)}],"labels":{"__param_module":${JSON.stringify(d.snmp.modules.join(','))},"__param_auth":${JSON.stringify(d.snmp.auth)},${labelsJson}}}`;
      snmp.push({ device: name, key: name, text });
    }
    for (const module of d.probes) {
      const text = `{"targets":[${JSON.stringify(PROBE_TARGETS[module](at))}],"labels":{"__param_module":${JSON.stringify(module)},${labelsJson}}}`;
      blackbox.push({ device: name, key: `${name} ${module}`, text });
    }
    if (d.metricsPort !== undefined) {
      prometheus.push({ device: name, key: name, text: `{"targets":[${JSON.stringify(hostPort(d.address, d.metricsPort))}],"labels":{${labelsJson}}}` });
    }
  }
  return {
    [TargetSet.GNMIC]: gnmic.sort(byKey),
    [TargetSet.SNMP]: snmp.sort(byKey),
    [TargetSet.BLACKBOX]: blackbox.sort(byKey),
    [TargetSet.PROMETHEUS]: prometheus.sort(byKey),
  };
}
