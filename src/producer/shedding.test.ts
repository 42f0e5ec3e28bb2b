import { LoadShedder } from './shedding.ts';

describe('LoadShedder', () => {
  it('admits up to the bound, sheds past it, and admits again once ratings settle', () => {
    let shed = 0;
    const shedder = new LoadShedder({ maxPending: 3, retryAfterSeconds: 1, onShed: () => shed++ });
    expect([shedder.tryAdmit(1), shedder.tryAdmit(1), shedder.tryAdmit(1)]).toEqual([true, true, true]);
    expect(shedder.tryAdmit(1)).toBe(false);
    expect(shed).toBe(1);
    expect(shedder.pending).toBe(3);
    shedder.release(1);
    expect(shedder.tryAdmit(1)).toBe(true);
    expect(shedder.tryAdmit(1)).toBe(false);
    expect(shed).toBe(2);
  });

  it('counts ratings, not requests: a submission that does not fit whole is shed whole', () => {
    const shedder = new LoadShedder({ maxPending: 10, retryAfterSeconds: 1 });
    expect(shedder.tryAdmit(8)).toBe(true);
    expect(shedder.tryAdmit(3)).toBe(false);
    expect(shedder.tryAdmit(2)).toBe(true);
    expect(shedder.pending).toBe(10);
  });

  it('takes a submission larger than the bound only when nothing else is pending', () => {
    const shedder = new LoadShedder({ maxPending: 10, retryAfterSeconds: 1 });
    expect(shedder.tryAdmit(1)).toBe(true);
    expect(shedder.tryAdmit(50)).toBe(false);
    shedder.release(1);
    expect(shedder.tryAdmit(50)).toBe(true);
    expect(shedder.tryAdmit(1)).toBe(false);
  });

  it('releases when the publication settles, acknowledged or failed', async () => {
    const shedder = new LoadShedder({ maxPending: 2, retryAfterSeconds: 1 });
    let ack!: () => void;
    let fail!: (err: Error) => void;
    shedder.tryAdmit(1);
    shedder.holdUntil(1, new Promise<void>((resolve) => (ack = resolve)));
    shedder.tryAdmit(1);
    shedder.holdUntil(1, new Promise<void>((_, reject) => (fail = reject)));
    expect(shedder.tryAdmit(1)).toBe(false);
    ack();
    fail(new Error('refused'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(shedder.pending).toBe(0);
  });

  it('never goes below zero', () => {
    const shedder = new LoadShedder({ maxPending: 1, retryAfterSeconds: 1 });
    shedder.release(5);
    expect(shedder.pending).toBe(0);
    expect(shedder.tryAdmit(1)).toBe(true);
  });
});
