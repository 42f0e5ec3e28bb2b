// Per-partition checkpoints: the totals of every record of one incarnation of a partition below
// an offset, and how earlier incarnations of the topic are kept.
//
// Why merging by "higher offset wins" keeps the totals exact (docs/design.md section 5):
// a checkpoint (topic incarnation T, partition p, offset N, sums, counts, rejected, lost) is
// *exact* when it covers precisely the records of p in incarnation T at offsets below N, each
// once: every record counted as a rating, rejected, or (gone before it was read) lost. An empty
// checkpoint at offset 0 is exact. A consumer only ever starts counting p from an exact checkpoint
// of the incarnation Kafka serves (restored from the status, or empty) and then applies records in
// offset order, each once, moving N past each one; so every checkpoint it holds is exact, whoever
// else counts p at the same time. Two exact checkpoints of the same incarnation and partition
// differ only in how far they got, so keeping the one with the higher offset keeps an exact one
// that has counted strictly more. Offsets never move backwards, duplicated or reordered merges
// change nothing, and a stale consumer that lost p can only offer an exact checkpoint that is
// behind (ignored) or ahead (still exact). Summing exact checkpoints over all partitions and
// incarnations gives exact totals: that is computeTotals in totals.ts.
//
// The argument needs these assumptions; each is enforced where named:
// A1 One topic, one experiment: only this experiment's consumers write these checkpoints, and only
//    its producers write the topic (the controller's isolation: namespaced default topic names,
//    Deployments only after TopicReady; writes are conditional on the experiment's
//    resourceVersion, so they never cross to another object).
// A2 Incarnations are told apart: every checkpoint names Kafka's topic ID, read from Kafka itself
//    (kafka-metadata.ts) when a partition is restored and again before counting each batch and
//    before each checkpoint write; checkpoints of another incarnation are never merged with the
//    current one's (mergeCheckpoints retires them into previousTopics, previous-topics.ts).
//    Residual race: kafkajs fetches by topic name, so a topic deleted and recreated, and refilled
//    past the consumer's position, within one ID check (IDS_FRESH_MS, 1 s) could have records of
//    the new incarnation counted under the old one. Checkpoints written before topic IDs were
//    recorded carry none and are taken as the current incarnation's (an upgrade in place).
// A3 No holes pass unnoticed: a record whose offset is above the checkpoint's (a gap left by
//    compaction or retention), and a checkpoint below the partition's log start offset, count
//    the missing records as lost (applyLost), never as "nothing to count". Gaps that are not
//    ratings (transaction markers) are reported as lost too: our producer writes no transactions.
// A4 One judgement per record: a record is judged once, when counted, by rules that do not depend
//    on which consumer counts it or when (judge.ts: producer-stamped records by the catalog the
//    producer had; unstamped ones against a freshly read catalog). A verdict that would depend on
//    a catalog this consumer has not read yet is not given: the record is retried.
// A5 The status can hold it: per-voice maps stay within the CRD's limits by folding voices that
//    left the catalog into otherVoices (foldLeastRated, status-limits.ts), counted but not named;
//    catalog voices are never folded. Exactness then holds per named voice and for the sum of
//    everything. Battles are capped the same way (MAX_BATTLES, rating-tally.ts): a checkpoint
//    names the first MAX_BATTLES battles it counts and counts the ratings of any other battle in
//    otherBattles, so each named battle of a checkpoint holds all of that checkpoint's ratings of
//    it (retired incarnations, merged, fold their least-rated battles instead).
// A7 The spread is exact or absent: `squares` holds each voice's sum of squared ratings, counted
//    with its sum and count. A checkpoint written before squares were kept lacks them for the
//    voices it had counted; those voices stay without a square in that checkpoint from then on
//    (a partial sum of squares would give a wrong interval), and any total that adds such a part
//    has no square either (addSquares, named-maps.ts): the interval is then unknown, never wrong.
//    Folded voices drop their squares (otherVoices has no interval).
// A6 Keys are data: voice names are Map keys in memory and own properties of null-prototype
//    objects on the wire (named-maps.ts), so any name the CRD admits ("__proto__",
//    "constructor") is a voice.
// A deleted incarnation takes its uncounted records with it: checkpoints carry the partition's
// end offset as last observed, and on retirement the records between offset and end are
// reported as lost. Records written after the last observation and before the deletion are the
// residual: no one saw them. A late checkpoint of an incarnation already retired (a consumer that
// counted records of a deleted topic but wrote them after another consumer found the new
// incarnation) cannot be merged per voice any more: its records stay reported as lost.
import type { PartitionCheckpoint, PreviousTopic, RatingExperimentStatus } from '../api/v1alpha1.ts';
import { nothingCounted, type Counted } from './counted-parts.ts';
import { retireIncarnations, type Retirement } from './previous-topics.ts';

