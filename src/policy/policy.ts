import { REQUIRED_WORKLOAD_LABELS, HeliosLabel, PART_OF } from '../../constructs/platform/labels.js';
import { HELIOS_NAMESPACES } from '../../constructs/platform/namespaces.js';
import { isPinnedImage } from '../../constructs/platform/security.js';
import type { KubeObject, ManifestFile } from '../manifests.js';
import { POLICY_EXCEPTIONS, type PolicyException } from './exceptions.js';
import { PolicyRule } from './rules.js';

export interface PolicyFinding {
  readonly rule: PolicyRule;
  readonly file: string;
  /** `Kind namespace/name` or `Kind name`. */
  readonly object: string;
  /** The field at fault, as a path from the object's root. */
  readonly field: string;
  readonly message: string;
}

export function formatFinding(f: PolicyFinding): string {
  return `${f.file}: ${f.object}: ${f.field}: ${f.message} [${f.rule}]`;
}

export function objectName(o: KubeObject): string {
  return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
}

interface PodTemplate {
  /** Path from the object root to the pod template's metadata and spec. */
  readonly path: string;
  readonly metadata?: { labels?: Record<string, string> };
  readonly spec: any;
  readonly longRunning: boolean;
}

/** The pod templates of the workload kinds Helios writes. */
function podTemplates(o: any): PodTemplate[] {
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
      return [{ path: 'spec.template', metadata: o.spec?.template?.metadata, spec: o.spec?.template?.spec ?? {}, longRunning: true }];
    case 'Job':
      return [{ path: 'spec.template', metadata: o.spec?.template?.metadata, spec: o.spec?.template?.spec ?? {}, longRunning: false }];
    case 'CronJob':
      return [{ path: 'spec.jobTemplate.spec.template', metadata: o.spec?.jobTemplate?.spec?.template?.metadata, spec: o.spec?.jobTemplate?.spec?.template?.spec ?? {}, longRunning: false }];
    case 'Pod':
      return [{ path: '', metadata: o.metadata, spec: o.spec ?? {}, longRunning: true }];
    default:
      return [];
  }
}

/**
 * Pod specs inside operators' custom resources: the operator builds the pod from them, so
 * whether it mounts a token is decided here too. Their containers are partial (merged into
 * the operator's own), so only the token is checked.
 */
function operatorPodSpecs(o: any): Array<{ path: string; spec: any }> {
  switch (o.kind) {
    case 'Prometheus':
    case 'Alertmanager':
      return [{ path: 'spec', spec: o.spec ?? {} }];
    case 'ClickHouseInstallation':
    case 'ClickHouseKeeperInstallation':
      return (o.spec?.templates?.podTemplates ?? []).map((t: any, i: number) => ({ path: `spec.templates.podTemplates[${i}].spec`, spec: t.spec ?? {} }));
    default:
      return [];
  }
}

function checkToken(spec: any, path: string, report: Report): void {
  if (spec.automountServiceAccountToken !== false) {
    report(PolicyRule.SERVICE_ACCOUNT_TOKEN, `${path}.automountServiceAccountToken`, 'must be false: a pod that does not call the Kubernetes API needs no token (one that does is a policy exception, with its reason)');
  }
}

const ALLOWED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** Sysctls Pod Security allows ("safe" set, Kubernetes 1.29+). */
const SAFE_SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const CREDENTIAL_KEY = /(password|passwd|secret|token|api[_-]?key|routing[_-]?key|private[_-]?key|community)/i;
/** A YAML or INI line that assigns a literal (not an environment reference or file path) to a credential key. */
const CREDENTIAL_LINE = /^\s*-?\s*"?([A-Za-z_.-]*(password|passwd|secret_key|secret|token|api_key|routing_key|community))"?\s*[:=]\s*"?([^"\s#][^"#]*?)"?\s*$/im;

/** A URL whose authority starts with user info: `scheme://user[:password]@`. */
const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@'"`]+)@([^\s/?#'"`]*)/gi;

type Report = (rule: PolicyRule, field: string, message: string) => void;

/** Reports each URL in `text` that embeds credentials; the message shows the URL with its user info masked. */
function checkUrls(text: string, field: string, report: Report): void {
  for (const m of text.matchAll(URL_WITH_USERINFO)) {
    const kind = m[2].includes(':') ? 'a user name and password' : 'a user name';
    report(PolicyRule.URL_CREDENTIAL, field, `URL "${m[1]}***@${m[3]}" embeds ${kind}; pass credentials from a Secret (an environment variable or a mounted file), never in the URL`);
  }
}

