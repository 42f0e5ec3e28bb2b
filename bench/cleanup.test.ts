import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { Cleanup, type SignalTarget } from './cleanup.ts';

/** A process stand-in: signals are emitted by the test, exit codes recorded. */
class FakeProcess extends EventEmitter implements SignalTarget {
  exits: number[] = [];
  private resolveExit: (code: number) => void = () => {};
  // After resolveExit: fields are initialised in order.
  exited = new Promise<number>((resolve) => (this.resolveExit = resolve));
  override on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): this {
    return super.on(signal, listener);
  }
  override off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): this {
    return super.off(signal, listener);
  }
  exit(code: number): void {
    this.exits.push(code);
    this.resolveExit(code);
  }
}

describe('Cleanup', () => {
  it('undoes every step newest first, once, even when the first ones fail, and names the failures', async () => {
    const done: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add('topic a', () => void done.push('topic a'));
    cleanup.add('namespace b', async () => {
      done.push('namespace b');
      throw new Error('forbidden');
    });
    cleanup.add('process c', () => void done.push('process c'));
    await expect(cleanup.run()).rejects.toThrow(/namespace b: forbidden/);
    expect(done).toEqual(['process c', 'namespace b', 'topic a']);
    await expect(cleanup.run()).rejects.toThrow(/namespace b/);
    expect(done).toHaveLength(3);
    expect(cleanup.pending).toEqual([]);
  });

  it('skips a step dropped because it was undone already', async () => {
    const done: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add('kept', () => void done.push('kept'));
    const drop = cleanup.add('finished child', () => void done.push('finished child'));
    drop();
    await cleanup.run();
    expect(done).toEqual(['kept']);
  });

  it('on SIGTERM runs the steps, reports them, then exits 143', async () => {
    const fake = new FakeProcess();
    const lines: string[] = [];
    const done: string[] = [];
    const cleanup = new Cleanup({ signals: fake, report: (line) => lines.push(line) });
    cleanup.add('topic t', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      done.push('topic t');
    });
    fake.emit('SIGTERM', 'SIGTERM');
    expect(await fake.exited).toBe(143);
    expect(done).toEqual(['topic t']);
    expect(lines[0]).toMatch(/^SIGTERM: deleting what the benchmark created \(topic t\)/);
    // The handlers are gone: a second signal gets the default behaviour (stop now).
    expect(fake.listenerCount('SIGTERM')).toBe(0);
    expect(fake.listenerCount('SIGINT')).toBe(0);
  }, 5_000);

  it('on SIGINT still exits 130 when a step fails, after reporting what was left', async () => {
    const fake = new FakeProcess();
    const lines: string[] = [];
    const cleanup = new Cleanup({ signals: fake, report: (line) => lines.push(line) });
    cleanup.add('namespace n', () => {
      throw new Error('timeout');
    });
    fake.emit('SIGINT', 'SIGINT');
    expect(await fake.exited).toBe(130);
    expect(lines[1]).toMatch(/left these behind.*\n\s+namespace n: timeout/);
  }, 5_000);

  it('stops listening for signals once run at the end', async () => {
    const fake = new FakeProcess();
    const cleanup = new Cleanup({ signals: fake });
    expect(fake.listenerCount('SIGINT')).toBe(1);
    await cleanup.run();
    expect(fake.listenerCount('SIGINT')).toBe(0);
    expect(fake.exits).toEqual([]);
  });
});
