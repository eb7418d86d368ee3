import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { formatPath, type GnmiPath, parsePath } from './path.js';
import { DATA_TYPE_ALL, ENCODING_JSON_IETF, GetRequest, GetResponse, SetRequest, SetResponse } from './proto.js';

export const TLS_MODES = ['tls', 'skip-verify', 'plaintext'] as const;
export type TlsMode = typeof TLS_MODES[number];

export interface GnmiCredentials {
  readonly username: string;
  readonly password: string;
}

export interface GnmiOptions {
  readonly tlsMode: TlsMode;
  /** PEM CA bundle that signs the devices' certificates (tls mode). */
  readonly ca?: Buffer;
  readonly credentials: GnmiCredentials;
}

/** A gNMI RPC error, with the gRPC status code (5 = NotFound). */
export class GnmiError extends Error {
  public constructor(message: string, public readonly code?: number) {
    super(message);
    this.name = 'GnmiError';
  }
}

export interface SetOperations {
  readonly update?: readonly { readonly path: string; readonly value: unknown }[];
  readonly replace?: readonly { readonly path: string; readonly value: unknown }[];
  readonly delete?: readonly string[];
}

export interface SetResult {
  readonly op: string;
  readonly path: string;
}

/** Reads username and password from the mounted Secret's files. */
export function readCredentials(dir: string): GnmiCredentials {
  const read = (file: string): string => {
    try {
      return readFileSync(join(dir, file), 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new Error(`gNMI credentials: cannot read ${join(dir, file)} (the Secret's key "${file}"): ${(e as Error).message}`);
    }
  };
  return { username: read('username'), password: read('password') };
}

function channelCredentials(o: GnmiOptions): grpc.ChannelCredentials {
  switch (o.tlsMode) {
    case 'plaintext': return grpc.credentials.createInsecure();
    case 'skip-verify': return grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
    case 'tls':
      if (!o.ca) throw new Error('gNMI TLS mode "tls" needs a CA bundle to verify the device certificate');
      return grpc.credentials.createSsl(o.ca);
  }
}

function safeLong(v: unknown): number | string {
  const s = String(v);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

/** A TypedValue as JSON: scalars as themselves, JSON encodings parsed, 64-bit integers beyond 2^53 as strings. */
export function typedValueToJson(tv: Record<string, unknown> | null | undefined): unknown {
  if (!tv) return null;
  const which = tv.value as string | undefined;
  const v = which ? tv[which] : undefined;
  switch (which) {
    case 'intVal': case 'uintVal': return safeLong(v);
    case 'jsonVal': case 'jsonIetfVal': return JSON.parse(Buffer.from(v as Uint8Array).toString('utf8'));
    case 'bytesVal': return Buffer.from(v as Uint8Array).toString('base64');
    case 'decimalVal': {
      const d = v as { digits?: unknown; precision?: number };
      return Number(String(d.digits ?? 0)) / 10 ** (d.precision ?? 0);
    }
    case 'leaflistVal': return ((v as { element?: Record<string, unknown>[] }).element ?? []).map(typedValueToJson);
    case undefined: return null;
    default: return v;
  }
}

/**
 * A JSON value as a TypedValue. Objects and lists go as JSON_IETF; a scalar goes in
 * its typed field, as the gNMI specification (2.2.3) asks for leaves — gnxi's target
 * refuses JSON on a leaf, and devices accept both.
 */
export function jsonToTypedValue(value: unknown): Record<string, unknown> {
  if (typeof value === 'boolean') return { boolVal: value };
  if (typeof value === 'string') return { stringVal: value };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value >= 0 ? { uintVal: value } : { intVal: value };
  return { jsonIetfVal: Buffer.from(JSON.stringify(value), 'utf8') };
}

function toWirePath(p: GnmiPath): Record<string, unknown> {
  return { ...(p.origin ? { origin: p.origin } : {}), elem: p.elem.map((e) => ({ name: e.name, key: { ...e.key } })) };
}

function decode(type: protobuf.Type, buf: Buffer): Record<string, unknown> {
  return type.toObject(type.decode(buf), { longs: String, enums: String, bytes: Buffer, oneofs: true, defaults: false, arrays: true });
}

function joinPath(prefix: unknown, path: unknown): string {
  const elems = [...((prefix as { elem?: GnmiPath['elem'] } | undefined)?.elem ?? []), ...((path as { elem?: GnmiPath['elem'] } | undefined)?.elem ?? [])];
  return formatPath({ elem: elems });
}

/** One device: Get (type ALL, JSON_IETF) and Set, with the credentials as gRPC metadata. */
export class GnmiClient {
  private readonly client: grpc.Client;
  private readonly metadata: grpc.Metadata;

  private readonly secret: string;

  public constructor(public readonly address: string, options: GnmiOptions) {
    this.client = new grpc.Client(address, channelCredentials(options));
    this.secret = options.credentials.password;
    this.metadata = new grpc.Metadata();
    this.metadata.set('username', options.credentials.username);
    this.metadata.set('password', options.credentials.password);
  }

  private call(method: 'Get' | 'Set', reqType: protobuf.Type, resType: protobuf.Type, req: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const message = reqType.fromObject(req);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/gnmi.gNMI/${method}`,
        () => Buffer.from(reqType.encode(message).finish()),
        (b: Buffer) => decode(resType, b),
        message,
        this.metadata,
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err) reject(new GnmiError(`${method} ${this.address}: ${this.redact(err.details || err.message)}`, err.code));
          else resolve(res as Record<string, unknown>);
        },
      );
    });
  }

  /** Device errors end up in status and logs; some devices echo the credentials (gnxi: "not authorized with user:password"). */
  private redact(text: string): string {
    return this.secret === '' ? text : text.split(this.secret).join('<redacted>');
  }

  /**
   * Reads one path; undefined when the device does not have it (NotFound). When the
   * device answers a container with several updates, they come back as an object
   * keyed by their paths.
   */
  public async get(path: string, timeoutMs: number): Promise<unknown> {
    let res: Record<string, unknown>;
    try {
      res = await this.call('Get', GetRequest, GetResponse, { path: [toWirePath(parsePath(path))], type: DATA_TYPE_ALL, encoding: ENCODING_JSON_IETF }, timeoutMs);
    } catch (e) {
      if (e instanceof GnmiError && e.code === grpc.status.NOT_FOUND) return undefined;
      throw e;
    }
    const updates = ((res.notification ?? []) as Record<string, unknown>[]).flatMap((n) =>
      ((n.update ?? []) as Record<string, unknown>[]).map((u) => ({
        path: joinPath(n.prefix, u.path),
        value: typedValueToJson(u.val as Record<string, unknown>),
      })));
    if (updates.length === 0) return undefined;
    if (updates.length === 1) return updates[0].value;
    return Object.fromEntries(updates.map((u) => [u.path, u.value]));
  }

  public async set(ops: SetOperations, timeoutMs: number): Promise<SetResult[]> {
    const req = {
      delete: (ops.delete ?? []).map((p) => toWirePath(parsePath(p))),
      replace: (ops.replace ?? []).map((u) => ({ path: toWirePath(parsePath(u.path)), val: jsonToTypedValue(u.value) })),
      update: (ops.update ?? []).map((u) => ({ path: toWirePath(parsePath(u.path)), val: jsonToTypedValue(u.value) })),
    };
    const res = await this.call('Set', SetRequest, SetResponse, req, timeoutMs);
    return ((res.response ?? []) as Record<string, unknown>[]).map((r) => ({ op: String(r.op ?? ''), path: joinPath(res.prefix, r.path) }));
  }

  public close(): void {
    this.client.close();
  }
}
