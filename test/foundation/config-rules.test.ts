import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { cronScheduleProblem } from '../../constructs/automation/cron-schedule.js';
import { endpointPort } from '../../constructs/metrics/object-store.js';
import { parseConfig } from '../../src/config/load.js';
import { bucketNameProblem, cidrProblem, dnsSubdomainProblem, hostPortProblem, redactUrls, urlProblem } from '../../src/config/rules.js';
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT } from '../../src/write.js';
import { problemsOf, runSynth, treeDigest } from '../helpers.js';

/** One cloud-s3 cluster; `extra` lines go under it, `s3` replaces storage.s3's fields. */
function config(extra = '', s3: Record<string, string> = {}): string {
  const fields = { endpoint: 's3.eu-central-1.amazonaws.com', region: 'eu-central-1', bucket: 'helios-metrics', ...s3 };
  return `clusters:
  - name: dc1
    datacenter: dc1
    tier: small
    managementNetworks: [10.0.0.0/8]
    netbox: { url: "https://netbox.example.net", networks: [198.51.100.0/24] }
    storage:
      topology: cloud-s3
      s3:
        endpoint: ${JSON.stringify(fields.endpoint)}
        region: ${JSON.stringify(fields.region)}
        bucket: ${JSON.stringify(fields.bucket)}
        accessKey: { key: helios/s3, property: access-key }
        secretKey: { key: helios/s3, property: secret-key }
${extra.split('\n').filter(Boolean).map((l) => `    ${l}`).join('\n')}
`;
}

const schedule = (s: string) => config(`automation: { targetGenerator: { schedule: ${JSON.stringify(s)} } }`);

describe('CronJob schedules are checked as Kubernetes parses them (robfig/cron ParseStandard)', () => {
  it.each([
    '*/5 * * * *', '0 6 * * MON-FRI', '0 6 * * mon-fri', '0 0 1 jan,JUL ?', '5/15 * * * *', '0-30/10 8-18 * * 1-5', '*/100 * * * *',
    '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@every 90s', '@every 1h30m', '0\t6 * * *',
  ])('accepts %j', (s) => {
    expect(cronScheduleProblem(s)).toBeUndefined();
    expect(parseConfig(schedule(s), 'helios.yaml').clusters[0].automation.targetGenerator.schedule).toBe(s);
  });

  it.each([
    ['61 * * * *', 'minute "61": 61 is above 59 (allowed: 0-59)'],
    ['*/0 * * * *', 'minute "*/0": the step of "*/0" is 0; a step must be 1 or more'],
    ['* 24 * * *', 'hour "24": 24 is above 23 (allowed: 0-23)'],
    ['* * 0 * *', 'day of month "0": 0 is below 1 (allowed: 1-31)'],
    ['* * * 13 *', 'month "13": 13 is above 12 (allowed: 1-12)'],
    ['* * * * 7', 'day of week "7": 7 is above 6 (allowed: 0-6)'],
    ['* * * * MON-FRY', 'day of week "MON-FRY": "FRY" is not a number'],
    ['30-10 * * * *', 'minute "30-10": the range 30-10 runs backwards'],
    ['1-2-3 * * * *', 'minute "1-2-3": too many hyphens in "1-2-3"'],
    ['*/5/2 * * * *', 'minute "*/5/2": too many slashes in "*/5/2"'],
    ['*/5 * * *', 'expected exactly 5 fields, found 4'],
    ['0 0 * * * *', 'expected exactly 5 fields, found 6'],
    ['@DAILY', '"@DAILY" is not a schedule macro'],
    ['@every 5', '"5" is not a duration such as 90s, 15m or 1h30m'],
    ['', 'it is empty'],
  ])('refuses %j: %s', (s, why) => {
    const [problem] = problemsOf(schedule(s));
    expect(problem).toContain(`helios.yaml: clusters[0].automation.targetGenerator.schedule: ${JSON.stringify(s)} is not a Kubernetes CronJob schedule: ${why}`);
    expect(problem).toContain('write five fields "minute hour day-of-month month day-of-week"');
  });

  it('refuses a time zone in the schedule, as the API server does', () => {
    expect(problemsOf(schedule('CRON_TZ=Europe/Berlin 0 6 * * *'))[0]).toContain('names a time zone (TZ= or CRON_TZ=), which Kubernetes refuses in a CronJob schedule');
  });
});

