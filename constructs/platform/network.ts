import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/** The pods of one Helios component (or of an operator-managed workload) in one namespace. */
export interface WorkloadRef {
  /** The component's name; also the name of its NetworkPolicy. */
  readonly name: string;
  readonly namespace: string;
  /** The part the component plays in Helios (collector, storage, query...). */
  readonly component: string;
  /** Labels that select exactly this component's pods. */
  readonly podSelector: Readonly<Record<string, string>>;
}

export enum Protocol {
  TCP = 'TCP',
  UDP = 'UDP',
}

export interface FlowPort {
  readonly port: number;
  /** @default Protocol.TCP */
  readonly protocol?: Protocol;
}

enum PeerKind {
  WORKLOAD = 'workload',
  NAMESPACE = 'namespace',
  NETWORKS = 'networks',
}

/** One end of an allowed flow. */
export class FlowPeer {
  /** The pods of a workload. */
  public static workload(workload: WorkloadRef): FlowPeer {
    return new FlowPeer(PeerKind.WORKLOAD, `${workload.namespace}/${workload.name}`, workload);
  }

  /** Every pod in a namespace outside Helios's control, such as an operator's. */
  public static namespace(namespace: string): FlowPeer {
    return new FlowPeer(PeerKind.NAMESPACE, namespace, undefined, namespace);
  }

  /** Addresses outside the cluster, such as the management networks. */
  public static networks(label: string, cidrs: readonly string[]): FlowPeer {
    if (cidrs.length === 0) {
      throw new Error(`network peer "${label}": at least one CIDR is required`);
    }
    return new FlowPeer(PeerKind.NETWORKS, label, undefined, undefined, [...cidrs]);
  }

  private constructor(
    private readonly kind: PeerKind,
    /** How the allowed-flow matrix names this peer: `namespace/workload`, `namespace` or a network label. */
    public readonly label: string,
    public readonly workloadRef?: WorkloadRef,
    private readonly namespaceName?: string,
    public readonly cidrs?: readonly string[],
  ) {}

  /** The namespace this peer lives in, or undefined for networks outside the cluster. */
  public get namespace(): string | undefined {
    return this.workloadRef?.namespace ?? this.namespaceName;
  }

  /** @internal */
  public _policyPeers(): k8s.NetworkPolicyPeer[] {
    switch (this.kind) {
      case PeerKind.WORKLOAD:
        return [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.workloadRef!.namespace } },
          podSelector: { matchLabels: { ...this.workloadRef!.podSelector } },
        }];
      case PeerKind.NAMESPACE:
        return [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.namespaceName! } } }];
      case PeerKind.NETWORKS:
        return this.cidrs!.map((cidr) => ({ ipBlock: { cidr } }));
    }
  }
}

/** A flow a component needs: `from` may open connections to `to` on `ports`. */
export interface NetworkFlow {
  /** Why the flow exists, in a few words ("Prometheus scrapes gnmic"). */
  readonly description: string;
  readonly from: FlowPeer;
  readonly to: FlowPeer;
  /** Empty only together with `allProtocolsBecause`. */
  readonly ports: readonly FlowPort[];
  /**
   * Opens every protocol and port between the two ends, for traffic a NetworkPolicy
   * cannot name by port (ICMP); the text says why, and shows in the flow matrix.
   * @default - only the listed ports
   */
  readonly allProtocolsBecause?: string;
}

/** How the flow matrix shows a flow that opens every protocol and port. */
export const ALL_PROTOCOLS = 'ALL';

/** One row of the allowed-flow matrix. */
export interface AllowedFlow {
  readonly from: string;
  readonly to: string;
  /** 0 when every port is open. */
  readonly port: number;
  readonly protocol: Protocol | typeof ALL_PROTOCOLS;
  readonly description: string;
}

export interface NetworkFlowsProps {
  /** Labels for the NetworkPolicies this registry writes, per workload. */
  readonly labelsFor: (workload: WorkloadRef) => Record<string, string>;
}

/**
 * The allowed flows of a cluster, declared by the components that need them.
 *
 * Every Helios namespace denies all ingress and egress by default; each declared
 * flow opens exactly one (source, destination, port) triple. From the flows this
 * registry writes one NetworkPolicy per workload that takes part in any flow, with
 * the workload's ingress rules (flows to it) and egress rules (flows from it), so
 * a flow is declared once and both ends agree. The flows themselves stay readable
 * as data (`matrix`) for tests and documentation.
 */
export class NetworkFlows extends Construct {
  private readonly _flows: NetworkFlow[] = [];
  private readonly policies = new Map<string, WorkloadRef>();

  public constructor(scope: Construct, id: string, private readonly props: NetworkFlowsProps) {
    super(scope, id);
  }

