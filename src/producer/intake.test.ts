import { STALL_THRESHOLD_MS, unavailableReason } from './intake.ts';

describe('unavailableReason', () => {
  const healthy = { stopping: false, connected: true, stalledMs: 0 };

  it('is undefined when connected and the broker answers', () => {
    expect(unavailableReason(healthy)).toBeUndefined();
    expect(unavailableReason({ ...healthy, stalledMs: STALL_THRESHOLD_MS })).toBeUndefined();
  });

  it('explains each way of being unavailable, shutdown first', () => {
    expect(unavailableReason({ ...healthy, connected: false })).toBe('connecting to Kafka');
    expect(unavailableReason({ ...healthy, stalledMs: 12_400 })).toBe(
      'Kafka has not acknowledged a send for 12s',
    );
    expect(unavailableReason({ stopping: true, connected: false, stalledMs: 60_000 })).toBe('shutting down');
  });
});
