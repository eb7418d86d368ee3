import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { peerData } from './harness/paths.js';

describe('reference data provisioned for tests', () => {
  it('NetBox\'s OpenAPI document describes the device and interface endpoints the Target Generator uses', () => {
    const doc = parse(readFileSync(peerData('netbox', 'openapi.yaml'), 'utf8'));
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.version).toMatch(/^4\.\d+/);
    for (const path of ['/api/dcim/devices/', '/api/dcim/interfaces/', '/api/dcim/sites/']) expect(doc.paths[path]?.get).toBeDefined();
    expect(Object.keys(doc.components.schemas.DeviceWithConfigContext.properties)).toEqual(expect.arrayContaining(['name', 'site', 'role', 'tenant', 'platform', 'primary_ip4', 'custom_fields']));
  });

  it('MaxMind City and ASN test databases are present', () => {
    for (const db of ['GeoIP2-City-Test.mmdb', 'GeoLite2-ASN-Test.mmdb']) {
      const bytes = readFileSync(peerData('maxmind', db));
      // Every MaxMind DB ends with its metadata, after this marker.
      expect(bytes.includes(Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'))).toBe(true);
      expect(statSync(peerData('maxmind', db)).size).toBeGreaterThan(1000);
    }
  });
});
