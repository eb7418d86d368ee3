import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRD_SETS, GRAFANA_SCHEMAS, KUBERNETES_DEFINITIONS, schemaDir, UNPUBLISHED_VARIABLE } from '../schema-sources.js';
import { REPO_ROOT } from '../shared.js';
import { SchemaValidator } from '../validation/schemas.js';

/** Runs `body` with HELIOS_UNPUBLISHED_SCHEMAS naming an empty folder. */
function withoutUnpublished(body: () => void): void {
  const empty = mkdtempSync(join(tmpdir(), 'helios-no-schemas-'));
  const before = process.env[UNPUBLISHED_VARIABLE];
  process.env[UNPUBLISHED_VARIABLE] = empty;
  try {
    body();
  } finally {
    if (before === undefined) delete process.env[UNPUBLISHED_VARIABLE];
    else process.env[UNPUBLISHED_VARIABLE] = before;
    rmSync(empty, { recursive: true, force: true });
  }
}

describe('the upstream schema sets', () => {
  it('finds each registry-served set in the peers cache, exactly the pinned files', () => {
    for (const set of [...CRD_SETS, KUBERNETES_DEFINITIONS].filter((s) => s.served === 'registry')) {
      const dir = schemaDir(set);
      expect(dir).toContain(join('helios-peers', 'schemas'));
      expect(readdirSync(dir).sort()).toEqual([...set.files].sort());
    }
  });

  it('has the provision script fetch (or, for the unpublished, name) each set at the version listed here', () => {
    const script = readFileSync(join(REPO_ROOT, 'test/peers/provision/schemas.sh'), 'utf8');
    for (const set of [...CRD_SETS, KUBERNETES_DEFINITIONS, GRAFANA_SCHEMAS]) {
      const line = set.served === 'registry' ? new RegExp(`"${set.name}\\|[^|]+\\|${set.version}\\|[0-9a-f]{64}\\|`) : `"${set.name}|${set.version}|`;
      expect(script).toMatch(line);
    }
  });

  it('refuses a set no registry serves at once, naming the variable, the missing files and their upstream source', () => {
    withoutUnpublished(() => {
      for (const set of [...CRD_SETS, GRAFANA_SCHEMAS].filter((s) => s.served === 'unpublished')) {
        let message = '';
        try {
          schemaDir(set);
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).toContain(`set ${UNPUBLISHED_VARIABLE} to a folder whose`);
        expect(message).toContain(set.files[0]);
        expect(message).toContain(set.origin);
        expect(message).toContain(`${set.upstream} ${set.version}`);
      }
    });
  });

  it('validates objects of registry-served APIs without the unpublished sets, and names the variable for the others', () => {
    withoutUnpublished(() => {
      const validator = new SchemaValidator();
      const route = {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'grafana', namespace: 'helios-visualization' },
        spec: { hostnames: ['grafana.example.net'], colour: 'blue' },
      };
      expect(validator.validate(route)).toEqual([{ field: 'spec.colour', message: 'unknown field "colour"' }]);
      const kafka = { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', metadata: { name: 'flows' }, spec: {} };
      expect(() => validator.validate(kafka)).toThrow(/Strimzi 1\.2\.x schemas: .*set HELIOS_UNPUBLISHED_SCHEMAS to a folder whose crds\/strimzi\//);
    });
  });
});
