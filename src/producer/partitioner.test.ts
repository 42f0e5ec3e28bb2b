import kafkajs, { type PartitionMetadata } from 'kafkajs';
import { memoizedKeyPartitioner, murmur2, partitionForKey } from './partitioner.ts';

const { Partitioners } = kafkajs;

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));

// Keys of every length class (0 to 3 bytes of tail), non-ASCII, and the catalog's kind of names.
const keys = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'Einstein vs Hawking',
  'Darth Vader vs Hitler',
  'Jeanne d’Arc vs Ἀλέξανδρος',
  '🎤 battle 🎤',
  ...Array.from({ length: 200 }, (_, i) => `battle-${i * 7919}`),
];

describe('murmur2', () => {
  it('matches the values of Kafka’s Java client', () => {
    // From the Java client's UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, expected] of cases) expect(murmur2(Buffer.from(key))).toBe(expected);
  });
});

describe('memoizedKeyPartitioner', () => {
  it('chooses the partition kafkajs’s DefaultPartitioner chooses, for every key and partition count', () => {
    for (const partitions of [1, 3, 7, 64]) {
      const ours = memoizedKeyPartitioner();
      const theirs = Partitioners.DefaultPartitioner();
      for (const key of [...keys, ...keys]) {
        const args = { topic: 't', partitionMetadata: metadata(partitions), message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
        expect(partitionForKey(key, partitions)).toBe(theirs(args));
      }
    }
  });

  it('recomputes when the partition count changes', () => {
    const ours = memoizedKeyPartitioner();
    const message = { key: 'Einstein vs Hawking', value: 'v' };
    const at = (n: number) => ours({ topic: 't', partitionMetadata: metadata(n), message });
    expect(at(64)).toBe(partitionForKey(message.key, 64));
    expect(at(5)).toBe(partitionForKey(message.key, 5));
  });

  it('keeps an explicit partition and refuses a record without a key', () => {
    const ours = memoizedKeyPartitioner();
    expect(ours({ topic: 't', partitionMetadata: metadata(3), message: { value: 'v', partition: 2 } })).toBe(
      2,
    );
    expect(() => ours({ topic: 't', partitionMetadata: metadata(3), message: { value: 'v' } })).toThrow(
      /key/,
    );
  });
});
