import { parse, stringify } from 'yaml';
import { forTest, operatorScrapeJob, parseExposition, withTargetLabels, type Sample } from './collection-support.js';
import { clusterObjects, find, oneCluster, renderExternalSecret } from './support.js';
import { SNMP_AUTHS, SNMP_MODULES } from '../../constructs/platform/targets.js';
import { TAXONOMY_LABELS } from '../../constructs/platform/taxonomy.js';
import { promTargets, scratch, startSnmpd, startSnmpExporter, writeScratch, type PromTarget } from '../peers/harness/network-peers.js';

/** Large tier: four Prometheus shards. */
const objects = clusterObjects(oneCluster({ tier: 'large' }));
const modulesYaml: string = find(objects, 'ConfigMap', 'snmp-exporter-modules', 'helios-collection').data['modules.yml'];
const scrapeConfig = find(objects, 'ScrapeConfig', 'snmp-devices', 'helios-collection');
const deployment = find(objects, 'Deployment', 'snmp-exporter', 'helios-collection');
const SHARDS = find(objects, 'Prometheus', 'helios', 'helios-storage').spec.shards as number;

/** Test credentials, with characters that would break naive YAML templating. */
const CREDENTIALS = { community: 'c0mm: un1ty#x', v3Username: 'helios-v3', v3AuthPassword: 'auth-pass: #123', v3PrivPassword: 'priv-pass-123' };
const dir = scratch('snmp-exporter');

/** The exporter's two config files as the pod reads them: the ConfigMap's modules and the auths ESO renders. */
const modulesFile = writeScratch(dir, 'modules.yml', modulesYaml);
const authsText = renderExternalSecret(find(objects, 'ExternalSecret', 'snmp-exporter-auths', 'helios-collection'), CREDENTIALS)['auths.yml'];
const authsFile = writeScratch(dir, 'auths.yml', authsText);

/** An agent that serves IF-MIB, the system group and HOST-RESOURCES, to the test community and an SNMPv3 authPriv user. */
const snmpdConfig = writeScratch(dir, 'snmpd.conf', [
  'view helios included .1.3.6.1.2.1.1',
  'view helios included .1.3.6.1.2.1.2',
  'view helios included .1.3.6.1.2.1.25',
  'view helios included .1.3.6.1.2.1.31',
  // The harness's readiness check asks with "public".
  'rocommunity public 127.0.0.1 -V helios',
  `rocommunity "${CREDENTIALS.community}" 127.0.0.1 -V helios`,
  `createUser ${CREDENTIALS.v3Username} SHA "${CREDENTIALS.v3AuthPassword}" AES "${CREDENTIALS.v3PrivPassword}"`,
  `rouser ${CREDENTIALS.v3Username} priv -V helios`,
  'sysName helios-snmpd',
  '',
].join('\n'));

describe('the synthesized snmp_exporter configuration', () => {
  it('defines the modules and auths the target contract names', () => {
    expect(Object.keys(parse(modulesYaml).modules).sort()).toEqual([...SNMP_MODULES].sort());
    expect(Object.keys(parse(authsText).auths).sort()).toEqual([...SNMP_AUTHS].sort());
  });

  it('keeps credentials out of the ConfigMap: the auths come from the ExternalSecret\'s template', () => {
    expect(modulesYaml).not.toMatch(/community|password|username/);
    expect(parse(authsText).auths.helios_v2c.community).toBe(CREDENTIALS.community);
    expect(parse(authsText).auths.helios_v3).toMatchObject({ username: 'helios-v3', password: 'auth-pass: #123', security_level: 'authPriv', auth_protocol: 'SHA', priv_protocol: 'AES' });
  });

  it('starts the exporter on exactly the two files', () => {
    expect(deployment.spec.template.spec.containers[0].args).toEqual([
      '--config.file=/etc/snmp_exporter/modules.yml',
      '--config.file=/etc/snmp_exporter/auths/auths.yml',
      '--web.listen-address=:9116',
    ]);
  });
});

