import { EMBEDDED_DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { parseConfig, type HeliosConfig } from '../../src/config/load.js';
import { cidrProblem } from '../../src/config/rules.js';
import { problemsOf } from '../helpers.js';

const NETBOX = 'netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }';

function cluster(extra: string, name = 'dc1', storage = '{ topology: single-dc-minio }'): string {
  return `  - name: ${name}
    datacenter: ${name}
    tier: medium
    storage: ${storage}
    managementNetworks: [10.0.0.0/8]
    ${NETBOX}
${extra.split('\n').filter(Boolean).map((l) => `    ${l}`).join('\n')}
`;
}

describe('the embedded default', () => {
  it('is one medium cluster with its own MinIO and sensible defaults filled in', () => {
    const config: HeliosConfig = parseConfig(EMBEDDED_DEFAULT_CONFIG, '(embedded default)');
    expect(config.clusters).toHaveLength(1);
    const [c] = config.clusters;
    expect(c).toMatchObject({ name: 'helios', datacenter: 'dc1', tier: 'medium', storage: { topology: 'single-dc-minio', bucket: 'helios-metrics' } });
    expect(c.role).toEqual({ globalQuery: false, compactor: true });
    expect(c.secretStore).toEqual({ name: 'vault', kind: 'ClusterSecretStore' });
    expect(c.stacks).toEqual({ metrics: true, flows: true, automation: true, federation: false });
    expect(c.netbox.token).toEqual({ key: 'helios/netbox', property: 'token' });
  });
});

describe('config errors name the file, the path, the bad value and what is allowed', () => {
  it.each([
    ['alerting: { runbookBaseUrl: "ftp://mirror.example.net/helios" }', 'clusters[0].alerting.runbookBaseUrl: "ftp://mirror.example.net/helios"'],
    ['alerting: { deadMansSwitch: { url: "https://hc-ping.example.net/secret-token" } }', 'clusters[0].alerting.deadMansSwitch.url: expected a secret reference'],
    ['allowAnyManagementNetwork: "yes"', 'clusters[0].allowAnyManagementNetwork: expected boolean, got "yes"'],
  ])('rejects the new alerting and network keys with a wrong value: %s', (extra, message) => {
    const problems = problemsOf(`clusters:\n${cluster(extra)}`);
    expect(problems.join('\n')).toContain(`helios.yaml: ${message}`);
    expect(problems.join('\n')).not.toContain('secret-token');
  });

  it('rejects an unknown tier', () => {
    const problems = problemsOf(`clusters:\n${cluster('').replace('tier: medium', 'tier: huge')}`);
    expect(problems).toEqual(['helios.yaml: clusters[0].tier: "huge" is not one of small, medium, large, xl (line 4)']);
  });

  it('rejects a management network that is not a CIDR', () => {
    const problems = problemsOf(`clusters:\n${cluster('').replace('[10.0.0.0/8]', '[10.0.0.0/8, 10.300.0.0/16]')}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^helios\.yaml: clusters\[0\]\.managementNetworks\[1\]: "10\.300\.0\.0\/16" is not a CIDR: "10\.300\.0\.0" is not an IPv4 or IPv6 address/);
  });

  it('explains a prefix length out of range and host bits set', () => {
    expect(cidrProblem('10.0.0.0/33')).toBe('is not a CIDR: the prefix length must be 0 to 32 for IPv4');
    expect(cidrProblem('10.1.2.3/8')).toBe('is not a CIDR: it has host bits set; did you mean 10.0.0.0/8?');
    expect(cidrProblem('2001:db8::1/32')).toBe('is not a CIDR: it has host bits set; did you mean 2001:db8::/32?');
    expect(cidrProblem('10.0.0.0')).toMatch(/write an address and a prefix length/);
    expect(cidrProblem('2001:db8:100::/48')).toBeUndefined();
    expect(cidrProblem('0.0.0.0/0')).toBeUndefined();
  });

  it('lists the allowed keys when a key is unknown', () => {
    const problems = problemsOf(`clusters:\n${cluster('teir: large')}`);
    expect(problems[0]).toMatch(/^helios\.yaml: clusters\[0\]: unknown key "teir"; allowed: name, datacenter, region, tier, storage, role/);
  });

  it('refuses a secret written as a value instead of a reference', () => {
    const problems = problemsOf(`clusters:\n${cluster('alerting:\n  pagerduty:\n    routingKey: 0123456789abcdef')}`);
    expect(problems).toEqual([
      'helios.yaml: clusters[0].alerting.pagerduty.routingKey: expected a secret reference { key, property } in the secret store; secret values never go in helios.yaml; got a string (not shown) (line 10)',
    ]);
  });

  it('reports every problem at once, not the first only', () => {
    const problems = problemsOf(`clusters:\n${cluster('').replace('tier: medium', 'tier: tiny').replace('single-dc-minio', 'nfs')}`);
    expect(problems).toEqual([
      expect.stringContaining('clusters[0].tier: "tiny" is not one of small, medium, large, xl'),
      expect.stringContaining('clusters[0].storage.topology: "nfs" is not one of single-dc-minio, multi-dc-minio, cloud-s3, hybrid'),
    ]);
  });

  it('points at the line of invalid YAML', () => {
    expect(problemsOf('clusters:\n  - name: [unclosed\n')[0]).toMatch(/^helios\.yaml:3:1: not valid YAML/);
  });

  it('requires at least one cluster', () => {
    expect(problemsOf('clusters: []')).toEqual(['helios.yaml: clusters: must list at least one cluster (line 1)']);
  });
});

describe('defaults', () => {
  it('merge under each cluster, objects key by key, the cluster winning', () => {
    const config = parseConfig(`defaults:
  managementNetworks: [10.0.0.0/8]
  ${NETBOX}
  alerting:
    slack: { apiUrl: { key: a/b }, channel: "#noc" }
clusters:
  - name: dc1
    datacenter: dc1
    tier: small
    storage: { topology: single-dc-minio }
  - name: dc2
    datacenter: dc2
    tier: large
    storage: { topology: single-dc-minio }
    managementNetworks: [172.16.0.0/12]
    alerting:
      slack: { channel: "#dc2" }
`, 'helios.yaml');
    expect(config.clusters.map((c) => c.managementNetworks)).toEqual([['10.0.0.0/8'], ['172.16.0.0/12']]);
    expect(config.clusters[1].alerting.slack).toEqual({ apiUrl: { key: 'a/b' }, channel: '#dc2' });
  });

  it('are blamed for the bad values they pass on', () => {
    const problems = problemsOf(`defaults:
  tier: jumbo
  managementNetworks: [10.0.0.0/8]
  ${NETBOX}
clusters:
  - { name: dc1, datacenter: dc1, storage: { topology: single-dc-minio } }
`);
    expect(problems).toEqual(['helios.yaml: defaults.tier: "jumbo" is not one of small, medium, large, xl (inherited by clusters[0]) (line 2)']);
  });

  it('cannot set a cluster\'s identity', () => {
    expect(problemsOf(`defaults:\n  name: x\nclusters:\n${cluster('')}`)[0]).toMatch(/^helios\.yaml: defaults\.name: unknown key "name"; allowed: tier, storage/);
  });
});

describe('fleet rules', () => {
  it('wants unique cluster names', () => {
    expect(problemsOf(`clusters:\n${cluster('')}${cluster('')}`)).toEqual([
      'helios.yaml: clusters[1].name: "dc1" is already the name of clusters[0]; cluster names must be unique (line 9)',
    ]);
  });

  it('allows one global query', () => {
    const hub = 'role: { globalQuery: true }\nstacks: { federation: true }';
    expect(problemsOf(`clusters:\n${cluster(hub, 'a')}${cluster(hub, 'b')}`)).toEqual([
      expect.stringContaining('helios.yaml: clusters[1].role.globalQuery: true, but clusters[0] (a) already hosts the global query; exactly one cluster may'),
    ]);
  });

  it('wants exactly one compactor per shared bucket', () => {
    const eu = '{ topology: multi-dc-minio, replicationGroup: eu, site: { url: "https://minio.example.net", networks: [192.0.2.0/28] } }';
    const none = `clusters:\n${cluster('', 'a', eu)}${cluster('', 'b', eu)}`;
    expect(problemsOf(none)).toEqual([
      expect.stringContaining('clusters[0].role.compactor: minio-replication-group://eu/helios-metrics is written by a, b but compacted by none of them; set role.compactor: true on exactly one'),
    ]);
    const two = `clusters:\n${cluster('role: { compactor: true }', 'a', eu)}${cluster('role: { compactor: true }', 'b', eu)}`;
    expect(problemsOf(two)).toEqual([
      expect.stringContaining('clusters[1].role.compactor: true, but clusters[0] (a) already compacts minio-replication-group://eu/helios-metrics; exactly one compactor may run per bucket'),
    ]);
    const one = parseConfig(`clusters:\n${cluster('role: { compactor: true }', 'a', eu)}${cluster('', 'b', eu)}`, 'helios.yaml');
    expect(one.clusters.map((c) => c.role.compactor)).toEqual([true, false]);
  });

  it('needs S3 settings for cloud-s3', () => {
    expect(problemsOf(`clusters:\n${cluster('').replace('single-dc-minio', 'cloud-s3')}`)).toEqual([
      expect.stringContaining('clusters[0].storage.s3: is required for topology cloud-s3'),
    ]);
  });
});
