import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// protobufjs is services/flow-enricher's dependency (npm workspace): the fixtures drive that code.
// eslint-disable-next-line import/no-extraneous-dependencies
import protobuf from 'protobufjs';
import { CLICKHOUSE_GROUP } from '../../constructs/flows/clickhouse.js';
import { FLOWS_DATABASE } from '../../constructs/flows/flow-schema.js';
import { FlowTopic } from '../../constructs/flows/kafka-cluster.js';
import type { NetboxData } from '../../services/flow-enricher/src/enrich/inventory.js';
import type { MigrateOptions } from '../../services/flow-enricher/src/migrate/index.js';
import { freePort, httpOk, PeerProcess } from '../peers/harness/process.js';

/**
 * The world the flow tests' flows come from, shared by the flow-store pipeline test and
 * the flow dashboards' fixture: the NetBox inventory, what NetBox and the MaxMind test
 * databases say about each address, goflow2's Kafka encoding, and chdb as a server.
 */

const PROTO_DIR = fileURLToPath(new URL('../../constructs/flows/proto/', import.meta.url));
const flowProto = protobuf.loadSync(join(PROTO_DIR, 'flow.proto')).lookupType('helios.flows.v1.FlowMessage');

export const NETBOX: NetboxData = {
  sites: [{ id: 1, slug: 'ams1', region: { id: 1, slug: 'eu-west' } }, { id: 2, slug: 'fra1', region: { id: 1, slug: 'eu-west' } }],
  devices: [
    {
      id: 1,
      name: 'edge-ams1-01',
      display: 'edge-ams1-01',
      device_type: { manufacturer: { id: 1, slug: 'juniper' } },
      role: { id: 1, slug: 'border' },
      tenant: null,
      platform: { id: 1, slug: 'junos' },
      site: { id: 1, slug: 'ams1' },
      primary_ip4: { address: '192.0.2.1/32' },
      custom_fields: { monitoring_tier: 'gold' },
    },
    {
      id: 2,
      name: 'core-fra1-01',
      display: 'core-fra1-01',
      device_type: { manufacturer: { id: 2, slug: 'arista' } },
      role: { id: 2, slug: 'core' },
      tenant: { id: 1, slug: 'netops' },
      platform: { id: 2, slug: 'eos' },
      site: { id: 2, slug: 'fra1' },
      primary_ip6: { address: '2001:db8::2/128' },
      custom_fields: {},
    },
  ],
  interfaces: [
    { id: 11, device: { id: 1 }, name: 'et-0/0/1', speed: 100_000_000, custom_fields: { ifindex: 1 } },
    { id: 12, device: { id: 1 }, name: 'et-0/0/2', speed: 10_000_000, custom_fields: { ifindex: 2 } },
    { id: 21, device: { id: 2 }, name: 'Ethernet1', speed: 400_000_000, custom_fields: { ifindex: 1 } },
    { id: 22, device: { id: 2 }, name: 'Ethernet2', speed: 400_000_000, custom_fields: { ifindex: 2 } },
  ],
  prefixes: [
    {
      id: 1,
      prefix: '10.1.0.0/16',
      scope_type: 'dcim.site',
      scope: { id: 1, slug: 'ams1' },
      tenant: { id: 1, slug: 'netops' },
      role: { id: 1, slug: 'users' },
      vlan: { id: 1, vid: 100 },
    },
    { id: 2, prefix: '10.2.0.0/16', scope_type: 'dcim.site', scope: { id: 2, slug: 'fra1' } },
    { id: 3, prefix: '2001:db8:1::/48', scope_type: 'dcim.site', scope: { id: 2, slug: 'fra1' } },
  ],
  ipAddresses: [
    { id: 1, address: '10.1.2.3/16', assigned_object_type: 'dcim.interface', assigned_object: { id: 11, name: 'et-0/0/1', device: { id: 1 } } },
    { id: 2, address: '10.2.0.9/16', assigned_object_type: 'dcim.interface', assigned_object: { id: 22, name: 'Ethernet2', device: { id: 2 } } },
    { id: 3, address: '2001:db8:1::5/48', assigned_object_type: 'dcim.interface', assigned_object: { id: 21, name: 'Ethernet1', device: { id: 2 } } },
  ],
};

/**
 * What NetBox says about the addresses on device interfaces and in prefixes with a
 * tenant, role or VLAN: device/role/tenant/site/interface, then the prefix's
 * tenant/role/VLAN ID. Every other address: all empty.
 */
