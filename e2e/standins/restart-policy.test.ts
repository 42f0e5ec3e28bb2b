import { restartDelayMs, shouldRestart } from './restart-policy.ts';

describe('shouldRestart', () => {
  it.each([
    [undefined, 0, true],
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 137, true],
    ['Never', 1, false],
  ])('restartPolicy %s, exit %i → %s', (policy, exitCode, expected) => {
    expect(shouldRestart(policy, exitCode)).toBe(expected);
  });
});

describe('restartDelayMs', () => {
  it('doubles from one second up to thirty', () => {
    expect([1, 2, 3, 5, 6, 20].map(restartDelayMs)).toEqual([1000, 2000, 4000, 16000, 30000, 30000]);
  });
});
