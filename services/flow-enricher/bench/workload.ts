import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { buildInventory, type Inventory, type NetboxDevice, type NetboxInterface, type NetboxPrefix, type NetboxSite } from '../src/enrich/inventory.js';

/**
 * A synthetic but shaped-like-production workload: 200 exporters in 10 sites with
 * 48 indexed interfaces each, 400 site-scoped prefixes, and flows whose addresses
 * come from a pool with a skewed popularity (a few talkers carry most flows, as on
 * real networks): 20,000 distinct addresses, half of them public ones that the
 * MaxMind test databases know, the rest private.
 */

export const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../constructs/flows/proto');

export function flowMessageType(): protobuf.Type {
  return loadProto('flow.proto', 'helios.flows.v1.FlowMessage');
}

/** A message type from Helios's .proto files, field names as written (snake_case). */
export function loadProto(file: string, type: string): protobuf.Type {
  const root = new protobuf.Root();
  root.loadSync(join(PROTO_DIR, file), { keepCase: true });
  return root.lookupType(type);
}

const EXPORTERS = 200;
const INTERFACES = 48;
const SITES = 10;

/** Deterministic pseudo-random numbers (the same workload on every run). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const brief = (id: number, slug: string) => ({ id, url: `http://netbox/api/x/${id}/`, display: slug, name: slug, slug });

export function benchInventory(): Inventory {
  const sites: NetboxSite[] = Array.from({ length: SITES }, (_, i) => ({ id: i + 1, slug: `site-${i + 1}`, region: brief(1 + (i % 3), `region-${1 + (i % 3)}`) }));
  const devices: NetboxDevice[] = [];
  const interfaces: NetboxInterface[] = [];
  for (let d = 0; d < EXPORTERS; d++) {
    devices.push({
      id: d + 1,
      name: `router-${d + 1}`,
      display: `router-${d + 1}`,
      device_type: { manufacturer: brief(1, 'arista') },
      role: brief(1, 'border'),
      tenant: brief(1, 'netops'),
      platform: brief(1, 'eos'),
      site: brief(1 + (d % SITES), `site-${1 + (d % SITES)}`),
      primary_ip4: { address: `10.255.${d >> 8}.${d & 0xff}/32` },
      custom_fields: { monitoring_tier: 'gold' },
    });
    for (let i = 1; i <= INTERFACES; i++) {
      interfaces.push({ id: d * 1000 + i, device: { id: d + 1 }, name: `Ethernet${i}/1`, speed: 100_000_000, custom_fields: { ifindex: i } });
    }
  }
  const prefixes: NetboxPrefix[] = Array.from({ length: 400 }, (_, i) => ({
    id: i + 1, prefix: `10.${i >> 2}.${(i & 3) * 64}.0/18`, scope_type: 'dcim.site', scope: brief(1 + (i % SITES), `site-${1 + (i % SITES)}`),
  }));
  return buildInventory({ devices, sites, interfaces, prefixes, ipAddresses: [] });
}

/** Addresses the MaxMind test databases answer for (from their source data), as 4-byte arrays. */
const KNOWN_PUBLIC = ['89.160.20.128', '81.2.69.142', '216.160.83.56', '1.128.0.0', '2.125.160.216', '67.43.156.0', '149.101.100.0', '175.16.199.0'];

function addressPool(size: number, next: () => number): Uint8Array[] {
  const pool: Uint8Array[] = [];
  for (let i = 0; i < size; i++) {
    if (i % 2 === 0) {
      const base = KNOWN_PUBLIC[i % KNOWN_PUBLIC.length].split('.').map(Number);
      // Vary the last octet (and the third for spread): most of these stay inside the test databases' networks.
      pool.push(Uint8Array.from([base[0], base[1], base[2], (base[3] + (i >> 4)) & 0xff]));
    } else {
      pool.push(Uint8Array.from([10, Math.floor(next() * 100), Math.floor(next() * 256), Math.floor(next() * 256)]));
    }
  }
  return pool;
}

/** `count` goflow2 FlowMessages, each length-delimited in its own Kafka message value (goflow2 -format=bin). */
export function goflow2Messages(count: number, seed = 1): Buffer[] {
  const type = flowMessageType();
  const next = rng(seed);
  const pool = addressPool(20_000, next);
  // Skewed popularity: index = pool.length * u^3 puts most picks at the front of the pool.
  const pick = () => pool[Math.floor(pool.length * next() ** 3)];
  const now = 1_700_000_000_000_000_000n;
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const exporter = Math.floor(next() * EXPORTERS);
    const message = type.create({
      type: 3,
      time_received_ns: (now + BigInt(i) * 1000n).toString(),
      sequence_num: i,
      sampling_rate: 1000,
      sampler_address: Uint8Array.from([10, 255, exporter >> 8, exporter & 0xff]),
      src_addr: pick(),
      dst_addr: pick(),
      bytes: 64 + Math.floor(next() * 1_500_000),
      packets: 1 + Math.floor(next() * 1000),
      in_if: 1 + Math.floor(next() * INTERFACES),
      out_if: 1 + Math.floor(next() * INTERFACES),
      proto: 6,
      src_port: 1024 + Math.floor(next() * 60000),
      dst_port: 443,
      etype: 0x800,
      src_net: 24,
      dst_net: 24,
      tcp_flags: 0x18,
      time_flow_start_ns: (now - 5_000_000_000n).toString(),
      time_flow_end_ns: now.toString(),
      next_hop: Uint8Array.from([10, 255, 0, 1]),
    });
    out.push(Buffer.from(type.encodeDelimited(message).finish()));
  }
  return out;
}
