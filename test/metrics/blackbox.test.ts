import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { parse, stringify } from 'yaml';
import { forTest, operatorScrapeJob, parseExposition, withTargetLabels } from './collection-support.js';
import { clusterObjects, find, oneCluster } from './support.js';
import { BLACKBOX_MODULES } from '../../constructs/platform/targets.js';
import { TAXONOMY_LABELS } from '../../constructs/platform/taxonomy.js';
import { promTargets, scratch, startBlackboxExporter, writeScratch } from '../peers/harness/network-peers.js';

const objects = clusterObjects(oneCluster({ tier: 'medium' }));
const configText: string = find(objects, 'ConfigMap', 'blackbox-exporter-config', 'helios-collection').data['blackbox.yml'];
const deployment = find(objects, 'Deployment', 'blackbox-exporter', 'helios-collection');
const scrapeConfig = find(objects, 'ScrapeConfig', 'blackbox-probes', 'helios-collection');
const SHARDS = find(objects, 'Prometheus', 'helios', 'helios-storage').spec.shards as number;

describe('the synthesized blackbox_exporter', () => {
  it('defines the modules the target contract names, each preferring IPv4', () => {
    const modules = parse(configText).modules;
    expect(Object.keys(modules).sort()).toEqual([...BLACKBOX_MODULES].sort());
    expect(Object.entries(modules).map(([name, m]: [string, any]) => [name, m[m.prober].preferred_ip_protocol]))
      .toEqual(BLACKBOX_MODULES.map((m) => [m, 'ip4']));
  });

  it('pings through the safe sysctl, without any capability', () => {
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ping_group_range', value: '65534 65534' }]);
    expect(pod.securityContext.runAsGroup).toBe(65534);
    expect(pod.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });
});

describe('real blackbox_exporter with the synthesized config', () => {
  let exporter: Awaited<ReturnType<typeof startBlackboxExporter>>;
  let web: Server;
  let tcp: TcpServer;
  const port = (s: Server | TcpServer) => (s.address() as AddressInfo).port;

  beforeAll(async () => {
    exporter = await startBlackboxExporter(writeScratch(scratch('blackbox'), 'blackbox.yml', configText));
    web = createHttpServer((_, res) => res.end('ok')).listen(0, '127.0.0.1');
    tcp = createTcpServer((socket) => socket.end()).listen(0, '127.0.0.1');
    await Promise.all([new Promise((r) => web.once('listening', r)), new Promise((r) => tcp.once('listening', r))]);
  });
  afterAll(async () => {
    await exporter?.stop();
    web?.close();
    tcp?.close();
  });

  const probe = async (module: string, target: string) => parseExposition(await (await fetch(`${exporter.url}/probe?module=${module}&target=${encodeURIComponent(target)}`)).text());
  const success = (samples: ReturnType<typeof parseExposition>) => samples.find((s) => s.name === 'probe_success')?.value;

  it('tcp_connect: succeeds on a listening port, fails on a closed one', async () => {
    expect(success(await probe('tcp_connect', `127.0.0.1:${port(tcp)}`))).toBe(1);
    expect(success(await probe('tcp_connect', '127.0.0.1:9'))).toBe(0);
  });

  it('http_2xx: succeeds on a 200, fails without a server', async () => {
    const samples = await probe('http_2xx', `http://127.0.0.1:${port(web)}/`);
    expect(success(samples)).toBe(1);
    expect(samples.find((s) => s.name === 'probe_http_status_code')?.value).toBe(200);
    expect(success(await probe('http_2xx', 'http://127.0.0.1:9/'))).toBe(0);
  });

  it('probes what the synthesized ScrapeConfig asks for, and the series carry the taxonomy and the module', async () => {
    const sd = scratch('blackbox-sd');
    const device = { device: 'ams1-fw-01', site: 'ams1', region: 'eu', vendor: 'paloalto', platform: 'panos', role: 'firewall', tier: 'gold' };
    writeScratch(sd, 'blackbox-0.json', JSON.stringify([{ targets: [`http://127.0.0.1:${port(web)}/`], labels: { __param_module: 'http_2xx', ...device } }]));
    const sc = forTest(scrapeConfig, sd, `127.0.0.1:${exporter.port}`);
    const kept = Array.from({ length: SHARDS }, (_, shard) => promTargets(writeScratch(sd, `shard-${shard}.yml`, stringify({ scrape_configs: [operatorScrapeJob(sc, { shards: SHARDS, shard })] }))))
      .flat().filter((t) => !t.dropped);
    expect(kept).toHaveLength(1);
    expect(kept[0].labels).toEqual({ ...device, module: 'http_2xx', instance: `http://127.0.0.1:${port(web)}/`, job: 'blackbox' });
    const samples = parseExposition(await (await fetch(kept[0].url!)).text());
    const stored = withTargetLabels(samples.find((s) => s.name === 'probe_success')!, kept[0].labels!);
    expect(stored.module).toBe('http_2xx');
    for (const label of TAXONOMY_LABELS) expect(stored[label]).toBe(device[label]);
    expect(samples.find((s) => s.name === 'probe_success')!.value).toBe(1);
  });
});
