import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { VAULT } from './world.js';
import { ExitCode, runSync } from '../../services/target-generator/src/app.js';
import { TARGET_SETS, TARGET_SHARDS_MAX, targetConfigMapName, targetFileName, targetNamespace } from '../../services/target-generator/src/contract.js';
import { memoryLogger, tokenFile } from '../../services/target-generator/test/helpers.js';
import { NetBoxFake } from '../../services/target-generator/test/netbox-fake.js';
import { hashmod } from '../metrics/collection-support.js';
import { GnmiDeviceStandIn, type DeviceState } from '../peers/harness/gnmi-device-stand-in.js';
import { type KubeApiServer } from '../peers/harness/kube.js';
import { writeScratch } from '../peers/harness/network-peers.js';
import { peerBin, peerData } from '../peers/harness/paths.js';
import { PeerProcess, tcpOpen } from '../peers/harness/process.js';

/**
 * The live stack's network: three devices on loopback addresses, described in the
 * NetBox fake as an operator would (taxonomy, primary IP, the Helios custom
 * fields), and turned into the collectors' targets by the real Target Generator.
 *
 * - leaf1 (ams1): a gNMI device, gnmi_target with TLS (gnmic's synthesized
 *   `skip-verify`), serving the harness's four interfaces.
 * - spine1 (fra1): an SNMP device, Net-SNMP's snmpd on UDP 161 serving the system
 *   group, IF-MIB and HOST-RESOURCES of this machine plus, as a switch would, its
 *   CPU load and two ENTITY-SENSOR-MIB sensors; probed by ping, an SSH port that
 *   accepts connections and a web interface that answers 503.
 * - border1 (ams1): a gNMI device with the `routing` profile (interfaces, CPU and
 *   memory, platform, BGP), served by GnmiDeviceStandIn: no real device here has
 *   BGP or power supplies (gnmi_target lacks those models), so a gNMI server of the
 *   harness answers the subscriptions with the OpenConfig leaves of BORDER1_STATE.
 */
export interface LiveDevice {
  readonly name: string;
  readonly taxonomy: Readonly<Record<'device' | 'site' | 'region' | 'vendor' | 'platform' | 'role' | 'tier', string>>;
  /** Its management address on loopback. */
  readonly address: string;
}

export const GNMI_CREDENTIALS = { username: 'helios', password: 'gn:mi s3cret' };
/** The community of the helios_v2c auth, as Vault holds it for snmp_exporter's ExternalSecret. */
const SNMP_COMMUNITY = VAULT['snmp-exporter-auths'].community;

/**
 * The address of spine1: Prometheus shards its SNMP and blackbox targets on the
 * probed address (`__tmp_hash`), and only shard 0 runs here, so every address of
 * the device must hash into shard 0.
 */
function addressInShard0(shards: number, prefix: string): string {
  for (let i = 2; i < 255; i++) {
    const ip = `${prefix}${i}`;
    if ([ip, `${ip}:22`, `http://${ip}/`].every((a) => hashmod(a, shards) === 0)) return ip;
  }
  throw new Error(`no address in ${prefix}0/24 hashes into shard 0`);
}

export interface LiveDevices {
  readonly leaf1: LiveDevice;
  readonly spine1: LiveDevice;
  readonly border1: LiveDevice;
}

export function liveDevices(shards: number): LiveDevices {
  return {
    leaf1: { name: 'leaf1', address: '127.13.0.2', taxonomy: { device: 'leaf1', site: 'ams1', region: 'eu', vendor: 'arista', platform: 'eos', role: 'leaf', tier: 'gold' } },
    spine1: { name: 'spine1', address: addressInShard0(shards, '127.13.1.'), taxonomy: { device: 'spine1', site: 'fra1', region: 'eu', vendor: 'arista', platform: 'eos', role: 'spine', tier: 'silver' } },
    border1: { name: 'border1', address: '127.13.0.3', taxonomy: { device: 'border1', site: 'ams1', region: 'eu', vendor: 'arista', platform: 'eos', role: 'border', tier: 'gold' } },
  };
}

