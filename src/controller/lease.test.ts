import { decide, microTime, nextSpec, observe, type LeaseSpec } from './lease.ts';

const held = (holder: string, renewTime = '2026-01-01T00:00:00.000000Z'): LeaseSpec => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  renewTime,
});

describe('lease decisions', () => {
  it('creates a missing lease', () => {
    const obs = observe(undefined, undefined, 0);
    expect(decide(undefined, false, 'me', obs, 0, 15)).toBe('create');
  });

  it('renews its own lease', () => {
    const spec = held('me');
    expect(decide(spec, true, 'me', observe(undefined, spec, 0), 0, 15)).toBe('renew');
  });

  it('waits while another holder keeps renewing, whatever the clocks say', () => {
    let obs = observe(undefined, held('other', 'a'), 0);
    expect(decide(held('other', 'a'), true, 'me', obs, 14_000, 15)).toBe('wait');
    obs = observe(obs, held('other', 'b'), 14_000); // renewed: the clock starts again
    expect(decide(held('other', 'b'), true, 'me', obs, 20_000, 15)).toBe('wait');
    expect(decide(held('other', 'b'), true, 'me', obs, 29_000, 15)).toBe('acquire');
  });

  it('takes a released lease at once', () => {
    const spec = { holderIdentity: '', leaseDurationSeconds: 1 };
    expect(decide(spec, true, 'me', observe(undefined, spec, 0), 0, 15)).toBe('acquire');
  });

  it('counts transitions and keeps the acquire time on renewal', () => {
    const acquired = nextSpec({ ...held('other'), leaseTransitions: 2 }, 'acquire', 'me', 1000, 15);
    expect(acquired).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: microTime(1000),
      renewTime: microTime(1000),
      leaseTransitions: 3,
    });
    const renewed = nextSpec(acquired, 'renew', 'me', 5000, 15);
    expect(renewed.acquireTime).toBe(microTime(1000));
    expect(renewed.renewTime).toBe('1970-01-01T00:00:05.000000Z');
    expect(nextSpec(undefined, 'create', 'me', 0, 15).leaseTransitions).toBe(0);
  });
});
