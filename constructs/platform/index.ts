export { AccessRoles, HeliosRole, type AccessGroups, type AccessRolesProps } from './access.js';
export type { ImageName, ImageOverrides } from './images.js';
export { HeliosLabel } from './labels.js';
export { HeliosNamespace, type HeliosNamespaceName } from './namespaces.js';
export {
  FlowPeer, NamespaceBaseline, NetworkFlows, Protocol,
  type AllowedFlow, type DnsEndpoint, type FlowPort, type NamespaceBaselineProps, type NetworkFlow, type NetworkFlowsProps, type WorkloadRef,
} from './network.js';
export {
  PlatformBase, ScalableKind, SecretStoreKind,
  type AutoscalingOptions, type ComponentIdentity, type ExternalSecretProps, type PlatformBaseProps, type SecretReference, type SecretStoreRef,
  type VaultSecretStoreOptions,
} from './platform-base.js';
export {
  httpProbe, secureContainer, securePodSecurityContext, tcpProbe,
  type HttpProbeOptions, type ResourceSizing, type SecureContainerProps, type SecurePodSecurityContextProps,
} from './security.js';
export { TargetSet } from './targets.js';