/** A self-signed certificate for a device's gNMI server (gnmic skips verification, as synthesized): key and cert files. */
function selfSignedCertificate(dir: string, device: string): { key: string; cert: string } {
  const [key, cert] = [join(dir, `${device}-gnmi-key.pem`), join(dir, `${device}-gnmi-cert.pem`)];
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${device}`, '-days', '1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { key, cert };
}

/** A gnmi_target with TLS on `address`:`port`. */
export async function startGnmiDevice(dir: string, address: string, port: number): Promise<{ address: string; stop(): Promise<void> }> {
  const { key, cert } = selfSignedCertificate(dir, 'leaf1');
  const process = await PeerProcess.start({
    name: 'gnmi_target-leaf1',
    command: peerBin('gnmi_target'),
    args: [`-bind_address=${address}:${port}`, `-config=${peerData('gnmi-target', 'interfaces.json')}`, `-ca=${cert}`, `-cert=${cert}`, `-key=${key}`, '-insecure',
      `-username=${GNMI_CREDENTIALS.username}`, `-password=${GNMI_CREDENTIALS.password}`, '-alsologtostderr'],
    ready: () => tcpOpen(port, address),
  });
  return { address: `${address}:${port}`, stop: () => process.stop() };
}

const BORDER1_COUNTERS = {
  'in-octets': 1_000_000, 'out-octets': 2_000_000, 'in-pkts': 1000, 'out-pkts': 2000, 'in-errors': 0, 'out-errors': 0, 'in-discards': 0, 'out-discards': 0,
};
const BGP = '/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors';
/**
 * border1's state as an OpenConfig device reports it in JSON_IETF (64-bit counters and
 * decimals as strings): two interfaces, a CPU, memory, a temperature sensor, a power
 * supply, and two BGP neighbors, one established and one stuck in ACTIVE.
 */
export const BORDER1_STATE: DeviceState = {
  ...Object.fromEntries(['Ethernet1', 'Ethernet2'].flatMap((name, i) => [
    ...Object.entries(BORDER1_COUNTERS).map(([counter, n]) => [`/interfaces/interface[name=${name}]/state/counters/${counter}`, String(n * (i + 1))]),
    [`/interfaces/interface[name=${name}]/state/oper-status`, 'UP'],
    [`/interfaces/interface[name=${name}]/state/admin-status`, 'UP'],
  ])),
  '/system/cpus/cpu[index=0]/state/total/instant': 23,
  '/system/memory/state/physical': '8589934592',
  '/system/memory/state/used': '3221225472',
  '/components/component[name=CPU0]/state/temperature/instant': '51.5',
  '/components/component[name=PowerSupply1]/power-supply/state/enabled': true,
  '/components/component[name=PowerSupply1]/power-supply/state/capacity': '750.00',
  '/components/component[name=PowerSupply1]/power-supply/state/output-power': '182.40',
  ...Object.fromEntries([['10.0.0.1', 'ESTABLISHED', 1200, 15], ['10.0.0.5', 'ACTIVE', 0, 0]].flatMap(([neighbor, state, received, sent]) => [
    [`${BGP}/neighbor[neighbor-address=${neighbor}]/state/session-state`, state],
    ...Object.entries({ received, sent, installed: received })
      .map(([leaf, n]) => [`${BGP}/neighbor[neighbor-address=${neighbor}]/afi-safis/afi-safi[afi-safi-name=IPV4_UNICAST]/state/prefixes/${leaf}`, n]),
  ])),
};

/** border1: the gNMI device stand-in with TLS on `address`:`port`, serving BORDER1_STATE. */
export async function startGnmiStandIn(dir: string, address: string, port: number): Promise<GnmiDeviceStandIn> {
  const { key, cert } = selfSignedCertificate(dir, 'border1');
  return GnmiDeviceStandIn.start({
    address: `${address}:${port}`, key: readFileSync(key), cert: readFileSync(cert), ...GNMI_CREDENTIALS, state: BORDER1_STATE,
  });
}

/** ENTITY-SENSOR-MIB sensors: entPhysicalIndex, name, type (8 celsius, 6 watts), precision, value, oper status. */
const SENSORS = [
  [100006001, 'Cpu temp sensor', 8, 1, 452, 1],
  [100711101, 'PowerSupply1 output power', 6, 0, 120, 1],
] as const;

/** spine1's agent: real snmpd on UDP 161 of its address, with its CPU and sensors set by `override`. */
export async function startSnmpDevice(dir: string, address: string): Promise<{ stop(): Promise<void> }> {
  const config = writeScratch(dir, 'spine1-snmpd.conf', [
    ...['1', '2', '25', '31', '47', '99'].map((tree) => `view helios included .1.3.6.1.2.1.${tree}`),
    'rocommunity public 127.0.0.1 -V helios',
    `rocommunity "${SNMP_COMMUNITY}" 127.0.0.1 -V helios`,
    'sysName spine1',
    'override .1.3.6.1.2.1.25.3.3.1.2.196608 integer 35',
    ...SENSORS.flatMap(([index, name, type, precision, value, status]) => [
      `override .1.3.6.1.2.1.47.1.1.1.1.7.${index} octet_str "${name}"`,
      ...[type, 9, precision, value, status].map((v, column) => `override .1.3.6.1.2.1.99.1.1.1.${column + 1}.${index} integer ${v}`),
    ]),
    '',
  ].join('\n'));
  const target = `${address}:161`;
  const process = await PeerProcess.start({
    name: 'snmpd-spine1',
    command: peerBin('snmpd'),
    args: ['-f', '-Lo', '-C', '-c', config, '-I', '-smux', `udp:${target}`],
    ready: () => spawnSync(peerBin('snmpget'), ['-v2c', '-c', 'public', '-t', '1', '-r', '0', target, '.1.3.6.1.2.1.1.3.0'], { encoding: 'utf8' }).status === 0,
  });
  return { stop: () => process.stop() };
}

/** What blackbox probes at spine1 besides ping: SSH (a port that accepts) and a web interface answering 503. */
export async function startDeviceServices(address: string): Promise<{ stop(): Promise<void> }> {
  const ssh: TcpServer = createTcpServer((socket) => socket.end());
  const web: Server = createHttpServer((_req, res) => { res.writeHead(503); res.end('maintenance'); });
  await new Promise<void>((r) => ssh.listen(22, address, r));
  await new Promise<void>((r) => web.listen(80, address, r));
  const close = (s: { close(cb: () => void): unknown }) => new Promise<void>((r) => s.close(() => r()));
  return { stop: async () => { await close(ssh); await close(web); } };
}

/**
 * Runs the real Target Generator (one `sync`, in process) against the NetBox fake
 * holding the devices, writing its ConfigMaps into the API server; returns every
 * file of every target ConfigMap, as the kubelet projects them into the pods.
 */
export async function targetsFromNetBox(
  kube: KubeApiServer, devices: LiveDevices, gnmiPorts: { leaf1: number; border1: number },
): Promise<Record<string, string>> {
  const fake = await NetBoxFake.start();
  try {
    for (const { taxonomy } of Object.values(devices)) fake.addSite(taxonomy.site, taxonomy.region);
    const device = (d: LiveDevice, customFields: Record<string, unknown>) => fake.addDevice({
      name: d.name,
      site: d.taxonomy.site,
      role: d.taxonomy.role,
      manufacturer: d.taxonomy.vendor,
      platform: d.taxonomy.platform,
      primaryIp: `${d.address}/32`,
      customFields: { helios_monitor: true, monitoring_tier: d.taxonomy.tier, ...customFields },
    });
    // leaf1 is reached over gNMI only: its reachability is gnmic's alone. It subscribes the minimal profile:
    // gnmi_target refuses a subscription when one of its paths is missing, and its models lack
    // /system/memory/state/used and every power-supply leaf. border1, the stand-in, serves every path of the routing profile.
    device(devices.leaf1, { helios_snmp: false, gnmi_port: gnmiPorts.leaf1, telemetry_profile: 'minimal', blackbox_probes: [] });
    device(devices.border1, { helios_snmp: false, gnmi_port: gnmiPorts.border1, telemetry_profile: 'routing', blackbox_probes: [] });
    device(devices.spine1, { helios_gnmi: false, snmp_module: ['arista_eos'], snmp_auth: 'helios_v2c', blackbox_probes: ['icmp', 'tcp_connect', 'http_2xx'] });
    const log = memoryLogger();
    const code = await runSync({ NETBOX_URL: fake.url, NETBOX_TOKEN_FILE: tokenFile(fake) }, false, log, kube.kubeConfig());
    if (code !== ExitCode.OK) throw new Error(`the Target Generator's sync failed (${code}):\n${log.lines.map((l) => `${l.level} ${l.message}`).join('\n')}`);
    if (fake.violations.length > 0) throw new Error(`the NetBox fake answered outside NetBox's schema: ${fake.violations.join('; ')}`);
  } finally {
    await fake.stop();
  }
  const core = kube.kubeConfig().makeApiClient(CoreV1Api);
  const files: Record<string, string> = {};
  for (const set of TARGET_SETS) {
    for (let shard = 0; shard < TARGET_SHARDS_MAX; shard++) {
      const cms = await core.listNamespacedConfigMap({ namespace: targetNamespace(set), fieldSelector: `metadata.name=${targetConfigMapName(set, shard)}` });
      const text = cms.items[0]?.data?.[targetFileName(set, shard)];
      if (text !== undefined) files[targetFileName(set, shard)] = text;
    }
  }
  return files;
}
