/**
 * Helios's public construct library: the stacks, the constructs they compose, their
 * props and the types those need. Import it into a cdk8s app:
 *
 *   import { PlatformBase } from '@helios/platform';
 *
 * Each folder's index.ts names its exports one by one: constants and helpers the
 * constructs share stay internal, so they can change without breaking an app.
 */
export * from './platform/index.js';
export * from './metrics/index.js';
export * from './flows/index.js';
export * from './automation/index.js';
export * from './federation/index.js';
