import { resourceRequirements, type ResourceSizing } from '../platform/security.js';

/**
 * Pod Security "restricted" for pods an operator writes (Strimzi, Altinity) from
 * the templates Helios hands it: the same settings secureContainer() gives Helios's
 * own containers, as plain objects the operators' CRDs take.
 */
export function restrictedContainerSecurityContext() {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** `fsGroup` makes the data volume writable by the image's user; `uid` pins that user where the image's own could be root. */
export function restrictedPodSecurityContext(options: { readonly uid?: number; readonly fsGroup: number }) {
  return {
    runAsNonRoot: true,
    ...(options.uid === undefined ? {} : { runAsUser: options.uid, runAsGroup: options.uid }),
    fsGroup: options.fsGroup,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Requests and limits in the Kubernetes notation, for operator CRDs whose resource fields are typed per CRD. */
export function quantities<Q>(r: ResourceSizing, quantity: (value: string) => Q): { requests: Record<string, Q>; limits: Record<string, Q> } {
  resourceRequirements(r); // refuses requests above limits
  return {
    requests: { cpu: quantity(`${r.cpuRequestMilli}m`), memory: quantity(`${r.memoryRequestMiB}Mi`) },
    limits: { cpu: quantity(`${r.cpuLimitMilli}m`), memory: quantity(`${r.memoryLimitMiB}Mi`) },
  };
}

/** Refuses a count that is not a whole number of at least 1, naming the component's field. */
export function requireCounts(component: string, counts: Readonly<Record<string, number>>): void {
  for (const [field, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${component}.${field}: ${value} is not a whole number of at least 1`);
  }
}
