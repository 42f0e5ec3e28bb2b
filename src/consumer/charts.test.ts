import { battlesChart, niceCeiling, ratesChart, voicesChart } from './charts.ts';

const attr = (svg: string, name: string) =>
  [...svg.matchAll(new RegExp(` ${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

describe('voicesChart', () => {
  it('ranks voices by mean, one mark per voice with its figures, names escaped', () => {
    const svg = voicesChart(
      [
        { voice: 'low', count: 10, mean: 0.5, interval: { low: 0.2, high: 0.8 } },
        { voice: '<b>&"high"', count: 3, mean: 1.9, interval: { low: -1, high: 4.8 } },
        { voice: 'single', count: 1, mean: 1, interval: null, intervalMissing: 'fewer than 2 ratings' },
      ],
      ['Hated', 'Meh', 'Liked'],
    );
    expect(svg).not.toContain('<b>');
    expect(attr(svg, 'data-voice')).toEqual(['&lt;b&gt;&amp;&quot;high&quot;', 'single', 'low']);
    expect(attr(svg, 'data-mean')).toEqual(['1.9', '1', '0.5']);
    expect(attr(svg, 'data-count')).toEqual(['3', '1', '10']);
    expect(attr(svg, 'data-low')).toEqual(['-1', '0.2']);
    // One interval bar per voice that has one, clamped to the scale's axis.
    expect(svg.match(/class="interval"/g)).toHaveLength(2);
    expect(svg).toContain('x1="222.0" y1="46" x2="640.0"');
    expect(svg).toContain('○ n=1');
    expect(svg).toContain('0 Hated');
  });

  it('says so when nothing was counted', () => {
    expect(voicesChart([], ['a', 'b'])).toContain('no ratings counted yet');
  });
});

describe('ratesChart', () => {
  it('draws the rate between consecutive samples, counted and produced', () => {
    const svg = ratesChart(
      [
        { at: 0, counted: 0, produced: null },
        { at: 10_000, counted: 100, produced: 120 },
        { at: 20_000, counted: 300, produced: 330 },
      ],
      20_000,
      60_000,
    );
    expect(attr(svg, 'data-points')).toEqual(['2', '1']); // produced needs two known samples
    expect(svg).toContain('>−60 s<'); // at least a minute
    expect(svg).toContain('>50/s<'); // peak 21/s rounded up to 50
  });

  it('spans the window, or the time since the first sample when that is shorter', () => {
    const samples = [
      { at: 0, counted: 0, produced: 0 },
      { at: 300_000, counted: 10, produced: 10 },
    ];
    expect(ratesChart(samples, 300_000, 600_000)).toContain('>−5 min<');
    expect(ratesChart(samples, 900_000, 600_000)).toContain('>−10 min<');
  });

  it('waits for two samples', () => {
    expect(ratesChart([{ at: 0, counted: 1, produced: 1 }], 0, 60_000)).toContain(
      'waiting for two checkpoints',
    );
  });
});

describe('battlesChart', () => {
  it('draws a bar per battle and one for the ratings of battles not named', () => {
    const svg = battlesChart(
      [
        { battle: 'Adam vs Eve', count: 4, mean: 1.5 },
        { battle: 'Mozart vs Skrillex', count: 2, mean: 0 },
      ],
      { count: 1 },
    );
    expect(attr(svg, 'data-battle')).toEqual(['Adam vs Eve', 'Mozart vs Skrillex']);
    expect(attr(svg, 'data-count')).toEqual(['4', '2', '1']);
    expect(svg).toContain('4 · mean 1.50');
  });
});

describe('niceCeiling', () => {
  it.each([
    [1, 1],
    [1.2, 2],
    [3, 5],
    [7, 10],
    [21, 50],
    [0.3, 0.5],
  ])('%p → %p', (value, expected) => expect(niceCeiling(value)).toBeCloseTo(expected, 10));
});
