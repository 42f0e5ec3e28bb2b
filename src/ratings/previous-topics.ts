// Earlier incarnations of the topic, status.previousTopics: how the checkpoints of incarnations
// Kafka no longer serves are retired into them (A2), with the records they had not counted
// reported as lost, and how the oldest are combined when the list is full.
import type { PartitionCheckpoint, PreviousTopic } from '../api/v1alpha1.ts';
import { addUpParts, PART_KEYS, type StoredParts } from './counted-parts.ts';
import { recordFromMap } from './named-maps.ts';
import { foldLeastRated, MAX_BATTLES, MAX_PREVIOUS_TOPICS } from './status-limits.ts';

export interface Retirement {
  previousTopics: PreviousTopic[];
  /** Topic IDs retired now (new entries of previousTopics). */
  retired: string[];
  /** Records of late checkpoints of incarnations retired before, reported as lost. */
  lateLost: number;
}

/**
 * `previous` (left as it is) with the checkpoints of `retiring` (by topic ID, then partition)
 * added: an incarnation not listed yet gets a new entry, retired at `now`.
 */
export function retireIncarnations(
  previous: readonly PreviousTopic[],
  retiring: ReadonlyMap<string, ReadonlyMap<number, PartitionCheckpoint>>,
  now: Date,
): Retirement {
  const previousTopics = previous.map(copyPrevious);
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
  return { previousTopics, retired, lateLost };
}

/**
 * Adds a checkpoint of a retired incarnation to its entry. Records between its offset and the
 * end last seen are lost with the incarnation. Returns the records newly reported lost by a late
 * checkpoint.
 */
function retire(entry: PreviousTopic, cp: PartitionCheckpoint): number {
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

/**
 * The per-voice and per-battle maps of several stored parts added up, within the caps. No
 * catalog decides here: the voices and battles with the most ratings keep their names.
 */
function mergeParts(parts: readonly StoredParts[]): StoredParts {
  const total = addUpParts(parts);
  foldLeastRated(total, new Set());
  const battles = { sums: total.battleSums, counts: total.battleCounts, other: total.otherBattles };
  foldLeastRated(battles, new Set(), MAX_BATTLES);
  const merged: StoredParts = { sums: recordFromMap(total.sums), counts: recordFromMap(total.counts) };
  if (total.squares.size > 0) merged.squares = recordFromMap(total.squares);
  if (total.battleCounts.size > 0) {
    merged.battleSums = recordFromMap(total.battleSums);
    merged.battleCounts = recordFromMap(total.battleCounts);
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
