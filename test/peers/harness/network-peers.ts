import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './ledger.mjs';
import { peerBin, peerData } from './paths.js';
import { freePort, httpOk, PeerProcess, tcpOpen } from './process.js';

/** A scratch folder for one peer's config files, inside the run folder. */
export function scratch(prefix: string): string {
  return mkdtempSync(join(runDir(), `${prefix}-`));
}

/** A peer that serves HTTP on one loopback port. */
export interface HttpPeer {
  readonly process: PeerProcess;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

async function httpPeer(
  name: string, command: string, args: (port: number) => string[], readyPath: string, env?: NodeJS.ProcessEnv,
): Promise<HttpPeer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await PeerProcess.start({ name, command, args: args(port), env, ready: () => httpOk(`${url}${readyPath}`) });
  return { process, port, url, stop: () => process.stop() };
}

/** Net-SNMP's snmpd (Debian) answering SNMPv2c community "public" for the system and IF-MIB trees. */
export async function startSnmpd(config = peerData('snmpd', 'snmpd.conf')): Promise<{ process: PeerProcess; target: string; stop(): Promise<void> }> {
  const port = await freePort();
  const target = `127.0.0.1:${port}`;
  const process = await PeerProcess.start({
    name: 'snmpd',
    command: peerBin('snmpd'),
    args: ['-f', '-Lo', '-C', '-c', config, '-I', '-smux', `udp:${target}`],
    ready: () => spawnSync(peerBin('snmpget'), ['-v2c', '-c', 'public', '-t', '1', '-r', '0', target, '.1.3.6.1.2.1.1.3.0'], { encoding: 'utf8' }).status === 0,
  });
  return { process, target, stop: () => process.stop() };
}

/** snmp_exporter with the given config file(s). */
export function startSnmpExporter(configFiles: readonly string[], env?: NodeJS.ProcessEnv, extraArgs: readonly string[] = []): Promise<HttpPeer> {
  return httpPeer('snmp_exporter', peerBin('snmp_exporter'), (port) => [
    ...configFiles.map((f) => `--config.file=${f}`), `--web.listen-address=127.0.0.1:${port}`, ...extraArgs,
  ], '/metrics', env);
}

/** blackbox_exporter with a config file. */
export function startBlackboxExporter(configFile: string): Promise<HttpPeer> {
  return httpPeer('blackbox_exporter', peerBin('blackbox_exporter'), (port) => [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`], '/-/ready');
}

/** The Prometheus Pushgateway (batch jobs push their metrics; GET /metrics shows them). */
export function startPushgateway(): Promise<HttpPeer> {
  return httpPeer('pushgateway', peerBin('pushgateway'), (port) => [`--web.listen-address=127.0.0.1:${port}`], '/-/ready');
}

/**
 * google/gnxi gnmi_target: an in-memory OpenConfig device (interfaces, platform,
 * system) serving Capabilities, Get, Set and Subscribe, without TLS. `fixedPort` brings a
 * stopped device back on its old address.
 */
export async function startGnmiTarget(
  config = peerData('gnmi-target', 'interfaces.json'), credentials = { username: 'admin', password: 'admin' }, fixedPort?: number,
): Promise<{ process: PeerProcess; address: string; port: number; stop(): Promise<void> }> {
  const port = fixedPort ?? await freePort();
  const address = `127.0.0.1:${port}`;
  const process = await PeerProcess.start({
    name: 'gnmi_target',
    command: peerBin('gnmi_target'),
    args: [`-bind_address=${address}`, '-notls', `-config=${config}`, `-username=${credentials.username}`, `-password=${credentials.password}`, '-alsologtostderr'],
    ready: () => tcpOpen(port),
  });
  return { process, address, port, stop: () => process.stop() };
}

/** gnmic as a long-running collector (`subscribe`) with a config file. */
export function startGnmicCollector(configFile: string, apiPort: number, env?: NodeJS.ProcessEnv): Promise<PeerProcess> {
  return PeerProcess.start({
    name: 'gnmic',
    command: peerBin('gnmic'),
    args: ['--config', configFile, 'subscribe'],
    env,
    ready: () => tcpOpen(apiPort),
  });
}

/** Runs gnmic once (get, set, capabilities) and returns its result. */
export function gnmic(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(peerBin('gnmic'), [...args], { encoding: 'utf8', timeout: 60_000 });
}

/**
 * goflow2 listening for NetFlow/IPFIX and sFlow on free UDP ports, writing to Kafka.
 * `listenOptions` is the query of both `-listen` URLs (`queue_size=...`).
 */
export async function startGoflow2(options: { brokers: string; topic: string; format?: 'bin' | 'json'; listenOptions?: string; extraArgs?: readonly string[] }): Promise<{
  process: PeerProcess; netflow: string; sflow: string; metrics: string; stop(): Promise<void>;
}> {
  const [netflow, sflow, metrics] = [await freePort(), await freePort(), await freePort()];
  const process = await PeerProcess.start({
    name: 'goflow2',
    command: peerBin('goflow2'),
    args: [
      '-listen', [`netflow://127.0.0.1:${netflow}`, `sflow://127.0.0.1:${sflow}`].map((u) => (options.listenOptions ? `${u}?${options.listenOptions}` : u)).join(','),
      '-addr', `127.0.0.1:${metrics}`,
      '-transport=kafka', `-transport.kafka.brokers=${options.brokers}`, `-transport.kafka.topic=${options.topic}`,
      '-transport.kafka.flushfreq=100ms',
      `-format=${options.format ?? 'bin'}`,
      ...(options.extraArgs ?? []),
    ],
    ready: () => httpOk(`http://127.0.0.1:${metrics}/metrics`),
  });
  return { process, netflow: `127.0.0.1:${netflow}`, sflow: `127.0.0.1:${sflow}`, metrics: `http://127.0.0.1:${metrics}`, stop: () => process.stop() };
}

/** One export for the flow generator (test/peers/flowgen/flowgen.py documents every field). */
export interface FlowExport {
  readonly target: string;
  readonly exporter: string;
  readonly version: 'v9' | 'ipfix' | 'sflow';
  readonly [field: string]: unknown;
  readonly flows: ReadonlyArray<Record<string, unknown>>;
}

/** Sends flows with the flow generator; returns one line per datagram sent. */
export function sendFlows(exports: readonly FlowExport[]): Array<{ version: string; exporter: string; flows: number; bytes: number }> {
  const r = spawnSync(peerBin('flowgen'), [], { input: JSON.stringify(exports), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`flowgen failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** promtool (Prometheus 2.x, Debian). */
export function promtool(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(peerBin('promtool'), [...args], { encoding: 'utf8', timeout: 120_000 });
}

/** amtool (Alertmanager CLI). */
export function amtool(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(peerBin('amtool'), [...args], { encoding: 'utf8', timeout: 60_000 });
}

/** Writes a file in a scratch folder and returns its path. */
export function writeScratch(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** One target as Prometheus's own pipeline sees it (provision/prom-targets.sh). */
export interface PromTarget {
  readonly job: string;
  readonly dropped: boolean;
  readonly url?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly error?: string;
}

/** Runs Prometheus 3.5's target discovery and relabeling (file_sd jobs) on a config file. */
export function promTargets(configFile: string): PromTarget[] {
  const r = spawnSync(peerBin('prom-targets'), [`--config.file=${configFile}`], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`prom-targets failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as PromTarget);
}
