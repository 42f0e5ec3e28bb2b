// The desired state of everything an experiment owns, as server-side apply configurations:
// fully specified (apiVersion, kind, name, namespace, labels), deterministic (same input, same
// output, same key order), and free of values the API server would rewrite, so that applying
// them again changes nothing.
import type {
  V1ClusterRoleBinding,
  V1Deployment,
  V1NetworkPolicy,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { INTAKE_REVIEWER_CLUSTER_ROLE, desiredAccess, intakeReviewerBinding } from './access.ts';
import { ownerReference } from './metadata.ts';
import { consumerName, experimentRef, kafkaTopicResourceName, producerName, topicLabels } from './names.ts';
import type { ApiServerEndpoints } from './network-policy.ts';
import { desiredNetworkPolicy } from './network-policy.ts';
import {
  HTTP_PORT,
  dataPlaneDeployment,
  dataPlaneDisruptionBudget,
  dataPlaneService,
  type PodOptions,
} from './pod.ts';
import type { ResolvedSpec } from './spec.ts';
import { mustResolveSpec } from './spec.ts';
import type { KafkaTopic } from './strimzi.ts';
import { KAFKA_TOPIC_KIND, STRIMZI_API_VERSION } from './strimzi.ts';

export interface ChildrenOptions extends PodOptions {
  /** See ResolveOptions.keepRecordedTopic. */
  keepRecordedTopic?: boolean;
  /** Where bootstrapServers came from (see BootstrapResult.source). */
  bootstrapSource?: 'spec' | 'listener';
  /** Set when the data-plane pods get a NetworkPolicy: the API server they may reach. */
  networkPolicy?: { apiServer: ApiServerEndpoints };
  /** The ClusterRole allowing TokenReviews that an authenticating intake's ServiceAccount is bound to. */
  intakeReviewerClusterRole?: string;
}

export interface DesiredChildren {
  serviceAccount: V1ServiceAccount;
  role: V1Role;
  roleBinding: V1RoleBinding;
  producerDeployment: V1Deployment;
  consumerDeployment: V1Deployment;
  producerService: V1Service;
  consumerService: V1Service;
  /** One eviction at a time per role (dataPlaneDisruptionBudget). */
  producerDisruptionBudget: V1PodDisruptionBudget;
  consumerDisruptionBudget: V1PodDisruptionBudget;
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

/**
 * Everything an experiment owns, in the order to apply it (access before the pods that use it).
 * Throws InvalidSpecError when the spec is invalid: call resolveSpec first and report problems.
 */
export function desiredChildren(exp: RatingExperiment, options: ChildrenOptions): DesiredChildren {
  const spec = mustResolveSpec(exp, { keepRecordedTopic: options.keepRecordedTopic });
  const ref = experimentRef(exp);
  const authenticating = spec.producer.intake.authentication === 'Kubernetes';
  return {
    ...desiredAccess(exp, authenticating),
    producerDeployment: dataPlaneDeployment(exp, spec, 'producer', producerName(ref.name), options),
    consumerDeployment: dataPlaneDeployment(exp, spec, 'consumer', consumerName(ref.name), options),
    producerService: dataPlaneService(exp, 'producer', producerName(ref.name)),
    consumerService: dataPlaneService(exp, 'consumer', consumerName(ref.name)),
    producerDisruptionBudget: dataPlaneDisruptionBudget(exp, 'producer', producerName(ref.name)),
    consumerDisruptionBudget: dataPlaneDisruptionBudget(exp, 'consumer', consumerName(ref.name)),
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

/** The children as a list, in apply order (the budgets and the NetworkPolicy, when there is one, before the pods). */
export function childList(
  children: DesiredChildren,
): (
  | V1ServiceAccount
  | V1Role
  | V1RoleBinding
  | V1Service
  | V1PodDisruptionBudget
  | V1NetworkPolicy
  | V1Deployment
  | KafkaTopic
)[] {
  return [
    children.serviceAccount,
    children.role,
    children.roleBinding,
    children.producerService,
    children.consumerService,
    children.producerDisruptionBudget,
    children.consumerDisruptionBudget,
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
