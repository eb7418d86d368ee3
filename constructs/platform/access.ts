import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { HELIOS_NAMESPACES } from './namespaces.js';

/** The three Helios roles, from least to most trusted. */
export enum HeliosRole {
  /** Reads dashboards, workloads and runbooks. */
  VIEWER = 'helios-viewer',
  /** Also runs runbooks, reads logs and restarts collectors. */
  ENGINEER = 'helios-engineer',
  /** Also approves high-risk runbook executions and changes runbooks and alert rules. */
  ADMIN = 'helios-admin',
}

/** Identity-provider groups that hold each Helios role. */
export interface AccessGroups {
  /** @default - nobody */
  readonly viewer?: readonly string[];
  /** @default - nobody */
  readonly engineer?: readonly string[];
  /** @default - nobody */
  readonly admin?: readonly string[];
}

const READ = ['get', 'list', 'watch'];

/** What Helios runs, by API group: everything a viewer may read. Secrets are not among them. */
const HELIOS_RESOURCES: ReadonlyArray<[string, string[]]> = [
  ['', ['pods', 'services', 'endpoints', 'configmaps', 'events', 'persistentvolumeclaims', 'serviceaccounts']],
  ['apps', ['deployments', 'statefulsets', 'daemonsets', 'replicasets']],
  ['batch', ['jobs', 'cronjobs']],
  ['autoscaling', ['horizontalpodautoscalers']],
  ['policy', ['poddisruptionbudgets']],
  ['networking.k8s.io', ['networkpolicies']],
  ['monitoring.coreos.com', ['prometheuses', 'alertmanagers', 'alertmanagerconfigs', 'prometheusrules', 'servicemonitors', 'podmonitors', 'probes', 'scrapeconfigs']],
  ['kafka.strimzi.io', ['kafkas', 'kafkanodepools', 'kafkatopics', 'kafkausers']],
  ['clickhouse.altinity.com', ['clickhouseinstallations']],
  ['external-secrets.io', ['externalsecrets']],
  ['automation.helios.io', ['runbooks', 'runbookexecutions']],
];

const ROLE_RULES: Record<HeliosRole, k8s.PolicyRule[]> = {
  [HeliosRole.VIEWER]: HELIOS_RESOURCES.map(([group, resources]) => ({ apiGroups: [group], resources, verbs: READ })),
  [HeliosRole.ENGINEER]: [
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    // Deleting a collector pod is how an engineer restarts it; the controller recreates it.
    { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
    { apiGroups: ['automation.helios.io'], resources: ['runbookexecutions'], verbs: ['create'] },
  ],
  [HeliosRole.ADMIN]: [
    // "approve" is a custom verb on a pseudo-subresource: the runbook admission policy checks it with the authorizer.
    { apiGroups: ['automation.helios.io'], resources: ['runbookexecutions/approval'], verbs: ['approve'] },
    { apiGroups: ['automation.helios.io'], resources: ['runbookexecutions'], verbs: ['update', 'patch', 'delete'] },
    { apiGroups: ['automation.helios.io'], resources: ['runbooks'], verbs: ['create', 'update', 'patch', 'delete'] },
    { apiGroups: ['monitoring.coreos.com'], resources: ['prometheusrules', 'alertmanagerconfigs'], verbs: ['create', 'update', 'patch', 'delete'] },
    { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['update', 'patch'] },
  ],
};

/** Each role includes the rules of the roles below it. */
const INHERITS: Record<HeliosRole, HeliosRole[]> = {
  [HeliosRole.VIEWER]: [],
  [HeliosRole.ENGINEER]: [HeliosRole.VIEWER],
  [HeliosRole.ADMIN]: [HeliosRole.VIEWER, HeliosRole.ENGINEER],
};

export interface AccessRolesProps {
  readonly labels: Record<string, string>;
  /** @default - no bindings */
  readonly groups?: AccessGroups;
}

/**
 * The ClusterRoles helios-viewer, helios-engineer and helios-admin, and, for the
 * groups given, RoleBindings in every Helios namespace: the roles grant nothing
 * outside Helios's namespaces.
 */
export class AccessRoles extends Construct {
  public constructor(scope: Construct, id: string, props: AccessRolesProps) {
    super(scope, id);
    for (const role of Object.values(HeliosRole)) {
      new k8s.KubeClusterRole(this, role, {
        metadata: { name: role, labels: props.labels },
        rules: [...INHERITS[role], role].flatMap((r) => ROLE_RULES[r]),
      });
    }
    const bindings: Array<[HeliosRole, readonly string[] | undefined]> = [
      [HeliosRole.VIEWER, props.groups?.viewer],
      [HeliosRole.ENGINEER, props.groups?.engineer],
      [HeliosRole.ADMIN, props.groups?.admin],
    ];
    for (const [role, groups] of bindings) {
      if (!groups?.length) continue;
      for (const namespace of HELIOS_NAMESPACES) {
        new k8s.KubeRoleBinding(this, `${namespace}-${role}`, {
          metadata: { name: role, namespace, labels: props.labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
          subjects: [...groups].sort().map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
        });
      }
    }
  }
}
