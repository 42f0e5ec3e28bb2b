import { jest } from '@jest/globals';
import { pino } from 'pino';
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.ts';
import type { WriteResult } from './status-writer.ts';

const logger = pino({ level: 'silent' });
const cp = (offset: number): PartitionCheckpoint => ({
  partition: 0,
  offset,
  sums: {},
  counts: {},
  rejected: 0,
});

function setup(overrides: Partial<CheckpointerOptions<PartitionCheckpoint>> = {}) {
  let offset = 0;
  const calls = {
    writes: [] as PartitionCheckpoint[][],
    commits: [] as PartitionCheckpoint[][],
    outcomes: [] as string[],
  };
  let release: () => void = () => {};
  let gate: Promise<void> | undefined;
  const options: CheckpointerOptions<PartitionCheckpoint> = {
    logger,
    checkpoints: async () => [cp(offset)],
    observe: async () => ({ topicId: 'T', endOffsets: new Map([[0, 100]]) }),
    write: async (mine): Promise<WriteResult> => {
      calls.writes.push(mine);
      if (gate !== undefined) await gate;
      return { status: { partitions: mine }, written: true, conflicts: 1, retired: [], lateLost: 0 };
    },
    committed: async (mine) => {
      calls.commits.push(mine);
    },
    onStatus: () => {},
    onOutcome: (outcome) => calls.outcomes.push(outcome),
    intervalMs: () => 60_000,
    ...overrides,
  };
  return {
    checkpointer: new Checkpointer(options),
    calls,
    count: (to: number) => (offset = to),
    hold: () => (gate = new Promise((resolve) => (release = resolve))),
    release: () => {
      gate = undefined;
      release();
    },
  };
}

describe('Checkpointer', () => {
  it('writes a snapshot and commits what it wrote', async () => {
    const { checkpointer, calls, count } = setup();
    count(7);
    expect(await checkpointer.checkpoint()).toBe('written');
    expect(calls.writes).toEqual([[cp(7)]]);
    expect(calls.commits).toEqual([[cp(7)]]);
  });

  it('runs one write at a time; requests made meanwhile share the next run', async () => {
    const { checkpointer, calls, count, hold, release } = setup();
    hold();
    const first = checkpointer.checkpoint();
    while (calls.writes.length === 0) await Promise.resolve();
    count(5);
    const second = checkpointer.checkpoint();
    const third = checkpointer.checkpoint();
    expect(second).toBe(third);
    release();
    await Promise.all([first, second]);
    expect(calls.writes).toEqual([[cp(0)], [cp(5)]]);
  });

  it('reports a failed write, does not commit, and keeps going', async () => {
    let fail = true;
    const { checkpointer, calls } = setup({
      write: async (mine) => {
        if (fail) throw new Error('boom');
        return { status: { partitions: mine }, written: true, conflicts: 0, retired: [], lateLost: 0 };
      },
    });
    expect(await checkpointer.checkpoint()).toBe('failed');
    expect(calls.commits).toEqual([]);
    fail = false;
    expect(await checkpointer.checkpoint()).toBe('written');
    expect(calls.outcomes).toEqual(['failed', 'written']);
  });

  it('asks Kafka before taking the snapshot, and writes without its answer when it has none', async () => {
    const seen: unknown[] = [];
    let observed = false;
    const { checkpointer } = setup({
      observe: async () => {
        observed = true;
        throw new Error('broker down');
      },
      checkpoints: async () => {
        seen.push(observed ? 'observed first' : 'snapshot first');
        return [cp(0)];
      },
      write: async (mine, observation) => {
        seen.push(observation);
        return { status: { partitions: mine }, written: true, conflicts: 0, retired: [], lateLost: 0 };
      },
    });
    await checkpointer.checkpoint();
    expect(seen).toEqual(['observed first', undefined]);
  });

  it('reports a snapshot that failed (a worker gone) as a failed checkpoint, writing nothing', async () => {
    const { checkpointer, calls } = setup({
      checkpoints: async () => {
        throw new Error('counting worker 1 exited with code 1');
      },
    });
    expect(await checkpointer.checkpoint()).toBe('failed');
    expect(calls.writes).toEqual([]);
    expect(calls.commits).toEqual([]);
    expect(calls.outcomes).toEqual(['failed']);
  });

  it('takes the snapshot when the members answer, not when it was asked for', async () => {
    const { checkpointer, calls, count } = setup({
      checkpoints: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return [cp(snapshotAt)];
      },
    });
    let snapshotAt = 0;
    const run = checkpointer.checkpoint();
    count(3);
    snapshotAt = 3;
    await run;
    expect(calls.writes).toEqual([[cp(3)]]);
  });

  it('does not commit when there was nothing to write', async () => {
    const { checkpointer, calls } = setup({
      write: async () => ({ status: {}, written: false, conflicts: 0, retired: [], lateLost: 0 }),
    });
    expect(await checkpointer.checkpoint()).toBe('unchanged');
    expect(calls.commits).toEqual([]);
  });

  it('checkpoints on its interval until stopped', async () => {
    jest.useFakeTimers();
    try {
      const { checkpointer, calls } = setup({ intervalMs: () => 1000 });
      checkpointer.start();
      await jest.advanceTimersByTimeAsync(3500);
      expect(calls.writes).toHaveLength(3);
      await checkpointer.stop();
      await jest.advanceTimersByTimeAsync(5000);
      expect(calls.writes).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
