// Writes checkpoints into the RatingExperiment status with optimistic concurrency: read, merge
// (higher offset wins per partition), replace /status on the resourceVersion that was read;
// on 409 Conflict read again and redo the merge. The pod's Role allows exactly this:
// get the experiment, update its status.
// Every request has the client's deadline: a consumer cut off from the API server while it holds
// partitions fails the checkpoint and tries again at the next interval, instead of hanging.
import type { RatingExperiment, RatingExperimentStatus } from '../api/v1alpha1.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { isConflict } from '../common/kube-errors.ts';
import { resources } from '../common/kube-resources.ts';
import type { InMemoryCheckpoint } from '../ratings/checkpoint.ts';
import { checkpointStatus, type CheckpointContext } from './status-update.ts';

/**
 * The experiment written to, by namespace and name, as Kubernetes' NamespacedName
 * (model/names.ts's ExperimentRef adds its uid and generation).
 */
export interface NamespacedName {
  namespace: string;
  name: string;
}

export interface WriteResult {
  /** The status as stored after this write (or as read, when there was nothing to write). */
  status: RatingExperimentStatus;
  written: boolean;
  /** 409s met before the write went through. */
  conflicts: number;
  /** Incarnations this write retired into previousTopics. */
  retired: string[];
  /** Records of late checkpoints of retired incarnations, reported as lost by this write. */
  lateLost: number;
}

/** Gives up after this many conflicts in a row; the next interval tries again. */
const MAX_ATTEMPTS = 8;
/** The field manager of the consumers' status writes. */
export const CONSUMER_FIELD_MANAGER = 'ratings-consumer';

export class CheckpointWriter {
  private readonly kube: KubeClient;
  private readonly ref: NamespacedName;
  private readonly now: () => Date;

  constructor(kube: KubeClient, ref: NamespacedName, now: () => Date = () => new Date()) {
    this.kube = kube;
    this.ref = ref;
    this.now = now;
  }

  async read(): Promise<RatingExperiment> {
    const experiment = await this.kube.get<RatingExperiment>(
      resources.ratingExperiment,
      this.ref.namespace,
      this.ref.name,
    );
    if (experiment === undefined) {
      throw new Error(`RatingExperiment ${this.ref.namespace}/${this.ref.name} not found`);
    }
    return experiment;
  }

  async write(
    mine: readonly InMemoryCheckpoint[],
    context: Omit<CheckpointContext, 'now'>,
  ): Promise<WriteResult> {
    let conflicts = 0;
    for (;;) {
      const experiment = await this.read();
      const update = checkpointStatus(experiment.status, mine, { ...context, now: this.now() });
      if (update === undefined) {
        return { status: experiment.status ?? {}, written: false, conflicts, retired: [], lateLost: 0 };
      }
      try {
        // The body carries metadata.resourceVersion as read: the API server refuses the write
        // with 409 if anyone (another consumer, the controller) wrote in between.
        const body: RatingExperiment = { ...experiment, status: update.status };
        const stored = await this.kube.update<RatingExperiment>(
          resources.ratingExperiment,
          body,
          CONSUMER_FIELD_MANAGER,
          { subresource: 'status' },
        );
        return {
          status: stored.status ?? update.status,
          written: true,
          conflicts,
          retired: update.retired,
          lateLost: update.lateLost,
        };
      } catch (err) {
        if (!isConflict(err)) throw err;
        conflicts++;
        if (conflicts >= MAX_ATTEMPTS) {
          throw new Error(
            `status of ${this.ref.namespace}/${this.ref.name}: ${conflicts} write conflicts in a row`,
          );
        }
        await jitter(conflicts);
      }
    }
  }
}

/** A short random pause, so that consumers that collided do not collide again in lockstep. */
function jitter(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt));
}
