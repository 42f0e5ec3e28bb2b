// Writes checkpoints into the RatingExperiment status with optimistic concurrency: read, merge
// (higher offset wins per partition), replace /status on the resourceVersion that was read;
// on 409 Conflict read again and redo the merge. The pod's Role allows exactly this:
// get the experiment, update its status.
import { ApiException, type CustomObjectsApi } from '@kubernetes/client-node';
import type { RatingExperiment, RatingExperimentStatus } from '../api/v1alpha1.ts';
import { GROUP, PLURAL, VERSION } from '../api/v1alpha1.ts';
import { withDeadline } from '../common/experiment-source.ts';
import type { PartitionCheckpoint } from '../ratings/checkpoint.ts';
import { checkpointStatus, type CheckpointContext } from './status-update.ts';

export interface ExperimentRef {
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
/** Each request to the API server is abandoned after this long (a cut network must not hang us). */
export const REQUEST_TIMEOUT_MS = 10_000;

export class CheckpointWriter {
  private readonly api: CustomObjectsApi;
  private readonly ref: ExperimentRef;
  private readonly now: () => Date;

  private readonly timeoutMs: number;

  constructor(
    api: CustomObjectsApi,
    ref: ExperimentRef,
    now: () => Date = () => new Date(),
    timeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.api = api;
    this.ref = ref;
    this.now = now;
    this.timeoutMs = timeoutMs;
  }

  async read(): Promise<RatingExperiment> {
    return (await this.api.getNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, ...this.ref },
      withDeadline(this.timeoutMs),
    )) as RatingExperiment;
  }

  async write(
    mine: readonly PartitionCheckpoint[],
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
        const stored = (await this.api.replaceNamespacedCustomObjectStatus(
          {
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            ...this.ref,
            body: { ...experiment, status: update.status },
          },
          withDeadline(this.timeoutMs),
        )) as RatingExperiment;
        return {
          status: stored.status ?? update.status,
          written: true,
          conflicts,
          retired: update.retired,
          lateLost: update.lateLost,
        };
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 409)) throw err;
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
