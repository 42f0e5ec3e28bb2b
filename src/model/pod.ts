// The data plane's pods and Services: one image in two modes (producer, consumer), hardened to
// the restricted Pod Security Standard, with heaps bounded by the container's memory limit.
import type {
  V1PodDisruptionBudget,
  V1TopologySpreadConstraint,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodSecurityContext,
  V1Probe,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Service,
} from '@kubernetes/client-node';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { heapEnv } from './heap.ts';
import { childMetadata } from './metadata.ts';
import { accessName, experimentRef, labels, selectorLabels } from './names.ts';
import type { ResolvedSpec } from './spec.ts';

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

/**
 * Seconds between SIGTERM and SIGKILL: the producer flushes what it acknowledged; the consumer
 * leaves its group and writes a final checkpoint, possibly after a conflict and a retry.
 */
export const TERMINATION_GRACE_SECONDS: Record<'producer' | 'consumer', number> = {
  producer: 30,
  consumer: 45,
};

/** The conventional annotations Prometheus' Kubernetes discovery configurations look for. */
function scrapeAnnotations(): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(HTTP_PORT),
    'prometheus.io/path': METRICS_PATH,
  };
}

/** What the data-plane containers need besides the spec. */
export interface PodOptions {
  /** The operator's own image, used unless spec.image overrides it. */
  image: string;
  /** The resolved bootstrap servers (see resolveBootstrap). */
  bootstrapServers: string;
  /** LOG_LEVEL of the pods. */
  logLevel?: string;
}

type DataPlaneRole = 'producer' | 'consumer';

/** The Deployment of one data-plane role. */
export function dataPlaneDeployment(
  exp: RatingExperiment,
  spec: ResolvedSpec,
  role: DataPlaneRole,
  name: string,
  options: PodOptions,
): V1Deployment {
  const ref = experimentRef(exp);
  const replicas = role === 'producer' ? spec.producer.replicas : spec.consumer.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(exp, name, role),
    spec: {
      replicas,
      selector: { matchLabels: selectorLabels(ref.name, role) },
      template: {
        // Only what the pods cannot read live goes into the template: they poll their experiment
        // for the catalog and rates, so changing those does not restart them.
        // Scrape annotations on the pods too: pod-role discovery (and the local stack) reads them there.
        metadata: { labels: labels(ref.name, role), annotations: scrapeAnnotations() },
        spec: {
          serviceAccountName: accessName(ref.name),
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS[role],
          securityContext: podSecurityContext(),
          topologySpreadConstraints: spreadOverNodes(selectorLabels(ref.name, role)),
          containers: [container(role, spec, ref, options)],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

/**
 * Replicas of one role on different nodes where the cluster can, so that one node lost or drained
 * takes as few of them as possible. ScheduleAnyway: a cluster of one node (the local stack, a
 * developer's kind) still runs every replica. Counted per rollout (pod-template-hash), so that the
 * pods of an old ReplicaSet do not skew where the new ones go.
 */
function spreadOverNodes(selector: Record<string, string>): V1TopologySpreadConstraint[] {
  return [
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: selector },
      matchLabelKeys: ['pod-template-hash'],
    },
  ];
}

/**
 * At most one pod of a role evicted at a time (a drain, a node upgrade). maxUnavailable rather than
 * minAvailable: with one replica a minAvailable of 1 would block every drain forever, while one
 * eviction at a time only makes that replica move. The consumers' totals stay exact through any
 * eviction (their checkpoints are the argument of src/ratings/checkpoint.ts); the budget keeps a
 * drain from stopping every counting pod at once. Pods that are not ready may always be evicted,
 * so that a crash-looping pod never holds a drain.
 */
export function dataPlaneDisruptionBudget(
  exp: RatingExperiment,
  role: DataPlaneRole,
  name: string,
): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(exp, name, role),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(experimentRef(exp).name, role) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

/** The Service of one data-plane role: its HTTP API and, under a port of its own name, its metrics. */
export function dataPlaneService(exp: RatingExperiment, role: DataPlaneRole, name: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...childMetadata(exp, name, role), annotations: scrapeAnnotations() },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(experimentRef(exp).name, role),
      ports: [
        { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: METRICS_PORT, targetPort: 'http', protocol: 'TCP' },
      ],
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
  component: DataPlaneRole,
  spec: ResolvedSpec,
  ref: { namespace: string; name: string },
  options: PodOptions,
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
