// The memory cgroups (v1) of the stack's node, as bench:intake-pod reads them: a container's
// directory, its counters, and the split of its charge into anonymous memory and page cache.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MEMORY_CGROUP_ROOT = '/sys/fs/cgroup/memory';

/** The memory cgroup directory of a container: the one named after its id, below the node's root. */
export function findCgroupDir(root: string, containerId: string, depth = 6): string | undefined {
  if (depth < 0 || !existsSync(root)) return undefined;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(root, entry.name);
    if (entry.name.includes(containerId)) return path;
    const found = findCgroupDir(path, containerId, depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** One number a cgroup file holds: a counter, a limit, a peak. */
export function readBytes(dir: string, file: string): number {
  return Number(readFileSync(join(dir, file), 'utf8').trim());
}

/**
 * Of what the cgroup and its children are charged, the anonymous memory (what only the process can
 * give back) and the page cache (what the kernel reclaims before it fails an allocation), in bytes.
 */
export function parseMemoryStat(text: string): { rss: number; cache: number } {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key !== undefined && value !== undefined) values.set(key, Number(value));
  }
  const field = (key: string) => {
    const value = values.get(key);
    if (value === undefined || !Number.isFinite(value)) throw new Error(`memory.stat has no ${key}`);
    return value;
  };
  return { rss: field('total_rss'), cache: field('total_cache') };
}
