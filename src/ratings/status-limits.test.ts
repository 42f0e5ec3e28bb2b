import { emptyCheckpoint } from './checkpoint.ts';
import { applyRating } from './checkpoint.fixtures.ts';
import { foldLeastRated } from './status-limits.ts';

describe('foldLeastRated', () => {
  it('folds the least-rated voices outside the catalog into other, never catalog voices', () => {
    const cp = emptyCheckpoint(0, 'T1');
    for (let i = 0; i < 10; i++)
      applyRating(cp, { battle: 'b', voices: [`gone-${i}`, 'kept'], rating: 1 }, i + 1);
    applyRating(cp, { battle: 'b', voices: ['gone-9', 'kept'], rating: 2 }, 11);
    const folded = foldLeastRated(cp, new Set(['kept', 'gone-0']), 4);
    expect(folded).toEqual(['gone-1', 'gone-2', 'gone-3', 'gone-4', 'gone-5', 'gone-6', 'gone-7']);
    expect([...cp.sums.keys()].sort()).toEqual(['gone-0', 'gone-8', 'gone-9', 'kept']);
    expect(cp.other).toEqual({ sum: 7, count: 7 });
  });

  it('folds squares away with their voice', () => {
    const cp = emptyCheckpoint(0, 'T1');
    applyRating(cp, { battle: 'b', voices: ['gone', 'kept'], rating: 2 }, 1);
    applyRating(cp, { battle: 'b', voices: ['kept', 'also'], rating: 1 }, 2);
    foldLeastRated(cp, new Set(['kept', 'also']), 2);
    expect(cp.squares).toEqual(
      new Map([
        ['kept', 5],
        ['also', 1],
      ]),
    );
  });
});
