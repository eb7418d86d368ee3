import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { fleetCa } from './fleet-ca.js';
import { readManifestTree } from '../../src/manifests.js';
import { argsForTest, compactorOnePass } from '../metrics-live/rewrites.js';
import { promtool3, startHttpPeer, startS3Server, type HttpProcess } from '../peers/harness/metrics-peers.js';
import { scratch, writeScratch } from '../peers/harness/network-peers.js';
import { peerBin } from '../peers/harness/paths.js';
import { freePort, waitFor } from '../peers/harness/process.js';
import { REPO_ROOT } from '../shared.js';

/**
 * The two datacenters of examples/multi-dc running for real: Prometheus 3 with each
 * member's synthesized external labels (two replicas in fra1, one in ams1), a Thanos
 * sidecar each uploading to ONE S3 bucket (moto; the replicated logical bucket
 * helios-metrics both members' objstore.yml name), each member's Thanos Query with
 * its synthesized args and server TLS, and the hub's global Query with its
 * synthesized args, endpoints and client TLS. Then one pass of fra1's synthesized
 * Compactor (the one compactor of the logical bucket) over the blocks of both.
 *
 * Every change to what Helios synthesized is in REWRITES below. The Prometheus
 * configuration and sidecar args are written here the way the Prometheus Operator
 * renders them from the synthesized Prometheus (external labels, replica label,
 * 2h blocks with compaction off so the sidecar may upload); the operator itself runs
 * in test/metrics-live. "A second compactor on the same logical bucket is refused at
 * synth time" is test/federation/federation.test.ts.
 */
