import type { PartitionCheckpoint, PreviousTopic } from '../api/v1alpha1.ts';
import {
  applyLost,
  applyRejected,
  emptyCheckpoint,
  mergeCheckpoints,
  snapshot,
  type CheckpointState,
  type InMemoryCheckpoint,
} from './checkpoint.ts';
import {
  applyRating,
  at,
  NOW,
  random,
  randomRecord,
  state,
  VOICES,
  type Record_,
} from './checkpoint.fixtures.ts';
import { MAX_PREVIOUS_TOPICS, MAX_VOICES, foldLeastRated } from './status-limits.ts';
import { fromStored, toStored } from './stored-checkpoint.ts';
import { computeTotals } from './totals.ts';

/** Counts records [cp.offset, until) of a partition into cp, as a consumer does. */
function countUpTo(cp: InMemoryCheckpoint, records: Record_[], until: number): void {
  for (let offset = cp.offset; offset < until; offset++) {
    const r = records[offset]!;
    if (r === 'invalid') applyRejected(cp, offset + 1);
    else applyRating(cp, r, offset + 1);
  }
}

const empty: CheckpointState = { partitions: [], previousTopics: [] };
const merge = (stored: CheckpointState, mine: InMemoryCheckpoint[], topicId: string | undefined) =>
  mergeCheckpoints(stored, mine.map(toStored), topicId, NOW);

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
});

describe('fromStored / snapshot', () => {
  it('fills in the fields the status leaves out and copies, so counting does not write through', () => {
    const stored: PartitionCheckpoint = { partition: 0, offset: 5, sums: { 'Big Bird': 3 } };
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

describe('mergeCheckpoints', () => {
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

  it('takes checkpoints from before topic IDs as the current incarnation', () => {
    const legacy: PartitionCheckpoint = { partition: 0, offset: 9, sums: {}, counts: {} };
    const merged = mergeCheckpoints(state(legacy), [at(0, 4, 'T1')], 'T1', NOW);
    expect(merged.partitions).toEqual([legacy]);
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
  private readonly pending: { mine: InMemoryCheckpoint[]; ends: Map<number, number> }[] = [];

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
        foldLeastRated(cp, catalog, 4);
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
      foldLeastRated(cp, catalog, 4);
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
