import { Testing } from 'cdk8s';
import { all, find, oneCluster } from './support.js';
import { MetricsStack, PlatformBase, type GrafanaHttps } from '../../constructs/index.js';
import { parseConfig } from '../../src/config/load.js';
import { planCluster } from '../../src/plan.js';
import { synthesize } from '../../src/synth.js';
import { problemsOf } from '../helpers.js';
import { formatSchemaProblem, SchemaValidator } from '../validation/schemas.js';

const validator = new SchemaValidator();
const NS = 'helios-visualization';

/** A cluster serving Grafana at https://grafana.ams1.example.net with this grafana.https block (YAML lines). */
function config(https: string, url = 'https://grafana.ams1.example.net'): string {
  return oneCluster({ extra: `    grafana:\n      url: ${url}\n      https:\n${https.replace(/^/gm, '        ')}\n` });
}

/** The visualization namespace's objects, checked against the Kubernetes and CRD schemas first. */
function synth(text: string): any[] {
  const { files } = synthesize(parseConfig(text, 'helios.yaml'));
  expect(validator.validateFiles(files).map(formatSchemaProblem)).toEqual([]);
  return files.flatMap((f) => f.objects).filter((o) => o.metadata.namespace === NS);
}

const admitted = (objects: any[], namespace: string) => find(objects, 'NetworkPolicy', 'grafana', NS).spec.ingress.filter(
  (rule: any) => rule.from.some((peer: any) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === namespace),
);

describe('Grafana through a Gateway API Gateway', () => {
  it('attaches an HTTPRoute for the URL\'s host to the named listener, with a cert-manager certificate the listener may read', () => {
    const objects = synth(config('gateway: { name: shared, namespace: gateway-system, sectionName: https }\ntls:\n  certManager: { issuer: letsencrypt, kind: ClusterIssuer }'));
    expect(find(objects, 'HTTPRoute', 'grafana', NS).spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'gateway-system', sectionName: 'https' }],
      hostnames: ['grafana.ams1.example.net'],
      rules: [{ backendRefs: [{ name: 'grafana', port: 3000 }] }],
    });
    expect(find(objects, 'Certificate', 'grafana-tls', NS).spec).toEqual({
      secretName: 'grafana-tls',
      dnsNames: ['grafana.ams1.example.net'],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt' },
    });
    expect(find(objects, 'ReferenceGrant', 'grafana-tls-gateway-system', NS).spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'gateway-system' }],
      to: [{ group: '', kind: 'Secret', name: 'grafana-tls' }],
    });
    expect(admitted(objects, 'gateway-system')).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } } }],
      ports: [{ port: 3000, protocol: 'TCP' }],
    }]);
    expect(all(objects, 'Ingress')).toEqual([]);
    const env = find(objects, 'Deployment', 'grafana', NS).spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'GF_SERVER_ROOT_URL', value: 'https://grafana.ams1.example.net' });
  });

  it('without tls leaves the certificate to the listener: no Certificate, no grant', () => {
    const objects = synth(config('gateway: { name: shared, namespace: gateway-system }'));
    const route = find(objects, 'HTTPRoute', 'grafana', NS);
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'gateway-system' }]);
    expect([...all(objects, 'Certificate'), ...all(objects, 'ReferenceGrant')]).toEqual([]);
    expect(admitted(objects, 'gateway-system')).toHaveLength(1);
  });

  it('with an existing TLS secret grants the Gateway that secret and issues nothing', () => {
    const objects = synth(config('gateway: { name: shared, namespace: gateway-system }\ntls: { secretName: grafana-wildcard }'));
    expect(find(objects, 'ReferenceGrant', 'grafana-tls-gateway-system', NS).spec.to).toEqual([{ group: '', kind: 'Secret', name: 'grafana-wildcard' }]);
    expect(all(objects, 'Certificate')).toEqual([]);
  });
});

describe('Grafana through an Ingress', () => {
  it('serves the URL\'s host with the class named, TLS from a cert-manager Issuer, and admits the controller\'s namespace', () => {
    const objects = synth(config('ingress: { className: nginx, namespace: ingress-nginx }\ntls:\n  certManager: { issuer: internal-ca, kind: Issuer }'));
    expect(find(objects, 'Ingress', 'grafana', NS).spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['grafana.ams1.example.net'], secretName: 'grafana-tls' }],
      rules: [{
        host: 'grafana.ams1.example.net',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'grafana', port: { name: 'http' } } } }] },
      }],
    });
    expect(find(objects, 'Certificate', 'grafana-tls', NS).spec.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'Issuer', name: 'internal-ca' });
    expect(admitted(objects, 'ingress-nginx')).toHaveLength(1);
    expect([...all(objects, 'HTTPRoute'), ...all(objects, 'ReferenceGrant')]).toEqual([]);
  });

  it('with an existing TLS secret names it and issues nothing; ingressNamespaces still add to the admitted namespaces', () => {
    const text = config('ingress: { className: traefik, namespace: traefik }\ntls: { secretName: grafana-cert }')
      .replace('      https:\n', '      ingressNamespaces: [monitoring-proxy]\n      https:\n');
    const objects = synth(text);
    expect(find(objects, 'Ingress', 'grafana', NS).spec.tls).toEqual([{ hosts: ['grafana.ams1.example.net'], secretName: 'grafana-cert' }]);
    expect(all(objects, 'Certificate')).toEqual([]);
    expect(admitted(objects, 'traefik')).toHaveLength(1);
    expect(admitted(objects, 'monitoring-proxy')).toHaveLength(1);
  });

  it('is absent without grafana.https: no route in, whatever grafana.url says', () => {
    const objects = synth(oneCluster({ extra: '    grafana: { url: "https://grafana.ams1.example.net" }\n' }));
    expect(['Ingress', 'HTTPRoute', 'Certificate', 'ReferenceGrant'].flatMap((kind) => all(objects, kind))).toEqual([]);
  });
});

