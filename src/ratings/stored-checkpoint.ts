// A checkpoint between memory and the status: an InMemoryCheckpoint (Maps, every field present)
// and its stored form, the API's PartitionCheckpoint of status.partitions[] (null-prototype
// objects, A6; empty parts left out).
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import type { InMemoryCheckpoint } from './checkpoint.ts';
import { mapFromRecord, recordFromMap } from './named-maps.ts';

/** A stored checkpoint as a fresh in-memory one the caller may mutate. */
export function fromStored(stored: PartitionCheckpoint): InMemoryCheckpoint {
  return {
    partition: stored.partition,
    topicId: stored.topicId,
    offset: stored.offset,
    sums: mapFromRecord(stored.sums),
    counts: mapFromRecord(stored.counts),
    squares: mapFromRecord(stored.squares),
    other: { sum: stored.otherVoices?.sum ?? 0, count: stored.otherVoices?.count ?? 0 },
    battleSums: mapFromRecord(stored.battleSums),
    battleCounts: mapFromRecord(stored.battleCounts),
    otherBattles: { sum: stored.otherBattles?.sum ?? 0, count: stored.otherBattles?.count ?? 0 },
    rejected: stored.rejected ?? 0,
    lost: stored.lost ?? 0,
  };
}

/** The stored form: voice maps as null-prototype objects (A6), empty parts left out. */
export function toStored(cp: InMemoryCheckpoint): PartitionCheckpoint {
  const stored: PartitionCheckpoint = { partition: cp.partition, offset: cp.offset };
  if (cp.topicId !== undefined) stored.topicId = cp.topicId;
  stored.sums = recordFromMap(cp.sums);
  stored.counts = recordFromMap(cp.counts);
  // Empty maps are left out: a voice without a square is judged by its count (A7).
  if (cp.squares.size > 0) stored.squares = recordFromMap(cp.squares);
  if (cp.other.count > 0) stored.otherVoices = { ...cp.other };
  if (cp.battleCounts.size > 0) {
    stored.battleSums = recordFromMap(cp.battleSums);
    stored.battleCounts = recordFromMap(cp.battleCounts);
  }
  if (cp.otherBattles.count > 0) stored.otherBattles = { ...cp.otherBattles };
  stored.rejected = cp.rejected;
  stored.lost = cp.lost;
  return stored;
}
