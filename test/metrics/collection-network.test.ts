import { Testing } from 'cdk8s';
import { all, clusterObjects } from './support.js';
import { FlowPeer, PlatformBase } from '../../constructs/index.js';
import { HELIOS_NAMESPACES } from '../../constructs/platform/namespaces.js';
import { ALL_PROTOCOLS } from '../../constructs/platform/network.js';
import { EMBEDDED_DEFAULT_CONFIG } from '../../src/config/defaults.js';

/**
 * The network a cluster allows, computed from the synthesized NetworkPolicy objects
 * alone (not from the flow registry that wrote them), the way a CNI reads them: a
 * pod may open a connection when a policy selecting it allows the egress and a
 * policy selecting the peer allows the ingress; the namespaces' default-deny
 * policies deny everything else.
 */
const MANAGEMENT = ['10.20.0.0/16', '192.0.2.0/24'];
const objects = clusterObjects(`clusters:
  - name: dc1
    datacenter: ams1
    tier: large
    storage: { topology: single-dc-minio }
    managementNetworks: [${MANAGEMENT.join(', ')}]
    kubernetesApiNetworks: [172.20.0.1/32]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
`);
const policies = all(objects, 'NetworkPolicy');

/** How a peer of a rule reads: `namespace/app` for pods, `namespace/*` for a whole namespace, the CIDR for addresses. */
function peerName(peer: any, ownNamespace: string): string {
  if (peer.ipBlock) return peer.ipBlock.except ? `${peer.ipBlock.cidr} except ${peer.ipBlock.except}` : peer.ipBlock.cidr;
  const ns = peer.namespaceSelector ? peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] ?? 'ANY-NAMESPACE' : ownNamespace;
  const pods = peer.podSelector?.matchLabels ?? {};
  const app = pods['app.kubernetes.io/name'] ?? pods['k8s-app'] ?? (Object.keys(pods).length ? JSON.stringify(pods) : '*');
  return `${ns}/${app}`;
}

function ports(rule: any): string[] {
  return rule.ports ? rule.ports.map((p: any) => `${p.port}/${p.protocol ?? 'TCP'}`) : ['ALL'];
}

/** Every (policy's pods, direction, peer, port) the policies allow. */
function allowed(direction: 'ingress' | 'egress', of: readonly any[] = policies): string[] {
  return of.flatMap((p) => {
    const ns = p.metadata.namespace;
    const labels = p.spec.podSelector.matchLabels ?? {};
    const pods = labels['app.kubernetes.io/name'] ?? labels['strimzi.io/name'] ?? (Object.keys(labels).length ? JSON.stringify(labels) : '*');
    return (p.spec[direction] ?? []).flatMap((rule: any) => {
      const peers: any[] = rule[direction === 'ingress' ? 'from' : 'to'] ?? [{ everywhere: true }];
      return peers.flatMap((peer) => ports(rule).map((port) => (direction === 'egress'
        ? `${ns}/${pods} -> ${peer.everywhere ? 'EVERYWHERE' : peerName(peer, ns)} ${port}`
        : `${peer.everywhere ? 'EVERYWHERE' : peerName(peer, ns)} -> ${ns}/${pods} ${port}`)));
    });
  }).sort();
}

const egress = allowed('egress');
const ingress = allowed('ingress');

