// `node bench/cpuprofile-summary.ts <file.cpuprofile> [top] [busiest-seconds]`: the functions with
// the most self time in a V8 CPU profile (`node --cpu-prof`), with their share of all samples, and
// the share of the main thread that was idle (waiting for I/O): the evidence for what bounds a
// benchmark. With busiest-seconds, only the window of that length with the least idle time counts:
// a process profiled for its whole life spends most of it starting, waiting and stopping.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  share: number;
}

/** Self time per function (name and location), largest first, as shares of all samples. */
export function selfTimes(profile: Profile): SelfTime[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const weights = new Map<string, { name: string; where: string; time: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${functionName}@${where}`;
    const entry = weights.get(key) ?? { name: functionName || '(anonymous)', where, time: 0 };
    entry.time += dt;
    weights.set(key, entry);
  });
  return [...weights.values()]
    .map(({ name, where, time }) => ({ name, where, share: total === 0 ? 0 : time / total }))
    .sort((a, b) => b.share - a.share);
}

/** The samples of the `seconds` of the profile with the fewest idle ones (all, if it is shorter). */
export function busiestWindow(profile: Profile, seconds: number): Profile {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const idle = profile.samples.map((id) => byNode.get(id)?.callFrame.functionName === '(idle)');
  const times: number[] = [];
  let now = 0;
  for (const delta of profile.timeDeltas) times.push((now += delta));
  const span = seconds * 1e6;
  if (times.length === 0 || times.at(-1)! - times[0]! < span) return profile;
  let best = { first: 0, last: profile.samples.length - 1, busy: -1 };
  let first = 0;
  let busy = 0;
  for (let last = 0; last < times.length; last++) {
    if (!idle[last]) busy++;
    while (times[last]! - times[first]! >= span) {
      if (!idle[first]) busy--;
      first++;
    }
    if (busy > best.busy) best = { first, last, busy };
  }
  return {
    ...profile,
    samples: profile.samples.slice(best.first, best.last + 1),
    timeDeltas: profile.timeDeltas.slice(best.first, best.last + 1),
  };
}

/** Self time by who runs it: our code, each dependency, Node's own, the garbage collector, idle. */
export function byOwner(rows: readonly SelfTime[]): Map<string, number> {
  const owners = new Map<string, number>();
  for (const row of rows) {
    const owner =
      row.name === '(idle)' || row.name === '(garbage collector)' || row.name === '(program)'
        ? row.name
        : row.where.startsWith('src/') || row.where.startsWith('bench/')
          ? 'ours (src/, bench/)'
          : (packageOf(row.where) ?? 'node and V8 builtins');
    owners.set(owner, (owners.get(owner) ?? 0) + row.share);
  }
  return new Map([...owners].sort((a, b) => b[1] - a[1]));
}

/** The package a location below node_modules belongs to (shortUrl strips the prefix). */
function packageOf(where: string): string | undefined {
  if (where === '' || where.startsWith('node:') || !where.includes('/')) return undefined;
  const parts = where.split('/');
  return where.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const modules = path.lastIndexOf('node_modules/');
  return modules >= 0 ? path.slice(modules + 'node_modules/'.length) : relative(process.cwd(), path);
}

if (import.meta.main) {
  const [file, top = '25', busiest] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write(
      'usage: node bench/cpuprofile-summary.ts <file.cpuprofile> [top] [busiest-seconds]\n',
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const all = selfTimes(busiest === undefined ? profile : busiestWindow(profile, Number(busiest)));
  for (const [owner, share] of byOwner(all)) {
    process.stdout.write(`${(100 * share).toFixed(1).padStart(5)}%  ${owner}\n`);
  }
  process.stdout.write('\n');
  for (const row of all.slice(0, Number(top))) {
    process.stdout.write(`${(100 * row.share).toFixed(1).padStart(5)}%  ${row.name}  ${row.where}\n`);
  }
}
