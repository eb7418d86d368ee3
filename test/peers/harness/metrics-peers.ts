import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { type KubeApiServer } from './kube.js';
import { peerBin } from './paths.js';
import { freePort, httpOk, PeerProcess, waitFor } from './process.js';

/**
 * The metrics path's peers: the Prometheus Operator against the harness's
 * kube-apiserver, Prometheus 3, Thanos, Alertmanager and an S3 server.
 */

/** Prometheus 3's promtool (provision/prometheus.sh); `promtool()` in network-peers.ts is Debian's 2.42. */
export function promtool3(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(peerBin('promtool3'), [...args], { encoding: 'utf8', timeout: 120_000 });
}

/** Applies objects server-side as the field manager "helios", as `kubectl apply` of dist/ would. */
export function applyObjects(kube: KubeApiServer, objects: readonly unknown[]): void {
  const r = kube.kubectl(['apply', '--server-side', '--field-manager=helios', '--force-conflicts', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));
  if (r.status !== 0) throw new Error(`kubectl apply failed:\n${r.stderr}`);
}

/** The data of a Secret, decoded; undefined while it does not exist. */
export function secretData(kube: KubeApiServer, namespace: string, name: string): Record<string, Buffer> | undefined {
  const r = kube.kubectl(['get', 'secret', '-n', namespace, name, '-o', 'json']);
  if (r.status !== 0) return undefined;
  const data: Record<string, string> = JSON.parse(r.stdout).data ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

/** A gzipped file of a Secret the operator generated, as text. */
export function gunzipText(data: Buffer): string {
  return gunzipSync(data).toString('utf8');
}

/**
 * The real Prometheus Operator (provision/prometheus-operator.sh) reconciling every
 * namespace of the API server as its admin, through the harness's kubeconfig. With no
 * kubelet its StatefulSets never start pods; what it writes (the generated config
 * Secrets, the StatefulSets, the governing Services) is what the tests read.
 */
export async function startPrometheusOperator(kube: KubeApiServer): Promise<PeerProcess> {
  const port = await freePort();
  return PeerProcess.start({
    name: 'prometheus-operator',
    command: peerBin('prometheus-operator'),
    args: [`--web.listen-address=127.0.0.1:${port}`, '--log-level=info'],
    env: { KUBECONFIG: kube.kubeconfigPath },
    ready: () => httpOk(`http://127.0.0.1:${port}/healthz`),
    readyTimeoutMs: 120_000,
  });
}

/** Waits for a Secret to exist (and, optionally, to hold a key) and returns its data. */
export async function waitForSecret(
  kube: KubeApiServer, namespace: string, name: string, key?: string, timeoutMs = 60_000,
): Promise<Record<string, Buffer>> {
  let data: Record<string, Buffer> | undefined;
  await waitFor(`Secret ${namespace}/${name}${key ? ` with ${key}` : ''}`, () => {
    data = secretData(kube, namespace, name);
    return data !== undefined && (key === undefined || key in data);
  }, timeoutMs, 500);
  return data!;
}

/** A peer serving HTTP on a loopback port. */
export interface HttpProcess {
  readonly process: PeerProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a program whose readiness is an HTTP 200 on `readyPath` of `port`. */
export async function startHttpPeer(
  name: string, bin: string, args: readonly string[], port: number, readyPath: string, readyTimeoutMs = 120_000,
): Promise<HttpProcess> {
  const url = `http://127.0.0.1:${port}`;
  const process = await PeerProcess.start({ name, command: peerBin(bin), args, ready: () => httpOk(`${url}${readyPath}`), readyTimeoutMs });
  return { process, url, stop: () => process.stop() };
}

/** moto's S3 server (provision/s3-server.sh) with one empty bucket; any key pair is accepted. */
export async function startS3Server(bucket: string): Promise<HttpProcess & { endpoint: string }> {
  const port = await freePort();
  const s3 = await startHttpPeer('s3-server', 's3-server', ['-H', '127.0.0.1', '-p', String(port)], port, '/');
  const r = await fetch(`${s3.url}/${bucket}`, { method: 'PUT' });
  if (!r.ok) {
    await s3.stop();
    throw new Error(`creating bucket ${bucket} failed: HTTP ${r.status} ${await r.text()}`);
  }
  return { ...s3, endpoint: `127.0.0.1:${port}` };
}

/** The object keys in a bucket of the S3 server (ListObjectsV2, first 1000). */
export async function s3Keys(s3Url: string, bucket: string): Promise<string[]> {
  const xml = await (await fetch(`${s3Url}/${bucket}?list-type=2`)).text();
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
}

/**
 * Writes an object into a bucket of the S3 server as the given key pair (AWS Signature V4,
 * as Thanos signs): objects Thanos wrote belong to that key pair and refuse anonymous writes.
 */
export async function s3Put(
  s3: { url: string; endpoint: string }, bucket: string, key: string, body: string, credentials: { accessKey: string; secretKey: string },
): Promise<void> {
  const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
  const hmac = (k: string | Buffer, data: string) => createHmac('sha256', k).update(data).digest();
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const path = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const headers = { 'host': s3.endpoint, 'x-amz-content-sha256': sha256(body), 'x-amz-date': amzDate };
  const signed = Object.keys(headers).join(';');
  const request = ['PUT', path, '', ...Object.entries(headers).map(([k, v]) => `${k}:${v}`), '', signed, headers['x-amz-content-sha256']].join('\n');
  const signingKey = ['us-east-1', 's3', 'aws4_request'].reduce<Buffer>((k, part) => hmac(k, part), hmac(`AWS4${credentials.secretKey}`, amzDate.slice(0, 8)));
  const signature = createHmac('sha256', signingKey).update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(request)].join('\n')).digest('hex');
  const r = await fetch(`${s3.url}${path}`, {
    method: 'PUT',
    body,
    headers: {
      'x-amz-content-sha256': headers['x-amz-content-sha256'],
      'x-amz-date': amzDate,
      'authorization': `AWS4-HMAC-SHA256 Credential=${credentials.accessKey}/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
    },
  });
  if (!r.ok) throw new Error(`writing ${bucket}/${key} failed: HTTP ${r.status} ${await r.text()}`);
}

/** An instant query against a Prometheus-compatible API (Prometheus, Thanos Query). */
export async function instantQuery(
  baseUrl: string, query: string, params: Record<string, string> = {},
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const body = new URLSearchParams({ query, ...params });
  const r = await fetch(`${baseUrl}/api/v1/query`, { method: 'POST', body, signal: AbortSignal.timeout(20_000) });
  const json: any = await r.json();
  if (json.status !== 'success') throw new Error(`query ${query} failed: ${JSON.stringify(json)}`);
  return json.data.result;
}

/** A block's meta.json in the bucket, with its Thanos section. */
export interface BucketBlock {
  readonly ulid: string;
  readonly minTime: number;
  readonly maxTime: number;
  readonly stats: { readonly numSamples: number; readonly numSeries: number };
  readonly compaction: { readonly level: number; readonly sources: readonly string[] };
  readonly thanos: { readonly labels: Record<string, string>; readonly downsample: { readonly resolution: number }; readonly source: string };
}

function thanosTool(args: readonly string[]): string {
  const r = spawnSync(peerBin('thanos'), ['tools', 'bucket', ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`thanos tools bucket ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Every block in the bucket, as `thanos tools bucket ls -o json` reads them (blocks marked for deletion included). */
export function bucketBlocks(objstoreFile: string): BucketBlock[] {
  const out = thanosTool(['ls', `--objstore.config-file=${objstoreFile}`, '--output=json']);
  // One JSON object per block, one after the other.
  return out.split(/^(?=\{)/m).filter((s) => s.trim()).map((s) => JSON.parse(s));
}

/** Uploads the TSDB blocks in `path` with these external labels, as a sidecar would label them (`thanos tools bucket upload-blocks`). */
export function uploadBlocks(objstoreFile: string, path: string, externalLabels: Record<string, string>): void {
  thanosTool(['upload-blocks', `--objstore.config-file=${objstoreFile}`, `--path=${path}`,
    ...Object.entries(externalLabels).map(([k, v]) => `--label=${k}=${JSON.stringify(v)}`)]);
}

/** A range query against a Prometheus-compatible API: each series' [unix seconds, value] pairs. */
export async function rangeQuery(
  baseUrl: string, query: string, params: { start: number; end: number; step: number } & Record<string, string | number>,
): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
  const body = new URLSearchParams({ query, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  const r = await fetch(`${baseUrl}/api/v1/query_range`, { method: 'POST', body, signal: AbortSignal.timeout(20_000) });
  const json: any = await r.json();
  if (json.status !== 'success') throw new Error(`range query ${query} failed: ${JSON.stringify(json)}`);
  return json.data.result;
}
