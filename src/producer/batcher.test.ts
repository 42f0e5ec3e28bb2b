import { Batcher } from './batcher.ts';

/** A send function whose requests the test acknowledges or fails by hand. */
function controlledSend() {
  const requests: { messages: number[]; ack: () => void; fail: (err: Error) => void }[] = [];
  const send = (messages: number[]) =>
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

  it('splits at maxBatchSize without splitting a submission', async () => {
    const { requests, send } = controlledSend();
    const batcher = new Batcher({ send, maxBatchSize: 3, maxInFlight: 5 });
    void batcher.submit([1, 2]);
    void batcher.submit([3, 4]);
    void batcher.submit([5, 6, 7, 8]);
    void batcher.submit([9]);
    await tick();
    expect(requests.map((r) => r.messages)).toEqual([[1, 2], [3, 4], [5, 6, 7, 8], [9]]);
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
