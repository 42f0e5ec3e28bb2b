// Per-partition checkpoints: the totals of every record of one incarnation of a partition below
// an offset, and how earlier incarnations of the topic are kept.
//
// Why merging by "higher offset wins" keeps the totals exact (DESIGN.md section 5):
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
//    current one's (mergeCheckpoints retires them into previousTopics). Residual race: kafkajs
//    fetches by topic name, so a topic deleted and recreated, and refilled past the consumer's
//    position, within one ID check (IDS_FRESH_MS, 1 s) could have records of the new incarnation
//    counted under the old one. Checkpoints written before topic IDs were recorded carry none and
//    are taken as the current incarnation's (an upgrade in place).
// A3 No holes pass unnoticed: a record whose offset is above the checkpoint's (a gap left by
//    compaction or retention), and a checkpoint below the partition's log start offset, count
//    the missing records as lost (applyLost), never as "nothing to count". Gaps that are not
//    ratings (transaction markers) are reported as lost too: our producer writes no transactions.
// A4 One judgement per record: a record is judged once, when counted, by rules that do not depend
//    on which consumer counts it or when (judge.ts: producer-stamped records by the catalog the
//    producer had; unstamped ones against a freshly read catalog). A verdict that would depend on
//    a catalog this consumer has not read yet is not given: the record is retried.
// A5 The status can hold it: per-voice maps stay within the CRD's limits by folding voices that
//    left the catalog into otherVoices (foldVoices), counted but not named; catalog voices are
//    never folded. Exactness then holds per named voice and for the sum of everything. Battles
//    are capped the same way (MAX_BATTLES): a checkpoint names the first MAX_BATTLES battles it
//    counts and counts the ratings of any other battle in otherBattles, so each named battle of a
//    checkpoint holds all of that checkpoint's ratings of it (retired incarnations, merged, fold
//    their least-rated battles instead).
// A7 The spread is exact or absent: `squares` holds each voice's sum of squared ratings, counted
//    with its sum and count. A checkpoint written before squares were kept lacks them for the
//    voices it had counted; those voices stay without a square in that checkpoint from then on
//    (a partial sum of squares would give a wrong interval), and any total that adds such a part
//    has no square either (addSquares): the interval is then unknown, never wrong. Folded voices
//    drop their squares (otherVoices has no interval).
// A6 Keys are data: voice names are Map keys in memory and own properties of null-prototype
//    objects on the wire, so any name the CRD admits ("__proto__", "constructor") is a voice.
// A deleted incarnation takes its uncounted records with it: checkpoints carry the partition's
// end offset as last observed, and on retirement the records between offset and end are
// reported as lost. Records written after the last observation and before the deletion are the
// residual: no one saw them. A late checkpoint of an incarnation already retired (a consumer that
// counted records of a deleted topic but wrote them after another consumer found the new
// incarnation) cannot be merged per voice any more: its records stay reported as lost.
import type {
  PartitionCheckpoint as StoredCheckpoint,
  PreviousTopic,
  RatingExperimentStatus,
} from '../api/v1alpha1.ts';
import { addSquares, addTally, recordMap, type Tally, voiceMap } from './voice-maps.ts';

/** Per-voice maps hold at most this many voices (the CRD's maxProperties). */
export const MAX_VOICES = 64;
/** Per-battle maps of a checkpoint hold at most this many battles (the CRD's maxProperties). */
export const MAX_BATTLES = 32;
/** status.previousTopics holds at most this many incarnations (the CRD's maxItems). */
export const MAX_PREVIOUS_TOPICS = 32;

/** What checkpoints have counted, in memory: the part that adds up across partitions. */
export interface Counted {
  sums: Map<string, number>;
  counts: Map<string, number>;
  /** Per-voice sums of squared ratings; a voice counted but absent has no known spread (A7). */
  squares: Map<string, number>;
  /** Ratings of voices folded out of the maps (A5). */
  other: Tally;
  battleSums: Map<string, number>;
  battleCounts: Map<string, number>;
  /** Ratings of battles beyond the MAX_BATTLES named (A5). */
  otherBattles: Tally;
  rejected: number;
  lost: number;
}

/** One partition's checkpoint in memory. */
export interface PartitionCheckpoint extends Counted {
  partition: number;
  /** Kafka's topic ID of the incarnation counted; undefined only for checkpoints from before IDs. */
  topicId: string | undefined;
  offset: number;
}

/** What a valid rating contributes: its value, added to both voices of the battle and to the battle. */
export interface Scored {
  readonly battle: string;
  readonly voices: readonly string[];
  readonly rating: number;
}

export function emptyCheckpoint(
  partition: number,
  topicId: string | undefined,
  offset = 0,
): PartitionCheckpoint {
  return { partition, topicId, offset, ...nothingCounted() };
}

