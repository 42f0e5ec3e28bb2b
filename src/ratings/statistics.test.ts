import { logGamma, meanInterval, regularizedBeta, studentTQuantile } from './statistics.ts';

describe('studentTQuantile', () => {
  // Published two-sided 95% critical values of Student's t.
  it.each([
    [1, 12.7062],
    [2, 4.3027],
    [3, 3.1824],
    [5, 2.5706],
    [10, 2.2281],
    [30, 2.0423],
    [100, 1.984],
    [1e6, 1.96],
  ])('t(0.975, %p) = %p', (df, expected) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(expected, 3);
  });

  it('has the closed forms of df 1 and 2', () => {
    expect(studentTQuantile(0.9, 1)).toBeCloseTo(Math.tan(Math.PI * 0.4), 8);
    expect(studentTQuantile(0.9, 2)).toBeCloseTo(0.8 / Math.sqrt(2 * 0.9 * 0.1), 8);
  });

  it('refuses quantiles it cannot give', () => {
    expect(() => studentTQuantile(0.5, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, 0)).toThrow(RangeError);
  });
});

describe('regularizedBeta and logGamma', () => {
  it('match known values', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(regularizedBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 4);
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
  });
});

describe('meanInterval', () => {
  it('has no interval without at least two ratings', () => {
    expect(meanInterval(0, 0, 0)).toBeUndefined();
    expect(meanInterval(1, 2, 4)).toBeUndefined();
  });

  it('is the t interval of a known sample', () => {
    // 0, 1, 2, 2, 1: mean 1.2, s² = 0.7, half width t(0.975, 4)·√(0.7/5) = 2.7764·0.37417
    const ratings = [0, 1, 2, 2, 1];
    const sum = ratings.reduce((a, b) => a + b, 0);
    const squares = ratings.reduce((a, b) => a + b * b, 0);
    const interval = meanInterval(ratings.length, sum, squares)!;
    expect(interval.low).toBeCloseTo(1.2 - 1.03887, 4);
    expect(interval.high).toBeCloseTo(1.2 + 1.03887, 4);
  });

  it('is as wide as t(0.975, 1)·|a−b|/2 for two ratings', () => {
    const interval = meanInterval(2, 0 + 2, 0 + 4)!;
    expect(interval.high - 1).toBeCloseTo(12.7062, 3);
    expect(1 - interval.low).toBeCloseTo(12.7062, 3);
  });

  it('has zero width when every rating is equal, never NaN', () => {
    expect(meanInterval(3, 6, 12)).toEqual({ low: 2, high: 2 });
    expect(meanInterval(1_000_003, 1_000_003, 1_000_003)).toEqual({ low: 1, high: 1 });
  });

  it('narrows with the count as 1.96·s/√n for large samples', () => {
    // n ratings half 0 and half 2: mean 1, s ≈ 1.
    const n = 100_000;
    const interval = meanInterval(n, n, 2 * n)!;
    expect((interval.high - interval.low) / 2).toBeCloseTo((1.96 * Math.sqrt(n / (n - 1))) / Math.sqrt(n), 4);
  });
});
