import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import { redactUrls } from './rules.js';
import { ClusterConfig, ClusterSchema, DEFAULTABLE_KEYS, HeliosConfigSchema, SECRET_REF_HINT, type GitOpsConfig } from './schema.js';
import { ARGOCD_FOLDER } from '../../constructs/federation/argocd.js';
import { netboxNamespace } from '../../constructs/flows/flow-enricher.js';
import { retentionProblem } from '../../constructs/metrics/thanos-compactor.js';

/** A config that cannot be synthesized; every problem names the file, the path, the value and what is allowed. */
export class ConfigError extends Error {
  public constructor(public readonly file: string, public readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export interface HeliosConfig {
  /** Where the config came from: a path, or "(embedded default)". */
  readonly source: string;
  readonly clusters: readonly ClusterConfig[];
  /** Argo CD's AppProject and ApplicationSet for the fleet. @default - none */
  readonly gitops?: GitOpsConfig;
}

type Path = ReadonlyArray<string | number>;

/** How many nodes one YAML alias may expand into; a real helios.yaml needs a handful. */
const MAX_ALIAS_COUNT = 100;

/** `clusters[0].storage.s3`; a key that is not a plain word is quoted: `defaults[": odd"]`. */
export function formatPath(path: Path): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    if (!/^[A-Za-z_][\w-]*$/.test(part)) return `${acc}[${JSON.stringify(part)}]`;
    return acc ? `${acc}.${part}` : part;
  }, '');
}

function valueAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  // YAML tags and YAML 1.1 scalars (!!binary, !!set, 2001-12-14) read as more than strings, numbers and mappings.
  if (value instanceof Date) return `the timestamp ${Number.isNaN(value.getTime()) ? 'that is not a date' : value.toISOString()} (quote it to write a string)`;
  if (value instanceof Uint8Array) return 'binary data (!!binary)';
  if (value instanceof Set) return 'a set (!!set)';
  if (value instanceof Map) return 'an ordered mapping (!!omap)';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** The keys a strict object schema allows at a path, for "unknown key" messages. */
function allowedKeys(schema: z.ZodType, path: Path): string[] {
  let cur: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    const def = (s as any)._zod.def;
    return def.innerType ? unwrap(def.innerType) : s;
  };
  for (const part of path) {
    if (!cur) return [];
    cur = unwrap(cur);
    const def = (cur as any)._zod.def;
    cur = typeof part === 'number' ? def.element : def.shape?.[part];
  }
  if (!cur) return [];
  const shape = (unwrap(cur) as any)._zod.def.shape;
  return shape ? Object.keys(shape) : [];
}

