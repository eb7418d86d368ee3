import { join } from 'node:path';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { TIER_NAMES } from '../../src/config/tiers.js';
import { readManifestTree, type KubeObject, type ManifestFile } from '../../src/manifests.js';
import { POLICY_EXCEPTIONS, type PolicyException } from '../../src/policy/exceptions.js';
import { checkPolicy, formatFinding } from '../../src/policy/policy.js';
import { PolicyRule } from '../../src/policy/rules.js';
import { synthesize } from '../../src/synth.js';
import { EXAMPLES } from '../helpers.js';
import { REPO_ROOT } from '../shared.js';
import { formatSchemaProblem, SchemaValidator } from '../validation/schemas.js';

const validator = new SchemaValidator();

function tierConfig(tier: string): string {
  return `clusters:
  - name: ${tier}
    datacenter: dc1
    tier: ${tier}
    storage: { topology: single-dc-minio }
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
`;
}

const outputs: Array<[string, ManifestFile[]]> = [
  ['dist/', readManifestTree(join(REPO_ROOT, 'dist'))],
  ...EXAMPLES.map((e): [string, ManifestFile[]] => [`examples/${e}/dist/`, readManifestTree(join(REPO_ROOT, 'examples', e, 'dist'))]),
  ...TIER_NAMES.map((t): [string, ManifestFile[]] => [`tier ${t}`, [...synthesize(parseConfig(tierConfig(t), `${t}.yaml`)).files]]),
];

describe('every synthesized object', () => {
  it.each(outputs)('%s is valid against the Kubernetes and CRD schemas', (_name, files) => {
    expect(files.length).toBeGreaterThan(0);
    expect(validator.validateFiles(files).map(formatSchemaProblem)).toEqual([]);
  });

  it.each(outputs)('%s passes the Helios policy', (_name, files) => {
    expect(checkPolicy(files).map(formatFinding)).toEqual([]);
  });

  it('leaves no policy exception unused', () => {
    const all = outputs.flatMap(([, files]) => files.flatMap((f) => f.objects));
    const matches = (e: PolicyException, o: KubeObject) => o.kind === e.kind && o.metadata.name === e.name && o.metadata.namespace === e.namespace;
    const unused = POLICY_EXCEPTIONS.filter((e) => !all.some((o) => matches(e, o)));
    expect(unused).toEqual([]);
    expect(all.length).toBeGreaterThan(0);
  });

  it('is checked for a NetworkPolicy in every Helios namespace', () => {
    const [, files] = outputs[0];
    const isFlowsDeny = (o: KubeObject) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny' && o.metadata.namespace === 'helios-flows';
    const withoutDeny = files.map((f) => ({ ...f, objects: f.objects.filter((o) => !isFlowsDeny(o)) }));
    expect(checkPolicy(withoutDeny).map(formatFinding)).toEqual([
      'helios/cluster/helios-namespaces.yaml: Namespace helios-flows: metadata.name: no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules) in this namespace [namespace-default-deny]',
    ]);
  });
});

const labels = {
  'app.kubernetes.io/name': 'probe-agent',
  'app.kubernetes.io/component': 'collector',
  'app.kubernetes.io/part-of': 'helios',
  'helios.io/cluster': 'dc1',
  'helios.io/site': 'dc1',
};

function deployment(container: Record<string, unknown>, replicas: unknown = 1): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe-agent', namespace: 'helios-collection', labels },
    spec: {
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'probe-agent' } },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
          automountServiceAccountToken: false,
          containers: [{
            name: 'agent',
            image: 'quay.io/example/agent:1.2.3',
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            readinessProbe: { tcpSocket: { port: 8080 } },
            livenessProbe: { tcpSocket: { port: 8080 } },
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
            ...container,
          }],
        },
      },
    },
  };
}

const file = (...objects: KubeObject[]): ManifestFile[] => [{ path: 'dc1/helios-collection/probe-agent.yaml', objects }];

