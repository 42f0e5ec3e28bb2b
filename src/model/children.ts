// The desired state of everything an experiment owns, as server-side apply configurations:
// fully specified (apiVersion, kind, name, namespace, labels), deterministic (same input, same
// output, same key order), and free of values the API server would rewrite, so that applying
// them again changes nothing.
import type {
  V1ClusterRoleBinding,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1NetworkPolicy,
  V1OwnerReference,
  V1PodSecurityContext,
  V1Probe,
  V1ResourceRequirements,
  V1Role,
  V1RoleBinding,
  V1SecurityContext,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { API_VERSION, GROUP, KIND, PLURAL } from '../api/v1alpha1.ts';
import type { Component } from './names.ts';
import {
  accessName,
  clusterScopedLabels,
  consumerName,
  experimentRef,
  intakeReviewerBindingName,
  kafkaTopicResourceName,
  labels,
  producerName,
  selectorLabels,
  topicLabels,
} from './names.ts';
import type { ApiServerEndpoints } from './network-policy.ts';
import { desiredNetworkPolicy } from './network-policy.ts';
import type { ResolvedSpec } from './spec.ts';
import { mustResolveSpec } from './spec.ts';
import type { KafkaTopic } from './strimzi.ts';
import { parseQuantity } from './quantity.ts';
import { KAFKA_TOPIC_KIND, STRIMZI_API_VERSION } from './strimzi.ts';

/** The port of the data-plane HTTP server (API, UI, probes and /metrics). */
export const HTTP_PORT = 8080;
/** The Service port named `metrics`; it forwards to the same container port. */
export const METRICS_PORT = 9090;
export const METRICS_PATH = '/metrics';
/** Container user and group: non-root, as the restricted Pod Security Standard requires. */
export const RUN_AS_USER = 65532;

/** Requests and a memory limit sized for one Node.js data-plane process; no CPU limit. */
export const DEFAULT_RESOURCES = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { memory: '256Mi' },
} as const;

/** Of a container's memory limit, the share all V8 old generations together may fill. */
const HEAP_SHARE_OF_MEMORY_LIMIT = 0.5;
/** No isolate is given less old generation than this, however small the limit. */
const MIN_OLD_SPACE_MIB = 32;
/**
 * An isolate's semi-space (its young generation holds three) is this share of its old one...
 * A producer at 128 MiB of old generation took in bulk imports as fast with 8 MiB semi-spaces as
 * with 16, at 20-25 MiB less peak RSS (bench/README.md).
 */
const SEMI_SPACE_SHARE_OF_OLD = 1 / 16;
/** ...within these bounds (V8 alone would allow 64 MiB). */
const MIN_SEMI_SPACE_MIB = 4;
const MAX_SEMI_SPACE_MIB = 16;

/**
 * NODE_OPTIONS that keep a data-plane process's JavaScript heaps within its memory limit, or
 * undefined when the container has none. Node sizes its heap from the cgroup limit as if the heap
 * could have all of it (a 259 MiB heap limit under 256Mi), so a busy process would be OOM-killed
 * before V8 collected its garbage (a producer under bulk imports reached 433 MiB resident,
 * bench/README.md). Each isolate (the consumer's main thread and every counting thread) has an
 * old generation of its own, so the share is divided among them. The semi-space is set with it:
 * given only an old generation of 128 MiB, V8 still allows a young one of 192 MiB (a heap limit of
 * 320 MiB, measured), and a producer importing in bulk acknowledged 19,541 ratings/s at 303 MiB
 * resident, against 41,476/s at 216 MiB with 16 MiB semi-spaces (bench/README.md). How often V8
 * collects such a heap is set beside it (HEAP_GROWING_PERCENT, heapEnv).
 */
function heapOptions(memoryLimit: unknown, isolates: number): string | undefined {
  const bytes = parseQuantity(memoryLimit);
  if (bytes === undefined || bytes <= 0) return undefined;
  const oldSpace = Math.max(
    MIN_OLD_SPACE_MIB,
    Math.floor((bytes * HEAP_SHARE_OF_MEMORY_LIMIT) / isolates / 2 ** 20),
  );
  const semiSpace = Math.min(
    MAX_SEMI_SPACE_MIB,
    Math.max(MIN_SEMI_SPACE_MIB, Math.floor(oldSpace * SEMI_SPACE_SHARE_OF_OLD)),
  );
  return `--max-old-space-size=${oldSpace} --max-semi-space-size=${semiSpace}`;
}

