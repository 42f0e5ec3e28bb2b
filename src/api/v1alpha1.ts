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

/**
 * An experiment labelled `ratings.conglombo.io/staged: "true"` is staged: the operator does not
 * watch it (the label selector of its watch leaves it out) and writes nothing to it or for it.
 * Removing the label hands it to the operator; labelling an experiment the operator manages
 * releases it (see README: Staged experiments).
 */
export const LABEL_STAGED = `${GROUP}/staged`;

/**
 * Set by a user who has seen `status.lost` ratings lost and accepts it: its value, a count N,
 * lets Ready be True again while status.lost <= N. TotalsExact stays False: the totals are not
 * exact, and that does not change.
 */
export const ANNOTATION_ACKNOWLEDGED_LOST = `${GROUP}/acknowledged-lost-ratings`;

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
  /** The totals count every acknowledged rating: False (RatingsLost) once status.lost > 0, for good. */
  TotalsExact: 'TotalsExact',
  /** The consumers' checkpoints are recent: False (CheckpointStale) when they stopped writing while records wait. */
  TotalsCurrent: 'TotalsCurrent',
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
  /** A child's name (a Role, a Service, the intake's ClusterRoleBinding...) is held by an object that is not the experiment's. */
  ChildConflict: 'ChildConflict',
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
  /** The experiment was labelled staged: the operator released it and no longer manages it. */
  Staged: 'Staged',
  /** The API server refused a write of this reconcile (admission, validation, RBAC); the message is its own. */
  ApplyRefused: 'ApplyRefused',
  /** A write of this reconcile failed for a reason that may pass (timeout, conflict, server error); retried. */
  ApplyFailed: 'ApplyFailed',
  /** TotalsExact=True: no acknowledged rating is known to be lost. */
  Exact: 'Exact',
  /** TotalsExact=False (and Ready=False until acknowledged): records were gone before they were counted. */
  RatingsLost: 'RatingsLost',
  /** Ready=True although status.lost > 0: a user acknowledged the loss (ANNOTATION_ACKNOWLEDGED_LOST). */
  LossAcknowledged: 'LossAcknowledged',
  /** TotalsCurrent=True. */
  CheckpointRecent: 'CheckpointRecent',
  /** TotalsCurrent=False: records wait (lag > 0) and no checkpoint was written for much longer than the interval. */
  CheckpointStale: 'CheckpointStale',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
