// Integration-test and benchmark support for an intake with `authentication: Kubernetes`: an
// experiment and its topic in a namespace of their own (its producer: startProducer of
// mode-process.ts), ServiceAccount tokens from the TokenRequest API, the ratings-researcher
// ClusterRole of config/rbac bound to a ServiceAccount, and the experiment's authentication
// switched live.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1ClusterRole,
} from '@kubernetes/client-node';
import { load } from 'js-yaml';
import type { RatingExperiment, RatingExperimentSpec } from '../../src/api/v1alpha1.ts';
import { createExperimentWithTopic, mergePatchRatingExperiment, type StackHandle } from './harness.ts';
import { repoRoot } from './stack.ts';

export type Authentication = 'None' | 'Kubernetes';

export interface AuthenticatingExperiment {
  namespace: string;
  name: string;
  /** `<prefix>-<namespace>`, created with the experiment's partitions. */
  topic: string;
  experiment: RatingExperiment;
}

/**
 * A namespace `<prefix>-<random>` holding experiment `name` whose intake authenticates, on a
 * Kafka topic of its own; stack.cleanup() deletes both.
 */
export async function createAuthenticatingExperiment(
  stack: StackHandle,
  prefix: string,
  name: string,
  {
    partitions,
    spec = {},
    labels,
  }: {
    partitions: number; /** More of the spec (a catalog); not the topic nor the producer. */
    spec?: Partial<RatingExperimentSpec>;
    labels?: Readonly<Record<string, string>>;
  },
): Promise<AuthenticatingExperiment> {
  const namespace = await stack.newNamespace(prefix);
  const topic = `${prefix}-${namespace}`;
  const experiment = await createExperimentWithTopic(
    stack,
    { namespace, name },
    {
      ...spec,
      topic: { name: topic, partitions },
      producer: { ratingsPerSecond: 0, intake: { authentication: 'Kubernetes' } },
    },
    labels,
  );
  return { namespace, name, topic, experiment };
}

/**
 * A token of ServiceAccount `serviceAccount` (created unless it exists), valid one hour: for
 * `audiences` when given (an authenticating intake takes only its intakeAudience), else for the
 * API server's own.
 */
export async function serviceAccountToken(
  kubeConfig: KubeConfig,
  namespace: string,
  serviceAccount: string,
  { audiences = [] }: { audiences?: string[] } = {},
): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name: serviceAccount } } })
    .catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  const { status } = await core.createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount,
    body: { spec: { audiences, expirationSeconds: 3600 } },
  });
  return status!.token!;
}

/**
 * Lets a ServiceAccount rate every experiment of its namespace: the ratings-researcher
 * ClusterRole of config/rbac (installed unless it exists) bound there as `bindingName`.
 */
export async function allowToRate(
  kubeConfig: KubeConfig,
  namespace: string,
  serviceAccount: string,
  bindingName: string,
): Promise<void> {
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const researcherRole = load(
    readFileSync(join(repoRoot, 'config/rbac/ratings_researcher_role.yaml'), 'utf8'),
  ) as V1ClusterRole;
  await rbac.createClusterRole({ body: researcherRole }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: bindingName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ratings-researcher' },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
  });
}

/** Sets the experiment's spec.producer.intake.authentication. */
export async function setIntakeAuthentication(
  kubeConfig: KubeConfig,
  experiment: { namespace: string; name: string },
  authentication: Authentication,
): Promise<void> {
  await mergePatchRatingExperiment(kubeConfig, experiment, {
    spec: { producer: { intake: { authentication } } },
  });
}
