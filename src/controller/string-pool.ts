// One copy of each repeated string in the informers' caches. JSON.parse gives every string value
// its own copy, and most strings of the cached objects are the same few repeated in every child
// (namespaces, labels, images, env names, condition reasons): at a thousand experiments they were
// close to half of the live heap (bench/results/2026-11-29.md, 20:38 bench:controller).
//
// Values that are unique by nature (uid, resourceVersion, timestamps) are left alone: pooling
// them would only grow the pool. The pool is emptied when it reaches its bound, so that names of
// objects long deleted do not stay in it; strings already shared stay shared.

/** Keys whose values name one object or one moment: never repeated, never pooled. */
const UNIQUE_VALUED = new Set(['uid', 'resourceVersion']);
const TIME_VALUED = /(Time|Timestamp)$/;

export class StringPool {
  private readonly strings = new Map<string, string>();
  private readonly maxStrings: number;

  constructor(maxStrings = 100_000) {
    this.maxStrings = maxStrings;
  }

  /** Replaces, in place, the string values of `value` (plain JSON data) by pooled copies. */
  intern<T>(value: T): T {
    this.walk(value);
    return value;
  }

  /** How many distinct strings the pool holds now. */
  get size(): number {
    return this.strings.size;
  }

  private walk(value: unknown): void {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'string') value[i] = this.pooled(item);
        else if (typeof item === 'object' && item !== null) this.walk(item);
      }
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item === 'string') {
        if (!UNIQUE_VALUED.has(key) && !TIME_VALUED.test(key)) record[key] = this.pooled(item);
      } else if (typeof item === 'object' && item !== null) this.walk(item);
    }
  }

  private pooled(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    if (this.strings.size >= this.maxStrings) this.strings.clear();
    this.strings.set(text, text);
    return text;
  }
}
