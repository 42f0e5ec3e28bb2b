// Reconciles one KafkaTopic: finalizer, topic in Kafka, status. Kafka's refusals become a
// Ready=False status; connection trouble is thrown so that the queue retries with backoff.
import type { Admin } from 'kafkajs';
import type { KubeClient } from '../../src/common/kube-client.ts';
import { resources } from '../../src/common/kube-resources.ts';
import type { Logger } from '../../src/common/logger.ts';
import { applyTopicAction, deleteTopicIfPresent, kafkaRefusal, observeTopic } from './kafka-admin.ts';
import {
  TOPIC_FINALIZER,
  conflictingOwner,
  desiredTopic,
  isBeingDeleted,
  planTopic,
  sameStatus,
  specProblems,
  topicStatus,
  type KafkaTopic,
  type TopicOutcome,
} from './kafka-topic.ts';

/** Who the API server records as writing the finalizer and the status. */
const FIELD_MANAGER = 'topic-operator-standin';

export interface TopicReconcilerOptions {
  admin: Admin;
  client: KubeClient;
  logger: Logger;
  /** The informer's cache: the current KafkaTopic by key, and all of them (for name conflicts). */
  get: (namespace: string, name: string) => KafkaTopic | undefined;
  all: () => readonly KafkaTopic[];
  /** Kafka's ID of a topic (a Metadata v12 request), undefined when there is no such topic. */
  topicId: (name: string) => Promise<string | undefined>;
}

export class TopicReconciler {
  private readonly options: TopicReconcilerOptions;

  constructor(options: TopicReconcilerOptions) {
    this.options = options;
  }

  async reconcile(namespace: string, name: string): Promise<void> {
    const kt = this.options.get(namespace, name);
    if (kt === undefined) return; // gone: the finalizer already let us clean up
    if (isBeingDeleted(kt)) {
      await this.finalize(kt);
      return;
    }
    if (!(kt.metadata.finalizers ?? []).includes(TOPIC_FINALIZER)) {
      await this.patchFinalizers(kt, [...(kt.metadata.finalizers ?? []), TOPIC_FINALIZER]);
    }
    const outcome = await this.converge(kt);
    const status = topicStatus(kt, outcome, new Date());
    if (sameStatus(kt.status, status)) return;
    await this.options.client.mergePatch(
      resources.kafkaTopic,
      namespace,
      name,
      { status },
      FIELD_MANAGER,
      'status',
    );
    this.options.logger.info(
      { namespace, name, topic: status.topicName, ready: outcome.ready, message: outcome.message },
      'KafkaTopic status updated',
    );
  }

  private async converge(kt: KafkaTopic): Promise<TopicOutcome> {
    const desired = desiredTopic(kt);
    const invalid = specProblems(desired);
    if (invalid.length > 0) return notReady(invalid[0]!.reason, invalid.map((p) => p.message).join('; '));
    const owner = conflictingOwner(kt, this.options.all());
    if (owner !== undefined) {
      return notReady(
        'ResourceConflict',
        `topic ${desired.name} is already managed by KafkaTopic ${owner.metadata.namespace}/${owner.metadata.name}`,
      );
    }
    const { admin, logger } = this.options;
    try {
      const plan = planTopic(desired, await observeTopic(admin, desired.name));
      for (const action of plan.actions) {
        await applyTopicAction(admin, desired.name, action);
        logger.info({ topic: desired.name, action: action.kind }, 'changed Kafka topic');
      }
      const problem = plan.problems[0];
      if (problem !== undefined)
        return notReady(problem.reason, plan.problems.map((p) => p.message).join('; '));
      const observed = await observeTopic(admin, desired.name);
      const topicId = await this.options.topicId(desired.name);
      if (observed === undefined || topicId === undefined)
        throw new Error(`topic ${desired.name} vanished right after reconciling it`);
      return {
        ready: true,
        message: `topic ${desired.name} has ${observed.partitions} partitions and replication factor ${observed.replicas}`,
        topicId,
      };
    } catch (err) {
      const refusal = kafkaRefusal(err);
      if (refusal === undefined) throw err;
      return notReady('KafkaError', refusal);
    }
  }

  private async finalize(kt: KafkaTopic): Promise<void> {
    const finalizers = kt.metadata.finalizers ?? [];
    if (!finalizers.includes(TOPIC_FINALIZER)) return;
    const name = desiredTopic(kt).name;
    // A KafkaTopic that lost a name conflict never owned the topic: deleting it must not
    // delete the owner's data.
    if (conflictingOwner(kt, this.options.all()) === undefined) {
      const deleted = await deleteTopicIfPresent(this.options.admin, name);
      this.options.logger.info({ topic: name, deleted }, 'KafkaTopic deleted: topic removed from Kafka');
    }
    await this.patchFinalizers(
      kt,
      finalizers.filter((f: string) => f !== TOPIC_FINALIZER),
    );
  }

  /** Replaces the finalizer list, guarded by resourceVersion so a concurrent change is not lost. */
  private async patchFinalizers(kt: KafkaTopic, finalizers: string[]): Promise<void> {
    await this.options.client.mergePatch(
      resources.kafkaTopic,
      kt.metadata.namespace ?? '',
      kt.metadata.name ?? '',
      { metadata: { finalizers, resourceVersion: kt.metadata.resourceVersion } },
      FIELD_MANAGER,
    );
  }
}

function notReady(reason: string, message: string): TopicOutcome {
  return { ready: false, reason, message };
}
