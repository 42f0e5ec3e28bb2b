// Checks of rendered manifests by the local API server itself: server-side dry runs (schema,
// CRD validation, RBAC object rules) and Pod Security admission, rather than our own reading of
// what those would accept.
import { PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject, KubernetesObjectApi, V1PodSpec } from '@kubernetes/client-node';

const fieldManager = 'deploy-manifest-test';

/** Server-side apply in dry-run mode: what the API server would store, without storing it. */
export function dryRunApply(api: KubernetesObjectApi, object: KubernetesObject): Promise<KubernetesObject> {
  return api.patch(object, undefined, 'All', fieldManager, true, PatchStrategy.ServerSideApply);
}

/**
 * The object moved into `namespace` (a Namespace object is renamed under it instead), so that
 * manifests written for their own namespaces can be checked inside a test's namespace.
 */
export function intoNamespace<T extends KubernetesObject>(object: T, namespace: string): T {
  const metadata = object.metadata ?? {};
  if (object.kind === 'Namespace')
    return { ...object, metadata: { ...metadata, name: `${namespace}-${metadata.name}` } };
  if (metadata.namespace === undefined) return object;
  return { ...object, metadata: { ...metadata, namespace } };
}

/** Labels the namespace so that Pod Security admission enforces the `restricted` profile there. */
export async function enforceRestrictedPodSecurity(
  api: KubernetesObjectApi,
  namespace: string,
): Promise<void> {
  await api.patch(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    },
    undefined,
    undefined,
    fieldManager,
    undefined,
    PatchStrategy.MergePatch,
  );
}

/** Dry-run creation of a Pod with this spec: resolves when admission lets it in. */
export function dryRunPod(
  api: KubernetesObjectApi,
  namespace: string,
  spec: V1PodSpec,
): Promise<KubernetesObject> {
  return api.create(
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'admission-check', namespace }, spec },
    undefined,
    'All',
  );
}

/** The spec with every container's securityContext removed: a control that admission must refuse. */
export function withoutContainerSecurity(spec: V1PodSpec): V1PodSpec {
  return { ...spec, containers: spec.containers.map((c) => ({ ...c, securityContext: {} })) };
}
