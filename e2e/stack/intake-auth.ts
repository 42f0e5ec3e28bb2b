// Integration-test and benchmark support for an intake with `authentication: Kubernetes`: an
// experiment and its topic in a namespace of their own, a producer process with the rights its
// pod would have, ServiceAccount tokens from the TokenRequest API, the ratings-researcher
// ClusterRole of config/rbac bound to a ServiceAccount, and the experiment's authentication
// switched live.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1ClusterRole,
} from '@kubernetes/client-node';
import { load } from 'js-yaml';
import {
  GROUP,
  PLURAL,
  VERSION,
  type RatingExperiment,
  type RatingExperimentSpec,
} from '../../src/api/v1alpha1.ts';
import { eventually } from './eventually.ts';
import { createRatingExperiment, type StackHandle } from './harness.ts';
import { ModeProcess, podKubeconfig } from './mode-process.ts';
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
 * A namespace `<prefix>-<random>` holding experiment `name` whose intake authenticates, and its
 * Kafka topic; stack.cleanup() deletes both.
 */
export async function createAuthenticatingExperiment(
  stack: StackHandle,
  prefix: string,
  name: string,
  {
    partitions,
    spec = {},
    labels,
  }: { partitions: number; spec?: Partial<RatingExperimentSpec>; labels?: Readonly<Record<string, string>> },
): Promise<AuthenticatingExperiment> {
  const namespace = await stack.newNamespace(prefix);
  const topic = `${prefix}-${namespace}`;
  const experiment = await createRatingExperiment(
    stack.kubeConfig,
    { namespace, name },
    {
      topic: { name: topic, partitions },
      producer: { ratingsPerSecond: 0, intake: { authentication: 'Kubernetes' } },
      ...spec,
    },
    labels,
  );
  const admin = await stack.kafkaAdmin();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  stack.onCleanup(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });
  return { namespace, name, topic, experiment };
}

/**
 * The experiment's producer as a local process with its pod's rights, ready when returned;
 * stack.cleanup() kills it. `server` replaces the API server's address (to go through a proxy).
 */
export async function startProducer(
  stack: StackHandle,
  { namespace, name, topic, experiment }: AuthenticatingExperiment,
  { server, env = {} }: { server?: string; env?: Record<string, string> } = {},
): Promise<ModeProcess> {
  const kubeconfig = await podKubeconfig(stack.kubeConfig, experiment, stack.kafkaBootstrap, server);
  const producer = new ModeProcess('producer', `producer-${namespace}`, {
    KUBECONFIG: kubeconfig,
    EXPERIMENT_NAMESPACE: namespace,
    EXPERIMENT_NAME: name,
    KAFKA_BOOTSTRAP_SERVERS: stack.kafkaBootstrap,
    KAFKA_TOPIC: topic,
    EXPERIMENT_POLL_SECONDS: '1',
    ...env,
  });
  stack.onCleanup(async () => void (await producer.stop('SIGKILL')));
  await eventually('the producer to be ready', async () =>
    (await producer.get('/readyz')) === 'ok\n' ? true : undefined,
  );
  return producer;
}

/** Creates ServiceAccount `serviceAccount` and returns a token of it (one hour, any audience). */
export async function serviceAccountToken(
  kubeConfig: KubeConfig,
  namespace: string,
  serviceAccount: string,
): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: serviceAccount } } });
  const { status } = await core.createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
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

/** Sets the experiment's spec.producer.intake.authentication (a merge patch). */
export async function setIntakeAuthentication(
  kubeConfig: KubeConfig,
  { namespace, name }: { namespace: string; name: string },
  authentication: Authentication,
): Promise<void> {
  await kubeConfig.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name,
      body: { spec: { producer: { intake: { authentication } } } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
