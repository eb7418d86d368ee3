import { k8s } from 'cdk8s-plus-28';

/**
 * CPU and memory for one container. Every container Helios synthesizes states all
 * four numbers: the scheduler needs the requests, the node needs the limits.
 */
export interface ResourceSizing {
  readonly cpuRequestMilli: number;
  readonly cpuLimitMilli: number;
  readonly memoryRequestMiB: number;
  readonly memoryLimitMiB: number;
}

/** The user and group Helios containers run as when an image does not need its own. */
export const NONROOT_UID = 65534;

export interface SecureContainerProps {
  readonly name: string;
  /** A pinned image: `repository:tag` (never `latest`, in any case) or `repository@sha256:...`. */
  readonly image: string;
  readonly resources: ResourceSizing;
  readonly readinessProbe: k8s.Probe;
  readonly livenessProbe: k8s.Probe;
  /** @default - none: the readiness and liveness probes' initial delays cover start-up */
  readonly startupProbe?: k8s.Probe;
  /** @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** @default - the image's arguments */
  readonly args?: readonly string[];
  /** @default - no environment */
  readonly env?: readonly k8s.EnvVar[];
  /** @default - no environment from ConfigMaps or Secrets */
  readonly envFrom?: readonly k8s.EnvFromSource[];
  /** @default - no declared ports */
  readonly ports?: readonly k8s.ContainerPort[];
  /** @default - no mounts: the root filesystem is read-only, so writable paths need an emptyDir */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  /**
   * Linux capabilities to add back after dropping ALL. Pod Security "restricted"
   * allows only NET_BIND_SERVICE; anything else must be listed in the policy exceptions.
   * @default - none
   */
  readonly addCapabilities?: readonly string[];
}

const PINNED_IMAGE = /^[a-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9._-]+)+(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127})|@sha256:[a-f0-9]{64})$/;

/**
 * Whether a tag is `latest` in any case: registries treat tags case-sensitively, so
 * `Latest` is a different tag, but one that moves just the same by every convention.
 */
export function isLatestTag(tag: string): boolean {
  return tag.toLowerCase() === 'latest';
}

/** Whether an image reference names a fixed version: a tag other than `latest` (in any case), or a digest. */
export function isPinnedImage(image: string): boolean {
  const m = PINNED_IMAGE.exec(image);
  return m !== null && !isLatestTag(m.groups?.tag ?? '');
}

export function resourceRequirements(r: ResourceSizing): k8s.ResourceRequirements {
  if (r.cpuRequestMilli > r.cpuLimitMilli || r.memoryRequestMiB > r.memoryLimitMiB) {
    throw new Error(`resources: requests (${r.cpuRequestMilli}m, ${r.memoryRequestMiB}Mi) exceed limits (${r.cpuLimitMilli}m, ${r.memoryLimitMiB}Mi)`);
  }
  return {
    requests: { cpu: k8s.Quantity.fromString(`${r.cpuRequestMilli}m`), memory: k8s.Quantity.fromString(`${r.memoryRequestMiB}Mi`) },
    limits: { cpu: k8s.Quantity.fromString(`${r.cpuLimitMilli}m`), memory: k8s.Quantity.fromString(`${r.memoryLimitMiB}Mi`) },
  };
}

/**
 * A container that satisfies Pod Security "restricted": non-root, no privilege
 * escalation, every capability dropped, RuntimeDefault seccomp and a read-only
 * root filesystem; with explicit resources, probes and a pinned image.
 */
export function secureContainer(props: SecureContainerProps): k8s.Container {
  if (!isPinnedImage(props.image)) {
    throw new Error(`container ${props.name}: image "${props.image}" is not pinned; use repository:tag with a tag other than latest (in any case), or repository@sha256:<digest>`);
  }
  return {
    name: props.name,
    image: props.image,
    imagePullPolicy: 'IfNotPresent',
    command: props.command ? [...props.command] : undefined,
    args: props.args ? [...props.args] : undefined,
    env: props.env ? [...props.env] : undefined,
    envFrom: props.envFrom ? [...props.envFrom] : undefined,
    ports: props.ports ? [...props.ports] : undefined,
    volumeMounts: props.volumeMounts ? [...props.volumeMounts] : undefined,
    resources: resourceRequirements(props.resources),
    readinessProbe: props.readinessProbe,
    livenessProbe: props.livenessProbe,
    startupProbe: props.startupProbe,
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'], add: props.addCapabilities?.length ? [...props.addCapabilities] : undefined },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/**
 * A container of a Job or CronJob: the same restrictions as `secureContainer`, without
 * probes, since it runs to completion rather than serving.
 */
export function secureJobContainer(props: Omit<SecureContainerProps, 'readinessProbe' | 'livenessProbe' | 'startupProbe'>): k8s.Container {
  const { readinessProbe: _ready, livenessProbe: _live, ...container } = secureContainer({ ...props, readinessProbe: {}, livenessProbe: {} });
  return container;
}

export interface SecurePodSecurityContextProps {
  /** @default 65534 (nobody) */
  readonly uid?: number;
  /** Sysctls from the Pod Security "safe" set, such as net.ipv4.ping_group_range. @default - none */
  readonly sysctls?: readonly k8s.Sysctl[];
}

/** The pod-level half of Pod Security "restricted". */
export function securePodSecurityContext(props: SecurePodSecurityContextProps = {}): k8s.PodSecurityContext {
  const uid = props.uid ?? NONROOT_UID;
  if (uid === 0) {
    throw new Error('pod securityContext: uid 0 (root) is not allowed; Pod Security "restricted" requires a non-root user');
  }
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
    sysctls: props.sysctls?.length ? [...props.sysctls] : undefined,
  };
}

export interface HttpProbeOptions {
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
  /** @default 5 */
  readonly initialDelaySeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
}

export function httpProbe(path: string, port: number | string, options: HttpProbeOptions = {}): k8s.Probe {
  return {
    httpGet: { path, port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port) },
    ...probeTiming(options),
  };
}

export function tcpProbe(port: number | string, options: HttpProbeOptions = {}): k8s.Probe {
  return {
    tcpSocket: { port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port) },
    ...probeTiming(options),
  };
}

function probeTiming(options: HttpProbeOptions) {
  return {
    periodSeconds: options.periodSeconds ?? 10,
    failureThreshold: options.failureThreshold ?? 3,
    initialDelaySeconds: options.initialDelaySeconds ?? 5,
    timeoutSeconds: options.timeoutSeconds ?? 5,
  };
}
