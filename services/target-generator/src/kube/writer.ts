import { ApiException, CoreV1Api, type KubeConfig, KubernetesObjectApi, PatchStrategy, type V1ConfigMap } from '@kubernetes/client-node';
import { TARGET_SET_LABEL, TARGET_SETS, TARGET_SHARDS_MAX, targetConfigMapName, targetFileName, targetNamespace, type TargetSet } from '../contract.js';
import { contentHash, type ShardFile } from '../targets/shards.js';

/** The field manager of every apply: the generator owns the data and these annotations, nothing else. */
export const FIELD_MANAGER = 'helios-target-generator';
export const HASH_ANNOTATION = 'helios.io/content-hash';
export const TARGETS_ANNOTATION = 'helios.io/targets';
const READ_CONCURRENCY = 4;
const WRITE_CONCURRENCY = 2;

/** A target ConfigMap as it is in the cluster now. */
export interface LiveShard {
  readonly set: TargetSet;
  readonly namespace: string;
  readonly configMap: string;
  readonly exists: boolean;
  /** The hash of the file it holds (not the annotation: a hand edit changes the file, not the annotation). */
  readonly hash?: string;
  /** The targets it holds, as the annotation the generator wrote says (0 when absent). */
  readonly targets: number;
}

/** Where target files live: the writer's interface as a sync sees it. */
export interface TargetStore {
  read(): Promise<LiveShard[]>;
  write(files: readonly ShardFile[]): Promise<void>;
}

/** A Kubernetes request that failed, named by verb and object. */
export class KubernetesError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'KubernetesError';
  }
}

function explain(e: unknown, verb: string, namespace: string, name: string): KubernetesError {
  const what = `${verb} ConfigMap ${namespace}/${name}`;
  if (e instanceof ApiException) {
    if (e.code === 403) {
      return new KubernetesError(`${what}: forbidden. The Target Generator may get and patch the target ConfigMaps, not create them: `
        + 'apply the Helios manifests, which create every shard, before it runs');
    }
    const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
    return new KubernetesError(`${what}: HTTP ${e.code}: ${(body ?? '').slice(0, 300)}`);
  }
  return new KubernetesError(`${what}: ${(e as Error).message}`);
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Writes target files into their ConfigMaps with server-side apply. Each apply
 * carries the file, a hash of it and its target count, and is made only when the
 * file differs from what the ConfigMap holds.
 */
export class ConfigMapWriter implements TargetStore {
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;

  public constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  /**
   * Every shard of every set, by GET on its name (the Role grants nothing broader),
   * a few at a time: each can hold most of a MiB.
   */
  public async read(): Promise<LiveShard[]> {
    const wanted = TARGET_SETS.flatMap((set) => Array.from({ length: TARGET_SHARDS_MAX }, (_, shard) => ({ set, shard })));
    const shards: LiveShard[] = [];
    for (let i = 0; i < wanted.length; i += READ_CONCURRENCY) {
      shards.push(...await Promise.all(wanted.slice(i, i + READ_CONCURRENCY).map((w) => this.readShard(w.set, w.shard))));
    }
    return shards;
  }

  private async readShard(set: TargetSet, shard: number): Promise<LiveShard> {
    const namespace = targetNamespace(set);
    const name = targetConfigMapName(set, shard);
    let cm: V1ConfigMap;
    try {
      cm = await this.core.readNamespacedConfigMap({ namespace, name });
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return { set, namespace, configMap: name, exists: false, targets: 0 };
      throw explain(e, 'get', namespace, name);
    }
    const file = cm.data?.[targetFileName(set, shard)];
    const targets = Number(cm.metadata?.annotations?.[TARGETS_ANNOTATION] ?? 0);
    return {
      set,
      namespace,
      configMap: name,
      exists: true,
      hash: file === undefined ? undefined : contentHash(file),
      targets: Number.isInteger(targets) && targets > 0 ? targets : 0,
    };
  }

  /** Applies the files, a few at a time; the first failure is thrown once the writes under way end. */
  public async write(files: readonly ShardFile[]): Promise<void> {
    for (let i = 0; i < files.length; i += WRITE_CONCURRENCY) {
      await Promise.all(files.slice(i, i + WRITE_CONCURRENCY).map((f) => this.apply(f)));
    }
  }

  private async apply(f: ShardFile): Promise<void> {
    try {
      await this.objects.patch<V1ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: f.configMap,
          namespace: f.namespace,
          labels: { [TARGET_SET_LABEL]: f.set },
          annotations: { [HASH_ANNOTATION]: f.hash, [TARGETS_ANNOTATION]: String(f.targets) },
        },
        data: { [f.fileName]: f.content },
      }, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (e) {
      throw explain(e, 'apply', f.namespace, f.configMap);
    }
  }
}

/** The files that differ from the cluster, in two waves. */
export interface Changes {
  /** Shards that gain targets (or keep as many), written first... */
  readonly growing: readonly ShardFile[];
  /**
   * ...then shards that lose some: when targets move between shards (the shard
   * count changed), a collector that reads between the two waves sees a target
   * twice for a moment rather than not at all.
   */
  readonly shrinking: readonly ShardFile[];
}

export function changedFiles(files: readonly ShardFile[], live: readonly LiveShard[]): Changes {
  const now = new Map(live.map((l) => [key(l.namespace, l.configMap), l]));
  const changed = files.filter((f) => now.get(key(f.namespace, f.configMap))?.hash !== f.hash);
  const before = (f: ShardFile): number => now.get(key(f.namespace, f.configMap))?.targets ?? 0;
  return {
    growing: changed.filter((f) => f.targets >= before(f)),
    shrinking: changed.filter((f) => f.targets < before(f)),
  };
}
