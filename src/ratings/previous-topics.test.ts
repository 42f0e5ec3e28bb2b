import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import { mergeCheckpoints, type CheckpointState } from './checkpoint.ts';
import { at, NOW, state } from './checkpoint.fixtures.ts';
import { MAX_PREVIOUS_TOPICS } from './status-limits.ts';
import { computeTotals } from './totals.ts';

// Retirement runs inside mergeCheckpoints, which decides what belongs to another incarnation.
describe('retiring earlier incarnations', () => {
  it('retires the checkpoints of another incarnation with their totals and what they had not counted', () => {
    const old = { ...at(0, 100, 'T1'), end: 120, lost: 3 };
    const merged = mergeCheckpoints(state(old, at(1, 50, 'T1')), [at(0, 7, 'T2')], 'T2', NOW);
    expect(merged.partitions).toEqual([at(0, 7, 'T2')]);
    expect(merged.retired).toEqual(['T1']);
    expect(merged.previousTopics).toEqual([
      {
        topicId: 'T1',
        incarnations: 1,
        retiredAt: NOW.toISOString(),
        offsets: [
          { partition: 0, offset: 100, end: 120 },
          { partition: 1, offset: 50, end: 50 },
        ],
        sums: { 'Big Bird': 150 },
        counts: { 'Big Bird': 150 },
        rejected: 0,
        lost: 3 + 20,
      },
    ]);
    const totals = computeTotals(merged.partitions, merged.previousTopics);
    expect(totals.counted).toBe((150 + 7) / 2);
    expect(totals.lost).toBe(23);
  });

  it('reports a late checkpoint of a retired incarnation as lost, once', () => {
    const first = mergeCheckpoints(state({ ...at(0, 10, 'T1'), end: 10 }), [at(0, 1, 'T2')], 'T2', NOW);
    const late = mergeCheckpoints(first, [{ ...at(0, 15, 'T1'), end: 18 }], 'T2', NOW);
    expect(late.lateLost).toBe(8);
    expect(late.previousTopics[0]!.lost).toBe(8);
    const again = mergeCheckpoints(late, [{ ...at(0, 16, 'T1'), end: 18 }], 'T2', NOW);
    expect(again.lateLost).toBe(0);
    expect(again.previousTopics[0]!.lost).toBe(8);
  });

  it(`combines the oldest incarnations beyond ${MAX_PREVIOUS_TOPICS}, keeping every total`, () => {
    let s: CheckpointState = state();
    for (let i = 0; i <= MAX_PREVIOUS_TOPICS + 3; i++) {
      s = mergeCheckpoints(s, [{ ...at(0, 2, `T${i}`), end: 2 }], `T${i}`, NOW);
    }
    expect(s.previousTopics).toHaveLength(MAX_PREVIOUS_TOPICS);
    expect(s.previousTopics.reduce((n, p) => n + (p.incarnations ?? 1), 0)).toBe(MAX_PREVIOUS_TOPICS + 3);
    expect(computeTotals(s.partitions, s.previousTopics).counted).toBe(MAX_PREVIOUS_TOPICS + 4);
  });

  it('retires squares and battles with their incarnation; a voice counted without squares has none', () => {
    const withSquares: PartitionCheckpoint = {
      partition: 0,
      topicId: 'OLD',
      offset: 2,
      sums: { a: 3, b: 3 },
      counts: { a: 2, b: 2 },
      squares: { a: 5, b: 5 },
      battleSums: { x: 3 },
      battleCounts: { x: 2 },
    };
    const without: PartitionCheckpoint = {
      partition: 1,
      topicId: 'OLD',
      offset: 1,
      sums: { a: 1, c: 1 },
      counts: { a: 1, c: 1 },
    };
    const merged = mergeCheckpoints(
      { partitions: [withSquares, without], previousTopics: [] },
      [],
      'NEW',
      NOW,
    );
    expect(merged.previousTopics[0]).toMatchObject({
      sums: { a: 4, b: 3, c: 1 },
      counts: { a: 3, b: 2, c: 1 },
      squares: { b: 5 },
      battleSums: { x: 3 },
      battleCounts: { x: 2 },
    });
    const totals = computeTotals([], merged.previousTopics);
    expect(totals.totals.find((t) => t.voice === 'b')?.squares).toBe(5);
    expect(totals.totals.find((t) => t.voice === 'a')?.squares).toBeUndefined();
  });
});
