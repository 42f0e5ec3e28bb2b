import { Pacer } from './pacer.ts';

describe('Pacer', () => {
  it('releases ratings at the rate', () => {
    const pacer = new Pacer(100, 0);
    expect(pacer.take(0, 1000)).toBe(0);
    expect(pacer.take(50, 1000)).toBe(5);
    expect(pacer.take(100, 1000)).toBe(5);
  });

  it('keeps fractions across calls, so slow rates are exact over time', () => {
    const pacer = new Pacer(3, 0);
    let total = 0;
    for (let t = 100; t <= 10_000; t += 100) total += pacer.take(t, 1000);
    expect(total).toBe(30);
  });

  it('caps the catch-up after a stall at the burst, counting what it skips', () => {
    const pacer = new Pacer(1000, 0, 1);
    expect(pacer.take(60_000, Infinity)).toBe(1000);
    expect(pacer.skipped).toBe(59_000);
  });

  it('skips nothing while the ratings due are taken in time, nor at a lower rate or a pause', () => {
    const pacer = new Pacer(1000, 0, 1);
    for (let t = 100; t <= 10_000; t += 100) pacer.take(t, Infinity);
    pacer.setRate(10, 10_000);
    pacer.setRate(0, 10_500);
    pacer.take(60_000, Infinity);
    expect(pacer.skipped).toBe(0);
  });

  it('counts ratings left due when the taker falls behind, whole ratings only', () => {
    const pacer = new Pacer(10, 0, 1);
    expect(pacer.take(1000, 4)).toBe(4); // 6 still due: the bucket holds 10
    expect(pacer.skipped).toBe(0);
    expect(pacer.take(1550, 4)).toBe(4); // 6 + 5.5 due, 1.5 over the cap
    expect(pacer.skipped).toBe(1);
  });

  it('resumes without counting the time it was not asked for ratings', () => {
    const pacer = new Pacer(1000, 0, 1);
    pacer.resume(30_000);
    expect(pacer.take(30_100, Infinity)).toBe(100);
    expect(pacer.skipped).toBe(0);
  });

  it('takes at most max and keeps the rest due', () => {
    const pacer = new Pacer(1000, 0);
    expect(pacer.take(500, 200)).toBe(200);
    expect(pacer.take(500, 1000)).toBe(300);
  });

  it('says how long until the next rating, and never at rate 0', () => {
    const pacer = new Pacer(4, 0);
    expect(pacer.msUntilNext(0)).toBe(250);
    expect(pacer.msUntilNext(250)).toBe(0);
    pacer.setRate(0, 250);
    expect(pacer.msUntilNext(10_000)).toBe(Infinity);
    expect(pacer.take(10_000, 10)).toBe(0);
  });

  it('applies a new rate from the moment it is set', () => {
    const pacer = new Pacer(10, 0);
    pacer.setRate(1000, 1000); // 10 tokens accrued at the old rate
    expect(pacer.take(1100, Infinity)).toBe(110);
    expect(pacer.ratePerSecond).toBe(1000);
  });

  it('treats a negative rate as 0', () => {
    expect(new Pacer(-5, 0).ratePerSecond).toBe(0);
  });
});