function describe(issue: z.core.$ZodIssue, input: unknown, schema: z.ZodType, path: Path): string {
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'invalid_value':
      return `${show(value)} is not one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      if (value === undefined) return `is required (${issue.expected})`;
      if (issue.message === SECRET_REF_HINT) {
        // Never echo what may be a real credential into a terminal or CI log.
        return `${issue.message}; got ${typeof value === 'string' ? 'a string' : show(value)} (not shown)`;
      }
      return issue.message.startsWith('Invalid input')
        ? `expected ${issue.expected}, got ${show(value)}`
        : `${issue.message}, got ${show(value)}`;
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path);
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
        + (allowed.length ? `; allowed: ${allowed.join(', ')}` : '');
    }
    case 'too_small':
      return issue.message.startsWith('Too small') ? `${show(value)} is too short (minimum ${issue.minimum})` : issue.message;
    case 'invalid_format':
      return `${show(value)} ${issue.message.startsWith('Invalid') ? `is not a valid ${issue.format}` : issue.message}`;
    default:
      return `${show(value)} ${issue.message}`;
  }
}

/** Finds the source line of a path in the YAML document, for messages an editor can jump to. */
function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, path: Path): number | undefined {
  let node: Node | null | undefined = doc.contents as Node;
  let line: number | undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as any)?.value === part);
      if (!pair) break;
      node = pair.value as Node;
      const range = (pair.key as Node)?.range;
      if (range) line = counter.linePos(range[0]).line;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part] as Node;
      if (node?.range) line = counter.linePos(node.range[0]).line;
    } else {
      break;
    }
  }
  return line;
}

/**
 * What makes the parsed YAML unusable as a config whatever the schema says: an
 * alias to its own ancestor (a cycle, endless to merge or check) or a key JavaScript
 * objects cannot hold as data (`__proto__`, which would be dropped unseen).
 */
function structureProblem(root: unknown): { readonly path: Path; readonly message: string } | undefined {
  const ancestors = new Set<unknown>();
  const walk = (value: unknown, path: Path): { path: Path; message: string } | undefined => {
    if (value === null || typeof value !== 'object') return undefined;
    if (ancestors.has(value)) {
      return { path, message: 'is a YAML alias (*name) to a mapping or list that contains it; a config must be a tree, so write the settings out or alias something outside it' };
    }
    ancestors.add(value);
    const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (key === '__proto__') return { path, message: 'unknown key "__proto__"' };
      const found = walk(child, [...path, key]);
      if (found) return found;
    }
    ancestors.delete(value);
    return undefined;
  };
  return walk(root, []);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Objects merge key by key, the cluster's own value winning; lists and scalars are replaced whole. */
function merge(defaults: unknown, own: unknown): unknown {
  if (isPlainObject(defaults) && isPlainObject(own)) {
    const out: Record<string, unknown> = { ...defaults };
    for (const [k, v] of Object.entries(own)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  }
  return own === undefined ? defaults : own;
}

/**
 * Parses and validates helios.yaml. Throws a ConfigError listing every problem,
 * each as `<file>: <path>: <what is wrong> (line N)`.
 */
export function parseConfig(text: string, file: string): HeliosConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return redactUrls(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
    }));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    // The yaml package refuses an alias that expands into too many nodes (a "billion laughs" document).
    throw new ConfigError(file, [`${file}: (top level): not a usable YAML document: ${(e as Error).message}; `
      + `Helios allows YAML aliases (*name) that expand to at most ${MAX_ALIAS_COUNT} nodes each`]);
  }
  const broken = structureProblem(raw);
  if (broken) {
    const line = lineOf(doc, counter, broken.path);
    throw new ConfigError(file, [`${file}: ${formatPath(broken.path) || '(top level)'}: ${broken.message}${line ? ` (line ${line})` : ''}`]);
  }
  const problems: string[] = [];
  const report = (path: Path, message: string) => {
    const line = lineOf(doc, counter, path);
    // A URL's user name and password are never shown, whatever the value they are in.
    problems.push(redactUrls(`${file}: ${formatPath(path) || '(top level)'}: ${message}${line ? ` (line ${line})` : ''}`));
  };

  const top = HeliosConfigSchema.safeParse(raw);
  if (!top.success) {
    for (const issue of top.error.issues) report(issue.path as Path, describe(issue, raw, HeliosConfigSchema, issue.path as Path));
    throw new ConfigError(file, problems);
  }
  const defaults = top.data.defaults ?? {};
  for (const key of Object.keys(defaults)) {
    if (!DEFAULTABLE_KEYS.includes(key)) {
      report(['defaults', key], `unknown key ${JSON.stringify(key)}; allowed: ${DEFAULTABLE_KEYS.join(', ')}`);
    }
  }

  const clusters: ClusterConfig[] = [];
  top.data.clusters.forEach((own, index) => {
    const merged = merge(defaults, own);
    const parsed = ClusterSchema.safeParse(merged);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const inner = issue.path as Path;
        // Blame the defaults when the cluster does not set the value itself.
        const fromDefaults = inner.length > 0 && valueAt(own, inner.slice(0, 1)) === undefined && valueAt(defaults, inner.slice(0, 1)) !== undefined;
        const path = fromDefaults ? ['defaults', ...inner] : ['clusters', index, ...inner];
        report(path, describe(issue, fromDefaults ? defaults : merged, ClusterSchema, inner) + (fromDefaults ? ` (inherited by clusters[${index}])` : ''));
      }
      return;
    }
    clusters.push(parsed.data as ClusterConfig);
  });
  if (problems.length > 0) throw new ConfigError(file, problems);

  checkFleet(clusters, report, () => problems.length > 0);
  checkFederation(clusters, report);
  if (top.data.gitops) {
    const argo = clusters.findIndex((c) => c.name === ARGOCD_FOLDER);
    if (argo >= 0) report(['clusters', argo, 'name'], `"${ARGOCD_FOLDER}" is the folder the Argo CD objects are written to (gitops is set); name the cluster otherwise`);
  }
  // Blame the defaults when the cluster does not set the value itself, as for schema problems.
  checkNetworks(clusters, (i, inner, message) => {
    const fromDefaults = valueAt(top.data.clusters[i], inner.slice(0, 1)) === undefined && valueAt(defaults, inner.slice(0, 1)) !== undefined;
    report(fromDefaults ? ['defaults', ...inner] : ['clusters', i, ...inner], fromDefaults ? `${message} (inherited by clusters[${i}])` : message);
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { source: file, clusters, gitops: top.data.gitops };
}

/** Where a cluster's Thanos blocks live; clusters with the same bucket share one compactor. */
export function bucketOf(c: ClusterConfig): string {
  switch (c.storage.topology) {
    case 'single-dc-minio':
    case 'hybrid':
      return `minio://${c.name}/${c.storage.bucket}`;
    case 'multi-dc-minio':
      return `minio-replication-group://${replicationGroupOf(c)}/${c.storage.bucket}`;
    case 'cloud-s3':
      return `s3://${c.storage.s3!.endpoint}/${c.storage.s3!.bucket}`;
  }
}

