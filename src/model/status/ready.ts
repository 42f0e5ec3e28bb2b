// The controller's conditions and their roll-up into Ready (kstatus-compatible, with Reconciling
// and Stalled): judged from the spec, the Kafka's bootstrap address, the outcome of this
// reconcile's writes, each child's health, the loss of ratings and the checkpoints' freshness.
import type { V1Deployment } from '@kubernetes/client-node';
import { ANNOTATION_ACKNOWLEDGED_LOST, ConditionType, LABEL_STAGED, Reason } from '../../api/v1alpha1.ts';
import type { BootstrapResult } from '../bootstrap.ts';
import type { KafkaTopic } from '../strimzi.ts';
import { checkpointHealth, type CheckpointReport } from './checkpoints.ts';
import type { ConditionStatus, DesiredCondition } from './conditions.ts';
import { deploymentAvailable, topicReady, type Health } from './health.ts';
import { totalsExact } from './loss.ts';
import type { ApplyFailure } from './outcome.ts';

export interface ConditionInputs {
  /** metadata.generation of the experiment. */
  generation: number;
  /** From resolveSpec; non-empty means the spec is invalid. */
  specProblems?: readonly string[];
  /** From resolveBootstrap; undefined when it was not attempted (invalid spec). */
  bootstrap?: BootstrapResult;
  /** The observed KafkaTopic; undefined when absent. */
  topic?: KafkaTopic;
  /** From topicConflict. */
  topicConflict?: string;
  /** Children held by objects not the experiment's (childOwnership 'foreign'), one message each. */
  childConflicts?: readonly string[];
  /** Children an earlier experiment of the same name still holds (childOwnership 'predecessor'). */
  childWaits?: readonly string[];
  /** The Deployments as this reconcile left them (the API server's answer to our write, else the cache). */
  producerDeployment?: V1Deployment;
  consumerDeployment?: V1Deployment;
  /** The writes of this reconcile that failed. */
  applyFailures?: readonly ApplyFailure[];
  /** status.lost: acknowledged ratings the consumers found gone before they were counted. */
  lost?: number;
  /** The count a user acknowledged (ANNOTATION_ACKNOWLEDGED_LOST), when set and valid. */
  acknowledgedLost?: number;
  checkpoints?: CheckpointReport;
  now?: Date;
}

const TRUE = 'True';
const FALSE = 'False';

/** The Ready condition as judged, and whether only a change by a person can make it True. */
interface Verdict {
  ready: Health;
  stalled: boolean;
  /** What the Stalled message tells the user to do. */
  remedy: string;
}

type ChildHealth = [type: string, health: Health];

const SPEC_REMEDY = 'change the spec to recover';

/**
 * The controller's conditions, in a fixed order: Ready, TopicReady, ProducerAvailable,
 * ConsumerAvailable, TotalsExact, TotalsCurrent, Reconciling, Stalled. They are computed from the
 * outcome of the reconcile: a write the API server refused makes Ready False with its message,
 * and Deployments are judged as the writes left them. Ready is True only when the spec is valid,
 * the bootstrap address resolved, every write succeeded, every child is ready, no loss is
 * unacknowledged and the checkpoints are current; all carry observedGeneration = generation.
 */
export function computeConditions(inputs: ConditionInputs): DesiredCondition[] {
  const children = childHealth(inputs);
  const exact = totalsExact(inputs.lost, inputs.acknowledgedLost);
  const current = checkpointHealth(inputs.checkpoints, inputs.now ?? new Date(0));
  const verdict = blockedVerdict(inputs) ?? childrenVerdict(children, exact, current);
  const { ready, stalled, remedy } = verdict;
  const condition = (type: string, health: Health): DesiredCondition => ({
    type,
    status: health.ok ? TRUE : FALSE,
    observedGeneration: inputs.generation,
    reason: health.reason,
    message: health.message,
  });
  const reconciling = !ready.ok && !stalled;
  return [
    condition(ConditionType.Ready, ready),
    ...children.map(([type, health]) => condition(type, health)),
    condition(ConditionType.TotalsExact, exact),
    condition(ConditionType.TotalsCurrent, current),
    condition(ConditionType.Reconciling, {
      ok: reconciling,
      reason: reconciling ? ready.reason : Reason.Reconciled,
      message: reconciling ? ready.message : 'nothing to do',
    }),
    condition(ConditionType.Stalled, {
      ok: stalled,
      reason: stalled ? ready.reason : Reason.Reconciled,
      message: stalled ? `${ready.message}; ${remedy}` : 'not stalled',
    }),
  ];
}

