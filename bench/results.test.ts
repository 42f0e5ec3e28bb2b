import { describe, expect, it } from '@jest/globals';
import { formatResult, median, parseResults, result, summaryTable } from './results.ts';

describe('BENCH-RESULT lines', () => {
  it('round-trip through the parser, among other output', () => {
    const a = result('consumer', 'ours/ConsumerPerformance', [0.41, 0.44, 0.39], { atLeast: 0.9 });
    const b = result('consumer', 'checkpointing cost', [0.02, -0.01, 0.05], { below: 0.1 });
    const output = ['a table', formatResult(a), '  indented noise', formatResult(b), ''].join('\n');
    expect(parseResults(output)).toEqual({ results: [a, b], problems: [] });
  });

  it('decide met from the median and the target', () => {
    expect(result('x', 'ratio', [0.41, 0.44, 0.39], { atLeast: 0.9 })).toMatchObject({
      value: 0.41,
      target: '>= 0.9',
      met: false,
    });
    expect(result('x', 'ratio', [0.95, 0.88, 0.91], { atLeast: 0.9 })).toMatchObject({
      value: 0.91,
      met: true,
    });
    expect(result('x', 'cost', [0.1], { below: 0.1 }).met).toBe(false);
    expect(result('x', 'writes', [60], { atMost: 60 }).met).toBe(true);
  });

  it('report malformed result lines instead of dropping them silently', () => {
    const output = [
      'BENCH-RESULT {not json',
      'BENCH-RESULT {"benchmark":"b","figure":"f","runs":[1],"value":1,"target":">= 1"}',
      'BENCH-RESULT {"benchmark":"b","figure":"f","runs":"1","value":1,"target":1,"met":true}',
      'BENCH-RESULT {"benchmark":"b","figure":"f","runs":[1],"value":1,"target":1,"met":true}',
    ].join('\n');
    const { results, problems } = parseResults(output);
    expect(results).toHaveLength(1);
    expect(problems).toEqual([
      expect.stringMatching(/^not JSON/),
      expect.stringMatching(/^met must be true or false/),
      expect.stringMatching(/^runs must be an array of numbers/),
    ]);
  });

  it('carry a figure that could not be measured as null', () => {
    const line = formatResult(result('x', 'ratio', [NaN], { atLeast: 1 }));
    expect(parseResults(line).results[0]).toMatchObject({ runs: [null], value: null, met: false });
  });
});

describe('median', () => {
  it('is the middle run, or the mean of the two middle ones; NaN runs are left out', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });
});

describe('summaryTable', () => {
  it('marks each figure met or NOT MET and lists benches without results', () => {
    const table = summaryTable([
      { bench: 'dataplane.ts', result: result('consumer', 'ratio', [0.5, 0.6, 0.55], { atLeast: 0.9 }) },
      { bench: 'dataplane.ts', result: result('consumer', 'cost', [0.01, 0.02, 0.03], { below: 0.1 }) },
      { bench: 'intake.ts', note: 'skipped: bench/intake.ts does not exist' },
    ]).split('\n');
    expect(table[0]).toMatch(/^bench\s+figure\s+runs\s+value\s+target\s+met$/);
    expect(table[2]).toMatch(/consumer: ratio\s+0\.5, 0\.6, 0\.55\s+0\.55\s+>= 0\.9\s+NOT MET$/);
    expect(table[3]).toMatch(/consumer: cost .* < 0\.1\s+met$/);
    expect(table[4]).toMatch(/^intake\.ts\s+skipped: bench\/intake\.ts does not exist$/);
  });
});