function checkContainer(c: any, field: string, pod: any, template: PodTemplate, report: Report): void {
  const sc = c.securityContext ?? {};
  const podSc = pod.securityContext ?? {};
  if (sc.privileged === true) report(PolicyRule.POD_SECURITY, `${field}.securityContext.privileged`, 'must not be true');
  if (sc.allowPrivilegeEscalation !== false) report(PolicyRule.POD_SECURITY, `${field}.securityContext.allowPrivilegeEscalation`, 'must be false');
  const drop: string[] = sc.capabilities?.drop ?? [];
  if (!drop.includes('ALL')) report(PolicyRule.POD_SECURITY, `${field}.securityContext.capabilities.drop`, 'must include ALL');
  for (const cap of sc.capabilities?.add ?? []) {
    if (cap !== 'NET_BIND_SERVICE') report(PolicyRule.POD_SECURITY, `${field}.securityContext.capabilities.add`, `${cap} is not allowed (only NET_BIND_SERVICE)`);
  }
  if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) report(PolicyRule.POD_SECURITY, `${field}.securityContext.runAsNonRoot`, 'must be true (here or in the pod securityContext)');
  if ((sc.runAsUser ?? podSc.runAsUser) === 0) report(PolicyRule.POD_SECURITY, `${field}.securityContext.runAsUser`, 'must not be 0');
  const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') report(PolicyRule.POD_SECURITY, `${field}.securityContext.seccompProfile.type`, 'must be RuntimeDefault or Localhost (here or in the pod securityContext)');
  if (sc.procMount && sc.procMount !== 'Default') report(PolicyRule.POD_SECURITY, `${field}.securityContext.procMount`, 'must be Default');
  (c.ports ?? []).forEach((p: any, i: number) => {
    if (p.hostPort) report(PolicyRule.POD_SECURITY, `${field}.ports[${i}].hostPort`, 'host ports are not allowed');
  });
  if (sc.readOnlyRootFilesystem !== true) report(PolicyRule.READ_ONLY_ROOT, `${field}.securityContext.readOnlyRootFilesystem`, 'must be true');
  for (const kind of ['requests', 'limits']) {
    for (const res of ['cpu', 'memory']) {
      if (c.resources?.[kind]?.[res] === undefined) report(PolicyRule.RESOURCES, `${field}.resources.${kind}.${res}`, 'is required');
    }
  }
  if (!isPinnedImage(String(c.image ?? ''))) report(PolicyRule.PINNED_IMAGE, `${field}.image`, `"${c.image ?? ''}" is not pinned (repository:tag with a tag other than latest in any case, or @sha256:digest)`);
  (c.env ?? []).forEach((e: any, i: number) => {
    if (typeof e.value === 'string') checkUrls(e.value, `${field}.env[${i}].value`, report);
  });
  for (const list of ['command', 'args']) {
    (c[list] ?? []).forEach((a: unknown, i: number) => checkUrls(String(a), `${field}.${list}[${i}]`, report));
  }
  if (template.longRunning && !field.includes('initContainers')) {
    if (!c.readinessProbe) report(PolicyRule.PROBES, `${field}.readinessProbe`, 'is required');
    if (!c.livenessProbe) report(PolicyRule.PROBES, `${field}.livenessProbe`, 'is required');
  }
}

function checkPodTemplate(o: any, t: PodTemplate, report: Report): void {
  const at = (f: string) => (t.path ? `${t.path}.${f}` : f);
  const spec = t.spec;
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[host] === true) report(PolicyRule.POD_SECURITY, at(`spec.${host}`), 'must not be true');
  }
  (spec.volumes ?? []).forEach((v: any, i: number) => {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !ALLOWED_VOLUME_TYPES.includes(type)) report(PolicyRule.POD_SECURITY, at(`spec.volumes[${i}].${type}`), `volume type ${type} is not allowed (allowed: ${ALLOWED_VOLUME_TYPES.join(', ')})`);
  });
  (spec.securityContext?.sysctls ?? []).forEach((s: any, i: number) => {
    if (!SAFE_SYSCTLS.includes(s.name)) report(PolicyRule.POD_SECURITY, at(`spec.securityContext.sysctls[${i}].name`), `${s.name} is not a safe sysctl`);
  });
  for (const list of ['initContainers', 'containers']) {
    (spec[list] ?? []).forEach((c: any, i: number) => checkContainer(c, at(`spec.${list}[${i}]`), spec, t, report));
  }
  checkToken(spec, at('spec'), report);
  const missingPodLabels = REQUIRED_WORKLOAD_LABELS.filter((l) => !t.metadata?.labels?.[l]);
  if (missingPodLabels.length) report(PolicyRule.WORKLOAD_LABELS, at('metadata.labels'), `missing ${missingPodLabels.join(', ')}`);
  const missing = REQUIRED_WORKLOAD_LABELS.filter((l) => !o.metadata?.labels?.[l]);
  if (missing.length && t.path) report(PolicyRule.WORKLOAD_LABELS, 'metadata.labels', `missing ${missing.join(', ')}`);
  if (o.metadata?.labels?.[HeliosLabel.PART_OF] !== undefined && o.metadata.labels[HeliosLabel.PART_OF] !== PART_OF) {
    report(PolicyRule.WORKLOAD_LABELS, `metadata.labels.${HeliosLabel.PART_OF}`, `must be "${PART_OF}"`);
  }
}

