// The partition of a rating, computed once per battle instead of once per record. Kafka's default
// partitioner hashes the key with murmur2; kafkajs computes it with a 64-bit Long emulation for
// every message, among the largest costs in the producer's profile (bench/README.md,
// "bench:producer").
// This is the same function in 32-bit integer arithmetic, remembered per key: a topic's keys are the
// catalog's battles, a few dozen strings.
import type { ICustomPartitioner } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of `data`, as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length4 * 4;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's Java client (and kafkajs's DefaultPartitioner) choose for a keyed record. */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}

/** Keys remembered per partition count before the memo starts over (bounds memory for odd keys). */
const MEMO_LIMIT = 10_000;

/**
 * A kafkajs partitioner equal to its DefaultPartitioner for keyed messages, remembering the
 * partition of each key. Messages without a key are not ours to send (every rating has its battle).
 */
export const memoizedKeyPartitioner: ICustomPartitioner = () => {
  let memo = new Map<string, number>();
  let memoPartitions = 0;
  return ({ partitionMetadata, message }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const { key } = message;
    if (key === undefined || key === null) throw new Error('a rating record needs a key (its battle)');
    const partitions = partitionMetadata.length;
    if (typeof key !== 'string') return partitionForKey(key, partitions);
    if (partitions !== memoPartitions || memo.size >= MEMO_LIMIT) {
      memo = new Map();
      memoPartitions = partitions;
    }
    let partition = memo.get(key);
    if (partition === undefined) {
      partition = partitionForKey(key, partitions);
      memo.set(key, partition);
    }
    return partition;
  };
};
