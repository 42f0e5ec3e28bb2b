import { Batcher } from './batcher.ts';

/** A send function whose requests the test acknowledges or fails by hand. */
function controlledSend<M = number>() {
  const requests: { messages: M[]; ack: () => void; fail: (err: Error) => void }[] = [];
  const send = (messages: M[]) =>
    new Promise<void>((ack, fail) => {
      requests.push({ messages, ack, fail });
    });
  return { requests, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('sends what one turn of the event loop submits as one request', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 100, maxInFlight: 1 });
    const done = [batcher.submit([1]), batcher.submit([2, 3]), batcher.submit([4])];
    await tick();
    expect(requests.map((r) => r.messages)).toEqual([[1, 2, 3, 4]]);
    requests[0]!.ack();
    await expect(Promise.all(done)).resolves.toBeDefined();
  });

  it('queues while the broker holds a request, then sends the queue together', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 100, maxInFlight: 1 });
    void batcher.submit([1]);
    await tick();
    void batcher.submit([2]);
    void batcher.submit([3]);
    await tick();
    expect(requests).toHaveLength(1);
    expect(batcher.pending).toBe(3);
    requests[0]!.ack();
    await tick();
    expect(requests.map((r) => r.messages)).toEqual([[1], [2, 3]]);
  });

  it('splits at maxBatchSize, a large submission into several requests', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 3, maxInFlight: 5 });
    void batcher.submit([1, 2]);
    void batcher.submit([3, 4]);
    const large = batcher.submit([5, 6, 7, 8]);
    void batcher.submit([9]);
    await tick();
    expect(requests.map((r) => r.messages)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6, 7],
      [8, 9],
    ]);
    // The large submission is acknowledged once both of its requests are.
    let settled = false;
    void large.then(() => (settled = true));
    requests[2]!.ack();
    await tick();
    expect(settled).toBe(false);
    requests[3]!.ack();
    await tick();
    expect(settled).toBe(true);
  });

  // Kafka refuses a record batch above the broker's message.max.bytes (1 MiB by default) for good:
  // 10,000 ratings of 200 bytes in one request were refused as "larger than the max message size".
  it('keeps every request under maxBatchBytes', async () => {
    const { requests, send } = controlledSend<string>();
    const batcher = new Batcher<string>({
      send,
      maxBatchSize: 100,
      maxBatchBytes: 10,
      sizeOf: (m) => m.length,
      maxInFlight: 5,
    });
    void batcher.submit(['aaaa', 'bbbb']);
    void batcher.submit(['cccc', 'dd', 'eeeeeeeeeeee']);
    await tick();
    expect(requests.map((r) => r.messages)).toEqual([['aaaa', 'bbbb'], ['cccc', 'dd'], ['eeeeeeeeeeee']]);
  });

  it('rejects a split submission when any of its requests fails', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 2, maxInFlight: 5 });
    const split = batcher.submit([1, 2, 3]);
    await tick();
    requests[0]!.ack();
    requests[1]!.fail(new Error('NOT_LEADER'));
    await expect(split).rejects.toThrow('NOT_LEADER');
  });

  it('keeps at most maxInFlight requests out', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 1, maxInFlight: 2 });
    for (let i = 0; i < 5; i++) void batcher.submit([i]);
    await tick();
    expect(requests).toHaveLength(2);
    requests[0]!.ack();
    await tick();
    expect(requests).toHaveLength(3);
  });

  it('rejects every submission of a failed request, and only those', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 2, maxInFlight: 2 });
    const a = batcher.submit([1]);
    const b = batcher.submit([2]);
    const c = batcher.submit([3]);
    await tick();
    requests[0]!.fail(new Error('NOT_LEADER'));
    requests[1]!.ack();
    await expect(a).rejects.toThrow('NOT_LEADER');
    await expect(b).rejects.toThrow('NOT_LEADER');
    await expect(c).resolves.toBeUndefined();
  });

  it('flushes once everything submitted has settled', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 1, maxInFlight: 1 });
    await expect(batcher.flush()).resolves.toBeUndefined();
    void batcher.submit([1]);
    batcher.submit([2]).catch(() => undefined);
    let flushed = false;
    void batcher.flush().then(() => (flushed = true));
    await tick();
    requests[0]!.ack();
    await tick();
    expect(flushed).toBe(false);
    requests[1]!.fail(new Error('gone'));
    await tick();
    expect(flushed).toBe(true);
    expect(batcher.pending).toBe(0);
  });

  it('reports how long the oldest request has waited for its acknowledgement', async () => {
    let now = 1000;
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 1, maxInFlight: 2, now: () => now });
    expect(batcher.oldestInFlightMs()).toBe(0);
    void batcher.submit([1]);
    await tick();
    now = 1500;
    void batcher.submit([2]);
    await tick();
    now = 4000;
    expect(batcher.oldestInFlightMs()).toBe(3000);
    requests[0]!.ack();
    await tick();
    expect(batcher.oldestInFlightMs()).toBe(2500);
  });

  it('ignores empty submissions', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 1, maxInFlight: 1 });
    await batcher.submit([]);
    await tick();
    expect(requests).toHaveLength(0);
  });
});
