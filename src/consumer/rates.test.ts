import { RateHistory } from './rates.ts';

describe('RateHistory', () => {
  it('keeps the samples of the window and one before it', () => {
    const history = new RateHistory(60_000);
    history.record({ counted: 0 }, 0);
    history.record({ counted: 10, produced: 12 }, 30_000);
    history.record({ counted: 20, produced: 22 }, 70_000);
    history.record({ counted: 30, produced: 32 }, 100_000);
    expect(history.samples()).toEqual([
      { at: 30_000, counted: 10, produced: 12 },
      { at: 70_000, counted: 20, produced: 22 },
      { at: 100_000, counted: 30, produced: 32 },
    ]);
  });
});
