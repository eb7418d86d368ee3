import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  Certificate, CertificateSpecPrivateKeyAlgorithm, CertificateSpecPrivateKeyRotationPolicy, CertificateSpecUsages,
} from '../../imports/certificate-cert-manager.io.js';
import { CertIssuerKind } from '../metrics/grafana.js';
import { ThanosQuery, type RemoteStoreEndpoint } from '../metrics/thanos-query.js';
import { THANOS_GRPC_PORT, type StoreEndpoint } from '../metrics/thanos.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import { FlowPeer } from '../platform/network.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';
import type { ResourceSizing } from '../platform/security.js';

/** The cert-manager issuer that signs every federation certificate of the fleet (one CA). */
export interface FederationIssuer {
  readonly name: string;
  /** @default CertIssuerKind.CLUSTER_ISSUER */
  readonly kind?: CertIssuerKind;
}

/** How a member's Service exposes its StoreAPI to the hub. */
export enum StoreApiServiceType {
  /** Reached through something you run in front of it (a mesh gateway, a tunnel). */
  CLUSTER_IP = 'ClusterIP',
  NODE_PORT = 'NodePort',
  LOAD_BALANCER = 'LoadBalancer',
}

/** A member cluster: its Thanos Query serves the hub. */
export interface FederationMember {
  /** The name on the member's certificate, which the hub verifies. */
  readonly serverName: string;
  /** Where the hub's connections come from: the only sources admitted. */
  readonly hubNetworks: readonly string[];
  /** @default StoreApiServiceType.LOAD_BALANCER */
  readonly serviceType?: StoreApiServiceType;
}

/** The hub: the global Thanos Query over every member. */
export interface GlobalQuery {
  /** Each member's StoreAPI, as the hub reaches it. */
  readonly members: readonly RemoteStoreEndpoint[];
  readonly replicas: number;
  readonly resources: ResourceSizing;
}

export interface FederationStackProps {
  readonly platform: PlatformBase;
  readonly issuer: FederationIssuer;
  /**
   * A member's own Thanos Query, served to the hub (built with
   * `serverTls: { secretName: FederationStack.SERVER_TLS_SECRET }`).
   * @default - none; required for a member
   */
  readonly localQuery?: ThanosQuery;
  /**
   * The hub's own Query, read by the global query inside the cluster; built before it, so
   * the hub's Grafana can read the global query (`ThanosQuery.storeEndpointOf(platform)`).
   * @default - none (a hub that collects nothing itself)
   */
  readonly localStore?: StoreEndpoint;
  /** This cluster is the hub. @default - not the hub */
  readonly globalQuery?: GlobalQuery;
  /** This cluster is a member. @default - not a member */
  readonly member?: FederationMember;
}

const NS = HeliosNamespace.STORAGE;
const GLOBAL_QUERY = 'thanos-query-global';
const MEMBER_SERVICE: ComponentIdentity = { name: 'thanos-query-federation', component: 'query' };
const CLIENT_CERT: ComponentIdentity = { name: GLOBAL_QUERY, component: 'query' };

/**
 * One PromQL view over every datacenter (spec US6, FR-030). The hub runs a global Thanos
 * Query that fans out over the gRPC StoreAPI to each member's Thanos Query — one endpoint
 * per datacenter, which already merges that datacenter's sidecars, Store Gateway and Ruler
 * — and to its own Query inside the cluster. Between clusters every connection is mutual
 * TLS with cert-manager certificates from one issuer; each member exposes its StoreAPI
 * through a Service admitting only the hub's networks. Series keep their `cluster` and
 * `datacenter` external labels; only the replica labels are deduplicated; a datacenter that
 * is down gives a partial response with a warning.
 */
export class FederationStack extends Construct {
  /** The member's server certificate, which its Thanos Query serves the StoreAPI with. */
  public static readonly SERVER_TLS_SECRET = 'thanos-federation-server-tls';
  /** The hub's client certificate, which the global query presents to the members. */
  public static readonly CLIENT_TLS_SECRET = 'thanos-federation-client-tls';

  public readonly globalQuery?: ThanosQuery;

  public constructor(scope: Construct, id: string, props: FederationStackProps) {
    super(scope, id);
    const { platform } = props;
    if (!props.globalQuery === !props.member) {
      throw new Error('federation: a cluster is either the hub (globalQuery) or a member (member), exactly one of them');
    }
    const issuerRef = { group: 'cert-manager.io', kind: props.issuer.kind ?? CertIssuerKind.CLUSTER_ISSUER, name: props.issuer.name };
    type Names = { commonName: string; dnsNames?: string[] };
    const certificate = (idPart: string, owner: ComponentIdentity, secretName: string, names: Names, usage: CertificateSpecUsages) =>
      new Certificate(this, idPart, {
        metadata: platform.metadataFor(owner, NS, secretName),
        spec: {
          secretName,
          ...names,
          // An ECDSA key signs; it never enciphers, so no "key encipherment".
          usages: [CertificateSpecUsages.DIGITAL_SIGNATURE, usage],
          duration: '2160h',
          renewBefore: '360h',
          privateKey: {
            algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
            size: 256,
            // A renewed certificate gets a new key, so a leaked one expires with its certificate.
            rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
          },
          issuerRef,
        },
      });

    if (props.globalQuery) {
      const { members } = props.globalQuery;
      if (members.length === 0) throw new Error('federation: the global query needs at least one member');
      certificate('client-certificate', CLIENT_CERT, FederationStack.CLIENT_TLS_SECRET, { commonName: `${GLOBAL_QUERY}.${platform.clusterName}` }, CertificateSpecUsages.CLIENT_AUTH);
      this.globalQuery = new ThanosQuery(this, 'global-query', {
        platform,
        name: GLOBAL_QUERY,
        replicas: props.globalQuery.replicas,
        resources: props.globalQuery.resources,
        stores: props.localStore ? [props.localStore] : [],
        remoteStores: members,
        clientTls: { secretName: FederationStack.CLIENT_TLS_SECRET },
      });
      return;
    }

    const member = props.member!;
    if (!props.localQuery) throw new Error('federation: a member needs its Thanos Query (localQuery) to serve the hub');
    if (member.hubNetworks.length === 0) throw new Error('federation: a member needs hubNetworks, the only sources it admits');
    certificate('server-certificate', MEMBER_SERVICE, FederationStack.SERVER_TLS_SECRET, { commonName: member.serverName, dnsNames: [member.serverName] }, CertificateSpecUsages.SERVER_AUTH);
    const type = member.serviceType ?? StoreApiServiceType.LOAD_BALANCER;
    new k8s.KubeService(this, 'service', {
      metadata: platform.metadataFor(MEMBER_SERVICE, NS),
      spec: {
        type,
        selector: props.localQuery.workload.podSelector,
        // The hub's own source address must reach the pods: the NetworkPolicy admits only it.
        externalTrafficPolicy: type === StoreApiServiceType.CLUSTER_IP ? undefined : 'Local',
        loadBalancerSourceRanges: type === StoreApiServiceType.LOAD_BALANCER ? [...member.hubNetworks] : undefined,
        ports: [{ name: 'grpc', port: THANOS_GRPC_PORT, targetPort: k8s.IntOrString.fromString('grpc') }],
      },
    });
    props.localQuery.allowStoreApiFrom(FlowPeer.networks('federation-hub', member.hubNetworks), 'the hub\'s global query reads this datacenter over the StoreAPI (mutual TLS)');
  }
}