const DIST = join(REPO_ROOT, 'examples/multi-dc/dist');
const objects = readManifestTree(DIST).flatMap((f) => f.objects.map((o) => ({ cluster: f.path.split('/')[0], o })));
const get = (cluster: string, kind: string, name: string): any => {
  const found = objects.find((x) => x.cluster === cluster && x.o.kind === kind && x.o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${cluster}`);
  return found.o;
};
const argsOf = (cluster: string, kind: string, name: string): string[] => get(cluster, kind, name).spec.template.spec.containers[0].args;

/** The datacenters and their Prometheus replicas (fra1 runs two to show deduplication). */
const DCS = { fra1: ['prometheus-helios-0', 'prometheus-helios-1'], ams1: ['prometheus-helios-0'] } as const;
type Dc = keyof typeof DCS;
/** The metric written as historical blocks into replica 0 of each datacenter, which its sidecar uploads. */
const BACKFILL = 'helios_federation_backfill';
const HOUR = 3600;

const dir = scratch('two-datacenters');

/**
 * The one place addresses and paths change: listen addresses become loopback ports,
 * in-cluster endpoints the loopback ports of what they resolve to, Secret mounts
 * scratch folders, the MinIO Service the S3 server; test-only speed-ups: a 5 s scrape,
 * and the compactor runs one pass (no --wait) counting blocks from their upload
 * (--consistency-delay=0s).
 */
const REWRITES = {
  /** Test-only speed-up: the synthesized scrapeInterval is 30s. */
  scrapeInterval: '5s',
  /** Secret and ConfigMap mount paths in synthesized args become scratch files. */
  mounts: (args: readonly string[], paths: Record<string, string>) =>
    args.map((a) => Object.entries(paths).reduce((out, [from, to]) => out.replace(from, to), a)),
  listen: (http: number, grpc: number) => ({ '--http-address': `127.0.0.1:${http}`, '--grpc-address': `127.0.0.1:${grpc}` }),
  /** A member's endpoints: the prometheus-operated SRV name becomes its sidecars; its Ruler and Store Gateway do not run here. */
  memberEndpoints: (dc: Dc, sidecars: readonly string[]) => {
    const synthesized = parse(get(dc, 'ConfigMap', 'thanos-query-endpoints').data['endpoints.yaml']);
    const prometheus = synthesized.endpoints.find((e: any) => e.address === 'dnssrv+_grpc._tcp.prometheus-operated.helios-storage.svc.cluster.local');
    return { endpoints: sidecars.map((address) => ({ ...prometheus, address })) };
  },
  /** The hub's endpoints: each member's address becomes its loopback port; the hub's own in-cluster Query is left out. */
  hubEndpoints: (members: Record<Dc, number>, clientTls: string) => {
    const synthesized = parse(get('hub', 'ConfigMap', 'thanos-query-global-endpoints').data['endpoints.yaml']);
    const endpoints = synthesized.endpoints.filter((e: any) => !e.address.startsWith('dnssrv+')).map((e: any) => {
      const dc = /^thanos\.([a-z0-9]+)\.example\.net:10901$/.exec(e.address)![1] as Dc;
      return { ...e, address: `127.0.0.1:${members[dc]}` };
    });
    return stringify({ endpoints }).replaceAll('/etc/thanos/client-tls', clientTls);
  },
  /** objstore.yml as ESO renders it, the MinIO Service replaced by the S3 server. */
  objstore: (dc: Dc, endpoint: string) => {
    const template = get(dc, 'ExternalSecret', 'thanos-objstore').spec.target.template.data['objstore.yml'] as string;
    const config = parse(template.replace('{{ .accessKey | toJson }}', '"helios-test"').replace('{{ .secretKey | toJson }}', '"helios-test-secret"'));
    config.config.endpoint = endpoint;
    return config;
  },
  compactor: (objstoreFile: string) => compactorOnePass(join(dir, 'compact'), objstoreFile),
};

/** What the operator renders from the synthesized Prometheus: its external labels, the replica label, a scrape of `target`. */
function prometheusConfig(dc: Dc, replica: string, target: string): string {
  const spec = get(dc, 'Prometheus', 'helios').spec;
  return stringify({
    global: {
      scrape_interval: REWRITES.scrapeInterval,
      external_labels: { ...spec.externalLabels, prometheus: 'helios-storage/helios', [spec.replicaExternalLabelName]: replica },
    },
    scrape_configs: [{ job_name: 'federation-probe', static_configs: [{ targets: [target] }] }],
  });
}

/**
 * Historical samples as 2h blocks (promtool): four filling one 8h window a day ago
 * and one after it, so the compactor's planner merges the four (it compacts full windows).
 */
function backfill(tsdb: string, dc: Dc): void {
  const start = Math.floor((Date.now() / 1000 - 30 * HOUR) / (8 * HOUR)) * 8 * HOUR;
  const lines = [`# TYPE ${BACKFILL} gauge`];
  for (let t = start; t < start + 8 * HOUR; t += 600) lines.push(`${BACKFILL}{source="${dc}"} ${t - start} ${t}`);
  // The last millisecond of the window makes it full (the planner leaves a partial window to the newest block); one more block after it.
  lines.push(`${BACKFILL}{source="${dc}"} 1 ${(start + 8 * HOUR - 0.001).toFixed(3)}`, `${BACKFILL}{source="${dc}"} 0 ${start + 8 * HOUR + 600}`, '# EOF', '');
  const file = writeScratch(dir, `${dc}-backfill.om`, lines.join('\n'));
  const r = promtool3(['tsdb', 'create-blocks-from', 'openmetrics', file, tsdb]);
  if (r.status !== 0) throw new Error(`promtool create-blocks-from: ${r.stderr}`);
}

interface Meta {
  readonly ulid: string;
  readonly minTime: number;
  readonly compaction: { level: number; sources: string[] };
  readonly thanos: { labels: Record<string, string> };
}

/** The blocks' meta.json in the bucket, as Thanos reads them (the S3 server refuses anonymous object reads). */
function metas(objstoreFile: string): Meta[] {
  const r = spawnSync(peerBin('thanos'), ['tools', 'bucket', 'ls', `--objstore.config-file=${objstoreFile}`, '--output=json'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`thanos tools bucket ls: ${r.stderr}`);
  // One indented JSON object per block, each opening with `{` and closing with `}` at the line's start.
  return r.stdout.split(/^(?=\{)/m).filter((chunk) => chunk.startsWith('{')).map((chunk) => JSON.parse(chunk) as Meta);
}

async function query(url: string, promql: string, params: Record<string, string> = {}): Promise<any> {
  const r = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: promql, ...params }), signal: AbortSignal.timeout(40_000) });
  return r.json();
}

