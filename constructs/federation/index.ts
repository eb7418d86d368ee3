export { ArgoCdFleet, type ArgoCdFleetProps, type FleetCluster } from './argocd.js';
export {
  FederationStack, StoreApiServiceType, type FederationIssuer, type FederationMember, type FederationStackProps, type GlobalQuery,
} from './federation-stack.js';
