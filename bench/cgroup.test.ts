import { describe, expect, it } from '@jest/globals';
import { parseMemoryStat } from './cgroup.ts';

// The head of a container's memory.stat on the stack's node (cgroup v1), shortened.
const STAT = `cache 1048576
rss 3145728
rss_huge 0
shmem 0
mapped_file 524288
hierarchical_memory_limit 268435456
total_cache 2097152
total_rss 6291456
total_rss_huge 0
total_mapped_file 524288
`;

describe('parseMemoryStat', () => {
  it('reads the anonymous memory and page cache of the cgroup and its children', () => {
    expect(parseMemoryStat(STAT)).toEqual({ rss: 6291456, cache: 2097152 });
  });

  it('names a missing field instead of reading it as zero', () => {
    expect(() => parseMemoryStat('cache 0\nrss 0\n')).toThrow('memory.stat has no total_rss');
  });
});
