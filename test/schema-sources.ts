import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from './shared.js';

/**
 * Where the upstream schemas come from that the tests validate against and `npm run import`
 * generates imports/ from. A registry serves most of them at a pinned version:
 * test/peers/provision/schemas.sh (part of `npm run peers`) fetches those, checksum-verified,
 * into the peers cache. The rest no registry serves; they are read from the folder named by
 * HELIOS_UNPUBLISHED_SCHEMAS, laid out as `crds/<set>/` and `schemas/grafana/`.
 */
export const UNPUBLISHED_VARIABLE = 'HELIOS_UNPUBLISHED_SCHEMAS';

export interface SchemaSet {
  /** The folder name of the set. */
  readonly name: string;
  /** Upstream project and version, as the README's operator table names them. */
  readonly upstream: string;
  readonly version: string;
  /** `registry`: fetched by `npm run peers`; `unpublished`: read from HELIOS_UNPUBLISHED_SCHEMAS. */
  readonly served: 'registry' | 'unpublished';
  /** Where upstream publishes these files. */
  readonly origin: string;
  /** The files the tests and the import read. */
  readonly files: readonly string[];
}

export interface CrdSet extends SchemaSet {
  /** The API groups whose kinds these CRDs define. */
  readonly groups: readonly string[];
}

export const CRD_SETS: readonly CrdSet[] = [
  {
    name: 'prometheus-operator',
    upstream: 'Prometheus Operator',
    version: 'v0.93.0',
    served: 'registry',
    origin: 'Go module github.com/prometheus-operator/prometheus-operator@v0.93.0, example/prometheus-operator-crd/',
    groups: ['monitoring.coreos.com'],
    files: ['alertmanagerconfigs', 'alertmanagers', 'podmonitors', 'probes', 'prometheusagents', 'prometheuses',
      'prometheusrules', 'scrapeconfigs', 'servicemonitors', 'thanosrulers'].map((k) => `monitoring.coreos.com_${k}.yaml`),
  },
  {
    name: 'argo-cd',
    upstream: 'Argo CD',
    version: 'v3.6.0',
    served: 'registry',
    origin: 'Go module github.com/argoproj/argo-cd/v3@v3.6.0, manifests/crds/',
    groups: ['argoproj.io'],
    files: ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'],
  },
  {
    name: 'gateway-api',
    upstream: 'Gateway API',
    version: 'v1.6.1',
    served: 'registry',
    origin: 'Go module sigs.k8s.io/gateway-api@v1.6.1, config/crd/standard/',
    groups: ['gateway.networking.k8s.io'],
    files: ['gatewayclasses', 'gateways', 'grpcroutes', 'httproutes', 'referencegrants'].map((k) => `gateway.networking.k8s.io_${k}.yaml`),
  },
  {
    name: 'cert-manager',
    upstream: 'cert-manager',
    version: 'v1.21.1',
    served: 'registry',
    origin: 'Go module github.com/cert-manager/cert-manager@v1.21.1, deploy/crds/',
    groups: ['cert-manager.io'],
    files: ['certificates', 'clusterissuers', 'issuers'].map((k) => `cert-manager.io_${k}.yaml`),
  },
  {
    name: 'strimzi',
    upstream: 'Strimzi',
    version: '1.2.x',
    served: 'unpublished',
    origin: 'https://github.com/strimzi/strimzi-kafka-operator/tree/8541da1e33/packaging/install/cluster-operator (the 04*-Crd-*.yaml files; '
      + 'the Maven Central artifact io.strimzi:api 1.2.0 holds only the Java classes)',
    groups: ['kafka.strimzi.io', 'core.strimzi.io'],
    files: ['040-Crd-kafka.yaml', '041-Crd-kafkaconnect.yaml', '042-Crd-strimzipodset.yaml', '043-Crd-kafkatopic.yaml',
      '044-Crd-kafkauser.yaml', '045-Crd-kafkanodepool.yaml', '046-Crd-kafkabridge.yaml', '047-Crd-kafkaconnector.yaml',
      '048-Crd-kafkamirrormaker2.yaml', '049-Crd-kafkarebalance.yaml'],
  },
  {
    name: 'clickhouse-operator',
    upstream: 'Altinity ClickHouse operator',
    version: '0.25.6',
    served: 'unpublished',
    origin: 'https://github.com/Altinity/clickhouse-operator/tree/release-0.25.6/deploy/helm/clickhouse-operator/crds '
      + '(the Go module proxy serves no version of github.com/altinity/clickhouse-operator here)',
    groups: ['clickhouse.altinity.com', 'clickhouse-keeper.altinity.com'],
    files: ['clickhouseinstallations.clickhouse.altinity.com', 'clickhouseinstallationtemplates.clickhouse.altinity.com',
      'clickhousekeeperinstallations.clickhouse-keeper.altinity.com', 'clickhouseoperatorconfigurations.clickhouse.altinity.com'].map((k) => `CustomResourceDefinition-${k}.yaml`),
  },
  {
    name: 'external-secrets',
    upstream: 'External Secrets Operator',
    version: 'v2.9.0',
    served: 'unpublished',
    origin: 'https://github.com/external-secrets/external-secrets/tree/v2.9.0/config/crds/bases '
      + '(its Go module has no /v2 path, so the proxy serves no v2 version)',
    groups: ['external-secrets.io'],
    files: ['clusterexternalsecrets', 'clustersecretstores', 'externalsecrets', 'secretstores'].map((k) => `external-secrets.io_${k}.yaml`),
  },
];

