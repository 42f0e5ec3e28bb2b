import type { PartitionCheckpoint, RatingExperimentStatus } from '../api/v1alpha1.ts';
import { fromStored } from '../ratings/stored-checkpoint.ts';
import { checkpointStatus as update, lagOf, type EndOffsets } from './status-update.ts';

/** The new status for checkpoints given in their stored form, of no particular incarnation. */
function checkpointStatus(
  current: RatingExperimentStatus | undefined,
  mine: PartitionCheckpoint[],
  endOffsets: EndOffsets | undefined,
  now: Date,
) {
  return update(current, mine.map(fromStored), {
    topicId: undefined,
    catalog: new Set(['a', 'b', 'c']),
    endOffsets,
    now,
  })?.status;
}

const NOW = new Date('2026-01-02T03:04:05.000Z');

const controllerFields: RatingExperimentStatus = {
  observedGeneration: 3,
  conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't', reason: 'Reconciled', message: '' }],
  topic: 'erb-ratings',
  bootstrapServers: 'kafka:9092',
};

describe('checkpointStatus', () => {
  it('merges, recomputes the totals and counts, and keeps the controller fields', () => {
    const current: RatingExperimentStatus = {
      ...controllerFields,
      partitions: [{ partition: 0, offset: 5, sums: { a: 4, b: 4 }, counts: { a: 4, b: 4 }, rejected: 1 }],
    };
    const status = checkpointStatus(
      current,
      [{ partition: 1, offset: 3, sums: { b: 6, c: 6 }, counts: { b: 3, c: 3 }, rejected: 0 }],
      new Map([
        [0, 9],
        [1, 3],
      ]),
      NOW,
    );
    expect(status).toEqual({
      ...controllerFields,
      partitions: [
        { partition: 0, offset: 5, sums: { a: 4, b: 4 }, counts: { a: 4, b: 4 }, rejected: 1 },
        { partition: 1, offset: 3, sums: { b: 6, c: 6 }, counts: { b: 3, c: 3 }, rejected: 0, lost: 0 },
      ],
      totals: [
        { voice: 'b', sum: 10, count: 7, mean: 10 / 7 },
        { voice: 'c', sum: 6, count: 3, mean: 2 },
        { voice: 'a', sum: 4, count: 4, mean: 1 },
      ],
      leader: 'b',
      counted: 7,
      rejected: 1,
      lost: 0,
      produced: 12,
      lag: 4,
      checkpointedAt: NOW.toISOString(),
    });
  });

  it('writes the sums of squares and the battles; an equal offset keeps the stored checkpoint', () => {
    // Written by a consumer from before squares were kept.
    const old = checkpointStatus(
      undefined,
      [{ partition: 0, offset: 1, sums: { a: 2, b: 2 }, counts: { a: 1, b: 1 } }],
      undefined,
      NOW,
    )!;
    const mine: PartitionCheckpoint = {
      partition: 0,
      offset: 1,
      sums: { a: 2, b: 2 },
      counts: { a: 1, b: 1 },
      squares: { a: 4, b: 4 },
      battleSums: { 'Adam vs Eve': 2 },
      battleCounts: { 'Adam vs Eve': 1 },
    };
    // Same offset: the stored checkpoint (without squares) is kept, nothing to write.
    expect(checkpointStatus(old, [mine], undefined, NOW)).toBeUndefined();
    expect(old.totals?.every((t) => t.squares === undefined)).toBe(true);
    const status = checkpointStatus(undefined, [mine], undefined, NOW);
    expect(status?.totals).toEqual([
      { voice: 'a', sum: 2, count: 1, mean: 2, squares: 4 },
      { voice: 'b', sum: 2, count: 1, mean: 2, squares: 4 },
    ]);
    expect(status?.battles).toEqual([{ battle: 'Adam vs Eve', sum: 2, count: 1, mean: 2 }]);
    expect(status?.otherBattles).toBeUndefined();
  });

  it('never lets a stale checkpoint move a partition backwards', () => {
    const current: RatingExperimentStatus = {
      partitions: [
        { partition: 0, offset: 100, sums: { a: 100, b: 100 }, counts: { a: 50, b: 50 }, rejected: 0 },
      ],
    };
    const status = checkpointStatus(
      current,
      [{ partition: 0, offset: 10, sums: { a: 10, b: 10 }, counts: { a: 5, b: 5 }, rejected: 0 }],
      new Map([[0, 120]]),
      NOW,
    );
    expect(status?.partitions).toEqual(current.partitions);
    expect(status?.counted).toBe(50);
    expect(status?.lag).toBe(20);
  });

  it('asks for no write when nothing moved', () => {
    const first = checkpointStatus(
      controllerFields,
      [{ partition: 0, offset: 2, sums: { a: 1, b: 1 }, counts: { a: 1, b: 1 }, rejected: 1 }],
      new Map([[0, 2]]),
      NOW,
    );
    expect(first).toBeDefined();
    const again = checkpointStatus(
      first,
      [{ partition: 0, offset: 2, sums: { a: 1, b: 1 }, counts: { a: 1, b: 1 }, rejected: 1 }],
      new Map([[0, 2]]),
      new Date(NOW.getTime() + 5000),
    );
    expect(again).toBeUndefined();
    // New records in the topic change produced and lag: worth a write even if nothing was counted.
    expect(checkpointStatus(first, [], new Map([[0, 3]]), NOW)).toMatchObject({ produced: 3, lag: 1 });
  });

  it('keeps produced and lag as they were when the end offsets are unknown', () => {
    const status = checkpointStatus(
      { produced: 40, lag: 7 },
      [{ partition: 0, offset: 1, sums: { a: 2, b: 2 }, counts: { a: 1, b: 1 }, rejected: 0 }],
      undefined,
      NOW,
    );
    expect(status).toMatchObject({ produced: 40, lag: 7, counted: 1, leader: 'a' });
  });

  it('retires the checkpoints of an earlier incarnation, names it, and keeps its totals', () => {
    const current: RatingExperimentStatus = {
      ...controllerFields,
      partitions: [
        { partition: 0, topicId: 'OLD', offset: 4, end: 6, sums: { a: 3, b: 3 }, counts: { a: 2, b: 2 } },
      ],
    };
    const result = update(
      current,
      [fromStored({ partition: 0, topicId: 'NEW', offset: 1, sums: { a: 1, c: 1 }, counts: { a: 1, c: 1 } })],
      { topicId: 'NEW', catalog: new Set(['a', 'c']), endOffsets: new Map([[0, 3]]), now: NOW },
    );
    expect(result?.retired).toEqual(['OLD']);
    expect(result?.status).toMatchObject({
      partitions: [{ partition: 0, topicId: 'NEW', offset: 1, end: 3 }],
      previousTopics: [{ topicId: 'OLD', offsets: [{ partition: 0, offset: 4, end: 6 }], lost: 2 }],
      totals: [
        { voice: 'a', sum: 4, count: 3 },
        { voice: 'b', sum: 3, count: 2, removedFromCatalog: true },
        { voice: 'c', sum: 1, count: 1 },
      ],
      counted: 3,
      lost: 2,
      lag: 2,
      produced: 3,
    });
  });

  it('has no leader before anything valid was counted', () => {
    const status = checkpointStatus(
      { leader: 'stale' },
      [{ partition: 0, offset: 1, sums: {}, counts: {}, rejected: 1 }],
      undefined,
      NOW,
    );
    expect(status).not.toHaveProperty('leader');
    expect(status).toMatchObject({ totals: [], counted: 0, rejected: 1 });
  });
});

describe('lagOf', () => {
  it('counts records above each checkpoint, and whole partitions without one', () => {
    const partitions = [{ partition: 0, offset: 4 }];
    const end = new Map([
      [0, 10],
      [1, 5],
      [2, 0],
    ]);
    expect(lagOf(partitions, end)).toBe(11);
  });

  it('is never negative when the end offsets were read before a checkpoint went past them', () => {
    expect(lagOf([{ partition: 0, offset: 12 }], new Map([[0, 10]]))).toBe(0);
  });
});
