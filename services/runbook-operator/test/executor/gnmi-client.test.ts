import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerBin, peerData } from '../../../../test/peers/harness/paths.js';
import { scratch } from '../../../../test/peers/harness/network-peers.js';
import { freePort, PeerProcess, tcpOpen } from '../../../../test/peers/harness/process.js';
import { GnmiClient, GnmiError, readCredentials } from '../../src/gnmi/client.js';

/** A CA and a server certificate for 127.0.0.1, made with openssl for this test. */
function makeCertificates(dir: string, caName: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, `${caName}-${n}`);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${caName}`, '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=gnmi-target', '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext'), '-out', f('server.pem')]);
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

describe('the gNMI client against gnmi_target over TLS', () => {
  let target: PeerProcess;
  let address: string;
  let certs: { ca: string; cert: string; key: string };
  let otherCa: string;
  const credentials = { username: 'admin', password: 'admin' };
  const enabled = '/interfaces/interface[name=Ethernet1]/config/enabled';

  beforeAll(async () => {
    const dir = scratch('gnmi-tls');
    certs = makeCertificates(dir, 'helios-test-ca');
    otherCa = makeCertificates(dir, 'other-ca').ca;
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    // -insecure here means: client certificates are optional (the executor presents none).
    target = await PeerProcess.start({
      name: 'gnmi_target',
      command: peerBin('gnmi_target'),
      args: [`-bind_address=${address}`, `-ca=${certs.ca}`, `-cert=${certs.cert}`, `-key=${certs.key}`, '-insecure', `-config=${peerData('gnmi-target', 'interfaces.json')}`, '-username=admin', '-password=admin', '-alsologtostderr'],
      ready: () => tcpOpen(port),
    });
  });
  afterAll(async () => { await target?.stop(); });

  async function withClient<T>(c: GnmiClient, f: (c: GnmiClient) => Promise<T>): Promise<T> {
    try { return await f(c); } finally { c.close(); }
  }

  test('tls verifies the device certificate against the CA', async () => {
    expect(await withClient(new GnmiClient(address, { tlsMode: 'tls', ca: readFileSync(certs.ca), credentials }), (c) => c.get(enabled, 5000))).toBe(true);
  });

  test('tls refuses a device whose certificate another CA signed', async () => {
    await expect(withClient(new GnmiClient(address, { tlsMode: 'tls', ca: readFileSync(otherCa), credentials }), (c) => c.get(enabled, 5000))).rejects.toThrow(GnmiError);
  });

  test('skip-verify connects without checking the certificate; plaintext cannot talk to a TLS device', async () => {
    expect(await withClient(new GnmiClient(address, { tlsMode: 'skip-verify', credentials }), (c) => c.get(enabled, 5000))).toBe(true);
    await expect(withClient(new GnmiClient(address, { tlsMode: 'plaintext', credentials }), (c) => c.get(enabled, 3000))).rejects.toThrow(GnmiError);
    expect(() => new GnmiClient(address, { tlsMode: 'tls', credentials })).toThrow('gNMI TLS mode "tls" needs a CA bundle');
  });

  test('wrong credentials, a bad Set and a missing path give the device\'s answer', async () => {
    // gnmi_target echoes the password it refused; the client keeps it out of status and logs.
    await expect(withClient(new GnmiClient(address, { tlsMode: 'skip-verify', credentials: { username: 'admin', password: 'wr0ng-pass' } }), (c) => c.get(enabled, 5000)))
      .rejects.toThrow(/^Get 127\.0\.0\.1:\d+: not authorized with "admin:<redacted>"$/);
    await withClient(new GnmiClient(address, { tlsMode: 'skip-verify', credentials }), async (c) => {
      expect(await c.get('/interfaces/interface[name=Ethernet99]/config', 5000)).toBeUndefined();
      await expect(c.set({ update: [{ path: '/interfaces/interface[name=Ethernet1]/config/mtu', value: 'not a number' }] }, 5000)).rejects.toThrow(/^Set 127\.0\.0\.1:\d+: /);
      expect(await c.set({ replace: [{ path: '/interfaces/interface[name=Ethernet1]/config/description', value: 'over tls' }] }, 5000))
        .toEqual([{ op: 'REPLACE', path: '/interfaces/interface[name=Ethernet1]/config/description' }]);
      expect(await c.get('/interfaces/interface[name=Ethernet1]/config/description', 5000)).toBe('over tls');
    });
  });

  test('credentials come from the mounted Secret files; a missing file names it', () => {
    const dir = scratch('creds');
    writeFileSync(join(dir, 'username'), 'netops\n');
    writeFileSync(join(dir, 'password'), 's3cret');
    expect(readCredentials(dir)).toEqual({ username: 'netops', password: 's3cret' });
    expect(() => readCredentials(join(dir, 'none'))).toThrow(`gNMI credentials: cannot read ${join(dir, 'none', 'username')} (the Secret's key "username")`);
  });
});