/**
 * How far, in percent over its live size, V8 lets an old generation grow before its next full
 * collection. Below 256 MB of old generation V8 allows at most 30% (its setting for small devices),
 * so a producer bounded to a 256Mi pod ran 67 full collections in 45 s of bulk imports and took in
 * 36,164 ratings/s; at 100% it ran 20 and took in 61,454/s (bench/README.md). The old-space cap
 * still bounds the heap: only how often it is collected changes.
 */
const HEAP_GROWING_PERCENT = 100;

/**
 * The environment that bounds a data-plane container's heaps: NODE_OPTIONS (heapOptions) and
 * HEAP_GROWING_PERCENT, which Node refuses in NODE_OPTIONS and the process applies itself
 * (src/common/heap-options.ts). Empty when the container has no memory limit.
 */
export function heapEnv(memoryLimit: unknown, isolates: number): Record<string, string> {
  const nodeOptions = heapOptions(memoryLimit, isolates);
  if (nodeOptions === undefined) return {};
  return { NODE_OPTIONS: nodeOptions, HEAP_GROWING_PERCENT: String(HEAP_GROWING_PERCENT) };
}

/**
 * Seconds between SIGTERM and SIGKILL: the producer flushes what it acknowledged; the consumer
 * leaves its group and writes a final checkpoint, possibly after a conflict and a retry.
 */
export const TERMINATION_GRACE_SECONDS: Record<'producer' | 'consumer', number> = {
  producer: 30,
  consumer: 45,
};

export interface ChildrenOptions {
  /** The operator's own image, used unless spec.image overrides it. */
  image: string;
  /** The resolved bootstrap servers (see resolveBootstrap). */
  bootstrapServers: string;
  /** LOG_LEVEL of the pods. */
  logLevel?: string;
  /** See ResolveOptions.keepRecordedTopic. */
  keepRecordedTopic?: boolean;
  /** Where bootstrapServers came from (see BootstrapResult.source). */
  bootstrapSource?: 'spec' | 'listener';
  /** Set when the data-plane pods get a NetworkPolicy: the API server they may reach. */
  networkPolicy?: { apiServer: ApiServerEndpoints };
  /** The ClusterRole allowing TokenReviews that an authenticating intake's ServiceAccount is bound to. */
  intakeReviewerClusterRole?: string;
}

/** The name config/rbac gives the ClusterRole that allows creating TokenReviews (the chart prefixes its release). */
export const INTAKE_REVIEWER_CLUSTER_ROLE = 'ratings-operator-intake-reviewer';

export interface DesiredChildren {
  serviceAccount: V1ServiceAccount;
  role: V1Role;
  roleBinding: V1RoleBinding;
  producerDeployment: V1Deployment;
  consumerDeployment: V1Deployment;
  producerService: V1Service;
  consumerService: V1Service;
  /** Only with options.networkPolicy. */
  networkPolicy?: V1NetworkPolicy;
  /** In the Kafka namespace: no owner reference, tracked by labels and a finalizer. */
  kafkaTopic: KafkaTopic;
  /**
   * Only while spec.producer.intake.authentication is Kubernetes: cluster-scoped (TokenReviews
   * exist only there), so no owner reference either; tracked by labels and deleted by the finalizer.
   */
  intakeReviewerBinding?: V1ClusterRoleBinding;
}

/** The conventional annotations Prometheus' Kubernetes discovery configurations look for. */
function scrapeAnnotations(): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(HTTP_PORT),
    'prometheus.io/path': METRICS_PATH,
  };
}

/** The controller owner reference every namespaced child carries. */
export function ownerReference(exp: RatingExperiment): V1OwnerReference {
  const { name, uid } = experimentRef(exp);
  return { apiVersion: API_VERSION, kind: KIND, name, uid, controller: true, blockOwnerDeletion: true };
}