/** A bootstrap address that did not resolve: everything else waits for it. */
function bootstrapWait(inputs: ConditionInputs): Exclude<BootstrapResult, { ok: true }> | undefined {
  return inputs.bootstrap !== undefined && !inputs.bootstrap.ok ? inputs.bootstrap : undefined;
}

/** TopicReady, ProducerAvailable and ConsumerAvailable, each saying what an absent child waits for. */
function childHealth(inputs: ConditionInputs): ChildHealth[] {
  const waiting = bootstrapWait(inputs);
  let topic = topicReady(inputs.topic);
  if (inputs.topicConflict !== undefined) {
    topic = { ok: false, stalled: true, reason: Reason.TopicConflict, message: inputs.topicConflict };
  } else if (inputs.topic === undefined && waiting?.reason === Reason.KafkaNotFound) {
    topic = { ok: false, reason: waiting.reason, message: waiting.message };
  }
  const deployment = (d: V1Deployment | undefined, component: string): Health => {
    if (d !== undefined) return deploymentAvailable(d);
    if (waiting !== undefined) {
      return {
        ok: false,
        reason: Reason.Waiting,
        message: `the ${component} Deployment waits for the Kafka bootstrap address: ${waiting.message}`,
      };
    }
    if (!topic.ok) {
      return {
        ok: false,
        reason: Reason.Waiting,
        message: `the ${component} Deployment waits for the topic: ${topic.message}`,
      };
    }
    return { ...deploymentAvailable(d), message: `the ${component} Deployment has not been created yet` };
  };
  return [
    [ConditionType.TopicReady, topic],
    [ConditionType.ProducerAvailable, deployment(inputs.producerDeployment, 'producer')],
    [ConditionType.ConsumerAvailable, deployment(inputs.consumerDeployment, 'consumer')],
  ];
}

/** Ready when something before the children decides it: the spec, Kafka, failed writes. */
function blockedVerdict(inputs: ConditionInputs): Verdict | undefined {
  const problems = inputs.specProblems ?? [];
  const waiting = bootstrapWait(inputs);
  const failures = inputs.applyFailures ?? [];
  if (problems.length > 0) {
    const message = `the spec is invalid: ${problems.join('; ')}`;
    return { ready: { ok: false, reason: Reason.InvalidSpec, message }, stalled: true, remedy: SPEC_REMEDY };
  }
  if (waiting !== undefined) {
    return {
      ready: { ok: false, reason: waiting.reason, message: waiting.message },
      stalled: false,
      remedy: SPEC_REMEDY,
    };
  }
  const conflicts = inputs.childConflicts ?? [];
  if (conflicts.length > 0) {
    return {
      ready: { ok: false, reason: Reason.ChildConflict, message: conflicts.join('; ') },
      stalled: true,
      remedy: 'remove or rename the objects named, or rename the experiment, to recover',
    };
  }
  if (failures.length === 0) return childWait(inputs);
  const text = failures.map((f) => `${f.what}: ${f.message}`).join('; ');
  const refused = failures.some((f) => f.terminal);
  return {
    ready: refused
      ? { ok: false, reason: Reason.ApplyRefused, message: `the API server refused ${text}` }
      : { ok: false, reason: Reason.ApplyFailed, message: `could not apply ${text}; retrying` },
    stalled: refused,
    remedy: 'change the spec or what refuses it (an admission policy, RBAC) to recover',
  };
}

