import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Peer } from './worker-peer.ts';

type Left = {
  add(a: number, b: number): number;
  slow(ms: number): string;
  fail(): void;
  told(text: string): void;
};
type Right = {
  echo(value: unknown): unknown;
  told(text: string): void;
};

const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
});

function pair() {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const heard: string[] = [];
  const errors: string[] = [];
  const left = new Peer<Left, Right>(
    port1,
    {
      add: (a, b) => a + b,
      slow: async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return `after ${ms} ms`;
      },
      fail: () => {
        throw new Error('refused on purpose');
      },
      told: (text) => {
        if (text === 'bad') throw new Error('bad notification');
        heard.push(text);
      },
    },
    (err) => errors.push(err.message),
  );
  const right = new Peer<Right, Left>(
    port2,
    {
      echo: (value) => value,
      told: (text) => void heard.push(`right: ${text}`),
    },
    (err) => errors.push(err.message),
  );
  return { left, right, heard, errors };
}

describe('Peer', () => {
  it('answers requests both ways, matching answers to requests by id', async () => {
    const { left, right } = pair();
    const [slow, sum] = await Promise.all([right.call('slow', 20), right.call('add', 2, 3)]);
    expect(slow).toBe('after 20 ms');
    expect(sum).toBe(5);
    expect(await left.call('echo', 'hello')).toBe('hello');
  });

  it('carries Maps and Sets (checkpoints, catalogs) by structured clone', async () => {
    const { left } = pair();
    const value = { sums: new Map([['__proto__', 3]]), voices: new Set(['Joan of Arc']), partition: 1 };
    expect(await left.call('echo', value)).toEqual(value);
  });

  it('carries a handler error back as a rejection with its message', async () => {
    const { right } = pair();
    await expect(right.call('fail')).rejects.toThrow('refused on purpose');
  });

  it('rejects a request the other side does not handle', async () => {
    const { left } = pair();
    const untyped = left as unknown as Peer<Left, Record<string, () => unknown>>;
    await expect(untyped.call('constructor')).rejects.toThrow('no such request: constructor');
    await expect(untyped.call('nothing')).rejects.toThrow('no such request: nothing');
  });

  it('delivers notifications without an answer; a failing one is reported on the receiving side', async () => {
    const { left, right, heard, errors } = pair();
    right.notify('told', 'one');
    right.notify('told', 'bad');
    left.notify('told', 'two');
    // Answers to a request made after the notifications prove they were handled (one port, in order).
    await right.call('add', 0, 0);
    await left.call('echo', null);
    expect(heard).toEqual(['one', 'right: two']);
    expect(errors).toEqual(['bad notification']);
  });

  it('fails waiting and later requests once closed (the other side is gone)', async () => {
    const { right } = pair();
    const waiting = right.call('slow', 100);
    right.close(new Error('counting worker 0 exited with code 1'));
    await expect(waiting).rejects.toThrow('counting worker 0 exited with code 1');
    await expect(right.call('add', 1, 1)).rejects.toThrow('counting worker 0 exited with code 1');
  });
});