/** The Kubernetes 1.31 OpenAPI definitions, in the JSON-schema form schemas.sh writes from swagger.json. */
export const KUBERNETES_DEFINITIONS: SchemaSet = {
  name: 'k8s',
  upstream: 'Kubernetes',
  version: 'v1.31.0',
  served: 'registry',
  origin: 'Go module k8s.io/kubernetes@v1.31.0, api/openapi-spec/swagger.json',
  files: ['_definitions.json'],
};

/** Grafana's dashboard, panel and query schemas (draft-07). */
export const GRAFANA_SCHEMAS: SchemaSet = {
  name: 'grafana',
  upstream: 'Grafana Foundation SDK',
  version: 'v0.0.19',
  served: 'unpublished',
  origin: 'https://github.com/grafana/grafana-foundation-sdk release v0.0.19, folder jsonschema/ (the npm package ships no schemas)',
  files: ['dashboard', 'prometheus', 'timeseries', 'stat', 'table', 'bargauge', 'gauge', 'statetimeline', 'statushistory',
    'heatmap', 'piechart', 'barchart', 'geomap', 'text'].map((k) => `${k}.jsonschema.json`),
};

const PEERS_CACHE = process.env.HELIOS_PEERS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'helios-peers');
const unpublishedRoot = () => resolve(process.env[UNPUBLISHED_VARIABLE] ?? join(REPO_ROOT, '..', 'shared'));

function placeOf(set: SchemaSet): string {
  if (set === KUBERNETES_DEFINITIONS) return join(PEERS_CACHE, 'schemas', 'k8s', set.version);
  if (set.served === 'registry') return join(PEERS_CACHE, 'schemas', set.name);
  return join(unpublishedRoot(), set === GRAFANA_SCHEMAS ? 'schemas' : 'crds', set.name);
}

/** The folder holding the set's files; throws, saying what is missing and where it comes from, when any is absent. */
export function schemaDir(set: SchemaSet): string {
  const dir = placeOf(set);
  const missing = set.files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) return dir;
  const what = `the ${set.upstream} ${set.version} schemas: ${missing.join(', ')} missing in ${dir}`;
  if (set.served === 'registry') {
    throw new Error(`${what}. Run \`npm run peers\` (test/peers/provision/schemas.sh fetches them from the ${set.origin}).`);
  }
  const variable = process.env[UNPUBLISHED_VARIABLE] === undefined
    ? `${UNPUBLISHED_VARIABLE} is unset, so ${unpublishedRoot()} was tried`
    : `${UNPUBLISHED_VARIABLE}=${process.env[UNPUBLISHED_VARIABLE]}`;
  const folder = `${set === GRAFANA_SCHEMAS ? 'schemas' : 'crds'}/${set.name}/`;
  throw new Error(`${what} (${variable}). No registry serves them: set ${UNPUBLISHED_VARIABLE} to a folder whose ${folder} `
    + `holds ${set.files.join(', ')}, taken from ${set.origin}.`);
}