function nothingCounted(): Counted {
  return {
    sums: new Map(),
    counts: new Map(),
    squares: new Map(),
    other: { sum: 0, count: 0 },
    battleSums: new Map(),
    battleCounts: new Map(),
    otherBattles: { sum: 0, count: 0 },
    rejected: 0,
    lost: 0,
  };
}

/**
 * Stored checkpoints and retired incarnations added up field by field, nothing folded: the one
 * place where counts of several parts are summed (merges here, status totals in totals.ts). A
 * voice some part counted without a square has none in the sum (A7).
 */
export function addUpParts(
  parts: Iterable<StoredParts & Pick<StoredCheckpoint, 'rejected' | 'lost'>>,
): Counted {
  const total = nothingCounted();
  const unknownSquares = new Set<string>();
  for (const part of parts) {
    const partCounts = voiceMap(part.counts);
    addTo(total.sums, voiceMap(part.sums));
    addTo(total.counts, partCounts);
    addSquares(total.squares, unknownSquares, partCounts, voiceMap(part.squares));
    addTally(total.other, part.otherVoices);
    addTo(total.battleSums, voiceMap(part.battleSums));
    addTo(total.battleCounts, voiceMap(part.battleCounts));
    addTally(total.otherBattles, part.otherBattles);
    total.rejected += part.rejected ?? 0;
    total.lost += part.lost ?? 0;
  }
  return total;
}

function addTo(into: Map<string, number>, add: ReadonlyMap<string, number>): void {
  for (const [key, value] of add) into.set(key, (into.get(key) ?? 0) + value);
}

/** A stored checkpoint as a fresh in-memory one the caller may mutate. */
export function fromStored(stored: StoredCheckpoint): PartitionCheckpoint {
  return {
    partition: stored.partition,
    topicId: stored.topicId,
    offset: stored.offset,
    sums: voiceMap(stored.sums),
    counts: voiceMap(stored.counts),
    squares: voiceMap(stored.squares),
    other: { sum: stored.otherVoices?.sum ?? 0, count: stored.otherVoices?.count ?? 0 },
    battleSums: voiceMap(stored.battleSums),
    battleCounts: voiceMap(stored.battleCounts),
    otherBattles: { sum: stored.otherBattles?.sum ?? 0, count: stored.otherBattles?.count ?? 0 },
    rejected: stored.rejected ?? 0,
    lost: stored.lost ?? 0,
  };
}

/** The stored form: voice maps as null-prototype objects (A6), empty parts left out. */
export function toStored(cp: PartitionCheckpoint): StoredCheckpoint {
  const stored: StoredCheckpoint = { partition: cp.partition, offset: cp.offset };
  if (cp.topicId !== undefined) stored.topicId = cp.topicId;
  stored.sums = recordMap(cp.sums);
  stored.counts = recordMap(cp.counts);
  // Empty maps are left out: a voice without a square is judged by its count (A7).
  if (cp.squares.size > 0) stored.squares = recordMap(cp.squares);
  if (cp.other.count > 0) stored.otherVoices = { ...cp.other };
  if (cp.battleCounts.size > 0) {
    stored.battleSums = recordMap(cp.battleSums);
    stored.battleCounts = recordMap(cp.battleCounts);
  }
  if (cp.otherBattles.count > 0) stored.otherBattles = { ...cp.otherBattles };
  stored.rejected = cp.rejected;
  stored.lost = cp.lost;
  return stored;
}

/**
 * The valid ratings of one batch, added up per voice and per battle before they reach a
 * checkpoint: one map lookup per voice instead of six (the per-record cost of counting).
 * `addTo` gives the checkpoint exactly what adding the ratings one at a time would have: the
 * rules that depend on what a checkpoint already holds (a voice without a square stays without
 * one, A7; the first MAX_BATTLES battles are named, A5) are decided per voice and per battle on
 * the checkpoint, and battles are added in the order they were first seen. Sums are of integers
 * (scale indices), so adding them in another grouping gives the same totals.
 */
export class RatingTally {
  private readonly voices = new Map<string, { sum: number; count: number; squares: number }>();
  private readonly battles = new Map<string, Tally>();

  add(rating: Scored): void {
    const value = rating.rating;
    for (const voice of rating.voices) {
      const tally = this.voices.get(voice);
      if (tally === undefined) this.voices.set(voice, { sum: value, count: 1, squares: value * value });
      else {
        tally.sum += value;
        tally.count += 1;
        tally.squares += value * value;
      }
    }
    const battle = this.battles.get(rating.battle);
    if (battle === undefined) this.battles.set(rating.battle, { sum: value, count: 1 });
    else {
      battle.sum += value;
      battle.count += 1;
    }
  }

