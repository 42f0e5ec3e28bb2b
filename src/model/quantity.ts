// Kubernetes resource quantities ("250m", "1Gi", "1e3", 2) as numbers: one parser for the model
// (sizing a container's heap from its memory limit) and the controller (comparing live objects).

const SUFFIXES: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes resource quantity ("250m", "1Gi", "1e3", 2) as a number. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(
    value,
  );
  if (match === null) return undefined;
  const [, digits, exponent, suffix = ''] = match;
  const scale = exponent !== undefined ? 10 ** Number(exponent.slice(1)) : (SUFFIXES[suffix] ?? 1);
  return Number(digits) * scale;
}
