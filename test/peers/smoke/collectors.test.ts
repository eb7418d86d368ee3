import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  amtool, gnmic, promtool, scratch, startBlackboxExporter, startGnmiTarget, startSnmpd, startSnmpExporter, writeScratch,
} from '../harness/network-peers.js';
import { peerData } from '../harness/paths.js';

describe('gnmic and a gNMI target (gnxi gnmi_target)', () => {
  let target: Awaited<ReturnType<typeof startGnmiTarget>>;
  beforeAll(async () => { target = await startGnmiTarget(); });
  afterAll(async () => { await target?.stop(); });

  it('gets an interface counter path', () => {
    const r = gnmic(['-a', target.address, '--insecure', '-u', 'admin', '-p', 'admin', '--format', 'json', 'get',
      '--path', '/interfaces/interface[name=Ethernet1]/state/counters/in-octets']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const [response] = JSON.parse(r.stdout);
    expect(JSON.stringify(response.updates)).toContain('1000000');
  });
});

describe('snmp_exporter scraping snmpd', () => {
  let agent: Awaited<ReturnType<typeof startSnmpd>>;
  let exporter: Awaited<ReturnType<typeof startSnmpExporter>>;
  beforeAll(async () => {
    agent = await startSnmpd();
    exporter = await startSnmpExporter([peerData('snmp_exporter', 'snmp.yml')]);
  });
  afterAll(async () => { await exporter?.stop(); await agent?.stop(); });

  it('walks IF-MIB and exposes ifHCInOctets per interface', async () => {
    const body = await (await fetch(`${exporter.url}/snmp?target=${agent.target}&module=if_mib&auth=public_v2`)).text();
    expect(body).toMatch(/^ifHCInOctets\{ifAlias="[^"]*",ifDescr="lo",ifIndex="1",ifName="lo"\} \d+/m);
    expect(body).toMatch(/^snmp_scrape_pdus_returned\{module="if_mib"\} [1-9]\d*/m);
  });
});

describe('blackbox_exporter', () => {
  let exporter: Awaited<ReturnType<typeof startBlackboxExporter>>;
  let web: Server;
  beforeAll(async () => {
    exporter = await startBlackboxExporter(peerData('blackbox_exporter', 'blackbox.yml'));
    web = createServer((_, res) => res.end('ok')).listen(0, '127.0.0.1');
    await new Promise((r) => web.once('listening', r));
  });
  afterAll(async () => { await exporter?.stop(); web?.close(); });

  it('probes a local HTTP server', async () => {
    const { port } = web.address() as AddressInfo;
    const body = await (await fetch(`${exporter.url}/probe?module=http_2xx&target=http://127.0.0.1:${port}/`)).text();
    expect(body).toMatch(/^probe_success 1$/m);
    expect(body).toMatch(/^probe_http_status_code 200$/m);
    const closed = await (await fetch(`${exporter.url}/probe?module=http_2xx&target=http://127.0.0.1:1/`)).text();
    expect(closed).toMatch(/^probe_success 0$/m);
  });
});

describe('promtool and amtool', () => {
  const dir = scratch('tools');

  it('promtool checks a rules file and rejects a broken one', () => {
    const good = writeScratch(dir, 'good.yml', 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n        for: 1m\n');
    expect(promtool(['check', 'rules', good]).status).toBe(0);
    const bad = writeScratch(dir, 'bad.yml', 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up ==\n');
    const r = promtool(['check', 'rules', bad]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/parse error/);
  });

  it('amtool tests a route', () => {
    const config = writeScratch(dir, 'am.yml', `route:
  receiver: default
  routes:
    - receiver: pager
      matchers: [severity="critical"]
receivers:
  - name: default
  - name: pager
`);
    expect(amtool(['check-config', config]).status).toBe(0);
    expect(amtool(['config', 'routes', 'test', `--config.file=${config}`, '--verify.receivers=pager', 'severity=critical']).status).toBe(0);
    const wrong = amtool(['config', 'routes', 'test', `--config.file=${config}`, '--verify.receivers=pager', 'severity=warning']);
    expect(wrong.status).not.toBe(0);
  });
});
