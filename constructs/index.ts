/**
 * Helios's public construct library. Import it into a cdk8s app:
 *
 *   import { PlatformBase } from '@helios/platform';
 */
export * from './platform/index.js';
export * from './metrics/index.js';
export * from './flows/index.js';
export * from './automation/index.js';