describe('the synthesized NetworkPolicies of helios-collection', () => {
  it('deny every pod in every Helios namespace both ways unless a policy allows it', () => {
    for (const ns of HELIOS_NAMESPACES) {
      const deny = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === 'default-deny');
      expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
    for (const p of policies) expect(p.spec.policyTypes).toContain('Egress');
  });

  it('let the collectors out only to the management networks on their protocols, the API server and DNS', () => {
    const collection = egress.filter((e) => e.startsWith('helios-collection/'));
    console.log(`helios-collection egress:\n  ${collection.join('\n  ')}`);
    expect(collection).toEqual([
      // DNS for every pod of the namespace (its baseline policy).
      'helios-collection/* -> kube-system/kube-dns 53/TCP',
      'helios-collection/* -> kube-system/kube-dns 53/UDP',
      // blackbox: ICMP has no port; every protocol, to the management networks only.
      ...MANAGEMENT.map((cidr) => `helios-collection/blackbox-exporter -> ${cidr} ALL`),
      ...MANAGEMENT.flatMap((cidr) => [`helios-collection/gnmic -> ${cidr} 57400/TCP`, `helios-collection/gnmic -> ${cidr} 6030/TCP`]),
      'helios-collection/gnmic -> 172.20.0.1/32 443/TCP',
      'helios-collection/gnmic -> 172.20.0.1/32 6443/TCP',
      'helios-collection/gnmic -> helios-collection/gnmic 7890/TCP',
      ...MANAGEMENT.map((cidr) => `helios-collection/snmp-exporter -> ${cidr} 161/UDP`),
    ].sort());
  });

  it('let in only Prometheus (helios-storage) to the metrics ports, and gnmic members to each other\'s API', () => {
    const collection = ingress.filter((i) => / -> helios-collection\//.test(i));
    console.log(`helios-collection ingress:\n  ${collection.join('\n  ')}`);
    expect(collection).toEqual([
      'helios-collection/gnmic -> helios-collection/gnmic 7890/TCP',
      'helios-storage/prometheus -> helios-collection/blackbox-exporter 9115/TCP',
      'helios-storage/prometheus -> helios-collection/gnmic 7890/TCP',
      'helios-storage/prometheus -> helios-collection/gnmic 9804/TCP',
      'helios-storage/prometheus -> helios-collection/snmp-exporter 9116/TCP',
    ]);
  });

  it('let Prometheus out to the collectors\' ports and to devices\' own metrics on the management networks', () => {
    const prometheus = egress.filter((e) => e.startsWith('helios-storage/prometheus -> ') && (e.includes('helios-collection/') || MANAGEMENT.some((c) => e.includes(c))));
    expect(prometheus).toEqual([
      ...MANAGEMENT.map((cidr) => `helios-storage/prometheus -> ${cidr} 9100/TCP`),
      'helios-storage/prometheus -> helios-collection/blackbox-exporter 9115/TCP',
      'helios-storage/prometheus -> helios-collection/gnmic 7890/TCP',
      'helios-storage/prometheus -> helios-collection/gnmic 9804/TCP',
      'helios-storage/prometheus -> helios-collection/snmp-exporter 9116/TCP',
    ].sort());
  });
});

describe('the synthesized NetworkPolicies of every Helios namespace', () => {
  it('open no port to every source and no egress to everything', () => {
    expect(ingress.filter((i) => i.startsWith('EVERYWHERE') || i.includes('ANY-NAMESPACE'))).toEqual([]);
    expect(egress.filter((e) => e.includes('EVERYWHERE') || e.includes('ANY-NAMESPACE'))).toEqual([]);
  });

  it('let a namespace in only from the namespaces that need it', () => {
    const pairs = [...new Set(ingress.map((i) => {
      const [from, to] = i.split(' -> ');
      return `${/^[0-9a-f:.]+\/\d+$/.test(from) ? 'outside' : from.split('/')[0]} -> ${to.split('/')[0]}`;
    }))].sort();
    console.log(`namespace ingress pairs:\n  ${pairs.join('\n  ')}`);
    /** Every namespace pair a flow may cross, and why. */
    const NEEDED: Record<string, string> = {
      'helios-collection -> helios-collection': 'gnmic members assign targets to each other',
      'helios-storage -> helios-collection': 'Prometheus scrapes the collectors',
      'helios-storage -> helios-storage': 'Prometheus, Thanos and MinIO talk among themselves',
      'helios-storage -> helios-visualization': 'Prometheus and the Thanos Ruler send alerts to Alertmanager',
      'helios-visualization -> helios-storage': 'Grafana queries Thanos Query',
      'helios-visualization -> helios-visualization': 'Grafana reads Alertmanager; Alertmanager replicas gossip',
      'helios-storage -> helios-flows': 'Prometheus scrapes the flow pipeline',
      'helios-storage -> helios-integration': 'Prometheus scrapes the Target Generator\'s Pushgateway',
      'helios-integration -> helios-integration': 'the Target Generator pushes its metrics to its Pushgateway',
      'helios-storage -> helios-automation': 'Prometheus scrapes the runbook operator',
      'helios-visualization -> helios-automation': 'Alertmanager starts runbooks through the runbook operator\'s webhook',
      'helios-flows -> helios-flows': 'goflow2, Kafka, the enricher and ClickHouse',
      'helios-visualization -> helios-flows': 'Grafana queries ClickHouse',
      'outside -> helios-flows': 'devices export NetFlow/IPFIX/sFlow from the management networks',
      'kube-system -> helios-flows': 'the ClickHouse operator (Altinity\'s default namespace) manages ClickHouse',
      'strimzi -> helios-flows': 'the Strimzi operator manages Kafka',
    };
    expect(pairs.filter((p) => !(p in NEEDED))).toEqual([]);
    // helios-collection is entered from its own gnmic and from Prometheus only.
    expect(pairs.filter((p) => p.endsWith('-> helios-collection'))).toEqual(['helios-collection -> helios-collection', 'helios-storage -> helios-collection']);
    // No collector is a client of any other namespace.
    expect(pairs.filter((p) => p.startsWith('helios-collection -> ') && p !== 'helios-collection -> helios-collection')).toEqual([]);
  });
});

describe('the Kubernetes API and NetBox', () => {
  /** The egress of the embedded default: NetBox in the cluster, the API server anywhere. */
  const defaults = allowed('egress', all(clusterObjects(EMBEDDED_DEFAULT_CONFIG), 'NetworkPolicy'));
  // helios-automation/*: the runbook executor Jobs' pods, selected by the presence of their execution label.
  const API_CALLERS = ['helios-automation/*', 'helios-automation/helios-runbook-operator', 'helios-collection/gnmic', 'helios-flows/flows-entity-operator', 'helios-integration/target-generator', 'helios-storage/prometheus'];

  it('reach the in-cluster NetBox of the embedded default by its namespace, on the Service\'s port and NetBox\'s own', () => {
    const toNetbox = defaults.filter((e) => / -> netbox\//.test(e));
    expect(toNetbox).toEqual([
      'helios-flows/flow-enricher -> netbox/* 80/TCP',
      'helios-flows/flow-enricher -> netbox/* 8080/TCP',
      'helios-integration/target-generator -> netbox/* 80/TCP',
      'helios-integration/target-generator -> netbox/* 8080/TCP',
    ]);
    // The NetBox clients reach no address outside the cluster but the API server's.
    const clients = defaults.filter((e) => /^helios-(flows\/flow-enricher|integration\/target-generator) -> /.test(e));
    expect(clients.filter((e) => /-> [0-9a-f:.]+\/\d+ /.test(e))).toEqual([
      'helios-integration/target-generator -> 0.0.0.0/0 443/TCP',
      'helios-integration/target-generator -> 0.0.0.0/0 6443/TCP',
    ]);
  });

  it('open every address only where the embedded default cannot know the peer, each for a reason', () => {
    const anywhere = defaults.filter((e) => e.includes(' -> 0.0.0.0/0 ') || e.includes(' -> ::/0 '));
    console.log(`embedded default egress to every address:\n  ${anywhere.join('\n  ')}`);
    expect(anywhere).toEqual([
      // geoipupdate downloads GeoLite2 from MaxMind; Grafana installs the ClickHouse plugin from grafana.com.
      'helios-flows/geoipupdate -> 0.0.0.0/0 443/TCP',
      'helios-visualization/grafana -> 0.0.0.0/0 443/TCP',
      // kubernetesApiNetworks defaults to every address, with a synth warning: the API callers on the API ports only.
      ...API_CALLERS.flatMap((c) => [`${c} -> 0.0.0.0/0 443/TCP`, `${c} -> 0.0.0.0/0 6443/TCP`]),
    ].sort());
  });

  it('reach the API server at kubernetesApiNetworks only, from its callers only, on 443 and 6443 only', () => {
    expect(egress.filter((e) => e.includes(' -> 172.20.0.1/32 '))).toEqual(API_CALLERS.flatMap((c) => [`${c} -> 172.20.0.1/32 443/TCP`, `${c} -> 172.20.0.1/32 6443/TCP`]));
    expect(egress.filter((e) => e.includes('0.0.0.0/0') && / (443|6443)\/TCP$/.test(e) && API_CALLERS.some((c) => e.startsWith(`${c} `)))).toEqual([]);
  });

  it('reach an outside NetBox at netbox.networks only, on the URL\'s port', () => {
    const toNetbox = egress.filter((e) => e.includes('198.51.100.0/24'));
    expect(toNetbox).toEqual([
      'helios-flows/flow-enricher -> 198.51.100.0/24 443/TCP',
      'helios-integration/target-generator -> 198.51.100.0/24 443/TCP',
    ]);
  });
});

describe('a flow that opens every protocol', () => {
  const platform = () => new PlatformBase(Testing.chart(), 'p', { clusterName: 'c', site: 's' });
  const prober = { name: 'prober', namespace: 'helios-collection', component: 'collector', podSelector: { 'app.kubernetes.io/name': 'prober' } };

  it('writes a rule without ports and shows as ALL in the matrix, with its reason', () => {
    const p = platform();
    p.network.allow({ description: 'probes', from: FlowPeer.workload(prober), to: FlowPeer.networks('mgmt', ['10.0.0.0/8']), ports: [], allProtocolsBecause: 'ICMP has no port' });
    expect(p.network.matrix).toEqual([{ from: 'helios-collection/prober', to: 'mgmt', port: 0, protocol: ALL_PROTOCOLS, description: 'probes (ICMP has no port)' }]);
    const chart = Testing.chart();
    const q = new PlatformBase(chart, 'p', { clusterName: 'c', site: 's' });
    q.network.allow({ description: 'probes', from: FlowPeer.workload(prober), to: FlowPeer.networks('mgmt', ['10.0.0.0/8']), ports: [], allProtocolsBecause: 'ICMP has no port' });
    const policy = (Testing.synth(chart) as any[]).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'prober');
    expect(policy.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }]);
  });

  it('is refused with ports, or without a reason', () => {
    const p = platform();
    const base = { description: 'probes', from: FlowPeer.workload(prober), to: FlowPeer.networks('mgmt', ['10.0.0.0/8']) };
    expect(() => p.network.allow({ ...base, ports: [{ port: 80 }], allProtocolsBecause: 'ICMP' })).toThrow('allProtocolsBecause opens every port; give the reason and no ports');
    expect(() => p.network.allow({ ...base, ports: [], allProtocolsBecause: ' ' })).toThrow('give the reason');
    expect(() => p.network.allow({ ...base, ports: [] })).toThrow('at least one port is required');
  });
});
