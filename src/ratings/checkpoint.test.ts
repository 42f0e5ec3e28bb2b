import type { PartitionCheckpoint as StoredCheckpoint } from '../api/v1alpha1.ts';
import {
  applyRating,
  applyRejected,
  emptyCheckpoint,
  fromStored,
  mergeCheckpoints,
  snapshot,
  type PartitionCheckpoint,
} from './checkpoint.ts';
import { computeTotals } from './totals.ts';

const VOICES = ['Big Bird', 'Joan of Arc', 'Macho Man', 'Santa Claus'];

/** A small seeded generator (mulberry32) so that a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Record_ = { voices: [string, string]; rating: number } | 'invalid';

function randomPartitions(rand: () => number, partitions: number, maxRecords: number): Record_[][] {
  const pick = (n: number): number => Math.floor(rand() * n);
  return Array.from({ length: partitions }, () =>
    Array.from({ length: pick(maxRecords) }, (): Record_ => {
      if (rand() < 0.1) return 'invalid';
      const a = pick(VOICES.length);
      const b = (a + 1 + pick(VOICES.length - 1)) % VOICES.length;
      return { voices: [VOICES[a]!, VOICES[b]!], rating: pick(3) };
    }),
  );
}

/** The reference: a plain count over every record, with no checkpoints at all. */
function straightCount(records: Record_[][]) {
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  let counted = 0;
  let rejected = 0;
  for (const r of records.flat()) {
    if (r === 'invalid') {
      rejected++;
      continue;
    }
    counted++;
    for (const v of r.voices) {
      sums.set(v, (sums.get(v) ?? 0) + r.rating);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  return { sums, counts, counted, rejected };
}

/** Counts records [cp.offset, until) of a partition into cp, as a consumer does. */
function countUpTo(cp: PartitionCheckpoint, records: Record_[], until: number): void {
  for (let offset = cp.offset; offset < until; offset++) {
    const r = records[offset]!;
    if (r === 'invalid') applyRejected(cp, offset + 1);
    else applyRating(cp, r, offset + 1);
  }
}

describe('applyRating / applyRejected', () => {
  it('adds the rating to both voices and moves the offset past the record', () => {
    const cp = emptyCheckpoint(2, 10);
    applyRating(cp, { voices: ['Big Bird', 'Macho Man'], rating: 2 }, 11);
    applyRating(cp, { voices: ['Macho Man', 'Santa Claus'], rating: 0 }, 12);
    applyRejected(cp, 13);
    expect(cp).toEqual({
      partition: 2,
      offset: 13,
      sums: { 'Big Bird': 2, 'Macho Man': 2, 'Santa Claus': 0 },
      counts: { 'Big Bird': 1, 'Macho Man': 2, 'Santa Claus': 1 },
      rejected: 1,
    });
  });
});

describe('fromStored / snapshot', () => {
  it('fills in the fields the status leaves out and copies, so counting does not write through', () => {
    const stored: StoredCheckpoint = { partition: 0, offset: 5, sums: { 'Big Bird': 3 } };
    const cp = fromStored(stored);
    applyRating(cp, { voices: ['Big Bird', 'Macho Man'], rating: 1 }, 6);
    expect(stored).toEqual({ partition: 0, offset: 5, sums: { 'Big Bird': 3 } });
    expect(cp.counts).toEqual({ 'Big Bird': 1, 'Macho Man': 1 });

    const copy = snapshot(cp);
    applyRejected(cp, 7);
    applyRating(cp, { voices: ['Big Bird', 'Macho Man'], rating: 2 }, 8);
    expect(copy).toEqual({
      partition: 0,
      offset: 6,
      sums: { 'Big Bird': 4, 'Macho Man': 1 },
      counts: { 'Big Bird': 1, 'Macho Man': 1 },
      rejected: 0,
    });
  });
});

describe('mergeCheckpoints', () => {
  const at = (partition: number, offset: number): StoredCheckpoint => ({
    partition,
    offset,
    sums: { 'Big Bird': offset },
    counts: { 'Big Bird': offset },
    rejected: 0,
  });

  it('keeps the higher offset per partition and sorts by partition', () => {
    const merged = mergeCheckpoints([at(0, 10), at(2, 7)], [at(2, 3), at(1, 4), at(0, 12)]);
    expect(merged).toEqual([at(0, 12), at(1, 4), at(2, 7)]);
  });

  it('keeps the stored checkpoint on a tie', () => {
    const stored = at(0, 10);
    expect(mergeCheckpoints([stored], [at(0, 10)])[0]).toBe(stored);
  });

  it('never moves a checkpoint backwards, whatever the stale consumer offers', () => {
    expect(mergeCheckpoints([at(0, 100)], [at(0, 0), at(0, 99)])).toEqual([at(0, 100)]);
  });
});

describe('exactly once, property style', () => {
  // Several consumers count the same partitions from whatever checkpoint they last saw (as after
  // crashes, rebalances and scaling), write in any order, sometimes twice, sometimes from stale
  // snapshots. Once some consumer has counted every partition to its end, the merged totals must
  // equal a straight count of the records.
  it.each(Array.from({ length: 200 }, (_, i) => i + 1))('seed %i', (seed) => {
    const rand = random(seed);
    const pick = (n: number): number => Math.floor(rand() * n);
    const records = randomPartitions(rand, 1 + pick(4), 60);
    let status: StoredCheckpoint[] = [];
    const restore = (p: number): PartitionCheckpoint => {
      const stored = status.find((cp) => cp.partition === p);
      return stored === undefined ? emptyCheckpoint(p) : fromStored(stored);
    };
    const writes: StoredCheckpoint[][] = [];

    for (let step = 0; step < 30; step++) {
      // A consumer takes a random subset of partitions, restores them, counts some way, and
      // produces a write that lands now, later, or twice.
      const mine = records
        .map((_, p) => p)
        .filter(() => rand() < 0.6)
        .map((p) => {
          const cp = restore(p);
          countUpTo(cp, records[p]!, cp.offset + pick(records[p]!.length - cp.offset + 1));
          return snapshot(cp);
        });
      writes.push(mine);
      while (writes.length > 0 && rand() < 0.5) {
        const write = writes.splice(pick(writes.length), 1)[0]!;
        status = mergeCheckpoints(status, write);
        if (rand() < 0.2) writes.push(write);
      }
    }
    // The last owner of each partition drains it; its write lands among the stale ones still
    // in flight, in any order.
    writes.push(
      records.map((partition, p) => {
        const cp = restore(p);
        countUpTo(cp, partition, partition.length);
        return cp;
      }),
    );
    while (writes.length > 0) status = mergeCheckpoints(status, writes.splice(pick(writes.length), 1)[0]!);

    const expected = straightCount(records);
    const actual = computeTotals(status);
    expect(actual.counted).toBe(expected.counted);
    expect(actual.rejected).toBe(expected.rejected);
    expect(new Map(actual.totals.map((t) => [t.voice, t.sum]))).toEqual(expected.sums);
    expect(new Map(actual.totals.map((t) => [t.voice, t.count]))).toEqual(expected.counts);
    status.forEach((cp, p) => expect(cp.offset).toBe(records[p]!.length));
  });

  it('gives the same status whatever order the writes arrive in, duplicated or not', () => {
    const rand = random(42);
    const records = randomPartitions(rand, 3, 50);
    const writes = Array.from({ length: 12 }, () =>
      records.map((partition, p) => {
        const cp = emptyCheckpoint(p);
        countUpTo(cp, partition, Math.floor(rand() * (partition.length + 1)));
        return cp;
      }),
    );
    const inOrder = writes.reduce<StoredCheckpoint[]>(mergeCheckpoints, []);
    const shuffled = [...writes, ...writes.slice(0, 4)].sort(() => rand() - 0.5);
    expect(shuffled.reduce<StoredCheckpoint[]>(mergeCheckpoints, [])).toEqual(inOrder);
  });
});
