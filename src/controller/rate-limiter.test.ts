import { ExponentialBackoff, MaxOf, TokenBucket } from './rate-limiter.ts';

describe('ExponentialBackoff', () => {
  it('doubles per failure up to the maximum, per key', () => {
    const limiter = new ExponentialBackoff(5, 30);
    expect([1, 2, 3, 4, 5].map(() => limiter.when('a'))).toEqual([5, 10, 20, 30, 30]);
    expect(limiter.when('b')).toBe(5);
    expect(limiter.failures('a')).toBe(5);
  });

  it('starts over after forget', () => {
    const limiter = new ExponentialBackoff(5, 1000);
    limiter.when('a');
    limiter.when('a');
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
  });

  it('never overflows to Infinity after very many failures', () => {
    const limiter = new ExponentialBackoff(5, 1000);
    for (let i = 0; i < 2000; i++) limiter.when('a');
    expect(limiter.when('a')).toBe(1000);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through at once, then spaces calls by 1/qps', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    expect(bucket.when()).toBe(0);
    expect(bucket.when()).toBe(0);
    expect(bucket.when()).toBe(100);
    expect(bucket.when()).toBe(200);
    now = 1000; // refilled, but the two reservations above are paid first
    expect(bucket.when()).toBe(0);
  });
});

describe('MaxOf', () => {
  it('takes the longest delay and forgets in all limiters', () => {
    let now = 0;
    const limiter = new MaxOf(new ExponentialBackoff(5, 1000), new TokenBucket(1, 1, () => now));
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('a')).toBe(1000); // the bucket is empty: 1 s for the next token
    now = 5000;
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
    expect(limiter.failures('a')).toBe(1);
  });
});