describe('S3 settings are checked by S3\'s and Thanos\'s rules', () => {
  it.each([
    ['https://s3.example.net', 'has a scheme; write host or host:port without a scheme'],
    ['s3.example.net:99999', 'has port "99999"; a port is a number from 1 to 65535'],
    ['s3.example.net:0', 'has port "0"; a port is a number from 1 to 65535'],
    ['2001:db8::1', 'is an IPv6 address without brackets'],
    ['[10.0.0.1]:9000', '"[10.0.0.1]" is not a DNS name, an IPv4 address or an IPv6 address in brackets'],
    ['s3.example.net/bucket', '"s3.example.net/bucket" is not a DNS name'],
  ])('refuses endpoint %j', (endpoint, why) => {
    const [problem] = problemsOf(config('', { endpoint }));
    expect(problem.startsWith(`helios.yaml: clusters[0].storage.s3.endpoint: ${JSON.stringify(endpoint)} `)).toBe(true);
    expect(problem).toContain(why);
  });

  it('accepts an IPv6 endpoint in brackets, and its port reaches the egress policy', () => {
    const c = parseConfig(config('', { endpoint: '[2001:db8::10]:9443' }), 'helios.yaml');
    expect(c.clusters[0].storage.s3?.endpoint).toBe('[2001:db8::10]:9443');
    expect(endpointPort('[2001:db8::10]:9443')).toBe(9443);
    expect(hostPortProblem('10.1.2.3:9000', false)).toBeUndefined();
    expect(hostPortProblem('minio.storage.svc', false)).toBeUndefined();
  });

  it.each(['Bad..Bucket', 'a..b', '192.168.1.1', 'xn--bucket', 'sthree-x', 'data-s3alias', 'data--ol-s3', 'ab', 'x'.repeat(64), '-dash', 'dot.', 'under_score'])(
    'refuses bucket %j', (bucket) => {
      expect(bucketNameProblem(bucket)).toMatch(/^is not a valid S3 bucket name: use 3-63 lowercase letters/);
      expect(problemsOf(config('', { bucket }))[0]).toContain(`helios.yaml: clusters[0].storage.s3.bucket: ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    });

  it('applies the same bucket rules to the MinIO bucket', () => {
    expect(problemsOf(config('').replace('topology: cloud-s3', 'topology: hybrid\n      bucket: Metrics'))[0])
      .toContain('clusters[0].storage.bucket: "Metrics" is not a valid S3 bucket name');
    expect(bucketNameProblem('helios.metrics-2')).toBeUndefined();
  });

  it('refuses a region with characters that could break the setup script', () => {
    expect(problemsOf(config('', { region: 'eu" ; rm -rf / ;"' }))[0]).toContain('clusters[0].storage.s3.region: "eu\\" ; rm -rf / ;\\"" is not a region name');
  });
});

describe('hosts', () => {
  it('wants grafana.database.host bare, an IPv6 address in brackets (Grafana appends the port)', () => {
    const db = (host: string) => config(`grafana: { database: { host: ${JSON.stringify(host)}, password: { key: helios/grafana }, networks: [10.12.0.0/24] } }`);
    expect(parseConfig(db('[2001:db8::5]'), 'helios.yaml').clusters[0].grafana.database?.host).toBe('[2001:db8::5]');
    expect(parseConfig(db('pg.example.net'), 'helios.yaml').clusters[0].grafana.database?.host).toBe('pg.example.net');
    expect(problemsOf(db('2001:db8::5'))[0]).toContain('clusters[0].grafana.database.host: "2001:db8::5" is an IPv6 address without brackets');
    expect(problemsOf(db('pg.example.net:5432'))[0]).toContain('clusters[0].grafana.database.host: "pg.example.net:5432" is not a host name or address, such as db.example.net, 10.0.0.5 or [2001:db8::5] (no scheme, no port: the port has its own field)');
  });
});

describe('Kubernetes names', () => {
  it('wants the GeoIP StorageClass to be a DNS subdomain', () => {
    expect(problemsOf(config('flows: { geoipStorageClass: Fast_SSD }'))[0])
      .toContain('helios.yaml: clusters[0].flows.geoipStorageClass: "Fast_SSD" is not a Kubernetes object name (DNS subdomain)');
    expect(dnsSubdomainProblem('nfs.csi-rwx')).toBeUndefined();
    expect(dnsSubdomainProblem(`${'a'.repeat(64)}.x`)).toBeDefined();
    expect(parseConfig(config('flows: { geoipStorageClass: nfs.csi-rwx }'), 'helios.yaml').clusters[0].flows.geoipStorageClass).toBe('nfs.csi-rwx');
  });
});

describe('networks', () => {
  it('never throws, refusing zone ids and reading embedded IPv4 and upper case', () => {
    expect(cidrProblem('fe80::%eth0/64')).toMatch(/^is not a CIDR: "fe80::%eth0" has a zone id/);
    expect(cidrProblem('::ffff:10.0.0.0/104')).toBeUndefined();
    expect(cidrProblem('::ffff:10.0.0.1/104')).toBe('is not a CIDR: it has host bits set; did you mean ::ffff:a00:0/104?');
    expect(cidrProblem('2001:DB8::/32')).toBeUndefined();
    expect(cidrProblem('1::2::3/64')).toMatch(/is not an IPv4 or IPv6 address/);
    expect(cidrProblem('010.0.0.0/8')).toMatch(/is not an IPv4 or IPv6 address/);
    expect(cidrProblem('10.0.0.0/08')).toBe('is not a CIDR: the prefix length must be 0 to 32 for IPv4');
    for (const bad of ['::%/0', ':/1', '1:2:3:4:5:6:7:8:9/128', '::ffff:1.2.3/96', 'g::/16', '[::]/0', '1.2.3.4.5/32', '/', '%/%']) {
      expect(() => cidrProblem(bad)).not.toThrow();
      expect(cidrProblem(bad)).toMatch(/^is not a CIDR/);
    }
  });

  it('reads addresses exactly as node:net does (zone ids aside), and never throws', () => {
    const group = fc.oneof(fc.constantFrom('', '0', 'ffff', 'db8', '2001', '1.2.3.4', '10.0.0.1', '00000', '256.1.1.1'), fc.stringMatching(/^[0-9a-fA-F]{0,5}$/));
    const address = fc.oneof(fc.stringMatching(/^[0-9a-fA-F:.]{0,40}$/), fc.array(group, { maxLength: 10 }).map((g) => g.join(':')));
    fc.assert(fc.property(address, fc.nat({ max: 130 }), (a, prefix) => {
      const problem = cidrProblem(`${a}/${prefix}`);
      expect(problem === undefined || !problem.includes('is not an IPv4 or IPv6 address')).toBe(isIP(a) !== 0);
    }), { seed: 7, numRuns: 5_000 });
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (s) => {
      expect(() => cidrProblem(s)).not.toThrow();
      expect(() => cronScheduleProblem(s)).not.toThrow();
      expect(() => hostPortProblem(s, false)).not.toThrow();
      expect(() => urlProblem(s)).not.toThrow();
    }), { seed: 7, numRuns: 5_000 });
  });

  it('refuses a zone-id CIDR before it reaches a NetworkPolicy', () => {
    expect(problemsOf(config('kubernetesApiNetworks: ["fe80::%eth0/64"]'))).toEqual([
      expect.stringContaining('helios.yaml: clusters[0].kubernetesApiNetworks[0]: "fe80::%eth0/64" is not a CIDR: "fe80::%eth0" has a zone id'),
    ]);
  });
});

describe('URLs carry no credentials', () => {
  const PASSWORD = 's3cr3t-Pa55';

  it.each([
    ['netbox.url', `netbox: { url: "https://admin:${PASSWORD}@netbox.example.net", networks: [198.51.100.0/24] }`, 'clusters[0].netbox.url'],
    ['grafana.url', `grafana: { url: "https://admin:${PASSWORD}@grafana.example.net" }`, 'clusters[0].grafana.url'],
    ['secretStore.vault.server', `secretStore: { vault: { server: "https://:${PASSWORD}@vault.example.net", role: helios } }`, 'clusters[0].secretStore.vault.server'],
  ])('refuses user information in %s, pointing to the secret store, never showing the password', (_, line, path) => {
    const text = line.startsWith('netbox') ? config().replace('netbox: { url: "https://netbox.example.net", networks: [198.51.100.0/24] }', line) : config(line);
    const problems = problemsOf(text);
    expect(problems).toEqual([expect.stringContaining(`helios.yaml: ${path}: "https://<credentials>@`)]);
    expect(problems[0]).toContain('has a user name or password in it, which would be written into ConfigMaps in clear');
    expect(problems[0]).toContain('keep credentials in the secret store');
    expect(problems.join('\n')).not.toContain(PASSWORD);
  });

  it('never shows a password, whatever field the URL is put in', () => {
    const problems = problemsOf(config(`tier: "https://u:${PASSWORD}@x.example.net"\nhttps://u:${PASSWORD}@y.example.net: 1`));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).not.toContain(PASSWORD);
    expect(redactUrls(`see https://u:${PASSWORD}@h/x and http://h2`)).toBe('see https://<credentials>@h/x and http://h2');
  });

  it('still accepts and explains plain URLs', () => {
    expect(urlProblem('https://netbox.example.net:8443/api')).toBeUndefined();
    expect(urlProblem('ftp://x')).toBe('is not an http:// or https:// URL');
    // Port 0 parses as a URL but no connection can be made to it (nor a NetworkPolicy written).
    expect(urlProblem('https://netbox.example.net:0')).toBe('has port 0; a port is a number from 1 to 65535');
    expect(urlProblem('netbox')).toMatch(/^is not a URL/);
  });
});

