// Decisions remembered for a while, so that a busy endpoint costs no API round trip per request.

/**
 * A bounded map of decisions that expire, least recently used evicted first; concurrent lookups of
 * a missing key share one load, and a load that fails is not remembered.
 */
export class DecisionCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: (value: V) => number;
  private readonly now: () => number;

  constructor(options: { maxEntries: number; ttlMs: (value: V) => number; now?: () => number }) {
    this.maxEntries = options.maxEntries;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAt > this.now()) {
      // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    // In flight until it settles: shared by concurrent callers, never expired meanwhile.
    const entry = { value: load(), expiresAt: Number.POSITIVE_INFINITY };
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    try {
      const value = await entry.value;
      entry.expiresAt = this.now() + this.ttlMs(value);
      return value;
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }
}
