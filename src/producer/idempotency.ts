// Client-chosen rating ids (`Idempotency-Key`, or `id` in a bulk line), so that a client that
// retries after a timeout does not count a rating twice. What this can promise is deliberately
// narrow (README, "Idempotent retries"): the producer process remembers each key it took in for a
// bounded time and number of keys, in memory. A retry that reaches the same process within that
// window gets the first answer again and nothing more is written; a retry that reaches another
// replica, or this one after a restart or after the window, is written again. The key travels in
// the record (as the rating's id and in the IDEMPOTENCY_KEY_HEADER header) so that a consumer
// can tell such records apart.
import type { Submission } from '../ratings/rating.ts';

/** Record header carried by ratings whose id the client chose. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

export const MAX_KEY_LENGTH = 128;

/** Why `key` cannot be a client-chosen id, or undefined: 1 to 128 visible ASCII characters. */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'id must be a string';
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    return `id must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters`;
  }
  return undefined;
}

/** What identifies a rating for its idempotency key: a retry must send the same rating. */
export function fingerprint(s: Submission): string {
  return JSON.stringify([s.battle, s.voices[0], s.voices[1], s.rating, s.researcher]);
}

export interface IdempotencyOptions {
  /** How long an acknowledged key is remembered. */
  ttlMs: number;
  /** Keys remembered at most; the oldest acknowledged ones are forgotten first. */
  maxKeys: number;
  now?: () => number;
  /** Called when a key is forgotten before its time because the window is full (a metric). */
  onEvict?: () => void;
}

interface Entry {
  /** What the key was first used for: a retry must be the same rating. */
  fingerprint: string;
  /** Settles when the first publication does; undefined once it was acknowledged. */
  inFlight: Promise<boolean> | undefined;
  expiresAt: number;
}

export type Claim =
  /** The key is new (or its earlier publication failed): publish, then call `settle`. */
  | { kind: 'new'; settle: (acknowledged: boolean) => void }
  /** The same rating was acknowledged under this key already: answer as before, write nothing. */
  | { kind: 'duplicate' }
  /** The key was used for a different rating. */
  | { kind: 'conflict' };

export class IdempotencyWindow {
  private readonly entries = new Map<string, Entry>();
  private readonly options: Required<Omit<IdempotencyOptions, 'onEvict'>> &
    Pick<IdempotencyOptions, 'onEvict'>;

  constructor(options: IdempotencyOptions) {
    this.options = { now: Date.now, ...options };
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Claims `key` for a rating with `fingerprint`. While an earlier publication under the key is
   * still with Kafka, waits for its outcome: acknowledged makes this a duplicate, failed lets this
   * one publish.
   */
  async claim(key: string, fingerprint: string): Promise<Claim> {
    for (;;) {
      this.expire();
      const entry = this.entries.get(key);
      if (entry === undefined) return this.start(key, fingerprint);
      if (entry.fingerprint !== fingerprint) return { kind: 'conflict' };
      if (entry.inFlight === undefined) return { kind: 'duplicate' };
      await entry.inFlight;
    }
  }

  private start(key: string, fingerprint: string): Claim {
    let settleFirst!: (acknowledged: boolean) => void;
    const entry: Entry = {
      fingerprint,
      inFlight: new Promise<boolean>((resolve) => (settleFirst = resolve)),
      expiresAt: Infinity,
    };
    this.makeRoom();
    this.entries.set(key, entry);
    return {
      kind: 'new',
      settle: (acknowledged) => {
        if (acknowledged) {
          entry.inFlight = undefined;
          entry.expiresAt = this.options.now() + this.options.ttlMs;
          // Re-inserted, so that the map's order stays the order of expiry.
          if (this.entries.get(key) === entry) {
            this.entries.delete(key);
            this.entries.set(key, entry);
          }
        } else if (this.entries.get(key) === entry) {
          this.entries.delete(key);
        }
        settleFirst(acknowledged);
      },
    };
  }

  /** Forgets acknowledged keys past their time; the map is in order of expiry (in-flight ones aside). */
  private expire(): void {
    const now = this.options.now();
    for (const [key, entry] of this.entries) {
      if (entry.inFlight !== undefined) continue;
      if (entry.expiresAt > now) break;
      this.entries.delete(key);
    }
  }

  /** Forgets the oldest acknowledged keys while the window is full (in-flight keys are kept). */
  private makeRoom(): void {
    if (this.entries.size < this.options.maxKeys) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.options.maxKeys) break;
      if (entry.inFlight !== undefined) continue;
      this.entries.delete(key);
      this.options.onEvict?.();
    }
  }
}
