import type { PolicyRule } from './policy.js';

/**
 * A deliberate departure from the Helios policy for one object. Every exception
 * says why; a test fails when an exception no longer matches any synthesized object.
 */
export interface PolicyException {
  readonly rule: PolicyRule;
  readonly kind: string;
  /** @default - a cluster-scoped object */
  readonly namespace?: string;
  readonly name: string;
  /** The field path (or a prefix of it) the exception covers. */
  readonly field: string;
  readonly reason: string;
}

/** Every exception to the Helios policy, in one place. */
export const POLICY_EXCEPTIONS: readonly PolicyException[] = [];