  /** Adds what was tallied to `cp` and empties the tally. Offsets are the caller's. */
  addTo(cp: Counted): void {
    for (const [voice, tally] of this.voices) {
      const count = cp.counts.get(voice) ?? 0;
      const square = cp.squares.get(voice);
      // A voice counted before squares were kept stays without one (A7).
      if (square !== undefined || count === 0) cp.squares.set(voice, (square ?? 0) + tally.squares);
      cp.sums.set(voice, (cp.sums.get(voice) ?? 0) + tally.sum);
      cp.counts.set(voice, count + tally.count);
    }
    for (const [battle, tally] of this.battles) {
      const count = cp.battleCounts.get(battle);
      if (count !== undefined || cp.battleCounts.size < MAX_BATTLES) {
        cp.battleSums.set(battle, (cp.battleSums.get(battle) ?? 0) + tally.sum);
        cp.battleCounts.set(battle, (count ?? 0) + tally.count);
      } else {
        cp.otherBattles.sum += tally.sum;
        cp.otherBattles.count += tally.count;
      }
    }
    this.voices.clear();
    this.battles.clear();
  }
}

/** Counts an invalid record read at `nextOffset - 1`. Mutates `cp` in place. */
export function applyRejected(cp: PartitionCheckpoint, nextOffset: number): void {
  cp.rejected += 1;
  cp.offset = nextOffset;
}

/** Records from cp.offset up to (not including) `offset` are gone: counts them as lost (A3). */
export function applyLost(cp: PartitionCheckpoint, offset: number): number {
  const lost = Math.max(0, offset - cp.offset);
  cp.lost += lost;
  cp.offset = Math.max(cp.offset, offset);
  return lost;
}

/**
 * Folds the voices outside `keep` with the fewest ratings into `other` until at most `max` voices
 * are named (A5); their squares are dropped (A7). Mutates `cp`; returns the voices folded. Battle
 * maps fold the same way.
 */
export function foldVoices(
  cp: { sums: Map<string, number>; counts: Map<string, number>; other: Tally; squares?: Map<string, number> },
  keep: ReadonlySet<string>,
  max = MAX_VOICES,
): string[] {
  const names = new Set([...cp.sums.keys(), ...cp.counts.keys()]);
  if (names.size <= max) return [];
  const candidates = [...names]
    .filter((voice) => !keep.has(voice))
    .sort((a, b) => (cp.counts.get(a) ?? 0) - (cp.counts.get(b) ?? 0) || compareNames(a, b));
  const folded = candidates.slice(0, names.size - max);
  for (const voice of folded) {
    cp.other.sum += cp.sums.get(voice) ?? 0;
    cp.other.count += cp.counts.get(voice) ?? 0;
    cp.sums.delete(voice);
    cp.counts.delete(voice);
    cp.squares?.delete(voice);
  }
  return folded;
}

/** Of two checkpoints of one incarnation and partition, the one that has counted further. */
export function furthest<T extends { offset: number }>(a: T, b: T): T {
  return b.offset > a.offset ? b : a;
}

/** The furthest of two stored checkpoints, with the further end either has seen. */
function furthestStored(a: StoredCheckpoint, b: StoredCheckpoint): StoredCheckpoint {
  const winner = furthest(a, b);
  const end = Math.max(a.end ?? 0, b.end ?? 0);
  return (winner.end ?? 0) >= end ? winner : { ...winner, end };
}

/** A snapshot of `cp` that later counting cannot change, for writing while counting goes on. */
export function snapshot(cp: PartitionCheckpoint): PartitionCheckpoint {
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
  partitions: StoredCheckpoint[];
  previousTopics: PreviousTopic[];
}

export interface MergeResult extends CheckpointState {
  /** Topic IDs retired by this merge (new entries of previousTopics). */
  retired: string[];
  /** Records of late checkpoints of retired incarnations, reported as lost. */
  lateLost: number;
}

/**
 * Merges this consumer's checkpoints into the stored ones. Checkpoints of the incarnation
 * `currentTopicId` (Kafka's answer just before the write; undefined: the one of `mine`) merge per
 * partition keeping the higher offset, so that a checkpoint never moves backwards. Checkpoints of
 * any other incarnation are retired into previousTopics (A2). The partitions are sorted; stored
 * entries that are kept are returned as they were.
 */
