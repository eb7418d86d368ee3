// @grpc/grpc-js and protobufjs are services/runbook-operator's dependencies (npm workspace); its gNMI messages are reused here.
// eslint-disable-next-line import/no-extraneous-dependencies
import * as grpc from '@grpc/grpc-js';
// eslint-disable-next-line import/no-extraneous-dependencies
import protobuf from 'protobufjs';
import { formatPath, parsePath, type GnmiPath } from '../../../services/runbook-operator/src/gnmi/path.js';
import { DESCRIPTOR } from '../../../services/runbook-operator/src/gnmi/proto.js';

/**
 * A leaf's value as RFC 7951 JSON carries it (what a device sends in JSON_IETF):
 * 64-bit integers and decimal64 as strings, enumerations as their names.
 */
export type LeafValue = string | number | boolean;

/**
 * The state of a stand-in device: every leaf by its full path in gnmic's string form,
 * e.g. `/interfaces/interface[name=Ethernet1]/state/counters/in-octets` → `"1000"`.
 */
export type DeviceState = Record<string, LeafValue>;

export interface GnmiDeviceStandInOptions {
  /** `host:port` to listen on. */
  readonly address: string;
  /** PEM private key and certificate of its TLS server. */
  readonly key: Buffer;
  readonly cert: Buffer;
  /** The credentials it accepts (gRPC metadata `username` and `password`). */
  readonly username: string;
  readonly password: string;
  readonly state: DeviceState;
}

const SUBSCRIBE = {
  Poll: { fields: {} },
  SubscriptionMode: { values: { TARGET_DEFINED: 0, ON_CHANGE: 1, SAMPLE: 2 } },
  Subscription: {
    fields: {
      path: { type: 'Path', id: 1 },
      mode: { type: 'SubscriptionMode', id: 2 },
      sampleInterval: { type: 'uint64', id: 3 },
      suppressRedundant: { type: 'bool', id: 4 },
      heartbeatInterval: { type: 'uint64', id: 5 },
    },
  },
  SubscriptionList: {
    nested: { Mode: { values: { STREAM: 0, ONCE: 1, POLL: 2 } } },
    fields: {
      prefix: { type: 'Path', id: 1 },
      subscription: { rule: 'repeated', type: 'Subscription', id: 2 },
      mode: { type: 'Mode', id: 5 },
      allowAggregation: { type: 'bool', id: 6 },
      encoding: { type: 'Encoding', id: 8 },
      updatesOnly: { type: 'bool', id: 9 },
    },
  },
  SubscribeRequest: {
    oneofs: { request: { oneof: ['subscribe', 'poll'] } },
    fields: { subscribe: { type: 'SubscriptionList', id: 1 }, poll: { type: 'Poll', id: 3 } },
  },
  SubscribeResponse: {
    oneofs: { response: { oneof: ['update', 'syncResponse'] } },
    fields: { update: { type: 'Notification', id: 1 }, syncResponse: { type: 'bool', id: 3 } },
  },
};
const root = protobuf.Root.fromJSON({ nested: { gnmi: { nested: { ...DESCRIPTOR.nested.gnmi.nested, ...SUBSCRIBE } } } });
const SubscribeRequest = root.lookupType('gnmi.SubscribeRequest');
const SubscribeResponse = root.lookupType('gnmi.SubscribeResponse');

interface Subscription { readonly path: GnmiPath; readonly mode: number; readonly sampleInterval: string }
interface SubscribeMessage {
  readonly subscribe?: { prefix?: GnmiPath; subscription: Subscription[]; mode: number; encoding: number; updatesOnly: boolean };
  readonly poll?: object;
}

const { STREAM, ONCE } = root.lookupEnum('gnmi.SubscriptionList.Mode').values;
const { SAMPLE } = root.lookupEnum('gnmi.SubscriptionMode').values;
const { JSON: ENCODING_JSON, JSON_IETF: ENCODING_JSON_IETF } = root.lookupEnum('gnmi.Encoding').values;
/** The shortest sample interval it streams at; a requested 0 means "as often as the target can". */
const MIN_SAMPLE_MS = 1000;

const GNMI_SERVICE: grpc.ServiceDefinition = {
  Subscribe: {
    path: '/gnmi.gNMI/Subscribe',
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: object) => Buffer.from(SubscribeRequest.encode(SubscribeRequest.fromObject(m)).finish()),
    requestDeserialize: (b: Buffer) => SubscribeRequest.toObject(SubscribeRequest.decode(b), { longs: String, enums: Number, defaults: true }),
    responseSerialize: (m: object) => Buffer.from(SubscribeResponse.encode(SubscribeResponse.fromObject(m)).finish()),
    responseDeserialize: (b: Buffer) => SubscribeResponse.toObject(SubscribeResponse.decode(b), { longs: String, enums: Number }),
  },
};

/** Whether `path` (its keys `*` or omitted for any) selects `leaf` or a container above it. */
function selects(path: GnmiPath, leaf: GnmiPath): boolean {
  return path.elem.length <= leaf.elem.length && path.elem.every((e, i) => e.name === leaf.elem[i].name
    && Object.entries(e.key ?? {}).every(([k, v]) => v === '*' || leaf.elem[i].key?.[k] === v));
}

