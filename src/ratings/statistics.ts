// The 95% confidence interval of a voice's mean rating, from the exact figures the checkpoints
// keep: the count n, the sum Σx and the sum of squares Σx² of its ratings.
//
// Method: the Student t interval of the mean, mean ± t(0.975, n−1) · s / √n, with the sample
// standard deviation s² = (Σx² − (Σx)²/n) / (n − 1). Why this one:
// - it needs only n, Σx and Σx², which add up exactly across partitions, consumers and topic
//   incarnations (a bootstrap would need every rating; Wilson's interval is for proportions, and
//   a rating on a scale of three or more values is not one);
// - with the hundreds of ratings per voice an experiment collects, the mean of bounded integer
//   ratings is close to normal and t(0.975, n−1) is close to 1.96; for a handful of ratings the
//   t quantile widens the interval honestly.
// It assumes the ratings of a voice are independent draws; ratings by the same researcher or of
// the same battle may be correlated, and the interval is then too narrow. It is not clipped to
// the scale. n < 2 has no interval (s is undefined); ratings all equal give a zero-width one.

export interface Interval {
  low: number;
  high: number;
}

export const INTERVAL_METHOD =
  'Student t 95% interval of the mean: mean ± t(0.975, n−1)·s/√n, s from the exact sum of squares';

/** The 95% Student t interval of the mean of n values with sum `sum` and sum of squares `squares`. */
export function meanInterval(count: number, sum: number, squares: number): Interval | undefined {
  if (!Number.isFinite(count) || count < 2) return undefined;
  const mean = sum / count;
  // Integers in, but (Σx)²/n is not: clamp the rounding error that can make an all-equal sample
  // look very slightly negative.
  const variance = Math.max(0, (squares - (sum * sum) / count) / (count - 1));
  const half = studentTQuantile(0.975, count - 1) * Math.sqrt(variance / count);
  return { low: mean - half, high: mean + half };
}

/** The p-quantile (0.5 < p < 1) of Student's t distribution with `df` degrees of freedom. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0.5 && p < 1) || !(df > 0)) throw new RangeError(`no t quantile for p=${p}, df=${df}`);
  // The upper tail P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2 falls as t grows: bisect on it.
  const tail = 1 - p;
  let low = 0;
  let high = 1;
  while (upperTail(high, df) > tail) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (upperTail(mid, df) > tail) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

function upperTail(t: number, df: number): number {
  return regularizedBeta(df / (df + t * t), df / 2, 0.5) / 2;
}

/** I_x(a, b), the regularized incomplete beta function, by its continued fraction. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b));
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** The continued fraction of I_x(a, b), evaluated with the modified Lentz method. */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const clamp = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let result = d;
  for (let m = 1; m <= 300; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 / clamp(1 + even * d);
    c = clamp(1 + even / c);
    result *= d * c;
    const odd = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 / clamp(1 + odd * d);
    c = clamp(1 + odd / c);
    const step = d * c;
    result *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return result;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

// Lanczos approximation (g = 7, nine coefficients), accurate to about 15 digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}