/** The replication group of a multi-dc-minio cluster. */
export function replicationGroupOf(c: ClusterConfig): string {
  return c.storage.replicationGroup ?? 'default';
}

/** The TLS server name the hub verifies a member by: the configured one, or the endpoint's DNS host. */
export function federationServerName(c: ClusterConfig): string | undefined {
  const endpoint = c.federation.endpoint;
  if (!endpoint) return undefined;
  if (endpoint.serverName) return endpoint.serverName;
  const host = endpoint.address.replace(/:\d+$/, '');
  return /^[a-z0-9.-]+$/i.test(host) && !/^[0-9.]+$/.test(host) && host.includes('.') ? host.toLowerCase() : undefined;
}

/**
 * The federation, in config terms: exactly one hub, and every member reachable by it
 * (an endpoint, a server name its certificate can carry, a network it is in), every
 * member admitting the hub's networks, one certificate issuer for the fleet.
 */
function checkFederation(clusters: ClusterConfig[], report: (path: Path, message: string) => void): void {
  const federated = clusters.flatMap((c, i) => (c.stacks.federation ? [i] : []));
  clusters.forEach((c, i) => {
    if (!c.stacks.federation && (c.federation.endpoint || c.federation.hubNetworks)) {
      report(['clusters', i, 'federation', c.federation.endpoint ? 'endpoint' : 'hubNetworks'], 'is set, but stacks.federation is false, so nothing would use it; set stacks.federation: true or remove it');
    }
  });
  if (federated.length === 0) return;
  const hubs = federated.filter((i) => clusters[i].role.globalQuery);
  // Two hubs are already refused; which cluster's settings are meant is not known yet.
  if (hubs.length > 1) return;
  const names = federated.map((i) => clusters[i].name).join(', ');
  if (hubs.length === 0) {
    report(['clusters', federated[0], 'role', 'globalQuery'], `is false on every cluster, but stacks.federation is on for ${names}; allowed: exactly one cluster with role.globalQuery: true (the hub)`);
  }
  if (hubs.length === 1 && federated.length === 1) {
    report(['clusters', hubs[0], 'stacks', 'federation'], `true, but ${clusters[hubs[0]].name} is the only cluster in the federation; allowed: the hub and at least one member (stacks.federation: true with federation.endpoint)`);
  }
  const issuers = new Map<string, number>();
  for (const i of federated) {
    const c = clusters[i];
    const at = (...path: Array<string | number>) => ['clusters', i, ...path];
    if (!c.federation.tls) {
      report(at('federation', 'tls'), 'is required with stacks.federation: the hub and the members authenticate one another with certificates; allowed: certManager { issuer, kind } (the same issuer on every cluster)');
    } else {
      const issuer = `${c.federation.tls.certManager.kind}/${c.federation.tls.certManager.issuer}`;
      if (issuers.size > 0 && !issuers.has(issuer)) {
        const [other, j] = [...issuers.entries()][0];
        report(at('federation', 'tls', 'certManager'), `"${issuer}" differs from clusters[${j}] (${clusters[j].name}), which uses "${other}"; every federated cluster needs the same issuer (one CA the hub and members trust)`);
      }
      issuers.set(issuer, issuers.get(issuer) ?? i);
    }
    if (c.role.globalQuery) {
      if (!c.federation.hubNetworks) report(at('federation', 'hubNetworks'), 'is required on the hub (role.globalQuery: true): the network(s) its connections to the members come from, the only sources the members admit');
      if (c.federation.endpoint) report(at('federation', 'endpoint'), 'is set on the hub, which serves no member; remove it (the hub reads its own Thanos Query inside the cluster)');
      continue;
    }
    if (!c.stacks.metrics) {
      report(at('stacks', 'federation'), 'true needs stacks.metrics: true on a member: the hub reads the member\'s Thanos Query, which is part of the metrics stack');
      continue;
    }
    if (!c.federation.endpoint) {
      report(at('federation', 'endpoint'), `is required: ${c.name} is a member of the federation and the hub reaches its StoreAPI there; allowed: { address: host:port, serverName, networks }`);
    } else if (!federationServerName(c)) {
      report(at('federation', 'endpoint', 'serverName'), `is required: the address "${c.federation.endpoint.address}" has no DNS name a certificate can carry; allowed: a DNS name such as thanos.${c.name}.example.net`);
    }
  }
  const seen = new Map<string, number>();
  for (const i of federated) {
    const address = clusters[i].federation.endpoint?.address;
    if (!address) continue;
    if (seen.has(address)) report(['clusters', i, 'federation', 'endpoint', 'address'], `"${address}" is already the endpoint of clusters[${seen.get(address)}] (${clusters[seen.get(address)!].name}); each member needs its own`);
    seen.set(address, i);
  }
}

