import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, ManifestFile } from '../../src/manifests.js';
import { objectName } from '../../src/policy/policy.js';
import { CRD_SETS, crdSetOf, KUBERNETES_DEFINITIONS, schemaDir, type CrdSet } from '../schema-sources.js';

export interface SchemaProblem {
  readonly file: string;
  readonly object: string;
  readonly field: string;
  readonly message: string;
}

export function formatSchemaProblem(p: SchemaProblem): string {
  return `${p.file}: ${p.object}: ${p.field || '(root)'}: ${p.message}`;
}

type Schema = Record<string, any>;

/**
 * The API server decodes with strict field validation (kubectl's default since
 * 1.27): a field the schema does not know is an error, not silently dropped. The
 * published schemas leave additionalProperties open, so close every object that
 * lists its properties and does not ask to preserve unknown fields.
 */
function closeObjects(node: any): any {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (node === null || typeof node !== 'object') return node;
  const out: any = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'enum' || k === 'default' || k === 'example' ? v : closeObjects(v);
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (out['x-kubernetes-embedded-resource'] === true) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(out.properties ?? {}) };
  }
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * CRD patterns are Go (RE2) regular expressions. JavaScript has no inline flags, so
 * a `(?i)` group makes the whole pattern case-insensitive: never stricter than the
 * API server, at worst a little more lenient.
 */
const goRegExp = Object.assign((pattern: string, flags: string): RegExp => {
  if (!pattern.includes('(?i)')) return new RegExp(pattern, flags);
  return new RegExp(pattern.replaceAll('(?i)', ''), flags.includes('i') ? flags : `${flags}i`);
}, { code: 'goRegExp' });

function gvk(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/**
 * Validates objects against the Kubernetes OpenAPI definitions and the upstream CRDs
 * (test/schema-sources.ts). An operator's CRDs are read when the first of its kinds is
 * validated, so objects of other APIs validate without them.
 */
export class SchemaValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: goRegExp } });
  private readonly k8sTypes = new Map<string, string>();
  private readonly crdSchemas = new Map<string, Schema>();
  private readonly loadedSets = new Set<CrdSet>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly objectMeta: ValidateFunction;

  public constructor() {
    const defs = JSON.parse(readFileSync(join(schemaDir(KUBERNETES_DEFINITIONS), '_definitions.json'), 'utf8')).definitions;
    for (const [name, def] of Object.entries<any>(defs)) {
      for (const g of def['x-kubernetes-group-version-kind'] ?? []) {
        this.k8sTypes.set(gvk(g.group ? `${g.group}/${g.version}` : g.version, g.kind), name);
      }
    }
    const closed = closeObjects(defs);
    // Free-form payloads stay open.
    for (const open of ['io.k8s.apimachinery.pkg.runtime.RawExtension', 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON']) {
      if (closed[open]) closed[open] = {};
    }
    this.ajv.addSchema({ $id: 'k8s', definitions: closed });
    this.objectMeta = this.ajv.getSchema('k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')!;
  }

  /** Learns the schema of a CRD (an upstream one, or one Helios synthesizes itself). CEL rules are the API server's to check. */
  public addCrd(crd: any): void {
    if (crd?.kind !== 'CustomResourceDefinition') return;
    for (const v of crd.spec.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema || v.served === false) continue;
      const root = closeObjects(schema);
      // Metadata is validated against ObjectMeta instead.
      root.properties = { ...root.properties, metadata: {} };
      const key = gvk(`${crd.spec.group}/${v.name}`, crd.spec.names.kind);
      this.crdSchemas.set(key, root);
      this.compiled.delete(key);
    }
  }

  /** Whether a schema for the object's apiVersion and kind is known. */
  public knows(apiVersion: string, kind: string): boolean {
    this.loadCrds(apiVersion);
    return this.k8sTypes.has(gvk(apiVersion, kind)) || this.crdSchemas.has(gvk(apiVersion, kind));
  }

  public validate(obj: KubeObject): Array<{ field: string; message: string }> {
    const key = gvk(obj.apiVersion, obj.kind);
    let validate = this.compiled.get(key);
    if (!validate) {
      this.loadCrds(obj.apiVersion);
      const k8sName = this.k8sTypes.get(key);
      const crd = this.crdSchemas.get(key);
      if (k8sName) validate = this.ajv.getSchema(`k8s#/definitions/${k8sName}`)!;
      else if (crd) validate = this.ajv.compile(crd);
      else return [{ field: 'apiVersion', message: `no schema for apiVersion ${obj.apiVersion}, kind ${obj.kind} (neither Kubernetes ${KUBERNETES_DEFINITIONS.version} nor a CRD of ${CRD_SETS.map((c) => c.upstream).join(', ')})` }];
      this.compiled.set(key, validate);
    }
    const problems = validate(obj) ? [] : describeErrors(validate.errors ?? []);
    if (this.crdSchemas.has(key) && !this.objectMeta(obj.metadata)) {
      problems.push(...describeErrors(this.objectMeta.errors ?? [], 'metadata'));
    }
    return dedupe(problems);
  }

  public validateFiles(files: readonly ManifestFile[]): SchemaProblem[] {
    return files.flatMap((f) => f.objects.flatMap((o) => this.validate(o).map((p) => ({ file: f.path, object: objectName(o), ...p }))));
  }

  /** Reads the CRDs of the operator that defines `apiVersion`'s group, once. */
  private loadCrds(apiVersion: string): void {
    const set = apiVersion.includes('/') ? crdSetOf(apiVersion.split('/')[0]) : undefined;
    if (!set || this.loadedSets.has(set)) return;
    const dir = schemaDir(set);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        this.addCrd(doc.toJS());
      }
    }
    this.loadedSets.add(set);
  }
}

function fieldOf(instancePath: string, prefix?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  return prefix ? (path ? `${prefix}.${path}` : prefix) : path;
}

function describeErrors(errors: ErrorObject[], prefix?: string): Array<{ field: string; message: string }> {
  // oneOf/anyOf report every failed branch; the type mismatches inside say it better.
  const branchy = new Set(errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath));
  return errors
    .filter((e) => !(e.keyword === 'oneOf' || e.keyword === 'anyOf'))
    .map((e) => {
      const field = fieldOf(e.instancePath, prefix);
      if (e.keyword === 'additionalProperties') {
        const name = (e.params as any).additionalProperty;
        return { field: field ? `${field}.${name}` : name, message: `unknown field "${name}"` };
      }
      if (e.keyword === 'type' && branchy.has(e.instancePath)) {
        return { field, message: `must be one of: ${(errors.filter((x) => x.instancePath === e.instancePath && x.keyword === 'type').map((x) => (x.params as any).type)).join(' or ')}` };
      }
      if (e.keyword === 'enum') return { field, message: `must be one of ${(e.params as any).allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}` };
      if (e.keyword === 'required') return { field: field ? `${field}.${(e.params as any).missingProperty}` : (e.params as any).missingProperty, message: 'is required' };
      return { field, message: e.message ?? e.keyword };
    });
}

function dedupe(problems: Array<{ field: string; message: string }>) {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.field}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