describe('two datacenters: one global query over both, one compactor over their replicated bucket', () => {
  const peers: HttpProcess[] = [];
  const started = async (p: Promise<HttpProcess>) => {
    const peer = await p;
    peers.unshift(peer);
    return peer;
  };
  const members = {} as Record<Dc, HttpProcess & { grpc: number }>;
  let hub: HttpProcess;
  let s3: Awaited<ReturnType<typeof startS3Server>>;
  let compactorObjstore: string;
  const probe = 'count by (datacenter) (up{job="federation-probe"})';

  beforeAll(async () => {
    const objstores = { fra1: REWRITES.objstore('fra1', ''), ams1: REWRITES.objstore('ams1', '') };
    // One logical bucket: both members name the same one (MinIO site replication keeps it in both datacenters).
    const bucket = objstores.fra1.config.bucket;
    expect(objstores.ams1.config.bucket).toBe(bucket);
    s3 = await startS3Server(bucket);
    peers.push(s3);

    const { issue } = fleetCa(dir);

    let probeTarget = '';
    for (const dc of Object.keys(DCS) as Dc[]) {
      const objstoreFile = writeScratch(dir, `${dc}-objstore.yml`, stringify(REWRITES.objstore(dc, s3.endpoint)));
      if (dc === 'fra1') compactorObjstore = objstoreFile;
      const sidecars: string[] = [];
      for (const [i, replica] of DCS[dc].entries()) {
        const [port, grpc, http] = [await freePort(), await freePort(), await freePort()];
        // Every Prometheus scrapes the first one: the replicas of a datacenter see identical series.
        probeTarget ||= `127.0.0.1:${port}`;
        const tsdb = join(dir, `${dc}-${replica}`);
        mkdirSync(tsdb, { recursive: true });
        if (i === 0) backfill(tsdb, dc);
        await started(startHttpPeer(`prometheus-${dc}-${replica}`, 'prometheus', [
          `--config.file=${writeScratch(dir, `${dc}-${replica}.yaml`, prometheusConfig(dc, replica, probeTarget))}`,
          `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h',
        ], port, '/-/ready'));
        await started(startHttpPeer(`thanos-sidecar-${dc}-${replica}`, 'thanos', [
          'sidecar', `--prometheus.url=http://127.0.0.1:${port}/`, `--tsdb.path=${tsdb}`, `--objstore.config-file=${objstoreFile}`,
          `--http-address=127.0.0.1:${http}`, `--grpc-address=127.0.0.1:${grpc}`,
        ], http, '/-/ready'));
        sidecars.push(`127.0.0.1:${grpc}`);
      }
      const cert = get(dc, 'Certificate', 'thanos-federation-server-tls').spec;
      const tls = issue(dc, cert.commonName, `subjectAltName=${cert.dnsNames.map((d: string) => `DNS:${d}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
      const [http, grpc] = [await freePort(), await freePort()];
      const endpoints = writeScratch(dir, `${dc}-endpoints.yaml`, stringify(REWRITES.memberEndpoints(dc, sidecars)));
      const args = REWRITES.mounts(argsForTest(argsOf(dc, 'Deployment', 'thanos-query'), REWRITES.listen(http, grpc), 'thanos-query'), {
        '/etc/thanos/server-tls': tls, '/etc/thanos/endpoints/endpoints.yaml': endpoints,
      });
      members[dc] = { ...await started(startHttpPeer(`thanos-query-${dc}`, 'thanos', args, http, '/-/ready')), grpc };
    }

    const client = get('hub', 'Certificate', 'thanos-federation-client-tls').spec;
    const clientTls = issue('client', client.commonName, 'extendedKeyUsage=clientAuth\n');
    const hubEndpoints = writeScratch(dir, 'hub-endpoints.yaml', REWRITES.hubEndpoints({ fra1: members.fra1.grpc, ams1: members.ams1.grpc }, clientTls));
    const [http, grpc] = [await freePort(), await freePort()];
    const hubArgs = REWRITES.mounts(argsForTest(argsOf('hub', 'Deployment', 'thanos-query-global'), REWRITES.listen(http, grpc), 'thanos-query-global'), {
      '/etc/thanos/client-tls': clientTls, '/etc/thanos/endpoints/endpoints.yaml': hubEndpoints,
    });
    hub = await started(startHttpPeer('thanos-query-global', 'thanos', hubArgs, http, '/-/ready'));
  }, 240_000);

  afterAll(async () => {
    for (const p of peers) await p.stop();
  }, 60_000);

  it('one PromQL query returns both datacenters by their datacenter label, the replicas of fra1 deduplicated', async () => {
    const settled = async () => {
      const r = await query(hub.url, probe, { dedup: 'false' });
      return r.status === 'success' && r.data.result.length === 2 && r.data.result.every((s: any) => Number(s.value[1]) === DCS[s.metric.datacenter as Dc].length);
    };
    await waitFor('every replica of both datacenters through the global query', settled, 90_000, 1000);
    const raw = await query(hub.url, probe, { dedup: 'false' });
    expect(Object.fromEntries(raw.data.result.map((s: any) => [s.metric.datacenter, s.value[1]]))).toEqual({ fra1: '2', ams1: '1' });
    const answer = await query(hub.url, probe);
    expect(answer.status).toBe('success');
    expect(answer.warnings ?? []).toEqual([]);
    expect(Object.fromEntries(answer.data.result.map((s: any) => [s.metric.datacenter, s.value[1]]))).toEqual({ fra1: '1', ams1: '1' });
    const series = await query(hub.url, 'up{job="federation-probe"}');
    expect(series.data.result.map((s: any) => [s.metric.datacenter, s.metric.cluster, s.metric.prometheus_replica]).sort()).toEqual([
      ['ams1', 'ams1', undefined], ['fra1', 'fra1', undefined],
    ]);
  }, 120_000);

  it('uploads both datacenters\' blocks into the one bucket, and one compactor pass with fra1\'s synthesized args compacts both', async () => {
    const backfilled = (all: Meta[], dc: Dc) =>
      all.filter((m) => m.thanos.labels.datacenter === dc && m.thanos.labels.prometheus_replica === DCS[dc][0]);
    await waitFor('five blocks of each datacenter in the bucket', () => {
      const all = metas(compactorObjstore);
      return backfilled(all, 'fra1').length === 5 && backfilled(all, 'ams1').length === 5;
    }, 90_000, 2000);
    const before = metas(compactorObjstore);
    for (const dc of Object.keys(DCS) as Dc[]) {
      for (const m of backfilled(before, dc)) {
        expect(m.compaction.level).toBe(1);
        expect(m.thanos.labels).toEqual({ cluster: dc, datacenter: dc, prometheus: 'helios-storage/helios', prometheus_replica: DCS[dc][0] });
      }
    }

    const args = argsForTest(argsOf('fra1', 'StatefulSet', 'thanos-compactor'), REWRITES.compactor(compactorObjstore), 'thanos-compactor-0');
    const r = spawnSync(peerBin('thanos'), args, { encoding: 'utf8', timeout: 120_000 });
    writeScratch(dir, 'compactor.log', r.stderr); // for the reader when an assertion below fails
    expect(r.stderr).not.toMatch(/level=(error|warn).*halt/);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('msg="compaction iterations done"');

    const after = metas(compactorObjstore);
    for (const dc of Object.keys(DCS) as Dc[]) {
      const compacted = after.filter((m) => m.thanos.labels.datacenter === dc && m.compaction.level === 2);
      expect(compacted).toHaveLength(1);
      // The four blocks of the full 8h window, merged into one block still carrying its datacenter's labels.
      const window = backfilled(before, dc).sort((a, b) => a.minTime - b.minTime).slice(0, 4).map((m) => m.ulid).sort();
      expect([...compacted[0].compaction.sources].sort()).toEqual(window);
      expect(compacted[0].thanos.labels.datacenter).toBe(dc);
      // The compactor's log names the group (the block's external labels) it compacted.
      const logged = r.stderr.split('\n').find((l) => l.includes(`msg="compacted blocks" new=[${compacted[0].ulid}]`));
      expect(logged).toContain(`group="0@{cluster=\\"${dc}\\", datacenter=\\"${dc}\\"`);
    }
    console.log(`compactor: ${before.length} blocks before, ${after.length} after; level 2 per datacenter: ${after.filter((m) => m.compaction.level === 2).map((m) => m.thanos.labels.datacenter).join(', ')}`);
  }, 240_000);

  it('answers with a warning, not an error, when one datacenter\'s query is down', async () => {
    await members.ams1.stop();
    await waitFor('a partial response', async () => {
      const r = await query(hub.url, probe);
      return r.status === 'success' && (r.warnings ?? []).length > 0;
    }, 60_000, 1000);
    const answer = await query(hub.url, probe);
    expect(answer.status).toBe('success');
    expect(answer.warnings.join('\n')).toContain(`127.0.0.1:${members.ams1.grpc}`);
    expect(answer.data.result.map((s: any) => [s.metric.datacenter, s.value[1]])).toEqual([['fra1', '1']]);
  }, 90_000);
});