/** Serving Grafana over HTTPS needs its https:// URL, one way in and, for an Ingress, a certificate. */
function checkGrafanaHttps(c: ClusterConfig, report: (path: Path, message: string) => void): void {
  const https = c.grafana.https;
  if (!https) return;
  if (!c.stacks.metrics) report(['https'], 'needs stacks.metrics: true (Grafana is part of the metrics stack)');
  if (!c.grafana.url) {
    report(['url'], 'is required with grafana.https: Grafana is served at this URL\'s host');
  } else {
    const url = new URL(c.grafana.url);
    if (url.protocol !== 'https:' || url.pathname !== '/') {
      report(['url'], `${JSON.stringify(c.grafana.url)} cannot be served by grafana.https; allowed: https://<host> or https://<host>:<port>, with no path`);
    }
  }
  if (!https.gateway === !https.ingress) {
    report(['https'], `names ${https.gateway ? 'both gateway and ingress' : 'neither gateway nor ingress'}; allowed: exactly one, gateway { name, namespace, sectionName } for an HTTPRoute or ingress { className, namespace } for an Ingress`);
  }
  if (https.ingress && !https.tls) {
    report(['https', 'tls'], 'is required with ingress; allowed: certManager { issuer, kind } or secretName (a TLS Secret in helios-visualization)');
  }
  if (https.tls && !https.tls.certManager === !https.tls.secretName) {
    report(['https', 'tls'], `names ${https.tls.certManager ? 'both certManager and secretName' : 'neither certManager nor secretName'}; allowed: exactly one, certManager { issuer, kind } or secretName (a TLS Secret in helios-visualization)`);
  }
}

