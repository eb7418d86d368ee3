import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildInventory, type NetboxData, type NetboxDevice, type NetboxIpAddress, type NetboxPrefix } from '../src/enrich/inventory.js';
import { FlowTranscoder } from '../src/transcode.js';
import { flowMessageType } from './workload.js';

/**
 * The memory the NetBox inventory takes for source/destination enrichment at the
 * size the enricher is sized for: 100,000 addresses on device interfaces and
 * 50,000 prefixes (IPv4 and IPv6, with tenants, roles and VLANs), on 5,000
 * devices. Prints the V8 heap after a full GC: the lists as the client keeps them
 * (only the fields read, see netbox/source.ts), and the built inventory alone
 * (what stays between refreshes). During a refresh both the old inventory and the
 * new lists and inventory are alive, so the peak is about twice the inventory plus
 * the lists. Then the transcoder's address cache filled with 100,000
 * addresses, every one a NetBox host in a prefix (its bound is 131,072), which holds each address's
 * encoded answers.
 *
 *   npx tsx bench/inventory-memory.ts   (in services/flow-enricher)
 */

const ADDRESSES = 100_000;
const PREFIXES = 50_000;
const DEVICES = 5_000;
const INTERFACES_PER_DEVICE = 10;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMiB(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const brief = (id: number, slug: string) => ({ id, slug });

function netboxData(): NetboxData {
  const devices: NetboxDevice[] = Array.from({ length: DEVICES }, (_, d) => ({
    id: d + 1,
    name: `server-${String(d + 1).padStart(5, '0')}.dc${d % 20}`,
    display: `server-${d + 1}`,
    device_type: { manufacturer: brief(1, 'dell') },
    role: brief(1 + (d % 8), `role-${d % 8}`),
    tenant: brief(1 + (d % 50), `tenant-${d % 50}`),
    site: brief(1 + (d % 20), `site-${d % 20}`),
  }));
  const ipAddresses: NetboxIpAddress[] = Array.from({ length: ADDRESSES }, (_, i) => {
    const d = i % DEVICES;
    const ifIndex = Math.floor(i / DEVICES) % INTERFACES_PER_DEVICE;
    // Two in three IPv4, the rest IPv6.
    const address = i % 3 === 2
      ? `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1/64`
      : `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}/24`;
    return {
      id: i + 1,
      address,
      assigned_object_type: 'dcim.interface',
      assigned_object: { id: d * INTERFACES_PER_DEVICE + ifIndex + 1, name: `eth${ifIndex}`, device: { id: d + 1 } },
    };
  });
  const prefixes: NetboxPrefix[] = Array.from({ length: PREFIXES }, (_, i) => ({
    id: i + 1,
    prefix: i % 3 === 2 ? `2001:db8:${(i >> 8).toString(16)}:${(i & 0xff).toString(16)}00::/56` : `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`,
    scope_type: 'dcim.site',
    scope: brief(1 + (i % 20), `site-${i % 20}`),
    tenant: brief(1 + (i % 50), `tenant-${i % 50}`),
    role: brief(1 + (i % 5), `prefix-role-${i % 5}`),
    vlan: { id: i + 1, vid: 1 + (i % 4094) },
  }));
  return { devices, sites: [], interfaces: [], prefixes, ipAddresses };
}

/** goflow2 messages with `count` flows between distinct addresses of the inventory. */
function distinctFlows(data: NetboxData, count: number): Buffer[] {
  const type = flowMessageType();
  const bytes = (cidr: string) => {
    const [a] = cidr.split('/');
    if (!a.includes(':')) return Buffer.from(a.split('.').map(Number));
    const [head, tail = ''] = a.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    return Buffer.from([...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => g.padStart(4, '0')).join(''), 'hex');
  };
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const src = data.ipAddresses[(2 * i) % data.ipAddresses.length].address;
    const dst = data.ipAddresses[(2 * i + 1) % data.ipAddresses.length].address;
    out.push(Buffer.from(type.encodeDelimited(type.fromObject({ type: 4, src_addr: bytes(src), dst_addr: bytes(dst), bytes: 100, packets: 1 })).finish()));
  }
  return out;
}

const flows = distinctFlows(netboxData(), 65_536);
const base = heapMiB();
let data: NetboxData | undefined = netboxData();
const withLists = heapMiB();
const inventory = buildInventory(data);
const withBoth = heapMiB();
data = undefined;
const inventoryOnly = heapMiB();

const transcoder = new FlowTranscoder({ flowsPerMessage: 500 });
transcoder.setInventory(inventory);
const beforeCache = heapMiB();
for (let i = 0; i < flows.length; i += 1000) transcoder.transcode(flows.slice(i, i + 1000));
const cached = transcoder.takeCounters().addressCacheMisses;
const cache = heapMiB() - beforeCache;

const { hostAddresses, prefixes } = inventory.stats;
const mib = (n: number) => `${n.toFixed(1)} MiB`;
console.log(`NetBox inventory for ${hostAddresses.toLocaleString('en')} interface addresses and ${prefixes.toLocaleString('en')} prefixes on ${DEVICES.toLocaleString('en')} devices (Node ${process.version}):`);
console.log(`  lists as fetched (fields read only): ${mib(withLists - base)}`);
console.log(`  built inventory (kept between refreshes): ${mib(inventoryOnly - base)}`
  + ` (${Math.round(((inventoryOnly - base) * 2 ** 20) / (hostAddresses + prefixes))} bytes per address or prefix)`);
console.log(`  lists and inventory together (during a refresh, besides the previous inventory): ${mib(withBoth - base)}`);
console.log(`  address cache holding ${cached.toLocaleString('en')} addresses with their NetBox answers (no GeoIP databases; it keeps 65,536 to 131,072): ${mib(cache)}`
  + ` (${Math.round((cache * 2 ** 20) / cached)} bytes per address)`);
