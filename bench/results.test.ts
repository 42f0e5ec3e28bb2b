import { describe, expect, it } from '@jest/globals';
import {
  commandLine,
  formatResult,
  invocationHeading,
  median,
  parseResults,
  result,
  resultsFile,
  summaryTable,
} from './results.ts';

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
  it('is a Markdown table that marks each figure met or NOT MET and lists benches without results', () => {
    const table = summaryTable([
      { bench: 'dataplane.ts', result: result('consumer', 'ratio', [0.5, 0.6, 0.55], { atLeast: 0.9 }) },
      { bench: 'dataplane.ts', result: result('consumer', 'cost', [0.01, 0.02, 0.03], { below: 0.1 }) },
      { bench: 'intake.ts', note: 'skipped: bench/intake.ts does not exist' },
    ]).split('\n');
    expect(table[0]).toMatch(/^\| bench +\| figure +\| runs +\| value +\| target +\| met +\|$/);
    expect(table[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(table[2]).toMatch(
      /\| consumer: ratio +\| 0\.5, 0\.6, 0\.55 +\| 0\.55 +\| >= 0\.9 +\| NOT MET \|$/,
    );
    expect(table[3]).toMatch(/\| consumer: cost .*\| < 0\.1 +\| met +\|$/);
    expect(table[4]).toMatch(/^\| intake\.ts +\| skipped: bench\/intake\.ts does not exist \|( +\|){4}$/);
    expect(new Set(table.map((line) => line.length)).size).toBe(1);
  });

  it('escapes a pipe inside a cell, so that it cannot end the cell', () => {
    const [, , row] = summaryTable([{ bench: 'x.ts', note: 'FAILED (a | b)' }]).split('\n');
    expect(row).toContain('FAILED (a \\| b)');
    expect(row!.split(/(?<!\\)\|/)).toHaveLength(8);
  });
});

describe('commandLine', () => {
  it('prefixes the script with the variables that shape a benchmark, sorted, quoted when needed', () => {
    const env = {
      PATH: '/usr/bin',
      KUBECONFIG: '/tmp/k',
      BENCH_ONLY: 'dataplane,intake',
      BENCH_PARTS: 'consumer',
      NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=8',
      HEAP_GROWING_PERCENT: undefined,
    };
    expect(commandLine(env, 'npm run bench')).toBe(
      'BENCH_ONLY=dataplane,intake BENCH_PARTS=consumer NODE_OPTIONS="--max-old-space-size=64 --max-semi-space-size=8" npm run bench',
    );
    expect(commandLine({}, 'npm run bench')).toBe('npm run bench');
  });
});

describe('an invocation for bench/results', () => {
  const invocation = {
    command: 'BENCH_ONLY=intake npm run bench',
    started: new Date('2026-11-30T23:54:10Z'),
    ended: new Date('2026-12-01T00:20:59Z'),
    loadAtStart: '1.20 0.90 0.80',
    loadAtEnd: '2.10 1.50 1.00',
  };

  it('goes to the file of the UTC day it started', () => {
    expect(resultsFile(invocation.started)).toBe('bench/results/2026-11-30.md');
  });

  it('is headed by its UTC times and command, then its command, commit and load', () => {
    expect(invocationHeading({ ...invocation, commit: '5889fe9-dirty' }).split('\n')).toEqual([
      '## 23:54–00:20 · BENCH_ONLY=intake npm run bench',
      '',
      '- Command: `BENCH_ONLY=intake npm run bench`.',
      '- Commit: `5889fe9-dirty`.',
      '- Machine: load average 1.20 0.90 0.80 at the start, 2.10 1.50 1.00 at the end.',
    ]);
    expect(invocationHeading(invocation)).toContain('- Commit: unknown.');
  });
});