/** Checks that need the whole fleet, and settles each cluster's compactor role. */
function checkFleet(clusters: ClusterConfig[], report: (path: Path, message: string) => void, failed: () => boolean): void {
  const seen = new Map<string, number>();
  clusters.forEach((c, i) => {
    if (seen.has(c.name)) report(['clusters', i, 'name'], `"${c.name}" is already the name of clusters[${seen.get(c.name)}]; cluster names must be unique`);
    seen.set(c.name, i);
    if ((c.storage.topology === 'cloud-s3' || c.storage.topology === 'hybrid') && !c.storage.s3) {
      report(['clusters', i, 'storage', 's3'], `is required for topology ${c.storage.topology} (endpoint, region, bucket, accessKey, secretKey)`);
    }
    if (c.oidc && !c.grafana.url) {
      report(['clusters', i, 'grafana', 'url'], 'is required with oidc: the identity provider sends users back to Grafana at this URL');
    }
    checkGrafanaHttps(c, (path, message) => report(['clusters', i, 'grafana', ...path], message));
    if (c.oidc && ![c.oidc.groups.viewer, c.oidc.groups.engineer, c.oidc.groups.admin].some((g) => g.length > 0)) {
      report(['clusters', i, 'oidc', 'groups'], 'names no group for any role, so nobody could sign in to Grafana; list at least one group under viewer, engineer or admin');
    }
    if (c.storage.replicationGroup !== undefined && c.storage.topology !== 'multi-dc-minio') {
      report(['clusters', i, 'storage', 'replicationGroup'], `"${c.storage.replicationGroup}" is set, but topology is ${c.storage.topology}; a replication group joins multi-dc-minio clusters only: set topology: multi-dc-minio or remove replicationGroup`);
    }
    if (c.storage.site && c.storage.topology !== 'multi-dc-minio') {
      report(['clusters', i, 'storage', 'site'], `is set, but topology is ${c.storage.topology}; only multi-dc-minio sites replicate: set topology: multi-dc-minio or remove site`);
    }
    if (c.storage.site && new URL(c.storage.site.url).pathname !== '/') {
      report(['clusters', i, 'storage', 'site', 'url'], `"${c.storage.site.url}" has a path; allowed: http(s)://<host>[:port], the S3 API's root`);
    }
    if (c.storage.topology === 'multi-dc-minio' && c.stacks.metrics && !c.storage.site) {
      report(['clusters', i, 'storage', 'site'], 'is required for topology multi-dc-minio: { url, networks }, where the other sites of the replication group reach this cluster\'s MinIO');
    }
    const retention = retentionProblem(c.storage.retention);
    if (retention) report(['clusters', i, 'storage', 'retention', retention.field], retention.message);
    if (c.role.globalQuery && !c.stacks.federation) {
      report(['clusters', i, 'role', 'globalQuery'], 'true needs stacks.federation: true (the global query is part of the FederationStack)');
    }
  });
  const hubs = clusters.flatMap((c, i) => (c.role.globalQuery ? [i] : []));
  if (hubs.length > 1) {
    report(['clusters', hubs[1], 'role', 'globalQuery'], `true, but clusters[${hubs[0]}] (${clusters[hubs[0]].name}) already hosts the global query; exactly one cluster may`);
  }
  // Bucket ownership is only meaningful once every cluster is well-defined.
  if (failed()) return;
  const byBucket = new Map<string, number[]>();
  clusters.forEach((c, i) => {
    if (!c.stacks.metrics) {
      if (c.role.compactor) report(['clusters', i, 'role', 'compactor'], 'true needs stacks.metrics: true (the compactor is part of the metrics stack)');
      return;
    }
    if (c.storage.topology === 'cloud-s3' && !c.storage.s3) return;
    const b = bucketOf(c);
    byBucket.set(b, [...(byBucket.get(b) ?? []), i]);
  });
  for (const [bucket, members] of byBucket) {
    const names = members.map((i) => clusters[i].name).join(', ');
    const topology = clusters[members[0]].storage.topology;
    if (topology === 'multi-dc-minio' && members.length < 2) {
      report(['clusters', members[0], 'storage', 'replicationGroup'], `"${replicationGroupOf(clusters[members[0]])}" has only one cluster (${names}); multi-dc-minio replicates between at least two`);
    }
    const explicit = members.filter((i) => clusters[i].role.compactor === true);
    if (explicit.length > 1) {
      report(['clusters', explicit[1], 'role', 'compactor'], `true, but clusters[${explicit[0]}] (${clusters[explicit[0]].name}) already compacts ${bucket}; exactly one compactor may run per bucket`);
      continue;
    }
    if (explicit.length === 1) {
      members.forEach((i) => { (clusters[i].role as { compactor?: boolean }).compactor = i === explicit[0]; });
      continue;
    }
    if (members.length === 1 && clusters[members[0]].role.compactor === undefined) {
      (clusters[members[0]].role as { compactor?: boolean }).compactor = true;
      continue;
    }
    report(['clusters', members[0], 'role', 'compactor'], `${bucket} is written by ${names} but compacted by none of them; set role.compactor: true on exactly one`);
  }
  clusters.forEach((c) => {
    if (c.role.compactor === undefined) (c.role as { compactor?: boolean }).compactor = false;
  });
}

