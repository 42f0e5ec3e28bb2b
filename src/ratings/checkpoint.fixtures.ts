// What the checkpoint tests share: names that trip plain objects, seeded random records, and
// counting one rating as a consumer's batch of one would.
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import type { CheckpointState, InMemoryCheckpoint } from './checkpoint.ts';
import { RatingTally, type Scored } from './rating-tally.ts';

// Names the CRD admits that a plain object would mistake for its own machinery.
export const VOICES = [
  'Big Bird',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'Joan 🎤 of Arc',
];
export const NOW = new Date('2026-11-29T06:00:00Z');

/** A small seeded generator (mulberry32) so that a failing case can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Record_ = { battle: string; voices: [string, string]; rating: number } | 'invalid';

export function randomRecord(rand: () => number, voices: readonly string[] = VOICES): Record_ {
  const pick = (n: number): number => Math.floor(rand() * n);
  if (rand() < 0.1) return 'invalid';
  const a = pick(voices.length);
  const b = (a + 1 + pick(voices.length - 1)) % voices.length;
  return { battle: `battle ${pick(40)}`, voices: [voices[a]!, voices[b]!], rating: pick(3) };
}

/** Counts one valid rating read at `nextOffset - 1`: a batch of one. */
export function applyRating(cp: InMemoryCheckpoint, rating: Scored, nextOffset: number): void {
  const tally = new RatingTally();
  tally.add(rating);
  tally.addTo(cp);
  cp.offset = nextOffset;
}

/** A stored checkpoint of `partition` at `offset`, one voice counted `offset` times. */
export const at = (partition: number, offset: number, topicId = 'T1'): PartitionCheckpoint => ({
  partition,
  topicId,
  offset,
  sums: { 'Big Bird': offset },
  counts: { 'Big Bird': offset },
  rejected: 0,
});

export const state = (...partitions: PartitionCheckpoint[]): CheckpointState => ({
  partitions,
  previousTopics: [],
});