describe('values the constructs used to refuse with a stack trace', () => {
  it('refuses secretStore.kind SecretStore together with vault', () => {
    expect(problemsOf(config('secretStore: { kind: SecretStore, vault: { server: "https://vault.example.net", role: helios } }'))).toEqual([
      expect.stringContaining('helios.yaml: clusters[0].secretStore.kind: "SecretStore" is refused together with vault: Helios creates the store itself, and only as a ClusterSecretStore'),
    ]);
  });

  it('refuses "{{" in alerting text that goes into Alertmanager\'s ESO template', () => {
    expect(problemsOf(config('alerting: { email: { to: noc@example.net, from: am@example.net, smarthost: "smtp.example.net:587", username: "{{ .x }}" } }'))).toEqual([
      expect.stringContaining('helios.yaml: clusters[0].alerting.email.username: "{{ .x }}" contains "{{", which the External Secrets Operator would read as a template action'),
    ]);
    expect(problemsOf(config('alerting: { email: { to: noc@example.net, from: am@example.net, smarthost: "{{smtp}}:25" } }'))[0])
      .toContain('clusters[0].alerting.email.smarthost: "{{smtp}}:25" is not host:port');
  });

});

describe('YAML features', () => {
  it('refuses a YAML alias bomb with a clear message', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    lines.push('clusters: *l');
    expect(problemsOf(lines.join('\n'))).toEqual([
      expect.stringMatching(/^helios\.yaml: \(top level\): not a usable YAML document: .*Helios allows YAML aliases \(\*name\) that expand to at most 100 nodes each$/),
    ]);
  });

  it('refuses an alias to a mapping that contains it', () => {
    expect(problemsOf('defaults: &d { flows: *d }\nclusters: [{ name: a }]')).toEqual([
      'helios.yaml: defaults.flows: is a YAML alias (*name) to a mapping or list that contains it; a config must be a tree, so write the settings out or alias something outside it (line 1)',
    ]);
  });

  it('refuses a __proto__ key, which would otherwise vanish unseen', () => {
    expect(problemsOf(config('__proto__: { tier: xl }'))).toEqual(['helios.yaml: clusters[0]: unknown key "__proto__" (line 2)']);
  });

  it('names what YAML tags and YAML 1.1 scalars made of a value', () => {
    expect(problemsOf('%YAML 1.1\n---\nclusters:\n  - name: 2001-12-14\n')[0])
      .toBe('helios.yaml: clusters[0].name: expected string, got the timestamp 2001-12-14T00:00:00.000Z (quote it to write a string) (line 4)');
    expect(problemsOf('clusters:\n  - name: !!binary aGVsbG8=\n')[0]).toBe('helios.yaml: clusters[0].name: expected string, got binary data (!!binary) (line 2)');
    expect(problemsOf('clusters:\n  - name: !!set {a, b}\n')[0]).toBe('helios.yaml: clusters[0].name: expected string, got a set (!!set) (line 2)');
    expect(problemsOf('clusters: !!omap [a: 1]\n')[0]).toBe('helios.yaml: clusters: expected array, got an ordered mapping (!!omap) (line 1)');
  });

  it('quotes keys that are not plain words in paths', () => {
    expect(problemsOf(config('": odd key": 1'))[0]).toMatch(/^helios\.yaml: clusters\[0\]: unknown key ": odd key"/);
    expect(problemsOf(`defaults:\n  "a b": 1\n${config().replace('clusters:\n', 'clusters:\n')}`)[0]).toMatch(/^helios\.yaml: defaults\["a b"\]: unknown key "a b"/);
  });
});