/**
 * Everything an experiment owns, in the order to apply it (access before the pods that use it).
 * Throws InvalidSpecError when the spec is invalid: call resolveSpec first and report problems.
 */
export function desiredChildren(exp: RatingExperiment, options: ChildrenOptions): DesiredChildren {
  const spec = mustResolveSpec(exp, { keepRecordedTopic: options.keepRecordedTopic });
  const ref = experimentRef(exp);
  // Fresh objects for every child: nothing in the output is aliased.
  const meta = (name: string, component: Component) => ({
    name,
    namespace: ref.namespace,
    labels: labels(ref.name, component),
    ownerReferences: [ownerReference(exp)],
  });
  const access = accessName(ref.name);

  const serviceAccount: V1ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(access, 'access'),
  };
  const authenticating = spec.producer.intake.authentication === 'Kubernetes';
  const role: V1Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(access, 'access'),
    rules: [
      { apiGroups: [GROUP], resources: [PLURAL], resourceNames: [ref.name], verbs: ['get'] },
      {
        apiGroups: [GROUP],
        resources: [`${PLURAL}/status`],
        resourceNames: [ref.name],
        verbs: ['get', 'update', 'patch'],
      },
      // An authenticating intake asks whether a researcher may rate, in this namespace only.
      ...(authenticating
        ? [
            {
              apiGroups: ['authorization.k8s.io'],
              resources: ['localsubjectaccessreviews'],
              verbs: ['create'],
            },
          ]
        : []),
    ],
  };
  const roleBinding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(access, 'access'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: access },
    subjects: [{ kind: 'ServiceAccount', name: access, namespace: ref.namespace }],
  };

  const deployment = (component: 'producer' | 'consumer', name: string, replicas: number): V1Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, component),
    spec: {
      replicas,
      selector: { matchLabels: selectorLabels(ref.name, component) },
      template: {
        // Only what the pods cannot read live goes into the template: they poll their experiment
        // for the catalog and rates, so changing those does not restart them.
        // Scrape annotations on the pods too: pod-role discovery (and the local stack) reads them there.
        metadata: { labels: labels(ref.name, component), annotations: scrapeAnnotations() },
        spec: {
          serviceAccountName: access,
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS[component],
          securityContext: podSecurityContext(),
          containers: [container(component, spec, ref, options)],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  });
  const service = (component: 'producer' | 'consumer', name: string): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...meta(name, component),
      annotations: scrapeAnnotations(),
    },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(ref.name, component),
      ports: [
        { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: METRICS_PORT, targetPort: 'http', protocol: 'TCP' },
      ],
    },
  });

  return {
    serviceAccount,
    role,
    roleBinding,
    producerDeployment: deployment('producer', producerName(ref.name), spec.producer.replicas),
    consumerDeployment: deployment('consumer', consumerName(ref.name), spec.consumer.replicas),
    producerService: service('producer', producerName(ref.name)),
    consumerService: service('consumer', consumerName(ref.name)),
    ...(options.networkPolicy !== undefined && {
      networkPolicy: desiredNetworkPolicy(ref, ownerReference(exp), spec, {
        apiServer: options.networkPolicy.apiServer,
        httpPort: HTTP_PORT,
        bootstrapServers: options.bootstrapServers,
        strimziManaged: options.bootstrapSource !== 'spec',
      }),
    }),
    kafkaTopic: desiredKafkaTopic(ref, spec),
    ...(authenticating && {
      intakeReviewerBinding: intakeReviewerBinding(
        ref,
        options.intakeReviewerClusterRole ?? INTAKE_REVIEWER_CLUSTER_ROLE,
      ),
    }),
  };
}

/** Binds the experiment's ServiceAccount to the ClusterRole that allows creating TokenReviews. */
export function intakeReviewerBinding(
  ref: { namespace: string; name: string },
  clusterRole: string,
): V1ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: intakeReviewerBindingName(ref), labels: clusterScopedLabels(ref) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: accessName(ref.name), namespace: ref.namespace }],
  };
}