/** A child that an earlier experiment of the same name still holds: time (the garbage collector) ends it. */
function childWait(inputs: ConditionInputs): Verdict | undefined {
  const waits = inputs.childWaits ?? [];
  if (waits.length === 0) return undefined;
  return {
    ready: { ok: false, reason: Reason.Waiting, message: waits.join('; ') },
    stalled: false,
    remedy: SPEC_REMEDY,
  };
}

/** Ready from the children, then the totals: the first that is not well decides it. */
function childrenVerdict(
  children: readonly ChildHealth[],
  exact: ReturnType<typeof totalsExact>,
  current: Health,
): Verdict {
  const failing = children.find(([, h]) => !h.ok);
  if (failing !== undefined) {
    const [type, health] = failing;
    return {
      ready: { ok: false, reason: health.reason, message: `${type} is False: ${health.message}` },
      stalled: health.stalled === true,
      remedy: SPEC_REMEDY,
    };
  }
  if (!exact.ok && !exact.acknowledged) {
    return {
      ready: { ok: false, reason: exact.reason, message: `TotalsExact is False: ${exact.message}` },
      stalled: true,
      remedy: `acknowledge the loss with the annotation ${ANNOTATION_ACKNOWLEDGED_LOST} to recover`,
    };
  }
  if (!current.ok) {
    const message = `TotalsCurrent is False: ${current.message}`;
    return { ready: { ok: false, reason: current.reason, message }, stalled: false, remedy: SPEC_REMEDY };
  }
  const [, producer] = children[1]!;
  const [, consumer] = children[2]!;
  return {
    ready: {
      ok: true,
      reason: exact.ok ? Reason.Reconciled : Reason.LossAcknowledged,
      message: `the topic is ready; ${producer.message}; ${consumer.message}${exact.ok ? '' : `; but ${exact.message}`}`,
    },
    stalled: false,
    remedy: SPEC_REMEDY,
  };
}

/**
 * Ready, Reconciling and Stalled only, all with one reason: what the controller writes when it no
 * longer judges the children (staged, deleting). mergeConditions keeps the other conditions as
 * last observed.
 */
function summaryOnly(
  generation: number,
  reason: string,
  conditions: Record<'Ready' | 'Reconciling' | 'Stalled', [ConditionStatus, string]>,
): DesiredCondition[] {
  return (['Ready', 'Reconciling', 'Stalled'] as const).map((type) => ({
    type: ConditionType[type],
    status: conditions[type][0],
    observedGeneration: generation,
    reason,
    message: conditions[type][1],
  }));
}

/**
 * The conditions written once when a managed experiment is staged: Ready=False (Staged), neither
 * reconciling nor stalled. `kept` names what stays behind unmanaged (e.g. its KafkaTopic).
 */
export function stagedConditions(generation: number, kept: string): DesiredCondition[] {
  const message = `labelled ${LABEL_STAGED}=true: the operator released this experiment and no longer manages it; its children are left as they are, and deleting it will not delete ${kept}; remove the label to hand it back`;
  return summaryOnly(generation, Reason.Staged, {
    Ready: [FALSE, message],
    Reconciling: [FALSE, 'staged: not managed'],
    Stalled: [FALSE, 'staged: not managed'],
  });
}

/**
 * The conditions written once the finalizer runs: Ready=False (Deleting) and Reconciling until the
 * experiment is gone. The children's and the totals' conditions stay as last observed, which is
 * still what they were.
 */
export function deletingConditions(generation: number): DesiredCondition[] {
  const message = 'the experiment is being deleted';
  return summaryOnly(generation, Reason.Deleting, {
    Ready: [FALSE, message],
    Reconciling: [TRUE, message],
    Stalled: [FALSE, 'not stalled'],
  });
}
