import * as library from '../../../constructs/platform/targets.js';
import { TAXONOMY_LABELS as LIBRARY_TAXONOMY } from '../../../constructs/platform/taxonomy.js';
import * as service from '../src/contract.js';

/** src/contract.ts repeats the construct library's target contract; here the two must agree. */
describe('the target contract as the service repeats it', () => {
  it('names the same sets, shards, ConfigMaps, files and namespaces', () => {
    expect(Object.values(service.TargetSet)).toEqual(Object.values(library.TargetSet));
    expect([...service.TARGET_SETS].sort()).toEqual(Object.values(library.TargetSet).sort());
    expect(service.TARGET_SHARDS_MAX).toBe(library.TARGET_SHARDS_MAX);
    expect(service.TARGET_SET_LABEL).toBe(library.TARGET_SET_LABEL);
    expect(service.GNMIC_CLUSTER_NAME).toBe(library.GNMIC_CLUSTER_NAME);
    expect(service.GNMIC_TARGET_NAME_MAX).toBe(library.GNMIC_TARGET_NAME_MAX);
    for (const set of service.TARGET_SETS) {
      const same = set as unknown as library.TargetSet;
      expect(service.targetNamespace(set)).toBe(library.targetNamespace(same));
      for (let shard = 0; shard < service.TARGET_SHARDS_MAX; shard++) {
        expect(service.targetConfigMapName(set, shard)).toBe(library.targetConfigMapName(same, shard));
        expect(service.targetFileName(set, shard)).toBe(library.targetFileName(same, shard));
      }
    }
  });

  it('knows the same subscriptions, telemetry profiles, SNMP modules and auths, blackbox modules and taxonomy', () => {
    expect(service.GNMI_SUBSCRIPTIONS).toEqual(library.GNMI_SUBSCRIPTIONS);
    expect(service.TELEMETRY_PROFILES).toEqual(library.TELEMETRY_PROFILES);
    expect(service.DEFAULT_TELEMETRY_PROFILE).toBe(library.DEFAULT_TELEMETRY_PROFILE);
    expect(service.SNMP_MODULES).toEqual(library.SNMP_MODULES);
    expect(service.SNMP_AUTHS).toEqual(library.SNMP_AUTHS);
    expect(service.DEFAULT_SNMP_AUTH).toBe(library.DEFAULT_SNMP_AUTH);
    expect(service.BLACKBOX_MODULES).toEqual(library.BLACKBOX_MODULES);
    expect(service.TAXONOMY_LABELS).toEqual(LIBRARY_TAXONOMY);
  });
});
