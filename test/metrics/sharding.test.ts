import { stringify } from 'yaml';
import { forTest, hashmod, operatorScrapeJob } from './collection-support.js';
import { clusterObjects, find, oneCluster } from './support.js';
import { promTargets, scratch, writeScratch } from '../peers/harness/network-peers.js';

/**
 * 1,000 SNMP devices over the large tier's 4 Prometheus shards. Two independent
 * computations must agree: Prometheus 3.5's own relabeling (prom-targets: the
 * operator's scrape config for each shard, file_sd read and relabeled by Prometheus's
 * code) and a reimplementation of `hashmod` (md5, last 8 bytes big-endian, modulo).
 */
const objects = clusterObjects(oneCluster({ tier: 'large' }));
const SHARDS = find(objects, 'Prometheus', 'helios', 'helios-storage').spec.shards as number;
const snmp = find(objects, 'ScrapeConfig', 'snmp-devices', 'helios-collection');
const blackbox = find(objects, 'ScrapeConfig', 'blackbox-probes', 'helios-collection');
const DEVICES = 1000;

const dir = scratch('sharding');
const address = (i: number) => `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const taxonomy = (i: number) => ({ device: `dev-${i}`, site: `site-${i % 7}`, region: 'eu', vendor: 'arista', platform: 'eos', role: 'leaf', tier: 'gold' });
writeScratch(dir, 'snmp-0.json', JSON.stringify(Array.from({ length: DEVICES }, (_, i) => (
  { targets: [address(i)], labels: { __param_module: 'if_mib,arista_eos', __param_auth: 'helios_v3', ...taxonomy(i) } }))));
writeScratch(dir, 'blackbox-0.json', JSON.stringify(Array.from({ length: DEVICES }, (_, i) => (
  { targets: [address(i)], labels: { __param_module: 'icmp', ...taxonomy(i) } }))));

/** The devices each shard keeps, by Prometheus's own code. Adjusted: the file_sd folder only. */
function keptPerShard(scrapeConfig: any): string[][] {
  const sc = forTest(scrapeConfig, dir);
  return Array.from({ length: SHARDS }, (_, shard) => {
    const config = writeScratch(dir, `${scrapeConfig.metadata.name}-${shard}.yml`, stringify({ scrape_configs: [operatorScrapeJob(sc, { shards: SHARDS, shard })] }));
    const targets = promTargets(config);
    expect(targets.filter((t) => t.error)).toEqual([]);
    expect(targets).toHaveLength(DEVICES);
    return targets.filter((t) => !t.dropped).map((t) => t.labels!.device).sort();
  });
}

describe(`${DEVICES} SNMP devices over ${SHARDS} Prometheus shards`, () => {
  let kept: string[][];
  beforeAll(() => { kept = keptPerShard(snmp); });

  it('every device is scraped by exactly one shard', () => {
    const all = kept.flat();
    expect(all).toHaveLength(DEVICES);
    expect(new Set(all).size).toBe(DEVICES);
  });

  it('no shard carries more than twice its fair share', () => {
    const sizes = kept.map((k) => k.length);
    console.log(`devices per shard (Prometheus relabeling): ${sizes.join(', ')}; fair share ${DEVICES / SHARDS}`);
    expect(sizes.every((n) => n > 0 && n <= (2 * DEVICES) / SHARDS)).toBe(true);
  });

  it('matches the hashmod reimplementation device by device: the shard is hashmod(device address, shards)', () => {
    const devices = Array.from({ length: DEVICES }, (_, i) => i);
    const expected = Array.from({ length: SHARDS }, (_, shard) => devices.filter((i) => hashmod(address(i), SHARDS) === shard).map((i) => `dev-${i}`).sort());
    expect(kept).toEqual(expected);
  });

  it('puts a device\'s ICMP probe on the shard that walks it over SNMP', () => {
    expect(keptPerShard(blackbox)).toEqual(kept);
  });

  it('the pitfall: hashing the exporter address (no __tmp_hash rule) puts every device on one shard', () => {
    const pitfall = { ...snmp, spec: { ...snmp.spec, relabelings: snmp.spec.relabelings.filter((r: any) => r.targetLabel !== '__tmp_hash') } };
    const sizes = keptPerShard(pitfall).map((k) => k.length);
    console.log(`devices per shard when hashing the exporter address: ${sizes.join(', ')}`);
    expect(sizes.filter((n) => n === DEVICES)).toHaveLength(1);
    expect(sizes.filter((n) => n === 0)).toHaveLength(SHARDS - 1);
    expect(sizes.indexOf(DEVICES)).toBe(hashmod('snmp-exporter.helios-collection.svc:9116', SHARDS));
  });
});
