// Names and labels of the objects an experiment owns. One place, so that the controller, its
// watches and the tests agree on them.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { GROUP, LABEL_STAGED } from '../api/v1alpha1.ts';
import { STRIMZI_CLUSTER_LABEL } from './strimzi.ts';

export const MANAGED_BY = 'ratings-operator';
export const APP_NAME = 'rating-experiment';
export const PART_OF = 'ratings';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** On KafkaTopics, which live in the Kafka namespace where owner references cannot reach. */
export const LABEL_EXPERIMENT_NAMESPACE = `${GROUP}/experiment-namespace`;
export const LABEL_EXPERIMENT_NAME = `${GROUP}/experiment-name`;

/** Label selector matching everything the operator manages (for the controller's watches). */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/**
 * Label selector of the experiments the operator manages: all but the staged ones (`!=` also
 * matches experiments without the label), so the API server filters staged ones out of the watch.
 */
export const UNSTAGED_SELECTOR = `${LABEL_STAGED}!=true`;

/** Whether an experiment is staged (LABEL_STAGED is exactly "true"): the operator leaves it alone. */
export function isStaged(obj: { metadata?: { labels?: Record<string, string> } }): boolean {
  return obj.metadata?.labels?.[LABEL_STAGED] === 'true';
}

/** What a child is to its experiment: the value of its app.kubernetes.io/component label. */
export type ChildRole = 'producer' | 'consumer' | 'access' | 'topic' | 'network';

/** The identity every model function needs; throws when the object was never stored. */
export interface ExperimentRef {
  namespace: string;
  name: string;
  uid: string;
  generation: number;
}

export function experimentRef(exp: RatingExperiment): ExperimentRef {
  const { namespace, name, uid, generation } = exp.metadata ?? {};
  if (!namespace || !name || !uid) {
    throw new Error(
      'a RatingExperiment needs metadata.namespace, name and uid (read it from the API server)',
    );
  }
  return { namespace, name, uid, generation: generation ?? 0 };
}

export const producerName = (name: string): string => `${name}-producer`;
export const consumerName = (name: string): string => `${name}-consumer`;
/** ServiceAccount, Role and RoleBinding share this name. */
export const accessName = (name: string): string => `${name}-ratings`;
/**
 * The ClusterRoleBinding that lets an experiment's ServiceAccount ask TokenReviews while its intake
 * authenticates: `ratings-intake-reviewer.<namespace>.<name>`. A namespace (a DNS label) has no '.',
 * so no two experiments share it.
 */
export const intakeReviewerBindingName = (ref: { namespace: string; name: string }): string =>
  `ratings-intake-reviewer.${ref.namespace}.${ref.name}`;
/**
 * The default Kafka topic: `<namespace>.<name>-ratings`. Neither a namespace nor an experiment
 * name (DNS labels) contains a '.', so the first '.' splits it unambiguously and experiments of
 * the same name in two namespaces never share a topic. At most 63 + 1 + 54 + 8 = 126 characters,
 * within Kafka's 249, and a valid KafkaTopic name as it stands.
 */
export const defaultTopicName = (namespace: string, name: string): string => `${namespace}.${name}-ratings`;

/**
 * The default topic before it carried the namespace. Experiments whose status records it keep it
 * (their totals count that topic's records) unless it belongs to another experiment.
 */
export const legacyDefaultTopicName = (name: string): string => `${name}-ratings`;

/** Labels that select a component's pods; a Deployment selector, so never change them. */
export function selectorLabels(name: string, component: ChildRole): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: name, [LABEL_COMPONENT]: component };
}

/** The recommended labels of every object of an experiment. */
export function labels(name: string, component: ChildRole): Record<string, string> {
  return { ...selectorLabels(name, component), [LABEL_PART_OF]: PART_OF, [LABEL_MANAGED_BY]: MANAGED_BY };
}

/** Labels of the KafkaTopic: Strimzi's cluster label and the experiment it belongs to. */
export function topicLabels(
  ref: { namespace: string; name: string },
  cluster: string,
): Record<string, string> {
  return {
    ...labels(ref.name, 'topic'),
    [STRIMZI_CLUSTER_LABEL]: cluster,
    [LABEL_EXPERIMENT_NAMESPACE]: ref.namespace,
    [LABEL_EXPERIMENT_NAME]: ref.name,
  };
}

/** Labels of a cluster-scoped object of an experiment: owner references cannot reach it either. */
export function clusterScopedLabels(ref: { namespace: string; name: string }): Record<string, string> {
  return {
    ...labels(ref.name, 'access'),
    [LABEL_EXPERIMENT_NAMESPACE]: ref.namespace,
    [LABEL_EXPERIMENT_NAME]: ref.name,
  };
}

/**
 * The experiment a child that owner references cannot reach (a KafkaTopic in the Kafka's
 * namespace, the intake's cluster-scoped binding) belongs to, from its labels.
 */
export function labelledExperiment(child: {
  metadata?: { labels?: Record<string, string> };
}): { namespace: string; name: string } | undefined {
  const l = child.metadata?.labels ?? {};
  const namespace = l[LABEL_EXPERIMENT_NAMESPACE];
  const name = l[LABEL_EXPERIMENT_NAME];
  return namespace && name && l[LABEL_MANAGED_BY] === MANAGED_BY ? { namespace, name } : undefined;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * metadata.name of the KafkaTopic for a Kafka topic name: the topic name itself when it is a valid
 * Kubernetes name (as Strimzi does), otherwise a sanitised form plus a hash of the original, so that
 * distinct topic names never share a KafkaTopic.
 */
export function kafkaTopicResourceName(topicName: string): string {
  if (topicName.length <= 253 && DNS1123_SUBDOMAIN.test(topicName)) return topicName;
  const base = topicName
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/([.-])[.-]+/g, '$1')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 200)
    .replace(/[.-]+$/, '');
  const hash = fnv1a(topicName);
  return base === '' ? `topic-${hash}` : `${base}-${hash}`;
}

/** 32-bit FNV-1a as 8 hex digits: a short, stable fingerprint (not a security measure). */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
