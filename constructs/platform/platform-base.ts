import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AccessGroups, AccessRoles } from './access.js';
import { ImageName, ImageOverrides, resolveImage } from './images.js';
import { HeliosLabel, PART_OF } from './labels.js';
import { HELIOS_NAMESPACES, HeliosNamespace } from './namespaces.js';
import { DnsEndpoint, FlowPeer, NamespaceBaseline, NetworkFlows, WorkloadRef } from './network.js';
import { ClusterSecretStore, ClusterSecretStoreSpecProviderVaultVersion } from '../../imports/clustersecretstore-external-secrets.io.js';
import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind as SecretStoreKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetTemplateEngineVersion,
} from '../../imports/externalsecret-external-secrets.io.js';

export { SecretStoreKind };

/** What an object is part of: its component's name, namespace and role in Helios. */
export interface ComponentIdentity {
  /** The `app.kubernetes.io/name` label: gnmic, thanos-query, flow-enricher... */
  readonly name: string;
  /** The `app.kubernetes.io/component` label: collector, storage, query, ingest... */
  readonly component: string;
}

/** A key, and optionally one property of it, in the cluster's secret store. */
export interface SecretReference {
  readonly key: string;
  /** @default - the whole value of the key */
  readonly property?: string;
}

export interface SecretStoreRef {
  readonly name: string;
  /** @default SecretStoreKind.CLUSTER_SECRET_STORE */
  readonly kind?: SecretStoreKind;
}

/** A Vault ClusterSecretStore for Helios to create, authenticating with a Kubernetes service account. */
export interface VaultSecretStoreOptions {
  /** Vault's address, e.g. https://vault.example.net:8200. */
  readonly server: string;
  /** The KV v2 mount. @default "secret" */
  readonly path?: string;
  /** The Kubernetes auth mount in Vault. @default "kubernetes" */
  readonly authMountPath?: string;
  /** The Vault role bound to the External Secrets service account. */
  readonly role: string;
}

/** Where every alert's links lead: its runbook and the dashboard that shows what it alerts on. */
export interface AlertLinks {
  /**
   * The Helios repository at the version you run, as browsed on the web: a runbook is
   * `<base>/<document in the repository>#<alert name in lowercase>`.
   * @default "https://github.com/helios-observability/helios/blob/main"
   */
  readonly runbookBaseUrl?: string;
  /** Grafana's URL: dashboard links are `<url>/d/<uid>`. @default - links relative to Grafana (`/d/<uid>`) */
  readonly grafanaUrl?: string;
}

export interface PlatformBaseProps {
  /** The cluster's name: the `cluster` external label of its metrics. */
  readonly clusterName: string;
  /** The datacenter the cluster runs in: the `site` of its workloads. */
  readonly site: string;
  /** @default - workloads carry no region label */
  readonly region?: string;
  /** The store every ExternalSecret reads from. @default - the ClusterSecretStore named "vault" */
  readonly secretStore?: SecretStoreRef;
  /** Create the secret store as a Vault ClusterSecretStore. @default - the store exists already */
  readonly vault?: VaultSecretStoreOptions;
  /** @default - the pinned upstream images */
  readonly images?: ImageOverrides;
  /** @default - CoreDNS/kube-dns pods labelled k8s-app=kube-dns in kube-system */
  readonly dns?: DnsEndpoint;
  /** Groups bound to the Helios roles in every Helios namespace. @default - no bindings */
  readonly accessGroups?: AccessGroups;
  /** Where the Kubernetes API server's endpoints are, for components that call it. @default ["0.0.0.0/0"] */
  readonly kubernetesApiNetworks?: readonly string[];
  /** @default - runbooks in the upstream repository, dashboard links relative to Grafana */
  readonly alertLinks?: AlertLinks;
}

/** The controllers a HorizontalPodAutoscaler can scale in Helios. */
export enum ScalableKind {
  DEPLOYMENT = 'Deployment',
  STATEFUL_SET = 'StatefulSet',
}

export interface AutoscalingOptions {
  readonly kind: ScalableKind;
  readonly replicasMin: number;
  readonly replicasMax: number;
  /** @default 70 */
  readonly targetCpuUtilizationPercent?: number;
  /** @default - Kubernetes' default: scale in after five minutes of low load */
  readonly scaleDown?: k8s.HpaScalingRulesV2;
}

