import { execFile, spawn } from 'node:child_process';
import { GNMI_SUBSCRIPTION_PATHS } from '../../constructs/metrics/gnmic.js';
import { TELEMETRY_PROFILES } from '../../constructs/platform/targets.js';
import { BORDER1_STATE, GNMI_CREDENTIALS, startGnmiStandIn } from '../metrics-live/network.js';
import { type GnmiDeviceStandIn } from './harness/gnmi-device-stand-in.js';
import { scratch } from './harness/network-peers.js';
import { peerBin } from './harness/paths.js';
import { freePort } from './harness/process.js';

/**
 * Runs the gnmic CLI without blocking: the stand-in answers from this process's event loop.
 * A refused stream is retried by gnmic until it is stopped, so runs end after `timeoutMs`.
 */
function gnmic(args: readonly string[], timeoutMs = 60_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(peerBin('gnmic'), [...args], { encoding: 'utf8', timeout: timeoutMs }, (_e, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }));
  });
}

/** gnmic's event output: the values by path without keys, the keys as tags (`<element>_<key>`), as its Prometheus output reads them. */
interface GnmicEvent { readonly tags: Record<string, string>; readonly values: Record<string, unknown> }

describe('the gNMI device stand-in, as the real gnmic CLI subscribes to it', () => {
  let device: GnmiDeviceStandIn;
  const auth = () => ['-a', device.address, '--skip-verify', '-u', GNMI_CREDENTIALS.username, '-p', GNMI_CREDENTIALS.password, '-e', 'json_ietf'];
  const paths = (list: readonly string[]) => list.flatMap((p) => ['--path', p]);

  beforeAll(async () => {
    device = await startGnmiStandIn(scratch('gnmi-stand-in'), '127.0.0.1', await freePort());
  });
  afterAll(async () => device?.stop());

  it('serves every path of the routing profile\'s subscriptions once, with the leaves gnmic turns into the dashboards\' metrics', async () => {
    const all = TELEMETRY_PROFILES.routing.flatMap((s) => GNMI_SUBSCRIPTION_PATHS[s]);
    const r = await gnmic([...auth(), '--format', 'event', 'subscribe', '--mode', 'once', ...paths(all)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const events: GnmicEvent[] = r.stdout.trim().split(/\n(?=\[)/).flatMap((chunk) => JSON.parse(chunk));
    const value = (name: string, tags: Record<string, string>) => events
      .filter((e) => Object.entries(tags).every(([k, v]) => e.tags[k] === v)).map((e) => e.values[name]).find((v) => v !== undefined);
    const neighbor = '/network-instances/network-instance/protocols/protocol/bgp/neighbors/neighbor';
    expect(value(`${neighbor}/state/session-state`, { 'neighbor_neighbor-address': '10.0.0.1', 'protocol_identifier': 'BGP' })).toBe('ESTABLISHED');
    expect(value(`${neighbor}/state/session-state`, { 'neighbor_neighbor-address': '10.0.0.5' })).toBe('ACTIVE');
    expect(value(`${neighbor}/afi-safis/afi-safi/state/prefixes/received`, { 'neighbor_neighbor-address': '10.0.0.1', 'afi-safi_afi-safi-name': 'IPV4_UNICAST' })).toBe(1200);
    expect(value('/components/component/power-supply/state/output-power', { component_name: 'PowerSupply1' })).toBe('182.40');
    expect(value('/components/component/state/temperature/instant', { component_name: 'CPU0' })).toBe('51.5');
    expect(value('/system/memory/state/used', {})).toBe('3221225472');
    expect(value('/system/cpus/cpu/state/total/instant', { cpu_index: '0' })).toBe(23);
    expect(value('/interfaces/interface/state/counters/in-octets', { interface_name: 'Ethernet2' })).toBe('2000000');
    // Every leaf of the state went out once: the paths select all of it.
    expect(events.reduce((n, e) => n + Object.keys(e.values).length, 0)).toBe(Object.keys(BORDER1_STATE).length);
  });

  it('streams samples at the requested interval, carrying a change of the device\'s state', async () => {
    const path = '/components/component[name=PowerSupply1]/power-supply/state/output-power';
    const child = spawn(peerBin('gnmic'), [...auth(), '--format', 'event', 'subscribe', '--mode', 'stream', '--stream-mode', 'sample', '--sample-interval', '1s', '--path', path]);
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    await new Promise((r) => setTimeout(r, 2500));
    device.set(path, '0.00');
    await new Promise((r) => setTimeout(r, 2500));
    child.kill();
    const samples = [...out.matchAll(/"\/components\/component\/power-supply\/state\/output-power": "([\d.]+)"/g)].map((m) => m[1]);
    // The initial update, then one sample a second: the old value, then the new one.
    expect(samples.length).toBeGreaterThanOrEqual(4);
    expect(samples[0]).toBe('182.40');
    expect(samples.at(-1)).toBe('0.00');
    device.set(path, BORDER1_STATE[path]);
  }, 30_000);

  it('refuses wrong credentials, a path it has no data for and on-change subscriptions, as a device does', async () => {
    const [wrong, missing, onChange] = await Promise.all([
      gnmic(['-a', device.address, '--skip-verify', '-u', GNMI_CREDENTIALS.username, '-p', 'wrong', 'subscribe', '--mode', 'once', '--path', '/system/memory/state/used']),
      gnmic([...auth(), 'subscribe', '--mode', 'once', '--path', '/system/state/hostname']),
      gnmic([...auth(), '--log', 'subscribe', '--mode', 'stream', '--stream-mode', 'on-change', '--path', '/system/memory/state/used'], 5000),
    ]);
    expect([wrong.status, missing.status]).toEqual([1, 1]);
    expect(wrong.stderr).toContain('code = Unauthenticated desc = username or password not accepted');
    expect(missing.stderr).toContain('code = NotFound desc = /system/state/hostname: no such data on this device');
    expect(onChange.stderr).toContain('code = Unimplemented desc = /system/memory/state/used: subscription mode 1: SAMPLE (2) is served');
  });
});

