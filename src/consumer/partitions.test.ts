import { toStored } from '../ratings/stored-checkpoint.ts';
import type { Verdict } from '../ratings/judge.ts';
import { OwnedPartitions, type KafkaRecord } from './partitions.ts';

// Records are "a,b,rating", "later" (needs a newer catalog) or anything else (rejected): the
// judge is not under test here.
function judge(record: KafkaRecord): Verdict {
  const text = record.value?.toString() ?? '';
  if (text === 'later') return { kind: 'refresh', reason: 'newer catalog' };
  const [a, b, rating] = text.split(',');
  return a !== undefined && b !== undefined && rating !== undefined
    ? { kind: 'count', rating: { battle: 'x', voices: [a, b], rating: Number(rating) }, byStamp: false }
    : { kind: 'reject', reason: 'not a rating' };
}

const records = (from: number, values: string[]): KafkaRecord[] =>
  values.map((v, i) => ({ offset: String(from + i), value: Buffer.from(v) }));

const stored = (owned: OwnedPartitions) => owned.checkpoints().map(toStored);

describe('OwnedPartitions', () => {
  it('counts only after a restore, from the stored checkpoint of the same incarnation', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1]);
    expect(owned.needsRestore(0)).toBe(true);
    expect(() => owned.count(0, records(0, ['a,b,1']), judge)).toThrow(/not restored/);

    const checkpoint = {
      partition: 0,
      topicId: 'T',
      offset: 10,
      sums: { a: 5 },
      counts: { a: 3 },
      rejected: 1,
    };
    expect(owned.restore(0, 'T', checkpoint)).toBe(10);
    expect(owned.restore(1, 'T', undefined)).toBe(0);
    expect(owned.needsRestore(0)).toBe(false);

    owned.count(0, records(10, ['a,b,2']), judge);
    expect(stored(owned)).toEqual([
      {
        partition: 0,
        topicId: 'T',
        offset: 11,
        sums: { a: 7, b: 2 },
        counts: { a: 4, b: 1 },
        // The stored checkpoint had counted a without squares: a's spread stays unknown (A7).
        squares: { b: 4 },
        battleSums: { x: 2 },
        battleCounts: { x: 1 },
        rejected: 1,
        lost: 0,
      },
      { partition: 1, topicId: 'T', offset: 0, sums: {}, counts: {}, rejected: 0, lost: 0 },
    ]);
    expect(checkpoint.sums).toEqual({ a: 5 });
  });

  it('tells how far each restored partition assigned now was counted, without copying states', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1, 2]);
    owned.restore(2, 'T', { partition: 2, topicId: 'T', offset: 7, sums: {}, counts: {}, rejected: 0 });
    owned.restore(0, 'T', undefined);
    owned.count(0, records(0, ['a,b,1', 'junk']), judge);
    // Partition 1 waits for its restore: it has no position yet.
    expect(owned.positions()).toEqual([
      { partition: 0, offset: 2 },
      { partition: 2, offset: 7 },
    ]);
    owned.assign([2]);
    expect(owned.positions()).toEqual([]);
    owned.restore(2, 'T', undefined);
    expect(owned.positions()).toEqual([{ partition: 2, offset: 7 }]);
  });

  it('does not resume from a checkpoint of another incarnation: counts the new one from its start', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    expect(owned.restore(0, 'NEW', { partition: 0, topicId: 'OLD', offset: 500 })).toBe(0);
    expect(owned.topicIdOf(0)).toBe('NEW');
  });

  it('takes a checkpoint from before topic IDs as the current incarnation', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    expect(owned.restore(0, 'T', { partition: 0, offset: 5 })).toBe(5);
  });

  it('refuses to restore a partition it does not own', () => {
    const owned = new OwnedPartitions();
    owned.assign([1]);
    expect(() => owned.restore(0, 'T', undefined)).toThrow(/not assigned/);
  });

  it('skips records below its offset (re-delivered) and counts the rest once, rejections included', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, 'T', { partition: 0, offset: 2, sums: { a: 1, b: 1 }, counts: { a: 1, b: 1 } });
    const result = owned.count(0, records(0, ['a,b,1', 'a,b,1', 'a,c,2', 'garbage', 'b,c,0']), judge);
    expect(result).toEqual({
      counted: 2,
      rejected: [{ offset: 3, reason: 'not a rating' }],
      skipped: 2,
      lost: 0,
      byStamp: 0,
    });
    expect(owned.count(0, records(3, ['garbage', 'b,c,0']), judge)).toMatchObject({ counted: 0, skipped: 2 });
    expect(stored(owned)).toEqual([
      {
        partition: 0,
        topicId: 'T',
        offset: 5,
        sums: { a: 3, b: 1, c: 2 },
        counts: { a: 2, b: 2, c: 2 },
        squares: { c: 4 },
        battleSums: { x: 2 },
        battleCounts: { x: 2 },
        rejected: 1,
        lost: 0,
      },
    ]);
  });

  it('counts a gap in offsets (compaction, retention while reading) as lost, never as nothing', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, 'T', undefined);
    expect(owned.count(0, [{ offset: '7', value: Buffer.from('a,b,2') }], judge)).toMatchObject({ lost: 7 });
    expect(stored(owned)[0]).toMatchObject({ offset: 8, counts: { a: 1, b: 1 }, lost: 7 });
  });

  it('counts records below the log start offset that it had not counted as lost', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, 'T', { partition: 0, topicId: 'T', offset: 3 });
    expect(owned.skipGone(0, 10)).toBe(7);
    expect(owned.skipGone(0, 4)).toBe(0);
    expect(stored(owned)[0]).toMatchObject({ offset: 10, lost: 7 });
  });

  it('stops a batch, uncounted, at a record that needs a newer catalog', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, 'T', undefined);
    const result = owned.count(0, records(0, ['a,b,1', 'later', 'a,b,1']), judge);
    expect(result).toMatchObject({ counted: 1, pending: { offset: 1, reason: 'newer catalog' } });
    expect(stored(owned)[0]).toMatchObject({ offset: 1, counts: { a: 1, b: 1 }, sums: { a: 1, b: 1 } });
  });

  it('keeps what it counted before a judge that throws: the offset never runs ahead of the sums', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, 'T', undefined);
    const throwing = (record: KafkaRecord): Verdict => {
      if (record.value?.toString() === 'boom') throw new Error('judge failed');
      return judge(record);
    };
    expect(() => owned.count(0, records(0, ['a,b,2', 'a,c,1', 'boom', 'a,b,1']), throwing)).toThrow(
      'judge failed',
    );
    expect(stored(owned)[0]).toMatchObject({
      offset: 2,
      counts: { a: 2, b: 1, c: 1 },
      sums: { a: 3, b: 2, c: 1 },
    });
  });

  it('retires the states of an incarnation Kafka no longer serves until a checkpoint wrote them', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1]);
    owned.restore(0, 'OLD', undefined);
    owned.restore(1, 'OLD', undefined);
    owned.count(0, records(0, ['a,b,1', 'a,b,1']), judge);
    expect(owned.observeIncarnation('NEW')).toEqual([0, 1]);
    expect(owned.needsRestore(0)).toBe(true);
    owned.restore(0, 'NEW', { partition: 0, topicId: 'OLD', offset: 1 });
    const written = owned.checkpoints();
    expect(written.map((cp) => [cp.partition, cp.topicId, cp.offset])).toEqual([
      [0, 'OLD', 2],
      [1, 'OLD', 0],
      [0, 'NEW', 0],
    ]);
    owned.written(written);
    expect(owned.checkpoints().map((cp) => [cp.partition, cp.topicId])).toEqual([[0, 'NEW']]);
  });

  it('on a new generation asks for a restore again and keeps the further of its state and the stored one', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1]);
    owned.restore(0, 'T', undefined);
    owned.restore(1, 'T', undefined);
    owned.count(0, records(0, ['a,b,1', 'a,b,1', 'a,b,1']), judge);
    owned.count(1, records(0, ['a,b,1']), judge);

    expect(owned.assign([0, 1])).toEqual({ revoked: [] });
    expect(owned.needsRestore(0)).toBe(true);
    // Partition 0: the status lags behind what this process counted; keep counting from 3.
    expect(
      owned.restore(0, 'T', { partition: 0, offset: 1, sums: { a: 1, b: 1 }, counts: { a: 1, b: 1 } }),
    ).toBe(3);
    // Partition 1: someone else counted further meanwhile; take theirs.
    const theirs = {
      partition: 1,
      topicId: 'T',
      offset: 4,
      sums: { a: 4, b: 4 },
      counts: { a: 4, b: 4 },
      rejected: 0,
      lost: 0,
    };
    expect(owned.restore(1, 'T', theirs)).toBe(4);
    expect(stored(owned)).toEqual([
      {
        partition: 0,
        topicId: 'T',
        offset: 3,
        sums: { a: 3, b: 3 },
        counts: { a: 3, b: 3 },
        squares: { a: 3, b: 3 },
        battleSums: { x: 3 },
        battleCounts: { x: 3 },
        rejected: 0,
        lost: 0,
      },
      theirs,
    ]);
  });

  it('forgets revoked partitions, so a later assignment restores from the status alone', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1]);
    owned.restore(0, 'T', undefined);
    owned.count(0, records(0, ['a,b,1', 'a,b,1']), judge);

    expect(owned.assign([1])).toEqual({ revoked: [0] });
    expect(owned.assigned).toEqual([1]);
    expect(owned.checkpoints()).toEqual([]);
    owned.assign([0, 1]);
    expect(owned.restore(0, 'T', undefined)).toBe(0);
  });

  it('hands out snapshots that later counting does not change, voices folded within the limits', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, 'T', undefined);
    owned.count(0, records(0, ['a,b,1']), judge);
    const [before] = owned.checkpoints();
    owned.count(0, records(1, ['a,b,2']), judge);
    expect(toStored(before!)).toEqual({
      partition: 0,
      topicId: 'T',
      offset: 1,
      sums: { a: 1, b: 1 },
      counts: { a: 1, b: 1 },
      squares: { a: 1, b: 1 },
      battleSums: { x: 1 },
      battleCounts: { x: 1 },
      rejected: 0,
      lost: 0,
    });
  });
});