  /** Allows one flow; both ends that are workloads get the matching policy rule. */
  public allow(flow: NetworkFlow): void {
    if (flow.allProtocolsBecause !== undefined) {
      if (flow.ports.length > 0 || !flow.allProtocolsBecause.trim()) {
        throw new Error(`network flow "${flow.description}": allProtocolsBecause opens every port; give the reason and no ports`);
      }
    } else if (flow.ports.length === 0) {
      throw new Error(`network flow "${flow.description}": at least one port is required`);
    }
    for (const p of flow.ports) {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
        throw new Error(`network flow "${flow.description}": port ${p.port} is not between 1 and 65535`);
      }
    }
    this._flows.push(flow);
    for (const end of [flow.from, flow.to]) {
      if (end.workloadRef) {
        this.ensurePolicy(end.workloadRef);
      }
    }
  }

  /** The declared flows, in declaration order. */
  public get flows(): NetworkFlow[] {
    return [...this._flows];
  }

  /** Every allowed (from, to, port, protocol), sorted. */
  public get matrix(): AllowedFlow[] {
    return this._flows
      .flatMap((f): AllowedFlow[] => (f.allProtocolsBecause !== undefined
        ? [{ from: f.from.label, to: f.to.label, port: 0, protocol: ALL_PROTOCOLS, description: `${f.description} (${f.allProtocolsBecause})` }]
        : f.ports.map((p) => ({
          from: f.from.label,
          to: f.to.label,
          port: p.port,
          protocol: p.protocol ?? Protocol.TCP,
          description: f.description,
        }))))
      .sort((a, b) => `${a.from} ${a.to} ${a.port} ${a.protocol}`.localeCompare(`${b.from} ${b.to} ${b.port} ${b.protocol}`));
  }

  private ensurePolicy(workload: WorkloadRef): void {
    const key = `${workload.namespace}/${workload.name}`;
    const known = this.policies.get(key);
    if (known) {
      if (JSON.stringify(known.podSelector) !== JSON.stringify(workload.podSelector)) {
        throw new Error(`workload ${key} is declared with two different pod selectors`);
      }
      return;
    }
    this.policies.set(key, workload);
    const isTo = (f: NetworkFlow) => f.to.workloadRef && `${f.to.workloadRef.namespace}/${f.to.workloadRef.name}` === key;
    const isFrom = (f: NetworkFlow) => f.from.workloadRef && `${f.from.workloadRef.namespace}/${f.from.workloadRef.name}` === key;
    new k8s.KubeNetworkPolicy(this, key, {
      metadata: { name: workload.name, namespace: workload.namespace, labels: this.props.labelsFor(workload) },
      spec: {
        podSelector: { matchLabels: { ...workload.podSelector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({
          produce: () => distinct(this._flows.filter(isTo).map((f) => ({ from: f.from._policyPeers(), ports: policyPorts(f) }))),
        }),
        egress: Lazy.any({
          produce: () => distinct(this._flows.filter(isFrom).map((f) => ({ to: f.to._policyPeers(), ports: policyPorts(f) }))),
        }),
      },
    });
  }
}

/** Two flows can need the same rule for different reasons (scraping and querying one port); write it once. */
function distinct<T>(rules: T[]): T[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const key = JSON.stringify(r);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** A rule without ports matches every protocol and port. */
function policyPorts(flow: NetworkFlow): k8s.NetworkPolicyPort[] | undefined {
  if (flow.allProtocolsBecause !== undefined) return undefined;
  return flow.ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol ?? Protocol.TCP }));
}

export interface NamespaceBaselineProps {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Where cluster DNS runs. */
  readonly dns: DnsEndpoint;
}

export interface DnsEndpoint {
  readonly namespace: string;
  readonly podSelector: Readonly<Record<string, string>>;
}

/**
 * The baseline of every Helios namespace: deny all ingress and egress, then allow
 * DNS lookups, which every pod needs to reach anything by name.
 */
export class NamespaceBaseline extends Construct {
  public constructor(scope: Construct, id: string, props: NamespaceBaselineProps) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'default-deny', {
      metadata: { name: 'default-deny', namespace: props.namespace, labels: props.labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new k8s.KubeNetworkPolicy(this, 'allow-dns', {
      metadata: { name: 'allow-dns', namespace: props.namespace, labels: props.labels },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{
          to: [{
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.dns.namespace } },
            podSelector: { matchLabels: { ...props.dns.podSelector } },
          }],
          ports: [
            { port: k8s.IntOrString.fromNumber(53), protocol: Protocol.UDP },
            { port: k8s.IntOrString.fromNumber(53), protocol: Protocol.TCP },
          ],
        }],
      },
    });
  }
}
