/** The rules of the Helios policy. Each finding names one. */
export enum PolicyRule {
  /** Pod Security Standard "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards). */
  POD_SECURITY = 'pod-security',
  /** Containers run with a read-only root filesystem; writable paths are explicit volumes. */
  READ_ONLY_ROOT = 'read-only-root',
  /** Every container states CPU and memory requests and limits. */
  RESOURCES = 'resources',
  /** Every long-running container has readiness and liveness probes (Jobs run to completion and have none). */
  PROBES = 'probes',
  /** Every image names a version: a tag other than latest (in any case), or a digest. */
  PINNED_IMAGE = 'pinned-image',
  /** Every workload and its pods carry the Helios labels (name, component, part-of, cluster, site). */
  WORKLOAD_LABELS = 'workload-labels',
  /** No Secret carries data: credentials come from the secret store through ExternalSecrets. */
  SECRET_DATA = 'secret-data',
  /** No ConfigMap holds a credential. */
  CONFIGMAP_CREDENTIAL = 'configmap-credential',
  /**
   * No URL in a container's environment, command or arguments, or in a ConfigMap, carries
   * user info (`scheme://user:password@host`, `scheme://user@host`): credentials come from Secrets.
   */
  URL_CREDENTIAL = 'url-credential',
  /**
   * A pod mounts no service-account token (`automountServiceAccountToken: false`) unless it
   * calls the Kubernetes API; the pods that do are the exceptions in exceptions.ts, each with its reason.
   */
  SERVICE_ACCOUNT_TOKEN = 'service-account-token',
  /** Every Helios namespace has a default-deny NetworkPolicy for ingress and egress. */
  NAMESPACE_DEFAULT_DENY = 'namespace-default-deny',
}