export const HOST_FACTS: Record<string, string> = {
  '10.1.2.3': 'edge-ams1-01/border//ams1/et-0/0/1 netops/users/100',
  '10.2.0.9': 'core-fra1-01/core/netops/fra1/Ethernet2 //0',
  '2001:db8:1::5': 'core-fra1-01/core/netops/fra1/Ethernet1 //0',
};
export const NO_HOST_FACTS = '//// //0';


/** What NetBox and the MaxMind test databases (GeoIP2-City-Test, GeoLite2-ASN-Test) say about each address. */
export interface Place { site: string; country: string; as: number; asName: string }
export const PLACES: Record<string, Place> = {
  '89.160.20.128': { site: '', country: 'SE', as: 29518, asName: 'Bredband2 AB' },
  '81.2.69.142': { site: '', country: 'GB', as: 0, asName: '' },
  '216.160.83.56': { site: '', country: 'US', as: 209, asName: '' },
  '10.1.2.3': { site: 'ams1', country: '', as: 0, asName: '' },
  '10.2.0.9': { site: 'fra1', country: '', as: 0, asName: '' },
  '2600:7000::1': { site: '', country: '', as: 6939, asName: 'Hurricane Electric, Inc.' },
  '2001:db8:1::5': { site: 'fra1', country: '', as: 0, asName: '' },
};
export const V4 = Object.keys(PLACES).filter((a) => !a.includes(':'));
export const V6 = Object.keys(PLACES).filter((a) => a.includes(':'));

/** What goflow2 puts in one FlowMessage, as the tests describe a flow. */
export interface Goflow2Flow {
  readonly exporter: { readonly address: string };
  /** 3 NetFlow v9, 4 IPFIX. @default 4 */
  readonly type?: 3 | 4;
  readonly timeSec: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly proto: number;
  /** @default 0 */
  readonly tcpFlags?: number;
  readonly inIf: number;
  readonly outIf: number;
  readonly bytes: number;
  readonly packets: number;
  readonly samplingRate: number;
}

export function addressBytes(address: string): Buffer {
  if (!address.includes(':')) return Buffer.from(address.split('.').map(Number));
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.map((g) => g.padStart(4, '0')).join(''), 'hex');
}

/** A goflow2 Kafka message: one FlowMessage, varint length-delimited (`-format=bin`). */
export function goflow2Message(f: Goflow2Flow): Buffer {
  // 64-bit fields as decimal strings: fromObject turns them into protobufjs's Long.
  const ns = BigInt(f.timeSec) * 1_000_000_000n;
  return Buffer.from(flowProto.encodeDelimited(flowProto.fromObject({
    type: f.type ?? 4,
    timeReceivedNs: String(ns),
    timeFlowStartNs: String(ns - 30_000_000_000n),
    timeFlowEndNs: String(ns - 1_000_000_000n),
    samplingRate: f.samplingRate,
    samplerAddress: addressBytes(f.exporter.address),
    srcAddr: addressBytes(f.src),
    dstAddr: addressBytes(f.dst),
    bytes: String(f.bytes),
    packets: String(f.packets),
    etype: f.src.includes(':') ? 0x86dd : 0x800,
    proto: f.proto,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    tcpFlags: f.tcpFlags ?? 0,
    inIf: f.inIf,
    outIf: f.outIf,
  })).finish());
}

/** chdb as a ClickHouse server of its own (chdb-http-server.ts), reached over HTTP by @clickhouse/client. */
export async function startChdb(dataDir: string): Promise<{ process: PeerProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await PeerProcess.start({
    name: 'chdb-http-server',
    command: globalThis.process.execPath,
    args: ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./chdb-http-server.ts', import.meta.url)), String(port), dataDir],
    ready: () => httpOk(`${url}/ping`),
  });
  return { process, url };
}

/** The committed migrations' variables on chdb: its Kafka engine table reads helios-flows-enriched from `brokers`. */
export function flowStoreOptions(brokers: string): MigrateOptions {
  return {
    database: FLOWS_DATABASE,
    variables: {
      kafka_brokers: brokers,
      kafka_topic: FlowTopic.ENRICHED,
      kafka_group: CLICKHOUSE_GROUP,
      // chdb resolves format schemas against the process's working directory: give the path whole.
      kafka_schema: `${join(PROTO_DIR, 'enriched_flow.proto')}:EnrichedFlow`,
      kafka_consumers: '1',
    },
  };
}
