import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { synthesize } from '../../src/synth.js';
import { runSynth } from '../helpers.js';

/**
 * The settings that decide how wide the egress and ingress policies are, and what
 * synth says about a config that leaves alerts or the network open.
 */
const NETBOX_OUTSIDE = 'netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }';
const RECEIVERS = `    alerting:
      slack: { apiUrl: { key: helios/alertmanager, property: slack-webhook-url }, channel: "#netops" }
      email: { to: netops@example.net, from: helios@example.net, smarthost: smtp.example.net:587 }
`;

function cluster(options: { netbox?: string; management?: string; api?: string; extra?: string } = {}): string {
  return `clusters:
  - name: dc1
    datacenter: ams1
    tier: small
    storage: { topology: single-dc-minio }
    managementNetworks: ${options.management ?? '[10.0.0.0/8]'}
${options.api === undefined ? '    kubernetesApiNetworks: [172.20.0.1/32]\n' : options.api}    ${options.netbox ?? NETBOX_OUTSIDE}
${options.extra ?? RECEIVERS}`;
}

function problems(text: string): string[] {
  try {
    parseConfig(text, 'helios.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

const warnings = (text: string) => synthesize(parseConfig(text, 'helios.yaml')).warnings;

describe('netbox.networks', () => {
  it('is required when NetBox is outside the cluster, naming the path and the URL', () => {
    expect(problems(cluster({ netbox: 'netbox: { url: https://netbox.example.net }' }))).toEqual([
      'helios.yaml: clusters[0].netbox.networks: is required because netbox.url "https://netbox.example.net" is outside the cluster'
        + ' (not <service>.<namespace>.svc): list the networks NetBox\'s addresses are in, such as 198.51.100.0/24, so its clients may reach only them (line 8)',
    ]);
  });

  it('is blamed on defaults: when the clusters inherit NetBox from there', () => {
    const text = `defaults:
  netbox: { url: https://netbox.example.net }
clusters:
  - name: dc1
    datacenter: ams1
    tier: small
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    kubernetesApiNetworks: [172.20.0.1/32]
${RECEIVERS}`;
    expect(problems(text)).toEqual([
      'helios.yaml: defaults.netbox.networks: is required because netbox.url "https://netbox.example.net" is outside the cluster'
        + ' (not <service>.<namespace>.svc): list the networks NetBox\'s addresses are in, such as 198.51.100.0/24, so its clients may reach only them'
        + ' (inherited by clusters[0]) (line 2)',
    ]);
  });

  it('is refused for an in-cluster NetBox, whose namespace is selected instead', () => {
    expect(problems(cluster({ netbox: 'netbox: { url: http://netbox.netbox.svc.cluster.local, networks: [10.0.0.0/8] }' }))).toEqual([
      'helios.yaml: clusters[0].netbox.networks: is not used: netbox.url "http://netbox.netbox.svc.cluster.local" is an in-cluster Service,'
        + ' reached by selecting its namespace "netbox"; remove netbox.networks (line 8)',
    ]);
    expect(problems(cluster({ netbox: 'netbox: { url: http://netbox.netbox.svc.cluster.local }' }))).toEqual([]);
  });

  it('is not needed by a cluster that runs no NetBox client (neither flows nor automation)', () => {
    expect(problems(cluster({ netbox: 'netbox: { url: https://netbox.example.net }', extra: `${RECEIVERS}    stacks: { flows: false, automation: false }\n` }))).toEqual([]);
  });
});

describe('managementNetworks', () => {
  it('refuses every address, IPv4 or IPv6, naming the entry and the key that would accept it', () => {
    expect(problems(cluster({ management: '[10.0.0.0/8, 0.0.0.0/0, "::/0"]' }))).toEqual(['0.0.0.0/0', '::/0'].map((cidr, i) => (
      `helios.yaml: clusters[0].managementNetworks[${i + 1}]: "${cidr}" is every address: the collectors could connect anywhere and anyone could send flows to goflow2;`
        + ' list your management networks, or set allowAnyManagementNetwork: true to accept it (line 6)')));
  });

  it('accepts every address with allowAnyManagementNetwork: true, and synth says so', () => {
    const text = cluster({ management: '[0.0.0.0/0]', extra: `${RECEIVERS}    allowAnyManagementNetwork: true\n` });
    expect(problems(text)).toEqual([]);
    expect(warnings(text)).toEqual([
      'helios.yaml: clusters[0].managementNetworks: includes 0.0.0.0/0 (allowAnyManagementNetwork: true): the collectors may connect to any address and any address may send flows to goflow2',
    ]);
  });

  it('are the only sources the goflow2 LoadBalancer admits', () => {
    const service = synthesize(parseConfig(cluster({ management: '[10.0.0.0/8, "2001:db8:100::/48"]' }), 'helios.yaml')).files
      .flatMap((f) => f.objects).find((o) => o.kind === 'Service' && o.metadata.name === 'goflow2') as any;
    expect(service.spec.loadBalancerSourceRanges).toEqual(['10.0.0.0/8', '2001:db8:100::/48']);
  });
});

describe('synth warnings', () => {
  it('name nothing for a config with receivers and narrow networks', () => {
    expect(warnings(cluster())).toEqual([]);
  });

  it('say that alerts reach no one without a receiver, and what to set', () => {
    expect(warnings(cluster({ extra: '' }))).toEqual([
      'helios.yaml: clusters[0].alerting: no receiver is set, so alerts reach no one: critical device alerts such as DeviceUnreachable and BGPSessionDown'
        + ' are dropped silently (Alertmanager shows AlertsHaveNoReceiver); set alerting.pagerduty, alerting.slack or alerting.email',
    ]);
    // A dead man's switch hears Watchdog only: it is no receiver of alerts.
    expect(warnings(cluster({ extra: '    alerting: { deadMansSwitch: { url: { key: helios/alertmanager, property: dms } } }\n' }))).toHaveLength(1);
  });

  it('say that warnings and info reach no one with PagerDuty alone', () => {
    expect(warnings(cluster({ extra: '    alerting: { pagerduty: { routingKey: { key: helios/alertmanager, property: pd } } }\n' }))).toEqual([
      'helios.yaml: clusters[0].alerting: only pagerduty is set, so warning and info alerts reach no one; set alerting.slack or alerting.email',
    ]);
  });

  it('say which components may reach every address on the API ports while kubernetesApiNetworks is left at 0.0.0.0/0', () => {
    expect(warnings(cluster({ api: '' }))).toEqual([
      'helios.yaml: clusters[0].kubernetesApiNetworks: is 0.0.0.0/0, so Prometheus, gnmic, the Kafka entity operator, the Target Generator, the Runbook operator and its executor Jobs'
        + ' may open ports 443 and 6443 to any address; list the API server\'s endpoint addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes)',
    ]);
    expect(warnings(cluster({ api: '', extra: `${RECEIVERS}    stacks: { flows: false, automation: false }\n` }))[0])
      .toContain('is 0.0.0.0/0, so Prometheus and gnmic may open ports 443 and 6443');
  });

  describe('on the command line', () => {
    let work: string;
    beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'helios-warnings-')); });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('go to stderr and synth still succeeds', () => {
      writeFileSync(join(work, 'helios.yaml'), cluster({ api: '', extra: '' }));
      const r = runSynth([], work);
      expect(r.status).toBe(0);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('helios: warning: '));
      expect(lines.map((l) => l.split(': ').slice(2, 4).join(': '))).toEqual([
        'helios.yaml: clusters[0].alerting',
        'helios.yaml: clusters[0].kubernetesApiNetworks',
      ]);
      expect(r.stdout).not.toContain('warning');
    });

    it('are absent when there is nothing to say', () => {
      writeFileSync(join(work, 'helios.yaml'), cluster());
      const r = runSynth([], work);
      expect(r.status).toBe(0);
      expect(r.stderr).not.toContain('warning');
    });
  });
});
