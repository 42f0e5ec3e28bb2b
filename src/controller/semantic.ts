// Does a live object already carry what we would apply? The live object has more than we set
// (defaults, status, other managers' fields), so the question is whether the desired apply
// configuration is a subset of it, with the equivalences the API server introduces.
import { createHash } from 'node:crypto';
import { parseQuantity } from '../model/quantity.ts';

/** Keys by which list items are matched (as server-side apply merges them), in preference order. */
const ITEM_KEYS = ['name', 'uid', 'type'] as const;

/**
 * The path of the first field of `desired` that `live` lacks or holds differently, or
 * undefined when `live` already has everything `desired` sets.
 */
export function firstDifference(desired: unknown, live: unknown, path = ''): string | undefined {
  if (desired === undefined) return undefined;
  if (Array.isArray(desired)) return arrayDifference(desired, live, path);
  if (isObject(desired)) {
    if (live === undefined && Object.keys(desired).length === 0) return undefined; // {} is omitted when empty
    if (!isObject(live)) return path || '.';
    for (const [key, value] of Object.entries(desired)) {
      const diff = firstDifference(value, live[key], path === '' ? key : `${path}.${key}`);
      if (diff !== undefined) return diff;
    }
    return undefined;
  }
  return scalarsEqual(desired, live, path) ? undefined : path || '.';
}

function arrayDifference(desired: unknown[], live: unknown, path: string): string | undefined {
  if (live === undefined && desired.length === 0) return undefined; // [] is omitted when empty
  if (!Array.isArray(live)) return path;
  const key = ITEM_KEYS.find((k) => desired.every((item) => isObject(item) && typeof item[k] === 'string'));
  if (key === undefined) {
    // An atomic list: same length, same items in the same order.
    if (live.length !== desired.length) return path;
    for (let i = 0; i < desired.length; i++) {
      const diff = firstDifference(desired[i], live[i], `${path}[${i}]`);
      if (diff !== undefined) return diff;
    }
    return undefined;
  }
  // A keyed list: each desired item must be there; items other managers added may stay.
  for (const item of desired as Record<string, unknown>[]) {
    const id = item[key] as string;
    const match = live.find((l) => isObject(l) && l[key] === id);
    const diff = firstDifference(item, match, `${path}[${key}=${id}]`);
    if (diff !== undefined) return diff;
  }
  return undefined;
}

function scalarsEqual(desired: unknown, live: unknown, path: string): boolean {
  if (desired === live) return true;
  // The API server canonicalises resource quantities ("0.5" is stored as "500m").
  if (/(^|\.)(limits|requests)\.[^.]+$/.test(path)) {
    const a = parseQuantity(desired);
    const b = parseQuantity(live);
    return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-12;
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted, so that equal values always serialise the same way. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const entries = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short digest of a value, stable across key order. */
export function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