/**
 * One partition's checkpoint as a consumer holds it while counting: maps as Maps (A6), every
 * field present. Its stored form is the API's PartitionCheckpoint (stored-checkpoint.ts).
 */
export interface InMemoryCheckpoint extends Counted {
  partition: number;
  /** Kafka's topic ID of the incarnation counted; undefined only for checkpoints from before IDs. */
  topicId: string | undefined;
  offset: number;
}

export function emptyCheckpoint(
  partition: number,
  topicId: string | undefined,
  offset = 0,
): InMemoryCheckpoint {
  return { partition, topicId, offset, ...nothingCounted() };
}

/** Counts an invalid record read at `nextOffset - 1`. Mutates `cp` in place. */
export function applyRejected(cp: InMemoryCheckpoint, nextOffset: number): void {
  cp.rejected += 1;
  cp.offset = nextOffset;
}

/** Records from cp.offset up to (not including) `offset` are gone: counts them as lost (A3). */
export function applyLost(cp: InMemoryCheckpoint, offset: number): number {
  const lost = Math.max(0, offset - cp.offset);
  cp.lost += lost;
  cp.offset = Math.max(cp.offset, offset);
  return lost;
}

/** Of two checkpoints of one incarnation and partition, the one that has counted further. */
export function furthest<T extends { offset: number }>(a: T, b: T): T {
  return b.offset > a.offset ? b : a;
}

/** The furthest of two stored checkpoints, with the further end either has seen. */
function furthestStored(a: PartitionCheckpoint, b: PartitionCheckpoint): PartitionCheckpoint {
  const winner = furthest(a, b);
  const end = Math.max(a.end ?? 0, b.end ?? 0);
  return (winner.end ?? 0) >= end ? winner : { ...winner, end };
}

/** A snapshot of `cp` that later counting cannot change, for writing while counting goes on. */
export function snapshot(cp: InMemoryCheckpoint): InMemoryCheckpoint {
  return {
    ...cp,
    sums: new Map(cp.sums),
    counts: new Map(cp.counts),
    squares: new Map(cp.squares),
    other: { ...cp.other },
    battleSums: new Map(cp.battleSums),
    battleCounts: new Map(cp.battleCounts),
    otherBattles: { ...cp.otherBattles },
  };
}

/** The consumers' part of the status that checkpoints decide. */
export interface CheckpointState {
  partitions: PartitionCheckpoint[];
  previousTopics: PreviousTopic[];
}

export interface MergeResult extends CheckpointState, Retirement {}

/**
 * Merges this consumer's checkpoints into the stored ones. Checkpoints of the incarnation
 * `currentTopicId` (Kafka's answer just before the write; undefined: the one of `mine`) merge per
 * partition keeping the higher offset, so that a checkpoint never moves backwards. Checkpoints of
 * any other incarnation are retired into previousTopics (A2). The partitions are sorted; stored
 * entries that are kept are returned as they were.
 */
export function mergeCheckpoints(
  stored: CheckpointState,
  mine: readonly PartitionCheckpoint[],
  currentTopicId: string | undefined,
  now: Date,
): MergeResult {
  const current = currentTopicId ?? mine.find((cp) => cp.topicId !== undefined)?.topicId;
  const byPartition = new Map<number, PartitionCheckpoint>();
  const retiring = new Map<string, Map<number, PartitionCheckpoint>>();
  for (const cp of [...stored.partitions, ...mine]) {
    const isCurrent = current === undefined || cp.topicId === undefined || cp.topicId === current;
    const into = isCurrent ? byPartition : mapFor(retiring, cp.topicId!);
    const seen = into.get(cp.partition);
    into.set(cp.partition, seen === undefined ? cp : furthestStored(seen, cp));
  }
  const { previousTopics, retired, lateLost } = retireIncarnations(stored.previousTopics, retiring, now);
  return {
    partitions: [...byPartition.values()].sort((a, b) => a.partition - b.partition),
    previousTopics,
    retired,
    lateLost,
  };
}

/** The stored checkpoint state of a status (absent lists are empty). */
export function checkpointState(status: RatingExperimentStatus | undefined): CheckpointState {
  return { partitions: status?.partitions ?? [], previousTopics: status?.previousTopics ?? [] };
}

function mapFor<K, V>(map: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = map.get(key);
  if (inner === undefined) map.set(key, (inner = new Map()));
  return inner;
}
