import { readFileSync } from 'node:fs';
import type { OpenAPI3 } from 'openapi-typescript';
import { netboxDocument } from '../../../test/peers/harness/netbox-openapi.js';
import { GENERATED_PATH, netboxTypes, subsetDocument } from '../scripts/netbox-types.js';

describe('src/generated/netbox.ts', () => {
  // The document the script reads (parsed once per machine and cached: its YAML takes seconds).
  const doc = netboxDocument() as OpenAPI3;

  it('is what scripts/netbox-types.ts makes of NetBox\'s OpenAPI document (run `npm run generate:netbox` if not)', async () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(await netboxTypes(doc));
  });

  it('keeps the five list operations and every schema they reach, and nothing else', () => {
    const subset = subsetDocument(doc) as any;
    expect(Object.keys(subset.paths)).toEqual(['/api/dcim/devices/', '/api/dcim/interfaces/', '/api/dcim/sites/', '/api/ipam/ip-addresses/', '/api/ipam/prefixes/']);
    for (const path of Object.keys(subset.paths)) expect(Object.keys(subset.paths[path])).toEqual(['get']);
    const schemas = Object.keys(subset.components.schemas);
    for (const name of [
      'PaginatedDeviceWithConfigContextList', 'DeviceWithConfigContext', 'BriefSite', 'BriefManufacturer', 'PaginatedSiteList', 'BriefRegion',
      'PaginatedInterfaceList', 'PaginatedPrefixList', 'PaginatedIPAddressList', 'BriefVLAN',
    ]) {
      expect(schemas).toContain(name);
    }
    expect(schemas).not.toContain('Circuit');
    for (const ref of JSON.stringify(subset).match(/#\/components\/schemas\/[A-Za-z0-9]+/g) ?? []) {
      expect(schemas).toContain(ref.split('/').pop());
    }
  });

  it('refuses a document that lacks an operation the client calls', () => {
    const broken = { ...doc, paths: { ...doc.paths } } as any;
    delete broken.paths['/api/dcim/sites/'];
    expect(() => subsetDocument(broken)).toThrow('NetBox OpenAPI document: path /api/dcim/sites/ is missing');
  });
});