describe('npm run synth refuses each class with exit 1 and leaves the previous output as it was', () => {
  let work: string;
  let dist: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'helios-config-rules-'));
    dist = join(work, 'dist');
    mkdirSync(join(dist, 'dc1'), { recursive: true });
    writeFileSync(join(dist, 'dc1', 'previous.yaml'), 'kind: Previous\n');
    writeFileSync(join(dist, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each([
    ['an endpoint with a scheme', config('', { endpoint: 'https://s3.example.net' }), 'clusters[0].storage.s3.endpoint: "https://s3.example.net" has a scheme'],
    ['an endpoint port out of range', config('', { endpoint: 's3.example.net:70000' }), 'clusters[0].storage.s3.endpoint: "s3.example.net:70000" has port "70000"; a port is a number from 1 to 65535'],
    ['an IPv6 endpoint without brackets', config('', { endpoint: '2001:db8::1' }), 'clusters[0].storage.s3.endpoint: "2001:db8::1" is an IPv6 address without brackets'],
    ['a SecretStore with vault', config('secretStore: { kind: SecretStore, vault: { server: "https://vault.example.net", role: helios } }'), 'clusters[0].secretStore.kind: "SecretStore" is refused together with vault'],
    ['"{{" in alerting', config('alerting: { email: { to: noc@example.net, from: am@example.net, smarthost: "smtp.example.net:25", username: "{{x}}" } }'), 'clusters[0].alerting.email.username: "{{x}}" contains "{{"'],
    ['a zone-id CIDR', config('kubernetesApiNetworks: ["fe80::%eth0/64"]'), 'clusters[0].kubernetesApiNetworks[0]: "fe80::%eth0/64" is not a CIDR: "fe80::%eth0" has a zone id'],
    ['an alias bomb', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nclusters: *c\n', '(top level): not a usable YAML document'],
    ['minute 61', schedule('61 * * * *'), 'clusters[0].automation.targetGenerator.schedule: "61 * * * *" is not a Kubernetes CronJob schedule: minute "61": 61 is above 59'],
    ['a bucket that breaks S3\'s rules', config('', { bucket: 'my..bucket' }), 'clusters[0].storage.s3.bucket: "my..bucket" is not a valid S3 bucket name'],
    ['a StorageClass that is not a DNS subdomain', config('flows: { geoipStorageClass: RWX_Files }'), 'clusters[0].flows.geoipStorageClass: "RWX_Files" is not a Kubernetes object name'],
    ['a URL with credentials', config().replace('https://netbox.example.net', 'https://admin:hunter22@netbox.example.net'), 'clusters[0].netbox.url: "https://<credentials>@netbox.example.net" has a user name or password in it'],
  ])('%s', (_, text, message) => {
    const file = join(work, 'helios.yaml');
    writeFileSync(file, text);
    const before = treeDigest(dist);
    const r = runSynth(['--config', file, '--out', dist], work);
    expect(r.stderr).toContain(`${file}: ${message}`);
    expect(r.stderr).toContain(`${dist}/ is unchanged`);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stderr).not.toContain('hunter22');
    expect(r.status).toBe(1);
    expect(treeDigest(dist)).toBe(before);
    expect(readdirSync(work).sort()).toEqual(['dist', 'helios.yaml']);
  });
});