describe('grafana.https refuses', () => {
  const gateway = 'gateway: { name: shared, namespace: gateway-system }';

  it('a missing, plain-HTTP or sub-path grafana.url', () => {
    expect(problemsOf(oneCluster({ extra: `    grafana:\n      https: { ${gateway} }\n` }))).toEqual([
      "helios.yaml: clusters[0].grafana.url: is required with grafana.https: Grafana is served at this URL's host (line 8)",
    ]);
    expect(problemsOf(config(gateway, 'http://grafana.ams1.example.net'))).toEqual([
      'helios.yaml: clusters[0].grafana.url: "http://grafana.ams1.example.net" cannot be served by grafana.https; allowed: https://<host> or https://<host>:<port>, with no path (line 9)',
    ]);
    expect(problemsOf(config(gateway, 'https://ops.example.net/grafana'))[0]).toMatch(/grafana\.url: "https:\/\/ops\.example\.net\/grafana" cannot be served/);
  });

  it('both or neither of gateway and ingress', () => {
    expect(problemsOf(config(`${gateway}\ningress: { className: nginx, namespace: ingress-nginx }\ntls: { secretName: x }`))).toEqual([
      'helios.yaml: clusters[0].grafana.https: names both gateway and ingress; allowed: exactly one, gateway { name, namespace, sectionName } for an HTTPRoute or ingress { className, namespace } for an Ingress (line 10)',
    ]);
    expect(problemsOf(config('tls: { secretName: x }'))[0]).toMatch(/^helios\.yaml: clusters\[0\]\.grafana\.https: names neither gateway nor ingress; allowed: exactly one/);
  });

  it('an ingress without tls, and tls naming both or neither source', () => {
    expect(problemsOf(config('ingress: { className: nginx, namespace: ingress-nginx }'))).toEqual([
      'helios.yaml: clusters[0].grafana.https.tls: is required with ingress; allowed: certManager { issuer, kind } or secretName (a TLS Secret in helios-visualization) (line 10)',
    ]);
    expect(problemsOf(config(`${gateway}\ntls: { secretName: x, certManager: { issuer: le } }`))).toEqual([
      'helios.yaml: clusters[0].grafana.https.tls: names both certManager and secretName; allowed: exactly one, certManager { issuer, kind } or secretName (a TLS Secret in helios-visualization) (line 12)',
    ]);
    expect(problemsOf(config(`${gateway}\ntls: {}`))[0]).toMatch(/grafana\.https\.tls: names neither certManager nor secretName/);
  });

  it('a cluster without the metrics stack, which has no Grafana to serve', () => {
    expect(problemsOf(config(gateway).replace('    grafana:\n', '    stacks: { metrics: false }\n    grafana:\n'))).toEqual([
      'helios.yaml: clusters[0].grafana.https: needs stacks.metrics: true (Grafana is part of the metrics stack) (line 11)',
    ]);
  });

  it('unknown keys, issuer kinds and names Kubernetes would not accept, naming the path and what is allowed', () => {
    expect(problemsOf(config(`${gateway}\ntls: { issuer: le }`))[0])
      .toBe('helios.yaml: clusters[0].grafana.https.tls: unknown key "issuer"; allowed: certManager, secretName (line 12)');
    expect(problemsOf(config(`${gateway}\ntls: { certManager: { issuer: le, kind: ACMEIssuer } }`))[0])
      .toBe('helios.yaml: clusters[0].grafana.https.tls.certManager.kind: "ACMEIssuer" is not one of Issuer, ClusterIssuer (line 12)');
    expect(problemsOf(config('gateway: { name: Shared_GW, namespace: gateway-system }'))[0])
      .toMatch(/^helios\.yaml: clusters\[0\]\.grafana\.https\.gateway\.name: "Shared_GW" is not a valid name/);
  });
});

describe('the Grafana construct, used without helios.yaml, refuses', () => {
  const build = (https: GrafanaHttps, grafanaUrl?: string) => () => {
    const plan = planCluster(parseConfig(oneCluster({ extra: '    stacks: { flows: false }\n' }), 'helios.yaml').clusters[0]);
    const chart = Testing.chart();
    new MetricsStack(chart, 'metrics', { platform: new PlatformBase(chart, 'platform', plan.platform), ...plan.metrics!, grafanaUrl, grafanaHttps: https });
  };
  const gateway = { name: 'shared', namespace: 'gateway-system' };
  const ingress = { className: 'nginx', namespace: 'ingress-nginx' };

  it('HTTPS without an https:// root URL with no path', () => {
    expect(build({ gateway })).toThrow('grafana: rootUrl is required to serve Grafana over HTTPS');
    expect(build({ gateway }, 'grafana.example.net')).toThrow('grafana: rootUrl "grafana.example.net" must be https://<host>[:port] with no path');
    expect(build({ gateway }, 'https://example.net/grafana')).toThrow('must be https://<host>[:port] with no path');
  });

  it('both or neither way in, an ingress without a certificate, and two certificate sources', () => {
    const url = 'https://grafana.example.net';
    expect(build({ gateway, ingress, tls: { secretName: 'x' } }, url)).toThrow('grafana https: name either a gateway or an ingress, not both or neither');
    expect(build({}, url)).toThrow('grafana https: name either a gateway or an ingress');
    expect(build({ ingress }, url)).toThrow('grafana https: an ingress needs tls');
    expect(build({ gateway, tls: {} }, url)).toThrow('grafana https tls: name either certManager or secretName, not both or neither');
    expect(build({ gateway }, url)).not.toThrow();
  });
});
