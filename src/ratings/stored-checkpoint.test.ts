import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import { emptyCheckpoint } from './checkpoint.ts';
import { applyRating, VOICES } from './checkpoint.fixtures.ts';
import { fromStored, toStored } from './stored-checkpoint.ts';

describe('toStored / fromStored', () => {
  it('stores any name as an own key, and reads it back from JSON as a voice, not a prototype', () => {
    const cp = emptyCheckpoint(0, 'T1');
    for (const voice of VOICES) applyRating(cp, { battle: 'b', voices: [voice, 'Big Bird'], rating: 1 }, 1);
    const wire = JSON.parse(JSON.stringify(toStored(cp))) as PartitionCheckpoint;
    expect(Object.keys(wire.sums!).sort()).toEqual([...VOICES].sort());
    expect(Object.getPrototypeOf(wire.sums)).toBe(Object.prototype);
    const back = fromStored(wire);
    expect(back.sums.get('__proto__')).toBe(1);
    expect(back.sums.get('constructor')).toBe(1);
    expect(back.counts.get('Big Bird')).toBe(VOICES.length + 1); // once with itself
  });
});
