import type { PartitionCheckpoint as StoredCheckpoint, PreviousTopic } from '../api/v1alpha1.ts';
import {
  addUpParts,
  applyLost,
  applyRejected,
  emptyCheckpoint,
  foldVoices,
  MAX_BATTLES,
  fromStored,
  MAX_PREVIOUS_TOPICS,
  MAX_VOICES,
  mergeCheckpoints,
  RatingTally,
  snapshot,
  toStored,
  type CheckpointState,
  type Counted,
  type PartitionCheckpoint,
  type Scored,
} from './checkpoint.ts';
import { computeTotals } from './totals.ts';

// Names the CRD admits that a plain object would mistake for its own machinery.
const VOICES = ['Big Bird', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Joan 🎤 of Arc'];
const NOW = new Date('2026-11-29T06:00:00Z');

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

type Record_ = { battle: string; voices: [string, string]; rating: number } | 'invalid';

function randomRecord(rand: () => number, voices: readonly string[] = VOICES): Record_ {
  const pick = (n: number): number => Math.floor(rand() * n);
  if (rand() < 0.1) return 'invalid';
  const a = pick(voices.length);
  const b = (a + 1 + pick(voices.length - 1)) % voices.length;
  return { battle: `battle ${pick(40)}`, voices: [voices[a]!, voices[b]!], rating: pick(3) };
}

/** Counts one valid rating read at `nextOffset - 1`: a batch of one. */
function applyRating(cp: PartitionCheckpoint, rating: Scored, nextOffset: number): void {
  const tally = new RatingTally();
  tally.add(rating);
  tally.addTo(cp);
  cp.offset = nextOffset;
}

/** Counts records [cp.offset, until) of a partition into cp, as a consumer does. */
function countUpTo(cp: PartitionCheckpoint, records: Record_[], until: number): void {
  for (let offset = cp.offset; offset < until; offset++) {
    const r = records[offset]!;
    if (r === 'invalid') applyRejected(cp, offset + 1);
    else applyRating(cp, r, offset + 1);
  }
}

const empty: CheckpointState = { partitions: [], previousTopics: [] };
const merge = (state: CheckpointState, mine: PartitionCheckpoint[], topicId: string | undefined) =>
  mergeCheckpoints(state, mine.map(toStored), topicId, NOW);

describe('applyRating / applyRejected / applyLost', () => {
  it('adds the rating to both voices, counts what is gone, and moves the offset past each', () => {
    const cp = emptyCheckpoint(2, 'T1', 10);
    applyRating(cp, { battle: 'b', voices: ['__proto__', 'constructor'], rating: 2 }, 11);
    applyRating(cp, { battle: 'b', voices: ['constructor', 'toString'], rating: 0 }, 12);
    applyRejected(cp, 13);
    expect(applyLost(cp, 20)).toBe(7);
    expect(applyLost(cp, 15)).toBe(0);
    expect(toStored(cp)).toEqual({
      partition: 2,
      topicId: 'T1',
      offset: 20,
      sums: { ['__proto__']: 2, constructor: 2, toString: 0 },
      counts: { ['__proto__']: 1, constructor: 2, toString: 1 },
      squares: { ['__proto__']: 4, constructor: 4, toString: 0 },
      battleSums: { b: 2 },
      battleCounts: { b: 2 },
      rejected: 1,
      lost: 7,
    });
  });

  it('stores any name as an own key, and reads it back from JSON as a voice, not a prototype', () => {
    const cp = emptyCheckpoint(0, 'T1');
    for (const voice of VOICES) applyRating(cp, { battle: 'b', voices: [voice, 'Big Bird'], rating: 1 }, 1);
    const wire = JSON.parse(JSON.stringify(toStored(cp))) as StoredCheckpoint;
    expect(Object.keys(wire.sums!).sort()).toEqual([...VOICES].sort());
    expect(Object.getPrototypeOf(wire.sums)).toBe(Object.prototype);
    const back = fromStored(wire);
    expect(back.sums.get('__proto__')).toBe(1);
    expect(back.sums.get('constructor')).toBe(1);
    expect(back.counts.get('Big Bird')).toBe(VOICES.length + 1); // once with itself
  });
});

describe('RatingTally', () => {
  /** One rating at a time, written out independently of RatingTally: what a batch must equal. */
  function oneByOne(cp: Counted, { battle, voices, rating }: Scored): void {
    for (const voice of voices) {
      const count = cp.counts.get(voice) ?? 0;
      const square = cp.squares.get(voice);
      if (square !== undefined || count === 0) cp.squares.set(voice, (square ?? 0) + rating * rating);
      cp.sums.set(voice, (cp.sums.get(voice) ?? 0) + rating);
      cp.counts.set(voice, count + 1);
    }
    const battleCount = cp.battleCounts.get(battle);
    if (battleCount !== undefined || cp.battleCounts.size < MAX_BATTLES) {
      cp.battleSums.set(battle, (cp.battleSums.get(battle) ?? 0) + rating);
      cp.battleCounts.set(battle, (battleCount ?? 0) + 1);
    } else {
      cp.otherBattles.sum += rating;
      cp.otherBattles.count += 1;
    }
  }

  // From a checkpoint that already names voices without squares (A7) and most of its battles
  // (A5), over 40 battles: batches of any size end where one rating at a time ends.
  it.each(Array.from({ length: 100 }, (_, i) => i + 1))(
    'adds a batch as one rating at a time would, seed %i',
    (seed) => {
      const rand = random(seed);
      const stored: StoredCheckpoint = {
        partition: 0,
        offset: 40,
        sums: { 'Big Bird': 7, toString: 2 },
        counts: { 'Big Bird': 5, toString: 2 },
        battleSums: Object.fromEntries(
          Array.from({ length: MAX_BATTLES - 3 }, (_, i) => [`battle ${i * 2}`, 1]),
        ),
        battleCounts: Object.fromEntries(
          Array.from({ length: MAX_BATTLES - 3 }, (_, i) => [`battle ${i * 2}`, 1]),
        ),
      };
      const ratings = Array.from({ length: 300 }, () => randomRecord(rand)).filter(
        (r): r is Exclude<Record_, 'invalid'> => r !== 'invalid',
      );
      const expected = fromStored(stored);
      ratings.forEach((r) => oneByOne(expected, r));

      const batched = fromStored(stored);
      const tally = new RatingTally();
      for (const r of ratings) {
        tally.add(r);
        if (rand() < 0.05) tally.addTo(batched);
      }
      tally.addTo(batched);
      for (const key of ['sums', 'counts', 'squares', 'battleSums', 'battleCounts'] as const) {
        expect([...batched[key]].sort()).toEqual([...expected[key]].sort());
      }
      expect(batched.squares.has('Big Bird')).toBe(false);
      expect(batched.otherBattles).toEqual(expected.otherBattles);
      expect(batched.otherBattles.count).toBeGreaterThan(0);
    },
  );

  it('is empty after adding, so that a batch is added once', () => {
    const cp = emptyCheckpoint(0, 'T1');
    const tally = new RatingTally();
    tally.add({ battle: 'b', voices: ['a', 'b'], rating: 2 });
    tally.addTo(cp);
    tally.addTo(cp);
    expect(cp.counts).toEqual(
      new Map([
        ['a', 1],
        ['b', 1],
      ]),
    );
    expect(cp.battleCounts).toEqual(new Map([['b', 1]]));
  });
});

describe('squares and battles', () => {
  it('keeps the sum of squares per voice, none for voices a checkpoint from before squares had counted', () => {
    const cp = fromStored({ partition: 0, offset: 2, sums: { old: 3 }, counts: { old: 2 } });
    applyRating(cp, { battle: 'b', voices: ['old', 'new'], rating: 2 }, 3);
    applyRating(cp, { battle: 'b', voices: ['old', 'new'], rating: 1 }, 4);
    expect(cp.squares).toEqual(new Map([['new', 5]]));
    const back = fromStored(JSON.parse(JSON.stringify(toStored(cp))) as StoredCheckpoint);
    applyRating(back, { battle: 'b', voices: ['old', 'new'], rating: 2 }, 5);
    expect(back.squares).toEqual(new Map([['new', 9]]));
    expect(back.counts.get('old')).toBe(5);
  });

  it('names the first MAX_BATTLES battles of a checkpoint and counts the others in otherBattles', () => {
    const cp = emptyCheckpoint(0, 'T1');
    let offset = 0;
    for (let i = 0; i < MAX_BATTLES + 5; i++) {
      applyRating(cp, { battle: `battle ${i}`, voices: ['a', 'b'], rating: 2 }, ++offset);
    }
    applyRating(cp, { battle: 'battle 0', voices: ['a', 'b'], rating: 1 }, ++offset);
    applyRating(cp, { battle: `battle ${MAX_BATTLES}`, voices: ['a', 'b'], rating: 1 }, ++offset);
    expect(cp.battleCounts.size).toBe(MAX_BATTLES);
    expect(cp.battleCounts.get('battle 0')).toBe(2);
    expect(cp.battleSums.get('battle 0')).toBe(3);
    expect(cp.otherBattles).toEqual({ sum: 5 * 2 + 1, count: 6 });
  });

  it('retires squares and battles with their incarnation; a voice counted without squares has none', () => {
    const withSquares: StoredCheckpoint = {
      partition: 0,
      topicId: 'OLD',
      offset: 2,
      sums: { a: 3, b: 3 },
      counts: { a: 2, b: 2 },
      squares: { a: 5, b: 5 },
      battleSums: { x: 3 },
      battleCounts: { x: 2 },
    };
    const without: StoredCheckpoint = {
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

  it('folds squares away with their voice', () => {
    const cp = emptyCheckpoint(0, 'T1');
    applyRating(cp, { battle: 'b', voices: ['gone', 'kept'], rating: 2 }, 1);
    applyRating(cp, { battle: 'b', voices: ['kept', 'also'], rating: 1 }, 2);
    foldVoices(cp, new Set(['kept', 'also']), 2);
    expect(cp.squares).toEqual(
      new Map([
        ['kept', 5],
        ['also', 1],
      ]),
    );
  });
});

describe('fromStored / snapshot', () => {
  it('fills in the fields the status leaves out and copies, so counting does not write through', () => {
    const stored: StoredCheckpoint = { partition: 0, offset: 5, sums: { 'Big Bird': 3 } };
    const cp = fromStored(stored);
    applyRating(cp, { battle: 'b', voices: ['Big Bird', 'Macho Man'], rating: 1 }, 6);
    expect(stored).toEqual({ partition: 0, offset: 5, sums: { 'Big Bird': 3 } });
    expect(cp.counts).toEqual(
      new Map([
        ['Big Bird', 1],
        ['Macho Man', 1],
      ]),
    );

    const copy = snapshot(cp);
    applyRejected(cp, 7);
    applyRating(cp, { battle: 'b', voices: ['Big Bird', 'Macho Man'], rating: 2 }, 8);
    expect(toStored(copy)).toEqual({
      partition: 0,
      offset: 6,
      sums: { 'Big Bird': 4, 'Macho Man': 1 },
      counts: { 'Big Bird': 1, 'Macho Man': 1 },
      squares: { 'Big Bird': 1, 'Macho Man': 1 },
      battleSums: { b: 1 },
      battleCounts: { b: 1 },
      rejected: 0,
      lost: 0,
    });
  });
});

describe('foldVoices', () => {
  it('folds the least-rated voices outside the catalog into other, never catalog voices', () => {
    const cp = emptyCheckpoint(0, 'T1');
    for (let i = 0; i < 10; i++)
      applyRating(cp, { battle: 'b', voices: [`gone-${i}`, 'kept'], rating: 1 }, i + 1);
    applyRating(cp, { battle: 'b', voices: ['gone-9', 'kept'], rating: 2 }, 11);
    const folded = foldVoices(cp, new Set(['kept', 'gone-0']), 4);
    expect(folded).toEqual(['gone-1', 'gone-2', 'gone-3', 'gone-4', 'gone-5', 'gone-6', 'gone-7']);
    expect([...cp.sums.keys()].sort()).toEqual(['gone-0', 'gone-8', 'gone-9', 'kept']);
    expect(cp.other).toEqual({ sum: 7, count: 7 });
  });
});

describe('mergeCheckpoints', () => {
  const at = (partition: number, offset: number, topicId = 'T1'): StoredCheckpoint => ({
    partition,
    topicId,
    offset,
    sums: { 'Big Bird': offset },
    counts: { 'Big Bird': offset },
    rejected: 0,
  });
  const state = (...partitions: StoredCheckpoint[]): CheckpointState => ({ partitions, previousTopics: [] });

  it('keeps the higher offset per partition and sorts by partition', () => {
    const merged = mergeCheckpoints(state(at(0, 10), at(2, 7)), [at(2, 3), at(1, 4), at(0, 12)], 'T1', NOW);
    expect(merged.partitions).toEqual([at(0, 12), at(1, 4), at(2, 7)]);
    expect(merged.previousTopics).toEqual([]);
  });

  it('keeps the stored checkpoint on a tie', () => {
    const stored = at(0, 10);
    expect(mergeCheckpoints(state(stored), [at(0, 10)], 'T1', NOW).partitions[0]).toBe(stored);
  });

  it('never moves a checkpoint backwards, whatever the stale consumer offers', () => {
    expect(mergeCheckpoints(state(at(0, 100)), [at(0, 0), at(0, 99)], 'T1', NOW).partitions).toEqual([
      at(0, 100),
    ]);
  });

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

  it('takes checkpoints from before topic IDs as the current incarnation', () => {
    const legacy: StoredCheckpoint = { partition: 0, offset: 9, sums: {}, counts: {} };
    const merged = mergeCheckpoints(state(legacy), [at(0, 4, 'T1')], 'T1', NOW);
    expect(merged.partitions).toEqual([legacy]);
  });

  it(`combines the oldest incarnations beyond ${MAX_PREVIOUS_TOPICS}, keeping every total`, () => {
    let s: CheckpointState = empty;
    for (let i = 0; i <= MAX_PREVIOUS_TOPICS + 3; i++) {
      s = mergeCheckpoints(s, [{ ...at(0, 2, `T${i}`), end: 2 }], `T${i}`, NOW);
    }
    expect(s.previousTopics).toHaveLength(MAX_PREVIOUS_TOPICS);
    expect(s.previousTopics.reduce((n, p) => n + (p.incarnations ?? 1), 0)).toBe(MAX_PREVIOUS_TOPICS + 3);
    expect(computeTotals(s.partitions, s.previousTopics).counted).toBe(MAX_PREVIOUS_TOPICS + 4);
  });
});

/**
 * The model of the property tests: a topic whose incarnations are recreated, whose partitions
 * lose their oldest records to retention, consumers that count from whatever checkpoint they
 * last saw and whose writes land late, twice, or never. Its answer to compare with: every record
 * of every incarnation is counted, rejected or lost exactly once, and the current incarnation's
 * records that were never gone are counted exactly.
 */
class Model {
  readonly incarnations: { id: string; records: Record_[][]; logStart: number[] }[] = [];
  state: CheckpointState = empty;
  private readonly rand: () => number;
  private readonly pending: { mine: PartitionCheckpoint[]; ends: Map<number, number> }[] = [];

  constructor(seed: number, partitions: number) {
    this.rand = random(seed);
    this.recreate(partitions);
  }

  get current() {
    return this.incarnations.at(-1)!;
  }

  pick(n: number): number {
    return Math.floor(this.rand() * n);
  }

  recreate(partitions: number): void {
    this.incarnations.push({
      id: `topic-${this.incarnations.length}`,
      records: Array.from({ length: partitions }, () => []),
      logStart: Array(partitions).fill(0),
    });
  }

  produce(voices: readonly string[]): void {
    for (const records of this.current.records) {
      for (let n = this.pick(20); n > 0; n--) records.push(randomRecord(this.rand, voices));
    }
  }

  retention(): void {
    const p = this.pick(this.current.records.length);
    const end = this.current.records[p]!.length;
    this.current.logStart[p] = Math.min(end, this.current.logStart[p]! + this.pick(15));
  }

  /** A consumer restores some partitions of the current incarnation, counts, queues a write. */
  consume(catalog: ReadonlySet<string>): void {
    const { id, records, logStart } = this.current;
    const mine = records
      .map((_, p) => p)
      .filter(() => this.rand() < 0.6)
      .map((p) => {
        const stored = this.state.partitions.find((cp) => cp.partition === p);
        const cp =
          stored !== undefined && (stored.topicId ?? id) === id ? fromStored(stored) : emptyCheckpoint(p, id);
        cp.topicId = id;
        applyLost(cp, logStart[p]!);
        countUpTo(cp, records[p]!, cp.offset + this.pick(records[p]!.length - cp.offset + 1));
        foldVoices(cp, catalog, 4);
        return snapshot(cp);
      });
    const ends = new Map(records.map((r, p) => [p, r.length]));
    this.pending.push({ mine, ends });
  }

  /** Lands a queued write (random order), as the writer would: Kafka's incarnation now, its ends. */
  land(keep = false): void {
    if (this.pending.length === 0) return;
    const write = this.pending.splice(this.pick(this.pending.length), 1)[0]!;
    const topicId = this.current.id;
    const stored = write.mine.map((cp) => {
      const out = toStored(cp);
      if (cp.topicId === topicId) out.end = this.current.records[cp.partition]!.length;
      return out;
    });
    this.state = mergeCheckpoints(this.state, stored, topicId, NOW);
    if (keep) this.pending.push(write);
  }

  drain(catalog: ReadonlySet<string>): void {
    while (this.pending.length > 0) this.land();
    const { id, records, logStart } = this.current;
    const last = records.map((partition, p) => {
      const stored = this.state.partitions.find((cp) => cp.partition === p);
      const cp =
        stored !== undefined && (stored.topicId ?? id) === id ? fromStored(stored) : emptyCheckpoint(p, id);
      applyLost(cp, logStart[p]!);
      countUpTo(cp, partition, partition.length);
      foldVoices(cp, catalog, 4);
      return cp;
    });
    this.state = merge(this.state, last, id);
  }
}

/** Counts of the records of one incarnation below `upTo` per partition, that were never gone. */
function straight(records: Record_[][], from: number[], upTo: number[]) {
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  const squares = new Map<string, number>();
  const battles = new Map<string, number>();
  let counted = 0;
  let rejected = 0;
  records.forEach((partition, p) => {
    for (const r of partition.slice(from[p], upTo[p])) {
      if (r === 'invalid') {
        rejected++;
        continue;
      }
      counted++;
      for (const v of r.voices) {
        sums.set(v, (sums.get(v) ?? 0) + r.rating);
        counts.set(v, (counts.get(v) ?? 0) + 1);
        squares.set(v, (squares.get(v) ?? 0) + r.rating * r.rating);
      }
      battles.set(r.battle, (battles.get(r.battle) ?? 0) + 1);
    }
  });
  return { sums, counts, squares, battles, counted, rejected };
}

describe('exactly once, property style', () => {
  // Several consumers count the same partitions from whatever checkpoint they last saw (as after
  // crashes, rebalances and scaling), write in any order, sometimes twice, sometimes from stale
  // snapshots. Once some consumer has counted every partition to its end, the merged totals must
  // equal a straight count of the records.
  it.each(Array.from({ length: 200 }, (_, i) => i + 1))('one incarnation, seed %i', (seed) => {
    const model = new Model(seed, 1 + (seed % 4));
    for (let step = 0; step < 30; step++) {
      model.produce(VOICES);
      model.consume(new Set(VOICES));
      while (model.pick(2) === 0) model.land(model.pick(5) === 0);
    }
    model.drain(new Set(VOICES));
    const { records } = model.current;
    const expected = straight(
      records,
      records.map(() => 0),
      records.map((r) => r.length),
    );
    const actual = computeTotals(model.state.partitions, model.state.previousTopics);
    expect(actual.counted).toBe(expected.counted);
    expect(actual.rejected).toBe(expected.rejected);
    expect(actual.lost).toBe(0);
    expect(new Map(actual.totals.map((t) => [t.voice, t.sum]))).toEqual(expected.sums);
    expect(new Map(actual.totals.map((t) => [t.voice, t.count]))).toEqual(expected.counts);
    expect(new Map(actual.totals.map((t) => [t.voice, t.squares]))).toEqual(expected.squares);
    // Battles beyond a checkpoint's MAX_BATTLES are counted, unnamed: named ones are never over.
    for (const b of actual.battles) expect(b.count).toBeLessThanOrEqual(expected.battles.get(b.battle)!);
    const namedBattles = actual.battles.reduce((n, b) => n + b.count, 0);
    expect(namedBattles + actual.otherBattles.count).toBe(expected.counted);
    if (actual.otherBattles.count === 0) {
      expect(new Map(actual.battles.map((b) => [b.battle, b.count]))).toEqual(expected.battles);
    }
    model.state.partitions.forEach((cp, p) => expect(cp.offset).toBe(records[p]!.length));
  });

  // Now also: topics deleted and recreated, retention, catalogs that drop voices (folding), and
  // writes that arrive after their incarnation was retired. Nothing is ever silently missing:
  // every record observed is counted, rejected or lost, and the current incarnation's records
  // that retention did not take are counted exactly.
  it.each(Array.from({ length: 200 }, (_, i) => i + 1))(
    'incarnations, retention, catalog edits, seed %i',
    (seed) => {
      const model = new Model(seed, 1 + (seed % 3));
      let catalog = VOICES.slice(0, 3 + (seed % 3));
      const everVoices = new Set<string>();
      for (let step = 0; step < 40; step++) {
        const op = model.pick(10);
        if (op === 0) model.recreate(1 + model.pick(3));
        else if (op === 1) model.retention();
        else if (op === 2)
          catalog = Array.from(
            { length: 3 },
            () => `v${model.pick(12)}-${VOICES[model.pick(VOICES.length)]}`,
          );
        catalog.forEach((v) => everVoices.add(v));
        if ([...new Set(catalog)].length < 2) catalog = ['a', 'b'];
        model.produce([...new Set(catalog)]);
        model.consume(new Set(catalog));
        while (model.pick(2) === 0) model.land(model.pick(5) === 0);
      }
      model.drain(new Set(catalog));
      const { state } = model;
      const actual = computeTotals(state.partitions, state.previousTopics, new Set(catalog));

      // Within the CRD's limits, whatever happened.
      expect(actual.totals.length).toBeLessThanOrEqual(MAX_VOICES);
      expect(state.previousTopics.length).toBeLessThanOrEqual(MAX_PREVIOUS_TOPICS);
      for (const cp of [...state.partitions, ...state.previousTopics]) {
        expect(Object.keys(cp.sums ?? {}).length).toBeLessThanOrEqual(MAX_VOICES);
      }

      // The current incarnation: every record counted, rejected or lost to retention, exactly.
      const { records, logStart, id } = model.current;
      const currentOnly = computeTotals(state.partitions);
      const kept = straight(
        records,
        logStart,
        records.map((r) => r.length),
      );
      const gone = straight(
        records,
        records.map(() => 0),
        logStart,
      );
      const lostToRetention = gone.counted + gone.rejected;
      expect(state.partitions.every((cp) => cp.topicId === id)).toBe(true);
      // Retention may take records that were counted already: lost only counts the others.
      expect(currentOnly.lost).toBeLessThanOrEqual(lostToRetention);
      expect(currentOnly.counted + currentOnly.rejected + currentOnly.lost).toBe(
        records.reduce((n, r) => n + r.length, 0),
      );
      const countedBeforeGone = currentOnly.counted - kept.counted;
      expect(countedBeforeGone).toBeGreaterThanOrEqual(0);
      if (currentOnly.lost === 0 && lostToRetention === 0) {
        const named = new Map(currentOnly.totals.map((t) => [t.voice, t.sum]));
        const sumAll = [...named.values()].reduce((a, b) => a + b, 0) + currentOnly.otherVoices.sum;
        expect(sumAll).toBe([...kept.sums.values()].reduce((a, b) => a + b, 0));
      }

      // Earlier incarnations: each retired one accounts for every record observed in it.
      for (const entry of state.previousTopics) {
        if ((entry.incarnations ?? 1) > 1) continue;
        const incarnation = model.incarnations.find((i) => i.id === entry.topicId)!;
        const accounted = accountedIn(entry);
        const observed = (entry.offsets ?? []).reduce((n, o) => n + Math.max(o.end ?? 0, o.offset), 0);
        expect(accounted).toBe(observed);
        for (const o of entry.offsets ?? []) {
          expect(o.offset).toBeLessThanOrEqual(incarnation.records[o.partition]!.length);
        }
      }
    },
  );
});

function accountedIn(entry: PreviousTopic): number {
  const counts =
    Object.values(entry.counts ?? {}).reduce((a, b) => a + b, 0) + (entry.otherVoices?.count ?? 0);
  return counts / 2 + (entry.rejected ?? 0) + (entry.lost ?? 0);
}

// The per-part accumulation the checkpoint merges and computeTotals (totals.ts) share.
describe('addUpParts', () => {
  it('adds every field of every part, and drops the square of a voice some part counted without one', () => {
    const total = addUpParts([
      {
        sums: { a: 4, b: 4, ['__proto__']: 1 },
        counts: { a: 2, b: 2, ['__proto__']: 1 },
        squares: { a: 8, b: 8, ['__proto__']: 1 },
        otherVoices: { sum: 3, count: 2 },
        battleSums: { 'Adam vs Eve': 4 },
        battleCounts: { 'Adam vs Eve': 3 },
        otherBattles: { sum: 2, count: 1 },
        rejected: 1,
      },
      { sums: { b: 1 }, counts: { b: 1 }, lost: 2 },
      {
        sums: { a: 1, b: 2 },
        counts: { a: 1, b: 1 },
        squares: { a: 1, b: 4 },
        battleSums: { 'Adam vs Eve': 2, 'Cleopatra vs Marilyn': 5 },
        battleCounts: { 'Adam vs Eve': 2, 'Cleopatra vs Marilyn': 2 },
        otherBattles: { sum: 1, count: 1 },
        rejected: 2,
        lost: 3,
      },
    ]);
    expect(total).toEqual({
      sums: new Map([
        ['a', 5],
        ['b', 7],
        ['__proto__', 1],
      ]),
      counts: new Map([
        ['a', 3],
        ['b', 4],
        ['__proto__', 1],
      ]),
      squares: new Map([
        ['a', 9],
        ['__proto__', 1],
      ]),
      other: { sum: 3, count: 2 },
      battleSums: new Map([
        ['Adam vs Eve', 6],
        ['Cleopatra vs Marilyn', 5],
      ]),
      battleCounts: new Map([
        ['Adam vs Eve', 5],
        ['Cleopatra vs Marilyn', 2],
      ]),
      otherBattles: { sum: 3, count: 2 },
      rejected: 3,
      lost: 5,
    });
  });
});