/** The children as a list, in apply order (the NetworkPolicy, when there is one, before the pods). */
export function childList(
  children: DesiredChildren,
): (V1ServiceAccount | V1Role | V1RoleBinding | V1Service | V1NetworkPolicy | V1Deployment | KafkaTopic)[] {
  return [
    children.serviceAccount,
    children.role,
    children.roleBinding,
    children.producerService,
    children.consumerService,
    ...(children.networkPolicy !== undefined ? [children.networkPolicy] : []),
    children.producerDeployment,
    children.consumerDeployment,
    children.kafkaTopic,
  ];
}

/** The KafkaTopic of an experiment, in the Kafka cluster's namespace. */
export function desiredKafkaTopic(ref: { namespace: string; name: string }, spec: ResolvedSpec): KafkaTopic {
  const configKeys = Object.keys(spec.topic.config).sort();
  return {
    apiVersion: STRIMZI_API_VERSION,
    kind: KAFKA_TOPIC_KIND,
    metadata: {
      name: kafkaTopicResourceName(spec.topic.name),
      namespace: spec.kafka.namespace,
      labels: topicLabels(ref, spec.kafka.cluster),
    },
    spec: {
      topicName: spec.topic.name,
      partitions: spec.topic.partitions,
      replicas: spec.topic.replicas,
      ...(configKeys.length > 0 && {
        config: Object.fromEntries(configKeys.map((k) => [k, spec.topic.config[k] as string])),
      }),
    },
  };
}

/** Pod-level settings of the restricted Pod Security Standard. */
export function podSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level settings of the restricted Pod Security Standard, plus a read-only root. */
export function containerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function probe(path: string, periodSeconds: number): V1Probe {
  return {
    httpGet: { path, port: 'http', scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 2,
    successThreshold: 1,
    failureThreshold: 3,
  };
}

/** spec.resources, else the defaults; keys sorted so that the output is stable. */
function resources(spec: ResolvedSpec): V1ResourceRequirements {
  const sorted = (m: Record<string, number | string> | undefined) =>
    m === undefined
      ? undefined
      : Object.fromEntries(
          Object.keys(m)
            .sort()
            .map((k) => [k, String(m[k])]),
        );
  if (spec.resources === undefined) {
    return { requests: { ...DEFAULT_RESOURCES.requests }, limits: { ...DEFAULT_RESOURCES.limits } };
  }
  const requests = sorted(spec.resources.requests);
  const limits = sorted(spec.resources.limits);
  return { ...(requests !== undefined && { requests }), ...(limits !== undefined && { limits }) };
}

function container(
  component: 'producer' | 'consumer',
  spec: ResolvedSpec,
  ref: { namespace: string; name: string },
  options: ChildrenOptions,
): V1Container {
  const env: V1EnvVar[] = [
    { name: 'EXPERIMENT_NAMESPACE', value: ref.namespace },
    { name: 'EXPERIMENT_NAME', value: ref.name },
    { name: 'KAFKA_BOOTSTRAP_SERVERS', value: options.bootstrapServers },
    { name: 'KAFKA_TOPIC', value: spec.topic.name },
    { name: 'PORT', value: String(HTTP_PORT) },
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'LOG_LEVEL', value: options.logLevel ?? 'info' },
    // Threads are started once per process: a change restarts the pods, by design.
    component === 'consumer'
      ? { name: 'CONSUMER_WORKERS', value: String(spec.consumer.workers) }
      : { name: 'PRODUCER_WORKERS', value: String(spec.producer.workers) },
  ];
  const limits = resources(spec).limits;
  // The main thread and every worker thread: each isolate has heaps of its own.
  const isolates = 1 + (component === 'consumer' ? spec.consumer.workers : spec.producer.workers);
  for (const [name, value] of Object.entries(heapEnv(limits?.memory, isolates))) env.push({ name, value });
  return {
    name: component,
    image: spec.image ?? options.image,
    args: [component],
    env,
    ports: [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }],
    livenessProbe: probe('/healthz', 10),
    readinessProbe: probe('/readyz', 5),
    resources: resources(spec),
    securityContext: containerSecurityContext(),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}
