// Maps keyed by voice or battle name, at the boundary between memory and the status (assumption
// A6 of checkpoint.ts): any string the CRD admits is a name, "__proto__" and "constructor"
// included. In memory names are Map keys; on the wire they are own properties of null-prototype
// objects, which JSON.stringify writes and JSON.parse reads back as own properties, never as
// prototypes.

/** A number of ratings and their sum, for voices or battles counted without a name (folded). */
export interface Tally {
  sum: number;
  count: number;
}

/** A stored map of names (parsed JSON) as a Map: own properties only, nothing inherited. */
export function mapFromRecord(record: Readonly<Record<string, number>> | undefined): Map<string, number> {
  const map = new Map<string, number>();
  if (record === undefined || record === null) return map;
  for (const [name, value] of Object.entries(record)) map.set(name, Number(value));
  return map;
}

/** A Map as the stored form: a null-prototype object, so that no name can reach a prototype. */
export function recordFromMap(map: ReadonlyMap<string, number>): Record<string, number> {
  const record = Object.create(null) as Record<string, number>;
  for (const [name, value] of map) record[name] = value;
  return record;
}

export function addTally(into: Tally, add: Partial<Tally> | undefined): void {
  into.sum += add?.sum ?? 0;
  into.count += add?.count ?? 0;
}

/**
 * Adds a part's per-voice sums of squares to `into`. A voice the part counted without a square
 * (A7 of checkpoint.ts) has no known square from then on: it leaves `into` and joins `unknown`.
 */
export function addSquares(
  into: Map<string, number>,
  unknown: Set<string>,
  counts: ReadonlyMap<string, number>,
  squares: ReadonlyMap<string, number>,
): void {
  for (const [voice, count] of counts) {
    if (count === 0) continue;
    const square = squares.get(voice);
    if (square === undefined || unknown.has(voice)) {
      unknown.add(voice);
      into.delete(voice);
    } else {
      into.set(voice, (into.get(voice) ?? 0) + square);
    }
  }
}

/** Code-unit order of names: stable ties wherever names are ranked. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