export function mergeCheckpoints(
  stored: CheckpointState,
  mine: readonly StoredCheckpoint[],
  currentTopicId: string | undefined,
  now: Date,
): MergeResult {
  const current = currentTopicId ?? mine.find((cp) => cp.topicId !== undefined)?.topicId;
  const byPartition = new Map<number, StoredCheckpoint>();
  const retiring = new Map<string, Map<number, StoredCheckpoint>>();
  for (const cp of [...stored.partitions, ...mine]) {
    const isCurrent = current === undefined || cp.topicId === undefined || cp.topicId === current;
    const into = isCurrent ? byPartition : mapFor(retiring, cp.topicId!);
    const seen = into.get(cp.partition);
    into.set(cp.partition, seen === undefined ? cp : furthestStored(seen, cp));
  }
  const previousTopics = stored.previousTopics.map(copyPrevious);
  const retired: string[] = [];
  let lateLost = 0;
  for (const [topicId, checkpoints] of retiring) {
    let entry = previousTopics.find((p) => p.topicId === topicId);
    if (entry === undefined) {
      entry = { topicId, incarnations: 1, retiredAt: now.toISOString(), offsets: [] };
      previousTopics.push(entry);
      retired.push(topicId);
    }
    for (const cp of [...checkpoints.values()].sort((a, b) => a.partition - b.partition)) {
      lateLost += retire(entry, cp);
    }
  }
  while (previousTopics.length > MAX_PREVIOUS_TOPICS) {
    previousTopics.splice(0, 2, combine(previousTopics[0]!, previousTopics[1]!));
  }
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

/**
 * Adds a checkpoint of a retired incarnation to its entry. Records between its offset and the
 * end last seen are lost with the incarnation. Returns the records newly reported lost by a late
 * checkpoint.
 */
function retire(entry: PreviousTopic, cp: StoredCheckpoint): number {
  const offsets = entry.offsets ?? (entry.offsets = []);
  const end = Math.max(cp.end ?? 0, cp.offset);
  const folded = offsets.find((o) => o.partition === cp.partition);
  if (folded !== undefined) {
    // Already folded: per-voice detail beyond it is gone; its records count as lost (once).
    const foldedEnd = Math.max(folded.end ?? 0, folded.offset);
    const late = Math.max(0, end - foldedEnd);
    entry.lost = (entry.lost ?? 0) + late;
    if (late > 0) folded.end = end;
    return late;
  }
  offsets.push({ partition: cp.partition, offset: cp.offset, end });
  offsets.sort((a, b) => a.partition - b.partition);
  const merged = mergeParts([entry, cp]);
  for (const key of PART_KEYS) delete entry[key];
  Object.assign(entry, merged);
  entry.rejected = (entry.rejected ?? 0) + (cp.rejected ?? 0);
  entry.lost = (entry.lost ?? 0) + (cp.lost ?? 0) + (end - cp.offset);
  return 0;
}

/** Two oldest entries as one, when the list is full: their totals add up, the newer ID names it. */
function combine(older: PreviousTopic, newer: PreviousTopic): PreviousTopic {
  return {
    topicId: newer.topicId,
    incarnations: (older.incarnations ?? 1) + (newer.incarnations ?? 1),
    retiredAt: newer.retiredAt,
    offsets: newer.offsets ?? [],
    ...mergeParts([older, newer]),
    rejected: (older.rejected ?? 0) + (newer.rejected ?? 0),
    lost: (older.lost ?? 0) + (newer.lost ?? 0),
  };
}

const PART_KEYS = [
  'sums',
  'counts',
  'squares',
  'otherVoices',
  'battleSums',
  'battleCounts',
  'otherBattles',
] as const;
type StoredParts = Pick<StoredCheckpoint, (typeof PART_KEYS)[number]>;

/**
 * The per-voice and per-battle maps of several stored parts added up, within the caps. No
 * catalog decides here: the voices and battles with the most ratings keep their names.
 */
function mergeParts(parts: readonly StoredParts[]): StoredParts {
  const total = addUpParts(parts);
  foldVoices(total, new Set());
  const battles = { sums: total.battleSums, counts: total.battleCounts, other: total.otherBattles };
  foldVoices(battles, new Set(), MAX_BATTLES);
  const merged: StoredParts = { sums: recordMap(total.sums), counts: recordMap(total.counts) };
  if (total.squares.size > 0) merged.squares = recordMap(total.squares);
  if (total.battleCounts.size > 0) {
    merged.battleSums = recordMap(total.battleSums);
    merged.battleCounts = recordMap(total.battleCounts);
  }
  if (total.other.count > 0) merged.otherVoices = total.other;
  if (total.otherBattles.count > 0) merged.otherBattles = total.otherBattles;
  return merged;
}

function copyPrevious(entry: PreviousTopic): PreviousTopic {
  const copy: PreviousTopic = { ...entry, offsets: (entry.offsets ?? []).map((o) => ({ ...o })) };
  if (entry.otherVoices !== undefined) copy.otherVoices = { ...entry.otherVoices };
  return copy;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