/** The CRD set defining an API group's kinds. */
export function crdSetOf(group: string): CrdSet | undefined {
  return CRD_SETS.find((s) => s.groups.includes(group));
}

/** The custom resources Helios writes, one imports/ file each: name prefix, set, CRD file. */
const CRD_IMPORTS: ReadonlyArray<readonly [string, string, string]> = [
  ['prometheus', 'prometheus-operator', 'monitoring.coreos.com_prometheuses.yaml'],
  ['servicemonitor', 'prometheus-operator', 'monitoring.coreos.com_servicemonitors.yaml'],
  ['podmonitor', 'prometheus-operator', 'monitoring.coreos.com_podmonitors.yaml'],
  ['probe', 'prometheus-operator', 'monitoring.coreos.com_probes.yaml'],
  ['scrapeconfig', 'prometheus-operator', 'monitoring.coreos.com_scrapeconfigs.yaml'],
  ['prometheusrule', 'prometheus-operator', 'monitoring.coreos.com_prometheusrules.yaml'],
  ['alertmanager', 'prometheus-operator', 'monitoring.coreos.com_alertmanagers.yaml'],
  ['alertmanagerconfig', 'prometheus-operator', 'monitoring.coreos.com_alertmanagerconfigs.yaml'],
  ['kafka', 'strimzi', '040-Crd-kafka.yaml'],
  ['kafkanodepool', 'strimzi', '045-Crd-kafkanodepool.yaml'],
  ['kafkatopic', 'strimzi', '043-Crd-kafkatopic.yaml'],
  ['kafkauser', 'strimzi', '044-Crd-kafkauser.yaml'],
  ['clickhouseinstallation', 'clickhouse-operator', 'CustomResourceDefinition-clickhouseinstallations.clickhouse.altinity.com.yaml'],
  ['clickhousekeeperinstallation', 'clickhouse-operator', 'CustomResourceDefinition-clickhousekeeperinstallations.clickhouse-keeper.altinity.com.yaml'],
  ['externalsecret', 'external-secrets', 'external-secrets.io_externalsecrets.yaml'],
  ['clustersecretstore', 'external-secrets', 'external-secrets.io_clustersecretstores.yaml'],
  ['application', 'argo-cd', 'application-crd.yaml'],
  ['applicationset', 'argo-cd', 'applicationset-crd.yaml'],
  ['appproject', 'argo-cd', 'appproject-crd.yaml'],
  ['httproute', 'gateway-api', 'gateway.networking.k8s.io_httproutes.yaml'],
  ['referencegrant', 'gateway-api', 'gateway.networking.k8s.io_referencegrants.yaml'],
  ['certificate', 'cert-manager', 'cert-manager.io_certificates.yaml'],
];

/**
 * Runs `cdk8s import` of the CRDs above into `output` (absolute): `npm run import` and its
 * drift test both call it. cdk8s takes several imports only from a cdk8s.yaml, so one
 * naming the pinned files is written to a scratch folder.
 */
export function cdk8sImport(output: string): SpawnSyncReturns<string> {
  const imports = CRD_IMPORTS.map(([prefix, setName, file]) => `${prefix}:=${join(schemaDir(CRD_SETS.find((s) => s.name === setName)!), file)}`);
  const scratch = mkdtempSync(join(tmpdir(), 'helios-import-'));
  try {
    writeFileSync(join(scratch, 'cdk8s.yaml'), stringify({ language: 'typescript', imports }));
    return spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'cdk8s'), ['import', '--no-check-upgrade', '--output', output], {
      cwd: scratch, encoding: 'utf8', timeout: 300_000,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
