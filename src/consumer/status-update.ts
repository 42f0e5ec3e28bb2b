// The consumer's part of the status, computed from the stored status and this consumer's
// checkpoints. The controller's fields (observedGeneration, conditions, topic, topicId,
// bootstrapServers) are carried over untouched: the write that follows is conditional on the
// resourceVersion it was read at, so they cannot be overwritten with stale values either.
import type {
  BattleTotal,
  PartitionCheckpoint,
  RatingExperimentStatus,
  VoiceTotal,
} from '../api/v1alpha1.ts';
import { checkpointState, mergeCheckpoints, type InMemoryCheckpoint } from '../ratings/checkpoint.ts';
import { toStored } from '../ratings/stored-checkpoint.ts';
import { computeTotals } from '../ratings/totals.ts';

/** The topic's end offsets by partition (the next offset a producer would write). */
export type EndOffsets = ReadonlyMap<number, number>;

export interface CheckpointContext {
  /** The incarnation Kafka serves now (undefined: unknown, the one of this consumer's checkpoints). */
  topicId: string | undefined;
  /** The voices of the current catalog: they keep their names in the totals. */
  catalog: ReadonlySet<string>;
  /** End offsets of the incarnation `topicId`; undefined keeps produced and lag as they are. */
  endOffsets: EndOffsets | undefined;
  now: Date;
}

export interface CheckpointUpdate {
  status: RatingExperimentStatus;
  /** Incarnations this write retired into previousTopics. */
  retired: string[];
  /** Records of late checkpoints of retired incarnations, now reported as lost. */
  lateLost: number;
}

/** The new status, or undefined when the merge changes nothing worth a write. */
export function checkpointStatus(
  current: RatingExperimentStatus | undefined,
  mine: readonly InMemoryCheckpoint[],
  context: CheckpointContext,
): CheckpointUpdate | undefined {
  const stored = checkpointState(current);
  const { endOffsets } = context;
  // The end each partition of the current incarnation reaches: what a deletion would take along.
  const observed = mine.map((cp) => {
    const out = toStored(cp);
    const end = endOffsets?.get(cp.partition);
    if (end !== undefined && context.topicId !== undefined && cp.topicId === context.topicId) out.end = end;
    return out;
  });
  const merged = mergeCheckpoints(stored, observed, context.topicId, context.now);
  const { partitions, previousTopics } = merged;
  const { totals, leader, counted, rejected, lost, otherVoices, battles, otherBattles } = computeTotals(
    partitions,
    previousTopics,
    context.catalog,
  );
  const produced = endOffsets === undefined ? current?.produced : sumOf(endOffsets.values());
  const lag = endOffsets === undefined ? current?.lag : lagOf(partitions, endOffsets);

  // mergeCheckpoints returns the stored entries it keeps as they were.
  const kept = new Set<PartitionCheckpoint>(stored.partitions);
  const unchanged =
    partitions.length === stored.partitions.length &&
    partitions.every((cp) => kept.has(cp)) &&
    merged.retired.length === 0 &&
    merged.lateLost === 0 &&
    produced === current?.produced &&
    lag === current?.lag &&
    counted === (current?.counted ?? 0) &&
    rejected === (current?.rejected ?? 0) &&
    lost === (current?.lost ?? 0) &&
    sameTotals(totals, current?.totals) &&
    sameBattles(battles, current?.battles);
  if (unchanged) return undefined;

  const status: RatingExperimentStatus = { ...current, partitions, totals, counted, rejected, lost };
  if (previousTopics.length > 0) status.previousTopics = previousTopics;
  else delete status.previousTopics;
  if (otherVoices.count > 0) status.otherVoices = otherVoices;
  else delete status.otherVoices;
  if (battles.length > 0) status.battles = battles;
  else delete status.battles;
  if (otherBattles.count > 0) status.otherBattles = otherBattles;
  else delete status.otherBattles;
  if (leader === undefined) delete status.leader;
  else status.leader = leader;
  if (produced !== undefined) status.produced = produced;
  if (lag !== undefined) status.lag = lag;
  status.checkpointedAt = context.now.toISOString();
  return { status, retired: merged.retired, lateLost: merged.lateLost };
}

/** Records in the topic that no checkpoint covers yet. */
export function lagOf(partitions: readonly PartitionCheckpoint[], endOffsets: EndOffsets): number {
  const covered = new Map(partitions.map((cp) => [cp.partition, cp.offset]));
  let lag = 0;
  for (const [partition, end] of endOffsets) lag += Math.max(0, end - (covered.get(partition) ?? 0));
  return lag;
}

/** Totals equal, catalog marks included (a catalog edit alone changes them). */
function sameTotals(a: readonly VoiceTotal[] = [], b: readonly VoiceTotal[] = []): boolean {
  return (
    a.length === b.length &&
    a.every((t, i) => {
      const u = b[i]!;
      return (
        t.voice === u.voice &&
        t.sum === u.sum &&
        t.count === u.count &&
        t.squares === u.squares &&
        (t.removedFromCatalog ?? false) === (u.removedFromCatalog ?? false)
      );
    })
  );
}

function sameBattles(a: readonly BattleTotal[], b: readonly BattleTotal[] = []): boolean {
  return (
    a.length === b.length &&
    a.every((t, i) => t.battle === b[i]!.battle && t.sum === b[i]!.sum && t.count === b[i]!.count)
  );
}

function sumOf(values: Iterable<number>): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum;
}