/** A network of every address: `0.0.0.0/0` or `::/0` (a valid CIDR with prefix 0 has no other form). */
export function isAnyNetwork(cidr: string): boolean {
  return cidr.endsWith('/0');
}

/** The networks that egress and ingress policies are built from: none may silently open everything. */
function checkNetworks(clusters: ClusterConfig[], report: (cluster: number, path: Path, message: string) => void): void {
  clusters.forEach((c, i) => {
    if (!c.allowAnyManagementNetwork) {
      c.managementNetworks.forEach((cidr, j) => {
        if (isAnyNetwork(cidr)) {
          report(i, ['managementNetworks', j], `"${cidr}" is every address: the collectors could connect anywhere and anyone could send flows to goflow2;`
            + ' list your management networks, or set allowAnyManagementNetwork: true to accept it');
        }
      });
    }
    const namespace = netboxNamespace(c.netbox.url);
    if (namespace && c.netbox.networks) {
      report(i, ['netbox', 'networks'], `is not used: netbox.url "${c.netbox.url}" is an in-cluster Service, reached by selecting its namespace "${namespace}"; remove netbox.networks`);
    }
    // Only the Target Generator and the Flow Enricher call NetBox.
    if (!namespace && !c.netbox.networks && (c.stacks.flows || c.stacks.automation)) {
      report(i, ['netbox', 'networks'], `is required because netbox.url "${c.netbox.url}" is outside the cluster (not <service>.<namespace>.svc):`
        + ' list the networks NetBox\'s addresses are in, such as 198.51.100.0/24, so its clients may reach only them');
    }
  });
}

export function loadConfigFile(path: string): HeliosConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [`${path}: cannot read the config file: ${(e as Error).message}`]);
  }
  return parseConfig(text, path);
}