export interface ExternalSecretProps {
  readonly namespace: string;
  /** The name of the Secret the External Secrets Operator writes. */
  readonly secretName: string;
  readonly owner: ComponentIdentity;
  /** Secret keys and where their values come from in the store. */
  readonly data: Readonly<Record<string, SecretReference>>;
  /**
   * Keys rendered from the fetched values with ESO's template engine (v2), e.g. a
   * whole config file around a password: `{ 'objstore.yml': 'secret_key: {{ .secretKey }}' }`.
   * @default - the Secret holds the fetched values under their own keys
   */
  readonly template?: Readonly<Record<string, string>>;
  /** @default "1h" */
  readonly refreshInterval?: string;
}

/**
 * The ground every Helios stack stands on: the six namespaces with Pod Security
 * "restricted" enforced and a default-deny network baseline, the Helios access
 * roles, the secret store binding and the registry of allowed network flows.
 * Stacks take it as a prop and create their objects through its helpers, so
 * labels, images and secrets follow one convention.
 */
export class PlatformBase extends Construct {
  public readonly clusterName: string;
  public readonly site: string;
  public readonly region?: string;
  public readonly secretStore: Required<SecretStoreRef>;
  public readonly network: NetworkFlows;
  /** Where alerts link to, for every stack's alert rules. */
  public readonly alertLinks: AlertLinks;
  /**
   * The Prometheus pods that scrape every Helios component: the Prometheus Operator
   * names them after the `Prometheus` resource "helios" that the MetricsStack creates.
   * Known here so any stack can open its metrics port to them, whatever the build order.
   */
  public readonly metricsScraper: WorkloadRef = {
    name: 'prometheus',
    namespace: HeliosNamespace.STORAGE,
    component: 'storage',
    podSelector: { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': 'helios' },
  };
  private readonly images: ImageOverrides;
  private readonly kubernetesApiNetworks: readonly string[];

  public constructor(scope: Construct, id: string, props: PlatformBaseProps) {
    super(scope, id);
    this.clusterName = props.clusterName;
    this.site = props.site;
    this.region = props.region;
    this.images = props.images ?? {};
    this.kubernetesApiNetworks = props.kubernetesApiNetworks ?? ['0.0.0.0/0'];
    this.alertLinks = props.alertLinks ?? {};
    this.secretStore = { name: props.secretStore?.name ?? 'vault', kind: props.secretStore?.kind ?? SecretStoreKind.CLUSTER_SECRET_STORE };
    // Fail on a bad override now, not when the first container asks for it.
    (Object.keys(this.images.tags ?? {}) as ImageName[]).forEach((name) => resolveImage(name, this.images));

    const dns = props.dns ?? { namespace: 'kube-system', podSelector: { 'k8s-app': 'kube-dns' } };
    for (const namespace of HELIOS_NAMESPACES) {
      new k8s.KubeNamespace(this, namespace, {
        metadata: {
          name: namespace,
          labels: {
            ...this.labelsFor({ name: 'helios-namespaces', component: 'platform' }),
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
      new NamespaceBaseline(this, `${namespace}-baseline`, {
        namespace,
        labels: this.labelsFor({ name: 'helios-baseline', component: 'platform' }),
        dns,
      });
    }

    new AccessRoles(this, 'access', {
      labels: this.labelsFor({ name: 'helios-access', component: 'platform' }),
      groups: props.accessGroups,
    });

    if (props.vault) {
      if (this.secretStore.kind !== SecretStoreKind.CLUSTER_SECRET_STORE) {
        throw new Error(`secretStore.kind: Helios can only create a ClusterSecretStore, not a ${this.secretStore.kind}`);
      }
      new ClusterSecretStore(this, 'secret-store', {
        metadata: { name: this.secretStore.name, labels: this.labelsFor({ name: 'helios-secret-store', component: 'platform' }) },
        spec: {
          conditions: [{ namespaces: [...HELIOS_NAMESPACES] }],
          provider: {
            vault: {
              server: props.vault.server,
              path: props.vault.path ?? 'secret',
              version: ClusterSecretStoreSpecProviderVaultVersion.V2,
              auth: { kubernetes: { mountPath: props.vault.authMountPath ?? 'kubernetes', role: props.vault.role } },
            },
          },
        },
      });
    }

    this.network = new NetworkFlows(this, 'network', {
      labelsFor: (w: WorkloadRef) => this.labelsFor({ name: w.name, component: w.component }),
    });
  }

  /** The labels of every object belonging to a component. */
  public labelsFor(owner: ComponentIdentity): Record<string, string> {
    return {
      [HeliosLabel.NAME]: owner.name,
      [HeliosLabel.COMPONENT]: owner.component,
      [HeliosLabel.PART_OF]: PART_OF,
      [HeliosLabel.MANAGED_BY]: 'helios',
      [HeliosLabel.CLUSTER]: this.clusterName,
      [HeliosLabel.SITE]: this.site,
      ...(this.region ? { [HeliosLabel.REGION]: this.region } : {}),
    };
  }

  /** The labels that select a component's pods; stable for the component's lifetime. */
  public selectorFor(owner: ComponentIdentity): Record<string, string> {
    return { [HeliosLabel.NAME]: owner.name, [HeliosLabel.PART_OF]: PART_OF };
  }

  /** Metadata for an object of a component. */
  public metadataFor(owner: ComponentIdentity, namespace: string, name: string = owner.name): ApiObjectMetadata {
    return { name, namespace, labels: this.labelsFor(owner) };
  }

  /** Lets Prometheus scrape a component's metrics port. */
  public allowScrape(target: WorkloadRef, port: number): void {
    this.network.allow({
      description: `Prometheus scrapes ${target.name}`,
      from: FlowPeer.workload(this.metricsScraper),
      to: FlowPeer.workload(target),
      ports: [{ port }],
    });
  }

  /**
   * Lets a component call the Kubernetes API server. Both ports are opened because
   * policies see the endpoint after the Service translation: 443 on managed clusters,
   * 6443 where the API server listens on its own port.
   */
  public allowKubernetesApi(workload: WorkloadRef, description: string): void {
    this.network.allow({
      description,
      from: FlowPeer.workload(workload),
      to: FlowPeer.networks('kubernetes-api', this.kubernetesApiNetworks),
      ports: [{ port: 443 }, { port: 6443 }],
    });
  }

  /** The pinned image reference of a catalog image, after the cluster's overrides. */
  public image(name: ImageName): string {
    return resolveImage(name, this.images);
  }

  /** A Secret filled by the External Secrets Operator from the cluster's store. */
  public addExternalSecret(scope: Construct, id: string, props: ExternalSecretProps): ExternalSecret {
    const keys = Object.keys(props.data).sort();
    // A template alone is a valid source: a config file that may hold no credential yet.
    if (keys.length === 0 && !props.template) {
      throw new Error(`external secret ${props.namespace}/${props.secretName}: no data keys`);
    }
    return new ExternalSecret(scope, id, {
      metadata: this.metadataFor(props.owner, props.namespace, props.secretName),
      spec: {
        refreshInterval: props.refreshInterval ?? '1h',
        secretStoreRef: { name: this.secretStore.name, kind: this.secretStore.kind },
        target: {
          name: props.secretName,
          creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
          template: props.template
            ? { engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2, data: { ...props.template } }
            : undefined,
        },
        data: keys.map((secretKey) => ({
          secretKey,
          remoteRef: { key: props.data[secretKey].key, property: props.data[secretKey].property },
        })),
      },
    });
  }

  /** Scales a workload between the tier's bounds on CPU utilization. */
  public addHorizontalPodAutoscaler(scope: Construct, workload: WorkloadRef, options: AutoscalingOptions): k8s.KubeHorizontalPodAutoscalerV2 {
    if (!Number.isInteger(options.replicasMin) || options.replicasMin < 1 || options.replicasMax < options.replicasMin) {
      throw new Error(`${workload.namespace}/${workload.name}: autoscaling bounds ${options.replicasMin}–${options.replicasMax} are invalid; the minimum must be at least 1 and at most the maximum`);
    }
    return new k8s.KubeHorizontalPodAutoscalerV2(scope, 'hpa', {
      metadata: this.metadataFor(workload, workload.namespace, workload.name),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: options.kind, name: workload.name },
        minReplicas: options.replicasMin,
        maxReplicas: options.replicasMax,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: options.targetCpuUtilizationPercent ?? 70 } } }],
        behavior: options.scaleDown ? { scaleDown: options.scaleDown } : undefined,
      },
    });
  }

  /**
   * A PodDisruptionBudget that keeps all but one pod of a workload up during
   * voluntary disruptions. A single replica gets none: a budget on one pod would
   * block node drains forever.
   */
  public addPodDisruptionBudget(scope: Construct, workload: WorkloadRef, replicas: number): k8s.KubePodDisruptionBudget | undefined {
    if (replicas <= 1) {
      return undefined;
    }
    return new k8s.KubePodDisruptionBudget(scope, 'pdb', {
      metadata: this.metadataFor(workload, workload.namespace, workload.name),
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { ...workload.podSelector } },
      },
    });
  }
}