describe('the validator rejects broken objects and says what is wrong where', () => {
  it('accepts the well-formed Deployment the broken ones derive from', () => {
    expect(validator.validateFiles(file(deployment({})))).toEqual([]);
    expect(checkPolicy(file(deployment({})))).toEqual([]);
  });

  it('a container without resources', () => {
    const findings = checkPolicy(file(deployment({ resources: undefined }))).map(formatFinding);
    expect(findings).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.containers[0].resources.requests.cpu: is required [resources]',
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.containers[0].resources.requests.memory: is required [resources]',
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.containers[0].resources.limits.cpu: is required [resources]',
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.containers[0].resources.limits.memory: is required [resources]',
    ]);
  });

  it('a Secret with data', () => {
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'snmp-auth', namespace: 'helios-collection', labels }, stringData: { community: 'public' } };
    expect(checkPolicy(file(secret)).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Secret helios-collection/snmp-auth: stringData: a Secret must not carry values in manifests (keys: community); use an ExternalSecret [secret-data]',
    ]);
  });

  it('a ServiceMonitor with an unknown field', () => {
    const monitor: KubeObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'probe-agent', namespace: 'helios-collection', labels },
      spec: { selector: { matchLabels: { a: 'b' } }, endpoints: [{ port: 'metrics', scrapeInterval: '30s' }] },
    };
    expect(validator.validateFiles(file(monitor)).map(formatSchemaProblem)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: ServiceMonitor helios-collection/probe-agent: spec.endpoints[0].scrapeInterval: unknown field "scrapeInterval"',
    ]);
  });

  it('a Deployment with a wrong type', () => {
    expect(validator.validateFiles(file(deployment({}, 'three'))).map(formatSchemaProblem)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.replicas: must be integer',
    ]);
  });

  it('a privileged, unpinned, root container without probes or labels', () => {
    const bad = deployment({ image: 'quay.io/example/agent:latest', securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } }, readinessProbe: undefined });
    const rules = new Set(checkPolicy(file(bad)).map((f) => f.rule));
    expect(rules).toEqual(new Set([PolicyRule.POD_SECURITY, PolicyRule.READ_ONLY_ROOT, PolicyRule.PINNED_IMAGE, PolicyRule.PROBES]));
    const unlabelled = { ...deployment({}), metadata: { name: 'x', namespace: 'helios-collection' } } as KubeObject;
    expect(checkPolicy(file(unlabelled)).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/x: metadata.labels: missing app.kubernetes.io/name, app.kubernetes.io/component, app.kubernetes.io/part-of, helios.io/cluster, helios.io/site [workload-labels]',
    ]);
  });

  it('a credential in a ConfigMap', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'snmp', namespace: 'helios-collection', labels }, data: { 'snmp.yml': 'auths:\n  v3:\n    username: helios\n    password: hunter2\n', 'ok.yml': 'password: ${SNMP_PASSWORD}\n' } };
    expect(checkPolicy(file(cm)).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: ConfigMap helios-collection/snmp: data.snmp.yml: line "password: hunter2" assigns a literal credential; read it from an environment variable or a mounted Secret [configmap-credential]',
    ]);
  });

  it('an image tagged latest in any case', () => {
    expect(checkPolicy(file(deployment({ image: 'quay.io/example/agent:Latest' }))).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.containers[0].image: "quay.io/example/agent:Latest" is not pinned (repository:tag with a tag other than latest in any case, or @sha256:digest) [pinned-image]',
    ]);
    expect(checkPolicy(file(deployment({ image: 'quay.io/example/agent:LATEST' })))[0]?.rule).toBe(PolicyRule.PINNED_IMAGE);
    expect(checkPolicy(file(deployment({ image: 'quay.io/example/agent:latest-1.2' })))).toEqual([]);
  });

  it('credentials in a URL of an environment variable, an argument or a command', () => {
    const bad = deployment({
      env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'NETBOX_URL', value: 'https://helios:s3cret@netbox.example.net/api' }],
      args: ['--listen=:8080', '--kafka=kafka://flows@kafka.helios-flows.svc:9092'],
      command: ['agent', 'https://netbox.example.net', 'ops@example.net'],
    });
    expect(checkPolicy(file(bad)).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.containers[0].env[1].value: URL "https://***@netbox.example.net" embeds a user name and password; pass credentials from a Secret (an environment variable or a mounted file), never in the URL [url-credential]',
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.containers[0].args[1]: URL "kafka://***@kafka.helios-flows.svc:9092" embeds a user name; pass credentials from a Secret (an environment variable or a mounted file), never in the URL [url-credential]',
    ]);
    const leaked = JSON.stringify(checkPolicy(file(bad)));
    expect(leaked).not.toContain('s3cret');
  });

  it('credentials in a URL in a ConfigMap', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'datasources', namespace: 'helios-collection', labels },
      data: {
        'datasources.yaml': 'datasources:\n  - name: thanos\n    url: http://thanos-query:9090\n  - name: flows\n    url: "clickhouse://grafana:hunter2@clickhouse.helios-flows.svc:9000/flows"\n',
        'receivers.yaml': 'email_configs:\n  - to: noc@example.net\n',
      },
    };
    expect(checkPolicy(file(cm)).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: ConfigMap helios-collection/datasources: data.datasources.yaml: URL "clickhouse://***@clickhouse.helios-flows.svc:9000" embeds a user name and password; pass credentials from a Secret (an environment variable or a mounted file), never in the URL [url-credential]',
    ]);
  });

  it('a pod that mounts a service-account token without calling the Kubernetes API', () => {
    const pod = deployment({});
    delete (pod.spec as any).template.spec.automountServiceAccountToken;
    expect(checkPolicy(file(pod)).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Deployment helios-collection/probe-agent: spec.template.spec.automountServiceAccountToken: must be false: a pod that does not call the Kubernetes API needs no token (one that does is a policy exception, with its reason) [service-account-token]',
    ]);
    const alertmanager: KubeObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Alertmanager',
      metadata: { name: 'helios', namespace: 'helios-visualization', labels },
      spec: { replicas: 2, automountServiceAccountToken: true },
    };
    expect(checkPolicy(file(alertmanager)).map(formatFinding)).toEqual([
      'dc1/helios-collection/probe-agent.yaml: Alertmanager helios-visualization/helios: spec.automountServiceAccountToken: must be false: a pod that does not call the Kubernetes API needs no token (one that does is a policy exception, with its reason) [service-account-token]',
    ]);
  });

  it('lets exactly the pods that call the Kubernetes API mount a token, each listed with its reason', () => {
    const [, files] = outputs[0];
    const withoutExceptions = checkPolicy(files, []);
    expect(withoutExceptions.map((f) => `${f.object} ${f.field} [${f.rule}]`)).toEqual([
      'Deployment helios-automation/helios-runbook-operator spec.template.spec.automountServiceAccountToken [service-account-token]',
      'StatefulSet helios-collection/gnmic spec.template.spec.automountServiceAccountToken [service-account-token]',
      'CronJob helios-integration/target-generator spec.jobTemplate.spec.template.spec.automountServiceAccountToken [service-account-token]',
      'Prometheus helios-storage/helios spec.automountServiceAccountToken [service-account-token]',
    ]);
    const tokenExceptions = POLICY_EXCEPTIONS.filter((e) => e.rule === PolicyRule.SERVICE_ACCOUNT_TOKEN);
    expect(tokenExceptions.map((e) => `${e.kind} ${e.namespace}/${e.name}`).sort()).toEqual(withoutExceptions.map((f) => f.object).sort());
    for (const e of tokenExceptions) expect(e.reason.length).toBeGreaterThan(20);
  });

  it('an object of a kind no schema knows', () => {
    const odd: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(validator.validateFiles(file(odd)).map(formatSchemaProblem)[0]).toContain('no schema for apiVersion example.com/v1, kind Widget');
  });
});

describe('the examples', () => {
  it.each(EXAMPLES)('%s configures each of its clusters', (example) => {
    const config = loadConfigFile(join(REPO_ROOT, 'examples', example, 'helios.yaml'));
    expect(config.clusters.length).toBeGreaterThan(0);
  });
});