/**
 * A gNMI device stand-in for what no real device on this machine serves: gnxi's
 * gnmi_target has no OpenConfig BGP (network-instance) model and no power-supply
 * leaves, and no router image runs here. It is a gNMI server over TLS answering
 * Subscribe as a device does — STREAM with SAMPLE subscriptions at their intervals,
 * and ONCE — with the leaves of a state the test sets, in JSON_IETF (or JSON), after
 * checking the username and password. A path that selects no leaf is refused with
 * NOT_FOUND, as gnmi_target does, so a subscription path the device cannot serve
 * shows up as an error rather than as missing data. POLL, ON_CHANGE and Get/Set are
 * not served (UNIMPLEMENTED): gnmic's synthesized subscriptions are sampled streams.
 */
export class GnmiDeviceStandIn {
  public static async start(options: GnmiDeviceStandInOptions): Promise<GnmiDeviceStandIn> {
    const standIn = new GnmiDeviceStandIn(options);
    const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: options.key, cert_chain: options.cert }], false);
    await new Promise<number>((resolve, reject) =>
      standIn.server.bindAsync(options.address, credentials, (e, port) => (e ? reject(e) : resolve(port))));
    return standIn;
  }

  /** Subscribe requests received, for tests that check what the collector asked. */
  public readonly requests: SubscribeMessage[] = [];
  private readonly server = new grpc.Server();
  private readonly leaves = new Map<string, { path: GnmiPath; value: LeafValue }>();

  private constructor(private readonly options: GnmiDeviceStandInOptions) {
    for (const [path, value] of Object.entries(options.state)) this.set(path, value);
    this.server.addService(GNMI_SERVICE, { Subscribe: (call: grpc.ServerDuplexStream<SubscribeMessage, object>) => this.subscribe(call) });
  }

  public get address(): string {
    return this.options.address;
  }

  /** Sets one leaf, as the device's own state changing; the next sample carries it. */
  public set(path: string, value: LeafValue): void {
    const parsed = parsePath(path);
    this.leaves.set(formatPath(parsed), { path: parsed, value });
  }

  public async stop(): Promise<void> {
    this.server.forceShutdown();
  }

  private subscribe(call: grpc.ServerDuplexStream<SubscribeMessage, object>): void {
    const timers: NodeJS.Timeout[] = [];
    const close = () => timers.forEach((t) => clearInterval(t));
    const fail = (code: grpc.status, details: string) => {
      close();
      call.emit('error', { code, details });
    };
    call.on('cancelled', close);
    call.on('error', close);
    call.on('end', () => {
      close();
      call.end();
    });
    const metadata = call.metadata;
    if (metadata.get('username')[0] !== this.options.username || metadata.get('password')[0] !== this.options.password) {
      fail(grpc.status.UNAUTHENTICATED, 'username or password not accepted');
      return;
    }
    call.on('data', (request: SubscribeMessage) => {
      this.requests.push(request);
      const list = request.subscribe;
      if (!list) return fail(grpc.status.UNIMPLEMENTED, 'only a SubscriptionList is served (no POLL)');
      if (![STREAM, ONCE].includes(list.mode)) return fail(grpc.status.UNIMPLEMENTED, `subscription list mode ${list.mode}: STREAM (0) and ONCE (1) are served`);
      if (![ENCODING_JSON, ENCODING_JSON_IETF].includes(list.encoding)) return fail(grpc.status.UNIMPLEMENTED, `encoding ${list.encoding}: JSON (0) and JSON_IETF (4) are served`);
      const subscriptions = list.subscription.map((s) => ({ ...s, path: { elem: [...(list.prefix?.elem ?? []), ...(s.path?.elem ?? [])] } }));
      for (const s of subscriptions) {
        if (list.mode === STREAM && s.mode !== SAMPLE) return fail(grpc.status.UNIMPLEMENTED, `${formatPath(s.path)}: subscription mode ${s.mode}: SAMPLE (2) is served`);
        if (this.selected(s.path).length === 0) return fail(grpc.status.NOT_FOUND, `${formatPath(s.path)}: no such data on this device`);
      }
      const sample = (s: Subscription) => {
        const updates = this.selected(s.path).map(({ path, value }) => ({
          path: { elem: path.elem.map((e) => ({ name: e.name, key: e.key ?? {} })) },
          val: { [list.encoding === ENCODING_JSON_IETF ? 'jsonIetfVal' : 'jsonVal']: Buffer.from(JSON.stringify(value)) },
        }));
        call.write({ update: { timestamp: (BigInt(Date.now()) * 1_000_000n).toString(), update: updates } });
      };
      if (!list.updatesOnly) subscriptions.forEach(sample);
      call.write({ syncResponse: true });
      if (list.mode === ONCE) {
        call.end();
        return undefined;
      }
      for (const s of subscriptions) {
        const everyMs = Math.max(MIN_SAMPLE_MS, Number(BigInt(s.sampleInterval) / 1_000_000n));
        timers.push(setInterval(() => sample(s), everyMs));
      }
      return undefined;
    });
  }

  private selected(path: GnmiPath): Array<{ path: GnmiPath; value: LeafValue }> {
    return [...this.leaves.values()].filter((leaf) => selects(path, leaf.path));
  }
}
