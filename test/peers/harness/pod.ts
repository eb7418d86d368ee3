import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KubeApiServer } from './kube.js';
import { freePort, PeerProcess } from './process.js';

const FORWARDER = join(dirname(fileURLToPath(import.meta.url)), 'forward.mjs');

function needRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs private Linux namespaces, which need root (uid ${process.getuid?.()})`);
  const probe = spawnSync('unshare', ['--net', '--mount', '--uts', '--fork', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`${what}: unshare cannot create network, mount and UTS namespaces here: ${probe.stderr}`);
}

/**
 * A pod network: a private network namespace whose loopback interface holds the pod
 * IPs (the API server refuses 127.0.0.0/8 addresses in Endpoints, so pods need real
 * pod IPs). It has no other interface and no route: nothing sent to a pod IP leaves it.
 * The node's loopback services the pods call (the API server, the devices) appear in it
 * at the same 127.0.0.1 ports, and each pod port the test reads appears on a free port
 * of the node's 127.0.0.1; both through relays over Unix sockets (forward.mjs).
 */
export class PodNetwork {
  public static async start(dir: string, podIps: readonly string[], options: {
    /** Node loopback ports the pods reach at 127.0.0.1:<port>. */
    readonly nodePorts: readonly number[];
    /** Pod addresses ("ip:port") the test reaches from the node. */
    readonly podPorts: readonly string[];
  }): Promise<PodNetwork> {
    needRoot('a pod network');
    const sock = (name: string) => join(dir, `${name}.sock`);
    const exposed: Record<string, number> = {};
    for (const address of options.podPorts) exposed[address] = await freePort();
    const nodeRules = [
      ...options.nodePorts.map((port) => ({ listen: { path: sock(`node-${port}`) }, connect: { host: '127.0.0.1', port } })),
      ...options.podPorts.map((address) => ({ listen: { host: '127.0.0.1', port: exposed[address] }, connect: { path: sock(`pod-${address.replace(':', '-')}`) } })),
    ];
    const podRules = [
      ...options.nodePorts.map((port) => ({ listen: { host: '127.0.0.1', port }, connect: { path: sock(`node-${port}`) } })),
      ...options.podPorts.map((address) => {
        const [host, port] = address.split(':');
        return { listen: { path: sock(`pod-${address.replace(':', '-')}`) }, connect: { host, port: Number(port) } };
      }),
    ];
    const nodeFile = join(dir, 'relay-node.json');
    const podFile = join(dir, 'relay-pods.json');
    writeFileSync(nodeFile, JSON.stringify(nodeRules));
    writeFileSync(podFile, JSON.stringify(podRules));
    const nodeRelay = await PeerProcess.start({
      name: 'pod-network-node-relay', command: process.execPath, args: [FORWARDER, nodeFile], ready: () => existsSync(`${nodeFile}.ready`),
    });
    // unshare without --fork: the shell, then the relay, is the namespace's first process, and holds it.
    const setup = ['ip link set lo up', ...podIps.map((ip) => `ip addr add ${ip}/32 dev lo`), `exec "${process.execPath}" "${FORWARDER}" "${podFile}"`].join('; ');
    let holder: PeerProcess;
    try {
      holder = await PeerProcess.start({ name: 'pod-network', command: 'unshare', args: ['--net', '--', 'sh', '-ec', setup], ready: () => existsSync(`${podFile}.ready`) });
    } catch (e) {
      await nodeRelay.stop();
      throw e;
    }
    return new PodNetwork(holder, nodeRelay, exposed);
  }

  private constructor(
    private readonly holder: PeerProcess,
    private readonly nodeRelay: PeerProcess,
    private readonly exposed: Record<string, number>,
  ) {}

  /** The node address ("127.0.0.1:<port>") where the test reaches a pod address. */
  public fromNode(podAddress: string): string {
    const port = this.exposed[podAddress];
    if (port === undefined) throw new Error(`pod address ${podAddress} is not exposed to the node`);
    return `127.0.0.1:${port}`;
  }

  /** The command prefix that runs a program inside this network. */
  public enter(): string[] {
    return ['nsenter', `--net=/proc/${this.holder.pid}/ns/net`, '--'];
  }

  public async stop(): Promise<void> {
    await this.holder.stop();
    await this.nodeRelay.stop();
  }
}

/** A pod: its name and namespace, and the service account whose token it mounts. */
export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * Wraps a program so it runs as in a pod: in the pod network, with its own hostname
 * (the pod name) and the service-account volume at
 * /var/run/secrets/kubernetes.io/serviceaccount holding a token the API server issued
 * for the service account bound to the pod (TokenRequest, as the kubelet asks for it),
 * the API server's CA and the namespace. Private UTS and mount namespaces (util-linux
 * `unshare`) keep the node's hostname and /run untouched. Returns the command, its args
 * and the KUBERNETES_SERVICE_* variables the kubelet sets.
 */
export function inPod(kube: KubeApiServer, network: PodNetwork, pod: PodIdentity, dir: string, command: string, args: readonly string[]): {
  command: string; args: string[]; env: Record<string, string>;
} {
  needRoot(`running ${command} as pod ${pod.name}`);
  const token = kube.kubectl(['create', 'token', pod.serviceAccount, '-n', pod.namespace, '--bound-object-kind', 'Pod', '--bound-object-name', pod.name, '--duration', '2h']);
  if (token.status !== 0) throw new Error(`TokenRequest for service account ${pod.namespace}/${pod.serviceAccount} bound to pod ${pod.name} failed: ${token.stderr}`);
  // The pod's /run (/var/run links to it): only the service-account volume the kubelet mounts.
  const run = join(dir, `${pod.name}-run`);
  const mount = join(run, 'secrets', 'kubernetes.io', 'serviceaccount');
  mkdirSync(mount, { recursive: true });
  writeFileSync(join(mount, 'token'), token.stdout.trim());
  // kube-apiserver's self-signed serving certificate file holds its CA too.
  writeFileSync(join(mount, 'ca.crt'), readFileSync(join(kube.dir, 'certs', 'apiserver.crt')));
  writeFileSync(join(mount, 'namespace'), pod.namespace);
  const [enter, ...enterArgs] = network.enter();
  return {
    command: enter,
    args: [...enterArgs, 'unshare', '--mount', '--uts', '--fork', '--', 'sh', '-ec',
      'hostname "$1"; mount --bind "$2" /run; mount -o remount,bind,ro /run; shift 2; exec "$@"', 'pod', pod.name, run, command, ...args],
    // The API server's port on 127.0.0.1 inside the pod network relays to the node's.
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(kube.server).port },
  };
}
