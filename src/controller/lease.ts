// The leader-election decision, apart from its I/O: given the Lease as last read, may this
// replica take it, must it renew it, or must it wait? Expiry is judged by the local clock since
// the lease record last changed (as client-go does), never by comparing clocks across machines.

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type LeaseAction = 'create' | 'renew' | 'acquire' | 'wait';

export interface LeaseObservation {
  /** The holder and renewTime last seen, as one string. */
  record: string;
  /** Local time (ms) when that record was first seen. */
  since: number;
}

export const recordOf = (spec: LeaseSpec | undefined): string =>
  `${spec?.holderIdentity ?? ''}@${spec?.renewTime ?? ''}`;

/** Tracks when the lease record last changed; call on every read. */
export function observe(
  previous: LeaseObservation | undefined,
  spec: LeaseSpec | undefined,
  now: number,
): LeaseObservation {
  const record = recordOf(spec);
  return previous?.record === record ? previous : { record, since: now };
}

export function decide(
  spec: LeaseSpec | undefined,
  exists: boolean,
  identity: string,
  observation: LeaseObservation,
  now: number,
  defaultDurationSeconds: number,
): LeaseAction {
  if (!exists) return 'create';
  const holder = spec?.holderIdentity ?? '';
  if (holder === identity) return 'renew';
  if (holder === '') return 'acquire'; // released
  const duration = (spec?.leaseDurationSeconds ?? defaultDurationSeconds) * 1000;
  return now - observation.since >= duration ? 'acquire' : 'wait';
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
}

/** The Lease spec to write for `action`. */
export function nextSpec(
  spec: LeaseSpec | undefined,
  action: Exclude<LeaseAction, 'wait'>,
  identity: string,
  now: number,
  durationSeconds: number,
): LeaseSpec {
  const time = microTime(now);
  if (action === 'renew') {
    return { ...spec, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: time };
  }
  return {
    holderIdentity: identity,
    leaseDurationSeconds: durationSeconds,
    acquireTime: time,
    renewTime: time,
    leaseTransitions: action === 'create' ? 0 : (spec?.leaseTransitions ?? 0) + 1,
  };
}
