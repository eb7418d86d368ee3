export {
  checkFilter, type ListItem, type ListOptions, type ListPath, NetBoxClient, type NetBoxClientOptions, NetBoxError, PAGING_PARAMETERS,
} from './client.js';
/** NetBox's REST API types, for the objects callers keep of a list. */
export type { components, operations, paths } from './generated/netbox.js';