function checkSecret(o: any, report: Report): void {
  for (const field of ['data', 'stringData']) {
    if (o[field] && Object.keys(o[field]).length > 0) {
      report(PolicyRule.SECRET_DATA, field, `a Secret must not carry values in manifests (keys: ${Object.keys(o[field]).join(', ')}); use an ExternalSecret`);
    }
  }
}

function checkConfigMap(o: any, report: Report): void {
  for (const [key, value] of Object.entries<string>(o.data ?? {})) {
    checkUrls(String(value), `data.${key}`, report);
    if (CREDENTIAL_KEY.test(key)) report(PolicyRule.CONFIGMAP_CREDENTIAL, `data.${key}`, 'a key named like a credential does not belong in a ConfigMap; use an ExternalSecret');
    const m = CREDENTIAL_LINE.exec(String(value));
    if (m && !/^(\$\{|\$\(|\/|<)/.test(m[3]) && !/_file$|_path$|Ref$/i.test(m[1])) {
      report(PolicyRule.CONFIGMAP_CREDENTIAL, `data.${key}`, `line "${m[0].trim()}" assigns a literal credential; read it from an environment variable or a mounted Secret`);
    }
  }
}

function isDefaultDeny(o: any): boolean {
  const types: string[] = o.spec?.policyTypes ?? [];
  const selector = o.spec?.podSelector ?? {};
  return o.kind === 'NetworkPolicy'
    && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
    && types.includes('Ingress') && types.includes('Egress')
    && (o.spec?.ingress ?? []).length === 0 && (o.spec?.egress ?? []).length === 0;
}

function excepted(exceptions: readonly PolicyException[], rule: PolicyRule, o: KubeObject, field: string): boolean {
  return exceptions.some((e) => e.rule === rule && e.kind === o.kind && e.name === o.metadata.name
    && (e.namespace ?? undefined) === (o.metadata.namespace ?? undefined) && field.startsWith(e.field));
}

/**
 * Checks a cluster's synthesized files against the Helios policy. Every finding
 * names the file, the object, the field and the rule.
 */
export function checkPolicy(files: readonly ManifestFile[], exceptions: readonly PolicyException[] = POLICY_EXCEPTIONS): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const namespaces = new Set<string>();
  const denied = new Set<string>();
  for (const file of files) {
    for (const o of file.objects) {
      const report: Report = (rule, field, message) => {
        if (!excepted(exceptions, rule, o, field)) findings.push({ rule, file: file.path, object: objectName(o), field, message });
      };
      if (o.kind === 'Namespace' && HELIOS_NAMESPACES.includes(o.metadata.name as any)) namespaces.add(o.metadata.name);
      if (isDefaultDeny(o) && o.metadata.namespace) denied.add(o.metadata.namespace);
      if (o.kind === 'Secret') checkSecret(o, report);
      if (o.kind === 'ConfigMap') checkConfigMap(o, report);
      for (const t of podTemplates(o)) checkPodTemplate(o, t, report);
      for (const p of operatorPodSpecs(o)) checkToken(p.spec, p.path, report);
    }
  }
  for (const ns of [...namespaces].sort()) {
    if (!denied.has(ns)) {
      const file = files.find((f) => f.objects.some((o) => o.kind === 'Namespace' && o.metadata.name === ns));
      findings.push({ rule: PolicyRule.NAMESPACE_DEFAULT_DENY, file: file?.path ?? '?', object: `Namespace ${ns}`, field: 'metadata.name', message: 'no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules) in this namespace' });
    }
  }
  return findings;
}
