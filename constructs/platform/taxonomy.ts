/**
 * The label taxonomy: the seven labels that describe a network device, carried
 * by every metric series, every flow record and every target Helios generates,
 * so a dashboard or an alert can group by them whichever pipeline the data came from.
 */
export const TAXONOMY = {
  device: 'the device name as NetBox knows it (its inventory name, not an address)',
  site: 'the NetBox site (for Helios workloads: the datacenter they run in)',
  region: 'the NetBox region the site belongs to',
  vendor: 'the manufacturer of the device type (arista, cisco, juniper, paloalto...)',
  platform: 'the NetBox platform slug (eos, ios-xe, junos, panos...)',
  role: 'the NetBox device role slug (spine, leaf, border, firewall...)',
  tier: 'the monitoring tier of the device (NetBox custom field monitoring_tier)',
} as const;

export type TaxonomyLabel = keyof typeof TAXONOMY;

/** The taxonomy labels in their canonical order. */
export const TAXONOMY_LABELS = Object.keys(TAXONOMY) as readonly TaxonomyLabel[];

/**
 * Kubernetes label key under which a taxonomy label is set on a Kubernetes object.
 * Helios workloads carry the labels that describe where they run (site, region).
 */
export function taxonomyLabelKey(label: TaxonomyLabel): string {
  return `helios.io/${label}`;
}
