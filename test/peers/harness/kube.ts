import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { runDir } from './ledger.mjs';
import { peerBin } from './paths.js';
import { freePort, httpOk, PeerProcess, waitFor } from './process.js';

/** Bearer tokens of the static users the test API server knows (--token-auth-file). */
export const KubeUser = {
  /** In system:masters: may do anything. */
  ADMIN: { name: 'admin', token: 'helios-test-admin-token', groups: ['system:masters'] },
  /** In no group with any binding: RBAC denies it everything but discovery. */
  NOBODY: { name: 'nobody', token: 'helios-test-nobody-token', groups: ['helios-nobody'] },
} as const;

function get(url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
    req.end();
  });
}

/**
 * A real kube-apiserver (built from the Kubernetes Go module) on a real etcd,
 * with token authentication and RBAC. There is no controller manager: namespaces
 * never finish deleting and no service-account tokens are minted.
 */
export class KubeApiServer {
  public static async start(): Promise<KubeApiServer> {
    const dir = mkdtempSync(join(runDir(), 'kube-'));
    const [etcdClient, etcdPeer, secure] = [await freePort(), await freePort(), await freePort()];

    const etcd = await PeerProcess.start({
      name: 'etcd',
      command: peerBin('etcd'),
      args: [
        '--name=default', `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync', '--log-level=warn',
      ],
      ready: () => httpOk(`http://127.0.0.1:${etcdClient}/health`),
    });

    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'tokens.csv'), Object.values(KubeUser).map((u) => `${u.token},${u.name},${u.name}-uid,"${u.groups.join(',')}"`).join('\n') + '\n');
    mkdirSync(join(dir, 'certs'));

    const server = `https://127.0.0.1:${secure}`;
    let apiserver: PeerProcess;
    try {
      apiserver = await PeerProcess.start({
        name: 'kube-apiserver',
        command: peerBin('kube-apiserver'),
        args: [
          `--etcd-servers=http://127.0.0.1:${etcdClient}`,
          '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${secure}`,
          // A loopback advertise address makes the default endpoint reconciler complain forever.
          '--endpoint-reconciler-type=none',
          `--cert-dir=${join(dir, 'certs')}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          `--service-account-issuer=${server}`,
          `--service-account-key-file=${join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
          `--token-auth-file=${join(dir, 'tokens.csv')}`,
          '--authorization-mode=RBAC',
          // No controller manager mints service-account tokens, so admission must not wait for them.
          '--disable-admission-plugins=ServiceAccount',
          '--enable-priority-and-fairness=false',
          '--profiling=false',
        ],
        ready: async () => (await get(`${server}/readyz`, KubeUser.ADMIN.token)) === 200,
        readyTimeoutMs: 120_000,
      });
    } catch (e) {
      await etcd.stop();
      throw e;
    }
    const kube = new KubeApiServer(etcd, apiserver, server, dir);
    writeFileSync(kube.kubeconfigPath, kube.kubeconfigYaml(KubeUser.ADMIN.token));
    return kube;
  }

  private constructor(
    private readonly etcd: PeerProcess,
    private readonly apiserver: PeerProcess,
    public readonly server: string,
    public readonly dir: string,
  ) {}

  public get kubeconfigPath(): string {
    return join(this.dir, 'kubeconfig');
  }

  /** A kubeconfig for `kubectl` and @kubernetes/client-node (the serving certificate is self-signed). */
  public kubeconfigYaml(token: string): string {
    return `apiVersion: v1
kind: Config
clusters:
  - name: helios-test
    cluster: { server: "${this.server}", insecure-skip-tls-verify: true }
users:
  - name: user
    user: { token: "${token}" }
contexts:
  - name: helios-test
    context: { cluster: helios-test, user: user }
current-context: helios-test
`;
  }

  public kubeConfig(token: string = KubeUser.ADMIN.token): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml(token));
    return kc;
  }

  /** Runs the real kubectl against this server as the admin. */
  public kubectl(args: readonly string[], input?: string): SpawnSyncReturns<string> {
    return spawnSync(peerBin('kubectl'), ['--kubeconfig', this.kubeconfigPath, ...args], { encoding: 'utf8', input, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  }

  /**
   * Waits until every CRD is Established. Polled rather than `kubectl wait`, which
   * fails on a CRD whose status the server has not written yet.
   */
  public async waitForCrds(timeoutMs = 120_000): Promise<void> {
    await waitFor('every CRD to be Established', () => {
      const r = this.kubectl(['get', 'crd', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}']);
      const states = r.stdout.split('\n').filter((l) => l !== '');
      return r.status === 0 && states.length > 0 && states.every((st) => st === 'True');
    }, timeoutMs, 500);
  }

  public async stop(): Promise<void> {
    await this.apiserver.stop();
    await this.etcd.stop();
  }
}
