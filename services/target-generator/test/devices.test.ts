import { records } from './helpers.js';
import { NetBoxFake } from './netbox-fake.js';
import { CUSTOM_FIELD_DEFAULTS, parseDevice, regionsBySite } from '../src/netbox/devices.js';

/** NetBox devices as the fake serves them (the fake's own tests hold them to NetBox's document). */
function one(spec: Parameters<NetBoxFake['addDevice']>[0], region = 'europe') {
  const fake = NetBoxFake.offline();
  fake.addSite(spec.site, region);
  fake.addDevice(spec);
  const { devices, sites } = records(fake);
  return parseDevice(devices[0], regionsBySite(sites));
}

describe('a NetBox device as a monitored device', () => {
  it('takes the taxonomy from the device, its type, role, platform and its site\'s region, and the defaults of empty fields', () => {
    const { device, problems } = one({ name: 'AMS1-Leaf-01', site: 'ams1', role: 'leaf', manufacturer: 'arista', platform: 'eos', primaryIp: '10.1.2.3/24' });
    expect(problems).toEqual([]);
    expect(device).toEqual({
      id: expect.any(Number),
      name: 'AMS1-Leaf-01',
      address: '10.1.2.3',
      taxonomy: { device: 'AMS1-Leaf-01', site: 'ams1', region: 'europe', vendor: 'arista', platform: 'eos', role: 'leaf', tier: 'standard' },
      gnmi: { port: 57400, subscriptions: ['interfaces', 'system', 'platform'] },
      snmp: { modules: ['if_mib'], auth: 'helios_v3' },
      probes: ['icmp'],
      metricsPort: undefined,
    });
    expect(CUSTOM_FIELD_DEFAULTS.gnmi_port).toBe(57400);
  });

  it('reads every custom field: ports, profile, modules (a list or comma-separated text), auth, probes, tier', () => {
    const { device, problems } = one({
      name: 'edge1', site: 'fra1', manufacturer: 'juniper', platform: null, primaryIp: '2001:db8::1/64',
      customFields: {
        gnmi_port: 32767, telemetry_profile: 'routing', snmp_module: 'juniper_junos, if_mib', snmp_auth: 'helios_v2c',
        blackbox_probes: ['tcp_connect', 'icmp', 'icmp'], monitoring_tier: 'critical', metrics_port: 9100,
      },
    }, 'europe-central');
    expect(problems).toEqual([]);
    expect(device).toMatchObject({
      address: '2001:db8::1',
      taxonomy: { vendor: 'juniper', platform: '', region: 'europe-central', tier: 'critical' },
      gnmi: { port: 32767, subscriptions: ['interfaces', 'system', 'platform', 'bgp'] },
      snmp: { modules: ['if_mib', 'juniper_junos'], auth: 'helios_v2c' },
      probes: ['icmp', 'tcp_connect'],
      metricsPort: 9100,
    });
  });

  it('turns off gNMI, SNMP and probes when the fields say so', () => {
    const { device } = one({ name: 'oob1', site: 'ams1', customFields: { helios_gnmi: false, helios_snmp: false, blackbox_probes: [] } });
    expect(device?.gnmi).toBeUndefined();
    expect(device?.snmp).toBeUndefined();
    expect(device?.probes).toEqual([]);
  });

  it('leaves out only the target set a bad field governs, saying which field, value and what is allowed', () => {
    const { device, problems } = one({
      name: 'leaf9', site: 'ams1',
      customFields: { gnmi_port: 70000, snmp_auth: 'public', blackbox_probes: ['icmp', 'ping'], metrics_port: '9100', telemetry_profile: 'gold' },
    });
    expect(device).toMatchObject({ name: 'leaf9', gnmi: undefined, snmp: undefined, probes: [], metricsPort: undefined });
    expect(problems.map((p) => [p.field, p.message, p.consequence])).toEqual([
      ['gnmi_port', '70000 is not a TCP port (an integer from 1 to 65535)', 'no gnmic target'],
      ['telemetry_profile', '"gold" is not one of minimal, standard, routing', 'no gnmic target'],
      ['snmp_auth', '"public" is not one of helios_v2c, helios_v3', 'no SNMP target'],
      ['blackbox_probes', '"ping" is not one of icmp, tcp_connect, http_2xx, dns', 'no blackbox probes'],
      ['metrics_port', '"9100" is not a TCP port (an integer from 1 to 65535)', 'no Prometheus target'],
    ]);
    expect(problems[0]).toMatchObject({ device: 'leaf9', deviceId: expect.any(Number) });
  });

  it('leaves out a device without a name, a primary IP or a valid tier', () => {
    expect(one({ name: null, site: 'ams1' })).toEqual({ problems: [expect.objectContaining({ field: 'name', consequence: 'device left out' })] });
    expect(one({ name: 'x', site: 'ams1', primaryIp: null }).problems).toEqual([expect.objectContaining({ field: 'primary_ip', device: 'x' })]);
    const tier = one({ name: 'y', site: 'ams1', customFields: { monitoring_tier: 'Gold Tier' } });
    expect(tier.device).toBeUndefined();
    expect(tier.problems[0].message).toBe('"Gold Tier" is not a tier name (lowercase letters, digits, "-" and "_", at most 63)');
  });

  it('refuses non-boolean switches and non-list lists', () => {
    const { device, problems } = one({ name: 'z', site: 'ams1', customFields: { helios_gnmi: 'yes', helios_snmp: 1, snmp_module: 5 } });
    expect(device?.gnmi).toBeUndefined();
    expect(device?.snmp).toBeUndefined();
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual(['helios_gnmi: "yes" is not true or false', 'helios_snmp: 1 is not true or false']);
    expect(one({ name: 'w', site: 'ams1', customFields: { snmp_module: 5 } }).problems[0].message).toBe('5 is not a list of if_mib, arista_eos, cisco_iosxe, juniper_junos, paloalto_panos');
  });

  it('gives a site without a region an empty region', () => {
    const fake = NetBoxFake.offline();
    fake.addSite('lab');
    fake.addDevice({ name: 'lab1', site: 'lab' });
    const { devices, sites } = records(fake);
    expect(parseDevice(devices[0], regionsBySite(sites)).device?.taxonomy.region).toBe('');
    expect(parseDevice(devices[0], new Map()).device?.taxonomy.region).toBe('');
  });
});
