import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The shared reference data beside the repository (CRD schemas, Kubernetes OpenAPI
 * definitions); HELIOS_SHARED overrides where it is.
 */
export const SHARED_DIR = resolve(process.env.HELIOS_SHARED ?? join(REPO_ROOT, '..', 'shared'));

if (!existsSync(join(SHARED_DIR, 'crds'))) {
  throw new Error(`the shared reference data is not at ${SHARED_DIR} (expected crds/ and schemas/ there); set HELIOS_SHARED`);
}
