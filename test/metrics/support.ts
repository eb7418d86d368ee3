import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { synthesize } from '../../src/synth.js';

export interface OneClusterOptions {
  /** @default "medium" */
  readonly tier?: string;
  /** The `storage:` value, as YAML. @default "{ topology: single-dc-minio }" */
  readonly storage?: string;
  /** More cluster settings, as YAML lines indented for the cluster entry. @default - none */
  readonly extra?: string;
}

/** A helios.yaml with one cluster, dc1 in datacenter ams1. */
export function oneCluster(options: OneClusterOptions = {}): string {
  return `clusters:
  - name: dc1
    datacenter: ams1
    tier: ${options.tier ?? 'medium'}
    storage: ${options.storage ?? '{ topology: single-dc-minio }'}
    managementNetworks: [10.0.0.0/8]
    netbox: { url: https://netbox.example.net, networks: [198.51.100.0/24] }
${options.extra ?? ''}`;
}

/** Every synthesized object of a config, by cluster name. */
export function synthObjects(config: string): Map<string, any[]> {
  const byCluster = new Map<string, any[]>();
  for (const file of synthesize(parseConfig(config, 'test.yaml')).files) {
    const cluster = file.path.split('/')[0];
    byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), ...file.objects]);
  }
  return byCluster;
}

/** The synthesized objects of a config with exactly one cluster. */
export function clusterObjects(config: string): any[] {
  const byCluster = synthObjects(config);
  if (byCluster.size !== 1) throw new Error(`expected one cluster, the config has ${[...byCluster.keys()].join(', ')}`);
  return [...byCluster.values()][0];
}

/** The object of a kind and name (in a namespace, or cluster-scoped without one); fails when absent. */
export function find(objects: readonly any[], kind: string, name: string, namespace?: string): any {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? undefined) === namespace);
  if (!found) throw new Error(`no ${kind} ${namespace ? `${namespace}/` : ''}${name} among the synthesized objects`);
  return found;
}

/** Every object of a kind. */
export function all(objects: readonly any[], kind: string): any[] {
  return objects.filter((o) => o.kind === kind);
}

export function parseYaml(text: string): any {
  return parse(text);
}

/**
 * The files of an ExternalSecret's template as the External Secrets Operator renders
 * them: each `{{ .key | toJson }}` becomes the value as a JSON string.
 */
export function renderExternalSecret(externalSecret: any, values: Readonly<Record<string, string>>): Record<string, string> {
  const template: Record<string, string> = externalSecret.spec.target.template?.data ?? {};
  return Object.fromEntries(Object.entries(template).map(([file, text]) => [file, text.replace(
    /\{\{ \.([A-Za-z][A-Za-z0-9]*) \| toJson \}\}/g,
    (_, key: string) => {
      if (!(key in values)) throw new Error(`template ${file} needs a value for ${key}`);
      return JSON.stringify(values[key]);
    },
  )]));
}

/** The arguments of a workload's first container. */
export function containerArgs(workload: any): string[] {
  return workload.spec.template.spec.containers[0].args ?? [];
}

/** The values of every `--flag=value` argument for a flag, in order. */
export function flagValues(args: readonly string[], flag: string): string[] {
  const prefix = `--${flag}=`;
  return args.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length));
}

/** The `alerting` block of a cluster with every receiver kind configured, each credential in the secret store. */
export const ALL_RECEIVERS = `    alerting:
      pagerduty: { routingKey: { key: helios/alertmanager, property: pagerduty-routing-key } }
      slack: { apiUrl: { key: helios/alertmanager, property: slack-webhook-url }, channel: "#netops-alerts" }
      email:
        to: netops@example.net
        from: helios@example.net
        smarthost: smtp.example.net:587
        username: helios
        password: { key: helios/alertmanager, property: smtp-password }
      deadMansSwitch: { url: { key: helios/alertmanager, property: deadmansswitch-url } }
`;
