// The I/O of a sync plan: every write and delete is attempted, so that one failing child does not
// hold back the others, one after the other in the plan's order (a RoleBinding is refused while
// its Role does not exist yet, as the API server checks that the binder holds the Role's
// permissions, and pods must not start before their ServiceAccount). What failed is collected for
// the status rather than thrown.
//
// A child the caches say is absent is created (POST), never applied: server-side apply creates or
// takes over whatever has that name, and a create fails on an existing object instead (409, a
// transient failure: the next reconcile reads the object and judges whose it is). Server-side
// apply is used only on objects the plan found to be ours.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { isTransient } from '../common/errors.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { errorMessage } from '../common/kube-errors.ts';
import { objectKey, type KubeObject, type ResourceType } from '../common/kube-resources.ts';
import type { Logger } from '../common/logger.ts';
import type { ApplyFailure } from '../model/index.ts';
import type { EventRecorder } from './events.ts';
import { FIELD_MANAGER } from './field-manager.ts';
import { stripManagedFields, type Informer } from './informer.ts';
import type { ControllerMetrics } from './metrics.ts';
import type { ChildWrite, SyncOutcome, SyncPlan } from './plan.ts';

export interface ApplyContext {
  client: KubeClient;
  recorder: EventRecorder;
  logger: Logger;
  metrics: ControllerMetrics;
  /** The cache that holds objects of this kind, to put the server's answers into at once. */
  cacheOf(obj: KubeObject): Informer<KubeObject> | undefined;
}

export interface Applied {
  outcome: SyncOutcome;
  /** The writes that succeeded, for the Events about them. */
  applied: ChildWrite[];
}

export async function applyPlan(
  ctx: ApplyContext,
  exp: RatingExperiment & KubeObject,
  plan: SyncPlan,
): Promise<Applied> {
  const outcome: SyncOutcome = { written: [], deleted: [], failures: [] };
  const applied: ChildWrite[] = [];
  for (const write of plan.writes) {
    const what = `${write.type.kind} ${write.object.metadata?.namespace}/${write.object.metadata?.name}`;
    try {
      const live =
        write.change === 'create'
          ? await createAsApplied(ctx, write.type, write.object)
          : await ctx.client.apply(write.type, write.object, FIELD_MANAGER);
      ctx.cacheOf(write.object)?.assume(live);
      outcome.written.push(stripManagedFields(live));
      applied.push(write);
      ctx.logger.info({ experiment: objectKey(exp), change: write.change }, `applied ${what}`);
    } catch (err) {
      outcome.failures.push(failure(ctx, what, err));
    }
  }
  for (const removal of plan.deletes) {
    const what = `${removal.type.kind} ${removal.namespace}/${removal.name}`;
    try {
      await ctx.client.delete(removal.type, removal.namespace, removal.name);
      outcome.deleted.push(removal);
      const routine = removal.routine === true;
      ctx.logger[routine ? 'info' : 'warn'](
        { experiment: objectKey(exp), why: removal.why },
        `deleted ${what}`,
      );
      await ctx.recorder.record(exp, {
        type: routine ? 'Normal' : 'Warning',
        reason: 'Deleted',
        action: 'Delete',
        note: `deleted ${what}: ${removal.why}`,
      });
    } catch (err) {
      outcome.failures.push(failure(ctx, what, err));
    }
  }
  return { outcome, applied };
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
}

const isOurCreate = (entry: ManagedFieldsEntry): boolean =>
  entry.manager === FIELD_MANAGER && entry.operation === 'Update' && !entry.subresource;

/**
 * A create records the fields it set under an Update entry of our field manager. A later apply
 * never removes a field that another entry still owns, so a field the desired state drops would
 * stay for good; turning that entry into our Apply entry makes the object as if it had been
 * applied. When that second request fails, the object is still ours and in place: say so and go on.
 */
async function createAsApplied(
  ctx: ApplyContext,
  type: ResourceType,
  object: KubeObject,
): Promise<KubeObject> {
  const created = await ctx.client.create<KubeObject>(type, object, FIELD_MANAGER);
  const entries = (created.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  if (!entries.some(isOurCreate)) return created;
  const managedFields = entries.map((e) => (isOurCreate(e) ? { ...e, operation: 'Apply' } : e));
  const { namespace = '', name = '' } = created.metadata ?? {};
  try {
    return await ctx.client.mergePatch(type, namespace, name, { metadata: { managedFields } }, FIELD_MANAGER);
  } catch (err) {
    ctx.logger.warn(
      { err, object: `${type.kind} ${namespace}/${name}` },
      'created, but could not mark its fields as applied',
    );
    return created;
  }
}

function failure(ctx: ApplyContext, what: string, err: unknown): ApplyFailure {
  const terminal = !isTransient(err);
  ctx.metrics.applyFailures.inc({ class: terminal ? 'terminal' : 'transient' });
  return { what, message: errorMessage(err), terminal };
}
