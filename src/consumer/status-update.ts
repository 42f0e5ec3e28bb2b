// The consumer's part of the status, computed from the stored status and this consumer's
// checkpoints. The controller's fields (observedGeneration, conditions, topic, bootstrapServers)
// are carried over untouched: the write that follows is conditional on the resourceVersion it
// was read at, so they cannot be overwritten with stale values either.
import type { PartitionCheckpoint, RatingExperimentStatus } from '../api/v1alpha1.ts';
import { mergeCheckpoints } from '../ratings/checkpoint.ts';
import { computeTotals } from '../ratings/totals.ts';

/** The topic's end offsets by partition (the next offset a producer would write). */
export type EndOffsets = ReadonlyMap<number, number>;

/** The new status, or undefined when the merge changes nothing worth a write. */
export function checkpointStatus(
  current: RatingExperimentStatus | undefined,
  mine: readonly PartitionCheckpoint[],
  endOffsets: EndOffsets | undefined,
  now: Date,
): RatingExperimentStatus | undefined {
  const stored = current?.partitions ?? [];
  const partitions = mergeCheckpoints(stored, mine);
  const { totals, leader, counted, rejected } = computeTotals(partitions);
  const produced = endOffsets === undefined ? current?.produced : sumOf(endOffsets.values());
  const lag = endOffsets === undefined ? current?.lag : lagOf(partitions, endOffsets);

  // mergeCheckpoints returns the stored entries it keeps as they were.
  const kept = new Set(stored);
  const unchanged =
    partitions.every((cp) => kept.has(cp)) &&
    produced === current?.produced &&
    lag === current?.lag &&
    counted === (current?.counted ?? 0) &&
    rejected === (current?.rejected ?? 0);
  if (unchanged) return undefined;

  const status: RatingExperimentStatus = { ...current, partitions, totals, counted, rejected };
  if (leader === undefined) delete status.leader;
  else status.leader = leader;
  if (produced !== undefined) status.produced = produced;
  if (lag !== undefined) status.lag = lag;
  status.checkpointedAt = now.toISOString();
  return status;
}

/** Records in the topic that no checkpoint covers yet. */
export function lagOf(partitions: readonly PartitionCheckpoint[], endOffsets: EndOffsets): number {
  const covered = new Map(partitions.map((cp) => [cp.partition, cp.offset]));
  let lag = 0;
  for (const [partition, end] of endOffsets) lag += Math.max(0, end - (covered.get(partition) ?? 0));
  return lag;
}

function sumOf(values: Iterable<number>): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum;
}