describe('real snmp_exporter with the synthesized config, walking a real snmpd', () => {
  let agent: Awaited<ReturnType<typeof startSnmpd>>;
  let exporter: Awaited<ReturnType<typeof startSnmpExporter>>;
  beforeAll(async () => {
    agent = await startSnmpd(snmpdConfig);
    exporter = await startSnmpExporter([modulesFile, authsFile]);
  });
  afterAll(async () => { await exporter?.stop(); await agent?.stop(); });

  const walk = async (module: string, auth: string, target = agent.target) => {
    const r = await fetch(`${exporter.url}/snmp?target=${target}&module=${module}&auth=${auth}`);
    return { status: r.status, samples: parseExposition(await r.text()) };
  };

  it.each(SNMP_AUTHS)('walks IF-MIB with auth %s: ifHCInOctets per interface, named by ifName', async (auth) => {
    const { status, samples } = await walk('if_mib', auth);
    expect(status).toBe(200);
    const octets = samples.filter((s) => s.name === 'ifHCInOctets');
    expect(octets.length).toBeGreaterThan(0);
    const lo = octets.find((s) => s.labels.ifName === 'lo')!;
    expect(Object.keys(lo.labels).sort()).toEqual(['ifAlias', 'ifIndex', 'ifName']);
    expect(lo.value).toBeGreaterThanOrEqual(0);
    expect(samples.find((s) => s.name === 'ifOperStatus' && s.labels.ifName === 'lo')?.value).toBe(1);
    expect(samples.find((s) => s.name === 'sysUpTime')?.value).toBeGreaterThan(0);
    for (const name of ['ifHCOutOctets', 'ifInErrors', 'ifOutErrors', 'ifInDiscards', 'ifOutDiscards', 'ifAdminStatus', 'ifHighSpeed', 'ifHCInUcastPkts']) {
      expect(samples.filter((s) => s.name === name).length).toBe(octets.length);
    }
  });

  it('walks HOST-RESOURCES with the arista_eos module: the memory areas by name', async () => {
    const { status, samples } = await walk('if_mib,arista_eos', 'helios_v3');
    expect(status).toBe(200);
    const ram = samples.filter((s) => s.name === 'hrStorageSize' && s.labels.hrStorageDescr === 'Physical memory');
    expect(ram).toHaveLength(1);
    expect(samples.find((s) => s.name === 'hrStorageUsed' && s.labels.hrStorageDescr === 'Physical memory')!.value).toBeLessThanOrEqual(ram[0].value);
    expect(samples.some((s) => s.name === 'ifHCInOctets')).toBe(true);
  });

  it.each(['cisco_iosxe', 'juniper_junos', 'paloalto_panos'])('accepts the %s module (the agent has none of its vendor MIB: no series, no error)', async (module) => {
    const { status, samples } = await walk(module, 'helios_v2c');
    expect(status).toBe(200);
    expect(samples.find((s) => s.name === 'snmp_scrape_pdus_returned')).toBeDefined();
  });

  it('fails the scrape of a device that does not answer, so Prometheus records up == 0', async () => {
    const { status } = await walk('if_mib', 'helios_v2c', '127.0.0.1:9');
    expect(status).toBe(500);
  }, 60_000);

  describe('through the synthesized ScrapeConfig, with Prometheus 3.5\'s own target pipeline', () => {
    const device = { device: 'ams1-leaf-01', site: 'ams1', region: 'eu', vendor: 'arista', platform: 'eos', role: 'leaf', tier: 'gold' };
    let targets: PromTarget[];

    beforeAll(() => {
      const sd = scratch('snmp-sd');
      // The Target Generator's format (constructs/platform/targets.ts): the device, its modules and auth, its taxonomy.
      writeScratch(sd, 'snmp-0.json', JSON.stringify([
        { targets: [agent.target], labels: { __param_module: 'if_mib,arista_eos', __param_auth: 'helios_v3', ...device } },
      ]));
      const sc = forTest(scrapeConfig, sd, `127.0.0.1:${exporter.port}`);
      targets = Array.from({ length: SHARDS }, (_, shard) => {
        const config = writeScratch(sd, `prometheus-shard-${shard}.yml`, stringify({ scrape_configs: [operatorScrapeJob(sc, { shards: SHARDS, shard })] }));
        return promTargets(config);
      }).flat();
    });

    it('is kept by exactly one of the shards', () => {
      expect(targets.filter((t) => t.error)).toEqual([]);
      expect(targets.filter((t) => !t.dropped)).toHaveLength(1);
      expect(targets.filter((t) => t.dropped)).toHaveLength(SHARDS - 1);
    });

    it('scrapes the exporter for the device, and every ifHCInOctets series carries the taxonomy', async () => {
      const target = targets.find((t) => !t.dropped)!;
      expect(target.labels).toEqual({ ...device, instance: agent.target, job: 'snmp' });
      const url = new URL(target.url!);
      expect([url.pathname, url.searchParams.get('target'), url.searchParams.get('module'), url.searchParams.get('auth')])
        .toEqual(['/snmp', agent.target, 'if_mib,arista_eos', 'helios_v3']);
      const scraped = parseExposition(await (await fetch(url)).text());
      const stored = scraped.filter((s: Sample) => s.name === 'ifHCInOctets').map((s) => withTargetLabels(s, target.labels!));
      expect(stored.length).toBeGreaterThan(0);
      for (const labels of stored) {
        for (const label of TAXONOMY_LABELS) expect(labels[label]).toBe(device[label]);
        expect(labels).toMatchObject({ job: 'snmp', instance: agent.target });
        expect(labels.ifName).toBeTruthy();
      }
      console.log(`stored as: ifHCInOctets${JSON.stringify(stored[0])}`);
    });
  });
});
