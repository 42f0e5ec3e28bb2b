import { StringPool } from './string-pool.ts';

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name,
    namespace: 'appdev',
    uid: `uid-${name}`,
    resourceVersion: '42',
    creationTimestamp: '2026-11-29T06:00:00Z',
    labels: { 'app.kubernetes.io/name': 'rating-experiment' },
  },
  spec: {
    template: {
      spec: {
        containers: [{ name: 'consumer', args: ['consumer', '--verbose'], env: [{ name: 'A', value: 'b' }] }],
      },
    },
  },
  status: { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2026-11-29T06:00:01Z' }] },
});

describe('StringPool', () => {
  it('gives back the same data, strings in arrays and nested objects included', () => {
    const pool = new StringPool();
    const original = deployment('exp-1-consumer');
    const interned = pool.intern(structuredClone(original));
    expect(interned).toEqual(original);
  });

  it('pools repeated values, not the identities and times of objects', () => {
    const pool = new StringPool();
    pool.intern(deployment('exp-1-consumer'));
    const afterOne = pool.size;
    pool.intern(deployment('exp-1-consumer'));
    expect(pool.size).toBe(afterOne);
    pool.intern(deployment('exp-2-consumer'));
    // A second object adds its name only: not its uid, resourceVersion or timestamps.
    expect(pool.size).toBe(afterOne + 1);
    expect(afterOne).toBe(
      [
        'apps/v1',
        'Deployment',
        'exp-1-consumer',
        'appdev',
        'rating-experiment',
        'consumer',
        '--verbose',
      ].concat(['A', 'b', 'Available', 'True']).length,
    );
  });

  it('empties itself at its bound and keeps working', () => {
    const pool = new StringPool(3);
    pool.intern(['a', 'b', 'c']);
    expect(pool.size).toBe(3);
    expect(pool.intern(['d', 'a'])).toEqual(['d', 'a']);
    expect(pool.size).toBe(2);
  });

  it('leaves numbers, booleans and nulls as they are', () => {
    const pool = new StringPool();
    const value = { replicas: 0, paused: false, selector: null, list: [1, true, null, 'x'] };
    expect(pool.intern(structuredClone(value))).toEqual(value);
    expect(pool.size).toBe(1);
  });
});
