import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { peerData } from './paths.js';

/** NetBox's OpenAPI document (NetBox 4.3, provisioned by `npm run peers`). */
export function netboxDocumentPath(): string {
  return peerData('netbox', 'openapi.yaml');
}

type Json = Record<string, any>;

/**
 * The document, parsed. The 4 MiB of YAML take seconds to parse, so the result is
 * kept as JSON in the temp folder, keyed by the document's size and time.
 */
export function netboxDocument(): Json {
  const path = netboxDocumentPath();
  const { size, mtimeMs } = statSync(path);
  const cache = join(tmpdir(), `helios-netbox-openapi-${size}-${Math.floor(mtimeMs)}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const doc = parse(readFileSync(path, 'utf8'), { maxAliasCount: -1 }) as Json;
  writeFileSync(cache, JSON.stringify(doc));
  return doc;
}

/**
 * OpenAPI 3.0 schemas as JSON Schema (draft 7, what Ajv reads): `nullable: true`
 * becomes a "null" type (or an anyOf with null where the schema has no type of its
 * own, as with a nullable allOf of a $ref, how NetBox marks optional relations),
 * and the boolean exclusiveMinimum/Maximum of OpenAPI 3.0 become numbers.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === 'nullable' || k === 'example') continue;
    out[k] = toJsonSchema(v);
  }
  for (const [exclusive, bound] of [['exclusiveMaximum', 'maximum'], ['exclusiveMinimum', 'minimum']] as const) {
    if (out[exclusive] === true) {
      out[exclusive] = out[bound];
      delete out[bound];
    } else if (out[exclusive] === false) {
      delete out[exclusive];
    }
  }
  if ((node as Json).nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

let sharedSchemas: NetBoxSchemas | undefined;

/** Ajv over the document's component schemas, for checking what the fake (or anything) serves. */
export class NetBoxSchemas {
  /** One per process: compiling the document's schemas is the slow part. */
  public static shared(): NetBoxSchemas {
    return sharedSchemas ??= new NetBoxSchemas();
  }

  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  public readonly document: Json;

  public constructor(document: Json = netboxDocument()) {
    this.document = document;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    this.ajv.addFormat('uri', { validate: (v: string) => URL.canParse(v) });
    this.ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    for (const f of ['int32', 'int64', 'double', 'float', 'uuid', 'binary', 'decimal', 'date', 'email']) this.ajv.addFormat(f, true);
    this.ajv.addSchema({ components: toJsonSchema(document.components) }, 'netbox');
  }

  /** The problems of `value` as an instance of components.schemas[name]; [] when it is one. */
  public check(name: string, value: unknown): string[] {
    let validate = this.compiled.get(name);
    if (!validate) {
      if (!this.document.components?.schemas?.[name]) throw new Error(`NetBox's document has no schema ${name}`);
      validate = this.ajv.compile({ $ref: `netbox#/components/schemas/${name}` });
      this.compiled.set(name, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${name}${e.instancePath}: ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  /** The schema of the 200 answer of GET `path` (a $ref to a component). */
  public listSchema(path: string): string {
    const ref: string | undefined = this.document.paths?.[path]?.get?.responses?.['200']?.content?.['application/json']?.schema?.$ref;
    if (!ref) throw new Error(`NetBox's document has no JSON 200 answer for GET ${path}`);
    return ref.replace('#/components/schemas/', '');
  }

  /** The query parameters GET `path` takes, as the document lists them. */
  public queryParameters(path: string): Set<string> {
    const params: Array<{ in: string; name: string }> = this.document.paths?.[path]?.get?.parameters ?? [];
    return new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
  }
}
