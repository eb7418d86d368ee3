import { taxonomyLabelKey } from './taxonomy.js';

/** Label keys Helios sets on every object it synthesizes. */
export const HeliosLabel = {
  NAME: 'app.kubernetes.io/name',
  COMPONENT: 'app.kubernetes.io/component',
  PART_OF: 'app.kubernetes.io/part-of',
  MANAGED_BY: 'app.kubernetes.io/managed-by',
  VERSION: 'app.kubernetes.io/version',
  CLUSTER: 'helios.io/cluster',
  SITE: taxonomyLabelKey('site'),
  REGION: taxonomyLabelKey('region'),
} as const;

/** Labels every workload and its pods must carry (checked by the Helios policy). */
export const REQUIRED_WORKLOAD_LABELS: readonly string[] = [
  HeliosLabel.NAME,
  HeliosLabel.COMPONENT,
  HeliosLabel.PART_OF,
  HeliosLabel.CLUSTER,
  HeliosLabel.SITE,
];

export const PART_OF = 'helios';
