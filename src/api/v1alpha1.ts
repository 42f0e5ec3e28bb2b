// The ratings.conglombo.io/v1alpha1 API: identifiers, condition vocabulary and the resource
// types generated from the CRD in crds/ (the single source of the schema).

export type * from './v1alpha1.generated.ts';
export { crdPath, loadCrd } from './crd.ts';

export const GROUP = 'ratings.conglombo.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'RatingExperiment';
export const LIST_KIND = 'RatingExperimentList';
export const PLURAL = 'ratingexperiments';
export const SINGULAR = 'ratingexperiment';
/** metadata.name of the CustomResourceDefinition. */
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Set on experiments so that their KafkaTopic (in another namespace) is cleaned up on deletion. */
export const FINALIZER = `${GROUP}/kafkatopic`;

/** Condition types of `status.conditions`. */
export const ConditionType = {
  /** Summary, kstatus-compatible: True when every child is ready and the generation observed. */
  Ready: 'Ready',
  /** The KafkaTopic exists and Strimzi reports it Ready. */
  TopicReady: 'TopicReady',
  /** The producer Deployment has rolled out and its pods are available. */
  ProducerAvailable: 'ProducerAvailable',
  /** The consumer Deployment has rolled out and its pods are available. */
  ConsumerAvailable: 'ConsumerAvailable',
  /** kstatus "abnormal-true": True while the experiment is converging (InProgress). */
  Reconciling: 'Reconciling',
  /** kstatus "abnormal-true": True when it cannot converge without a change by the user (Failed). */
  Stalled: 'Stalled',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** Reasons of the conditions: CamelCase, stable, meant for machines (messages are for people). */
export const Reason = {
  /** Ready=True: everything reconciled and ready. */
  Reconciled: 'Reconciled',
  /** The spec is invalid in a way admission could not refuse; the message says how. */
  InvalidSpec: 'InvalidSpec',
  /** The Kafka resource named by spec.kafka does not exist. */
  KafkaNotFound: 'KafkaNotFound',
  /** No bootstrap address: no override and no usable listener in the Kafka status. */
  BootstrapUnresolved: 'BootstrapUnresolved',
  /** TopicReady=True. */
  TopicReady: 'TopicReady',
  /** The KafkaTopic is not (yet) Ready; the message carries Strimzi's. */
  TopicNotReady: 'TopicNotReady',
  /** The KafkaTopic's name is taken by a KafkaTopic of another experiment. */
  TopicConflict: 'TopicConflict',
  /** The KafkaTopic has not been created or observed yet. */
  TopicPending: 'TopicPending',
  /** A Deployment is available at its desired replicas. */
  DeploymentAvailable: 'DeploymentAvailable',
  /** A Deployment is scaled to zero replicas on purpose. */
  ScaledToZero: 'ScaledToZero',
  /** A Deployment is rolling out (new generation, updated or available replicas short). */
  Progressing: 'Progressing',
  /** A Deployment exceeded its progress deadline: its pods do not become available. */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** A Deployment failed to progress or has fewer available replicas than it needs. */
  DeploymentUnavailable: 'DeploymentUnavailable',
  /** A Deployment has not been created or observed yet. */
  DeploymentNotFound: 'DeploymentNotFound',
  /** A condition is waiting on another one (for example the Deployments on the bootstrap address). */
  Waiting: 'Waiting',
  /** The experiment is being deleted. */
  Deleting: 'Deleting',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
