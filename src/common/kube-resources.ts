// The API resources the controller reads and writes, and how their REST paths are built.

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  // Strings on the wire (the generated client types say Date; we never convert them).
  deletionTimestamp?: unknown;
  creationTimestamp?: unknown;
  managedFields?: unknown[];
}

const resource = (group: string, version: string, plural: string, kind: string, namespaced = true) => ({
  group,
  version,
  plural,
  kind,
  namespaced,
});

export const resources = {
  ratingExperiment: resource('ratings.conglombo.io', 'v1alpha1', 'ratingexperiments', 'RatingExperiment'),
  deployment: resource('apps', 'v1', 'deployments', 'Deployment'),
  service: resource('', 'v1', 'services', 'Service'),
  serviceAccount: resource('', 'v1', 'serviceaccounts', 'ServiceAccount'),
  role: resource('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
  roleBinding: resource('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
  networkPolicy: resource('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy'),
  podDisruptionBudget: resource('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget'),
  clusterRoleBinding: resource(
    'rbac.authorization.k8s.io',
    'v1',
    'clusterrolebindings',
    'ClusterRoleBinding',
    false,
  ),
  kafka: resource('kafka.strimzi.io', 'v1', 'kafkas', 'Kafka'),
  kafkaTopic: resource('kafka.strimzi.io', 'v1', 'kafkatopics', 'KafkaTopic'),
  lease: resource('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  event: resource('events.k8s.io', 'v1', 'events', 'Event'),
} satisfies Record<string, ResourceType>;

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** The resource type whose apiVersion and kind an object declares, among those we know. */
export function typeOf(obj: KubeObject): ResourceType | undefined {
  return Object.values(resources).find((t) => t.kind === obj.kind && apiVersionOf(t) === obj.apiVersion);
}

export interface PathOptions {
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/namespaces/ns/services/name` and the like; without a namespace, all namespaces. */
export function resourcePath(type: ResourceType, { namespace, name, subresource }: PathOptions = {}): string {
  const root = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const scope =
    type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  let path = `${root}${scope}/${type.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** The work-queue key of a namespaced object: `namespace/name`. */
export function objectKey(obj: { metadata?: ObjectMeta }): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
