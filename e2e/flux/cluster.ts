// Flux objects on the local stack: the two that `flux bootstrap` would commit (a GitRepository
// for this repository and the Kustomization that syncs a cluster directory of ops/), requests
// for an immediate reconciliation, and a teardown in the order that leaves nothing stuck.
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { FLUX_NAMESPACE } from './paths.ts';

/** The objects bootstrap names `flux-system`: the root of everything Flux applies. */
export const ROOT = 'flux-system';

export type FluxKind = 'GitRepository' | 'Kustomization' | 'HelmRelease';

const resources: Record<FluxKind, { group: string; version: string; plural: string }> = {
  GitRepository: { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' },
  Kustomization: { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' },
  HelmRelease: { group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases' },
};

export type Condition = { type: string; status: string; reason?: string; message?: string };

export type FluxObject = {
  metadata: { name: string; namespace: string; generation?: number; annotations?: Record<string, string> };
  spec: { dependsOn?: { name: string }[]; suspend?: boolean } & Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    artifact?: { revision?: string };
    history?: { chartVersion?: string; status?: string }[];
  };
};

export const FIELD_MANAGER = 'ratings-local-flux';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function condition(object: FluxObject | undefined, type: string): Condition | undefined {
  return object?.status?.conditions?.find((c) => c.type === type);
}

/** Ready=True for the object's current generation. */
export function isReady(object: FluxObject | undefined): boolean {
  return (
    condition(object, 'Ready')?.status === 'True' &&
    object?.status?.observedGeneration === object?.metadata.generation
  );
}

/** The revision Flux reports for a commit on the branch: `<branch>@sha1:<commit>`. */
export const revisionOf = (branch: string, commit: string): string => `${branch}@sha1:${commit}`;

/**
 * Names of the Kustomizations in an order that deletes each one after every Kustomization that
 * depends on it (what depends on nothing left is deleted last; a cycle is broken arbitrarily).
 */
export function deletionOrder(kustomizations: Pick<FluxObject, 'metadata' | 'spec'>[]): string[] {
  const order: string[] = [];
  let remaining = kustomizations;
  while (remaining.length > 0) {
    const needed = new Set(remaining.flatMap((k) => (k.spec.dependsOn ?? []).map((d) => d.name)));
    const leaves = remaining.filter((k) => !needed.has(k.metadata.name));
    const batch = leaves.length > 0 ? leaves : remaining;
    order.push(...batch.map((k) => k.metadata.name));
    remaining = remaining.filter((k) => !batch.includes(k));
  }
  return order;
}

/**
 * Retries `request` while the API server answers 429 "storage is (re)initializing": the answer
 * of a just-restarted API server (another suite restarts it) until its watch caches are filled.
 */
async function whileStorageInitializes<T>(request: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (err) {
      if ((err as { code?: number }).code !== 429 || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

export class FluxClient {
  private readonly custom: CustomObjectsApi;
  private readonly objects: KubernetesObjectApi;

  constructor(kubeConfig: KubeConfig) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  async get(kind: FluxKind, name: string, namespace = FLUX_NAMESPACE): Promise<FluxObject | undefined> {
    try {
      return (await whileStorageInitializes(() =>
        this.custom.getNamespacedCustomObject({
          ...resources[kind],
          namespace,
          name,
        }),
      )) as FluxObject;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async list(kind: FluxKind, namespace = FLUX_NAMESPACE): Promise<FluxObject[]> {
    const list = (await whileStorageInitializes(() =>
      this.custom.listNamespacedCustomObject({ ...resources[kind], namespace }),
    )) as {
      items: FluxObject[];
    };
    return list.items;
  }

  /**
   * What `flux bootstrap` commits under clusters/<name>/flux-system: a GitRepository for the
   * repository and a Kustomization that applies the cluster directory `path` from it.
   */
  async bootstrap(options: { url: string; branch: string; path: string; interval: string }): Promise<void> {
    const meta = { name: ROOT, namespace: FLUX_NAMESPACE };
    const manifests: KubernetesObject[] = [
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: meta,
        spec: { interval: options.interval, url: options.url, ref: { branch: options.branch } },
      } as KubernetesObject,
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: meta,
        spec: {
          interval: '10m',
          path: options.path,
          prune: true,
          sourceRef: { kind: 'GitRepository', name: ROOT },
        },
      } as KubernetesObject,
    ];
    for (const manifest of manifests) {
      await this.objects.patch(
        manifest,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    }
  }

  /** Asks the controller to reconcile now (what `flux reconcile` does). */
  async requestReconcile(kind: FluxKind, name: string, namespace = FLUX_NAMESPACE): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      {
        ...resources[kind],
        namespace,
        name,
        body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } },
      },
      mergePatch,
    );
  }

  private async deleteAndWait(kind: FluxKind, name: string, timeoutMs: number): Promise<void> {
    await this.custom
      .deleteNamespacedCustomObject({ ...resources[kind], namespace: FLUX_NAMESPACE, name })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code !== 404) throw err;
      });
    const deadline = Date.now() + timeoutMs;
    while ((await this.get(kind, name)) !== undefined) {
      if (Date.now() > deadline)
        throw new Error(`${kind} ${FLUX_NAMESPACE}/${name} still exists after ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * Removes what Flux applied, while the controllers still run (their finalizers must run):
   * the root stops syncing first, then each Kustomization is deleted (pruning what it applied)
   * after those that depend on it, so the operator outlives the experiments whose finalizers it
   * runs; the sources last.
   */
  async teardown(timeoutMs = 180_000): Promise<void> {
    if ((await this.get('Kustomization', ROOT)) !== undefined) {
      await this.custom.patchNamespacedCustomObject(
        {
          ...resources.Kustomization,
          namespace: FLUX_NAMESPACE,
          name: ROOT,
          body: { spec: { suspend: true } },
        },
        mergePatch,
      );
    }
    const others = (await this.list('Kustomization')).filter((k) => k.metadata.name !== ROOT);
    for (const name of deletionOrder(others)) await this.deleteAndWait('Kustomization', name, timeoutMs);
    await this.deleteAndWait('Kustomization', ROOT, timeoutMs);
    for (const source of await this.list('GitRepository')) {
      await this.deleteAndWait('GitRepository', source.metadata.name, timeoutMs);
    }
  }
}
