import { describe, expect, it } from '@jest/globals';
import { busiestWindow, byOwner, selfTimes } from './cpuprofile-summary.ts';

const frame = (id: number, functionName: string, url = '') => ({
  id,
  callFrame: { functionName, url, lineNumber: 0 },
});

// One node per owner; each sample lasts the delta that follows it (1 ms apart, as V8 writes).
const nodes = [
  frame(1, '(idle)'),
  frame(2, 'handle', 'file:///app/node_modules/express/lib/application.js'),
  frame(3, 'read', 'file:///app/node_modules/@scope/pkg/index.js'),
  frame(4, 'encode', 'file:///app/node_modules/kafkajs/src/protocol/encoder.js'),
  frame(5, 'writev'),
  frame(6, '(garbage collector)'),
];

function profile(samples: number[]) {
  return { nodes, samples, timeDeltas: samples.map(() => 1000) };
}

describe('byOwner', () => {
  it('names the package of every dependency, scoped ones whole', () => {
    const owners = byOwner(selfTimes(profile([2, 2, 3, 4, 5, 6, 1, 1])));
    expect(Object.fromEntries(owners)).toEqual({
      express: 0.25,
      '@scope/pkg': 0.125,
      kafkajs: 0.125,
      'node and V8 builtins': 0.125,
      '(garbage collector)': 0.125,
      '(idle)': 0.25,
    });
  });
});

describe('busiestWindow', () => {
  it('keeps the window of the given length with the fewest idle samples', () => {
    // Idle, then 4 ms of work, then idle again: a 4 ms window holds the work alone.
    const window = busiestWindow(profile([1, 1, 1, 2, 4, 2, 5, 1, 1, 1]), 0.004);
    expect(window.samples).toEqual([2, 4, 2, 5]);
    expect(window.timeDeltas).toHaveLength(4);
  });

  it('keeps everything when the profile is shorter than the window', () => {
    const whole = profile([1, 2, 1]);
    expect(busiestWindow(whole, 60).samples).toEqual([1, 2, 1]);
  });
});
