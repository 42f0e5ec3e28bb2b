import type { ParseResult } from '../ratings/rating.ts';
import { OwnedPartitions, type KafkaRecord } from './partitions.ts';

// Records are "a,b,rating" or anything else (rejected): the parser is not under test here.
function parse(value: Buffer | null): ParseResult {
  const [a, b, rating] = (value?.toString() ?? '').split(',');
  return a !== undefined && b !== undefined && rating !== undefined
    ? { ok: true, rating: { battle: 'x', voices: [a, b], rating: Number(rating) } }
    : { ok: false, reason: 'not a rating' };
}

const records = (from: number, values: string[]): KafkaRecord[] =>
  values.map((v, i) => ({ offset: String(from + i), value: Buffer.from(v) }));

describe('OwnedPartitions', () => {
  it('counts only after a restore, from the stored checkpoint', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1]);
    expect(owned.needsRestore(0)).toBe(true);
    expect(() => owned.count(0, records(0, ['a,b,1']), parse)).toThrow(/not restored/);

    const stored = { partition: 0, offset: 10, sums: { a: 5 }, counts: { a: 3 }, rejected: 1 };
    expect(owned.restore(0, stored)).toBe(10);
    expect(owned.restore(1, undefined)).toBe(0);
    expect(owned.needsRestore(0)).toBe(false);

    owned.count(0, records(10, ['a,b,2']), parse);
    expect(owned.checkpoints()).toEqual([
      { partition: 0, offset: 11, sums: { a: 7, b: 2 }, counts: { a: 4, b: 1 }, rejected: 1 },
      { partition: 1, offset: 0, sums: {}, counts: {}, rejected: 0 },
    ]);
    expect(stored.sums).toEqual({ a: 5 });
  });

  it('refuses to restore a partition it does not own', () => {
    const owned = new OwnedPartitions();
    owned.assign([1]);
    expect(() => owned.restore(0, undefined)).toThrow(/not assigned/);
  });

  it('skips records below its offset (re-delivered) and counts the rest once, rejections included', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, { partition: 0, offset: 2, sums: { a: 1, b: 1 }, counts: { a: 1, b: 1 } });
    const result = owned.count(0, records(0, ['a,b,1', 'a,b,1', 'a,c,2', 'garbage', 'b,c,0']), parse);
    expect(result).toEqual({ counted: 2, rejected: [{ offset: 3, reason: 'not a rating' }], skipped: 2 });
    expect(owned.count(0, records(3, ['garbage', 'b,c,0']), parse)).toEqual({
      counted: 0,
      rejected: [],
      skipped: 2,
    });
    expect(owned.checkpoints()).toEqual([
      { partition: 0, offset: 5, sums: { a: 3, b: 1, c: 2 }, counts: { a: 2, b: 2, c: 2 }, rejected: 1 },
    ]);
  });

  it('counts across a gap in offsets (control records, compaction) without inventing records', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, undefined);
    owned.count(0, [{ offset: '7', value: Buffer.from('a,b,2') }], parse);
    expect(owned.checkpoints()[0]).toMatchObject({ offset: 8, counts: { a: 1, b: 1 } });
  });

  it('on a new generation asks for a restore again and keeps the further of its state and the stored one', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1]);
    owned.restore(0, undefined);
    owned.restore(1, undefined);
    owned.count(0, records(0, ['a,b,1', 'a,b,1', 'a,b,1']), parse);
    owned.count(1, records(0, ['a,b,1']), parse);

    expect(owned.assign([0, 1])).toEqual({ revoked: [] });
    expect(owned.needsRestore(0)).toBe(true);
    // Partition 0: the status lags behind what this process counted; keep counting from 3.
    expect(owned.restore(0, { partition: 0, offset: 1, sums: { a: 1, b: 1 }, counts: { a: 1, b: 1 } })).toBe(
      3,
    );
    // Partition 1: someone else counted further meanwhile; take theirs.
    const theirs = { partition: 1, offset: 4, sums: { a: 4, b: 4 }, counts: { a: 4, b: 4 }, rejected: 0 };
    expect(owned.restore(1, theirs)).toBe(4);
    expect(owned.checkpoints()).toEqual([
      { partition: 0, offset: 3, sums: { a: 3, b: 3 }, counts: { a: 3, b: 3 }, rejected: 0 },
      theirs,
    ]);
  });

  it('forgets revoked partitions, so a later assignment restores from the status alone', () => {
    const owned = new OwnedPartitions();
    owned.assign([0, 1]);
    owned.restore(0, undefined);
    owned.count(0, records(0, ['a,b,1', 'a,b,1']), parse);

    expect(owned.assign([1])).toEqual({ revoked: [0] });
    expect(owned.assigned).toEqual([1]);
    expect(owned.checkpoints()).toEqual([]);
    owned.assign([0, 1]);
    expect(owned.restore(0, undefined)).toBe(0);
  });

  it('hands out snapshots that later counting does not change', () => {
    const owned = new OwnedPartitions();
    owned.assign([0]);
    owned.restore(0, undefined);
    owned.count(0, records(0, ['a,b,1']), parse);
    const [before] = owned.checkpoints();
    owned.count(0, records(1, ['a,b,2']), parse);
    expect(before).toEqual({
      partition: 0,
      offset: 1,
      sums: { a: 1, b: 1 },
      counts: { a: 1, b: 1 },
      rejected: 0,
    });
  });
});
