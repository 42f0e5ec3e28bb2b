import { BodyBudget, defaultBodyBudgetBytes } from './body-budget.ts';

describe('BodyBudget', () => {
  it('holds bytes up to the bound, sheds past it, and holds again once bytes are released', () => {
    let shed = 0;
    const budget = new BodyBudget({ maxBytes: 100, retryAfterSeconds: 1, onShed: () => shed++ });
    expect(budget.tryHold(60, 0)).toBe(true);
    expect(budget.tryHold(40, 0)).toBe(true);
    expect(budget.full).toBe(true);
    expect(budget.tryHold(1, 0)).toBe(false);
    expect(shed).toBe(1);
    budget.release(40);
    expect(budget.held).toBe(60);
    expect(budget.tryHold(30, 0)).toBe(true);
    expect(budget.held).toBe(90);
  });

  it('lets a body that arrives in chunks grow while it fits, and alone past the bound', () => {
    const budget = new BodyBudget({ maxBytes: 100, retryAfterSeconds: 1 });
    let own = 0;
    for (const chunk of [50, 50, 50]) {
      expect(budget.tryHold(chunk, own)).toBe(true); // the only body held: it may finish
      own += chunk;
    }
    expect(budget.held).toBe(150);
    expect(budget.tryHold(1, 0)).toBe(false);
    budget.release(own);
    // With another body held, a growing one stops at the bound.
    expect(budget.tryHold(60, 0)).toBe(true);
    expect(budget.tryHold(30, 0)).toBe(true);
    expect(budget.tryHold(20, 30)).toBe(false);
    expect(budget.held).toBe(90);
  });

  it('never goes below zero', () => {
    const budget = new BodyBudget({ maxBytes: 10, retryAfterSeconds: 1 });
    budget.release(5);
    expect(budget.held).toBe(0);
  });
});

describe('defaultBodyBudgetBytes', () => {
  const MiB = 2 ** 20;
  it("is a quarter of the heap V8 was given from the pod's memory limit, never below one whole body", () => {
    // A 256Mi pod: a 128 MiB old generation and semi-spaces of 8 MiB, about 152 MiB of heap.
    expect(defaultBodyBudgetBytes(152 * MiB, 8 * MiB)).toBe(38 * MiB);
    expect(defaultBodyBudgetBytes(16 * MiB, 8 * MiB)).toBe(8 * MiB);
  });
});
