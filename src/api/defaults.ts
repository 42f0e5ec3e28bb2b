// Structural-schema defaulting as the API server does it: a missing property with a `default` gets
// it, recursively, including inside defaults. Lets tests and tools see objects as stored.
import type { JSONSchemaProps } from './crd.ts';

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** A copy of `value` with the schema's defaults applied. */
export function applyDefaults<T>(schema: JSONSchemaProps, value: T): T {
  if (Array.isArray(value)) {
    const items = schema.items;
    return (items === undefined ? clone(value) : value.map((v: unknown) => applyDefaults(items, v))) as T;
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (out[name] === undefined && prop.default !== undefined) out[name] = clone(prop.default);
    if (out[name] !== undefined) out[name] = applyDefaults(prop, out[name]);
  }
  if (typeof schema.additionalProperties === 'object') {
    const values = schema.additionalProperties;
    for (const key of Object.keys(out)) out[key] = applyDefaults(values, out[key]);
  }
  return out as T;
}
