import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { parse, stringify } from 'yaml';
import { fleetCa } from './fleet-ca.js';
import { readManifestTree } from '../../src/manifests.js';
import { scratch } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { freePort, httpOk, PeerProcess, waitFor } from '../peers/harness/process.js';
import { REPO_ROOT } from '../shared.js';

/**
 * The hub's global Thanos Query and two members' Thanos Query, real Thanos (the peer),
 * started with the arguments and endpoint file synthesized for examples/multi-dc, with
 * certificates from one CA as cert-manager would issue them. The one place addresses
 * change: listen addresses and the members' endpoint addresses become loopback ports
 * (the server names stay), and the Secrets' mount paths become files here. The members
 * read no stores: this checks the federation's wiring — mutual TLS with each member's
 * server name, the hub's client certificate, the flags — not the series (the live
 * two-datacenter proof does that with Prometheus and sidecars).
 */
const objects = readManifestTree(join(REPO_ROOT, 'examples/multi-dc/dist')).flatMap((f) => f.objects.map((o) => ({ cluster: f.path.split('/')[0], o })));
const get = (cluster: string, kind: string, name: string): any => {
  const found = objects.find((x) => x.cluster === cluster && x.o.kind === kind && x.o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${cluster}`);
  return found.o;
};
const argsOf = (cluster: string, name: string): string[] => get(cluster, 'Deployment', name).spec.template.spec.containers[0].args;

const dir = scratch('global-query-tls');

interface Running { readonly peer: PeerProcess; readonly http: number; readonly grpc: number }

/** Starts `thanos` with synthesized arguments, listen addresses on loopback and mount paths mapped to `paths`. */
async function start(name: string, args: readonly string[], paths: Record<string, string>): Promise<Running> {
  const [http, grpc] = [await freePort(), await freePort()];
  const local = args.map((a) => {
    if (a.startsWith('--http-address=')) return `--http-address=127.0.0.1:${http}`;
    if (a.startsWith('--grpc-address=')) return `--grpc-address=127.0.0.1:${grpc}`;
    return Object.entries(paths).reduce((s, [from, to]) => s.replace(from, to), a);
  });
  const peer = await PeerProcess.start({
    name, command: peerBin('thanos'), args: local, ready: () => httpOk(`http://127.0.0.1:${http}/-/ready`),
  });
  return { peer, http, grpc };
}

async function query(hub: Running, promql: string): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${hub.http}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return r.json();
}

async function endpoints(hub: Running): Promise<any[]> {
  const r = await fetch(`http://127.0.0.1:${hub.http}/api/v1/stores`);
  const body: any = await r.json();
  return Object.values<any[]>(body.data ?? {}).flat();
}

describe('the global query reads the members over mutual TLS, as synthesized', () => {
  const members: Record<string, Running> = {};
  let hub: Running;

  beforeAll(async () => {
    const { issue } = fleetCa(dir);
    for (const dc of ['fra1', 'ams1']) {
      const cert = get(dc, 'Certificate', 'thanos-federation-server-tls').spec;
      const tls = issue(dc, cert.commonName, `subjectAltName=${cert.dnsNames.map((d: string) => `DNS:${d}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
      // The member's own stores are in its cluster; none here.
      writeFileSync(join(dir, `${dc}-endpoints.yaml`), 'endpoints: []\n');
      members[dc] = await start(`thanos-query-${dc}`, argsOf(dc, 'thanos-query'), {
        '/etc/thanos/server-tls': tls,
        '/etc/thanos/endpoints/endpoints.yaml': join(dir, `${dc}-endpoints.yaml`),
      });
    }
    const client = get('hub', 'Certificate', 'thanos-federation-client-tls').spec;
    const clientTls = issue('client', client.commonName, 'extendedKeyUsage=clientAuth\n');
    // The one place addresses are rewritten: each member's endpoint to its loopback port; the hub's in-cluster Query is left out.
    const synthesized = parse(get('hub', 'ConfigMap', 'thanos-query-global-endpoints').data['endpoints.yaml']);
    const rewritten = synthesized.endpoints.filter((e: any) => !e.address.startsWith('dnssrv+')).map((e: any) => {
      const dc = /^thanos\.([a-z0-9]+)\.example\.net:10901$/.exec(e.address)![1];
      return { ...e, address: `127.0.0.1:${members[dc].grpc}` };
    });
    writeFileSync(join(dir, 'hub-endpoints.yaml'), stringify({ endpoints: rewritten }).replaceAll('/etc/thanos/client-tls', clientTls));
    hub = await start('thanos-query-global', argsOf('hub', 'thanos-query-global'), {
      '/etc/thanos/client-tls': clientTls,
      '/etc/thanos/endpoints/endpoints.yaml': join(dir, 'hub-endpoints.yaml'),
    });
  });

  afterAll(async () => {
    await hub?.peer.stop();
    for (const m of Object.values(members)) await m.peer.stop();
  });

  it('connects to both members, each verified by its server name, presenting the hub\'s client certificate', async () => {
    await waitFor('both members among the global query\'s endpoints', async () => (await endpoints(hub)).filter((e) => !e.lastError).length === 2, 30_000);
    const names = (await endpoints(hub)).map((e) => e.name).sort();
    expect(names).toEqual([`127.0.0.1:${members.ams1.grpc}`, `127.0.0.1:${members.fra1.grpc}`].sort());
    const answer = await query(hub, 'up');
    expect(answer.status).toBe('success');
    expect(answer.warnings ?? []).toEqual([]);
  });

  it('a member refuses a client without the fleet\'s certificate', async () => {
    // TLS 1.3: the server checks the client's certificate after the handshake and answers with an alert.
    const error = await new Promise<string>((resolve) => {
      const socket = connect({
        host: '127.0.0.1', port: members.fra1.grpc, servername: 'thanos.fra1.example.net', ca: readFileSync(join(dir, 'ca.crt')), ALPNProtocols: ['h2'],
      });
      socket.on('secureConnect', () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
      socket.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
      socket.on('close', () => resolve('closed without an alert'));
      socket.setTimeout(10_000, () => { socket.destroy(); resolve('timed out'); });
    });
    expect(error).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it('answers with a warning, not an error, when a datacenter is down', async () => {
    await members.ams1.peer.stop();
    await waitFor('a partial response', async () => {
      const answer = await query(hub, 'up');
      return answer.status === 'success' && (answer.warnings ?? []).length > 0;
    }, 60_000, 1000);
    const answer = await query(hub, 'up');
    expect(answer.status).toBe('success');
    expect(answer.warnings.join('\n')).toContain(`127.0.0.1:${members.ams1.grpc}`);
  });
});
