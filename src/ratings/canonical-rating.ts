// The consumer's fast path for the one spelling our producers write (encodeRating: the fields in
// the documented order, no whitespace, no escapes, ratedAt from Date#toISOString). The consumer
// reads every record, and JSON.parse plus Date.parse were its largest self time (the consumer's
// profile, bench/README.md, "bench:dataplane"). Anything else, including every malformed record,
// goes the general way: these functions answer only where the answer equals the general one.

/**
 * The object JSON.parse would return for `text`, when `text` is a rating spelled exactly as
 * encodeRating writes it and no string holds an escape or a control character; undefined
 * otherwise (the caller then uses JSON.parse). Validation stays the caller's.
 */
export function scanCanonicalRating(text: string): Record<string, unknown> | undefined {
  // Escapes and raw control characters anywhere: JSON.parse decodes or refuses them.
  if (text.indexOf('\\') >= 0 || CONTROL_CHARACTER.test(text)) return undefined;
  const scan = new Scanner(text);
  if (!scan.literal('{"v":1,"id":')) return undefined;
  const id = scan.string();
  if (id === undefined || !scan.literal(',"battle":')) return undefined;
  const battle = scan.string();
  if (battle === undefined || !scan.literal(',"voices":[')) return undefined;
  const first = scan.string();
  if (first === undefined || !scan.literal(',')) return undefined;
  const second = scan.string();
  if (second === undefined || !scan.literal('],"rating":')) return undefined;
  const rating = scan.integer();
  if (rating === undefined || !scan.literal(',"researcher":')) return undefined;
  const researcher = scan.string();
  if (researcher === undefined || !scan.literal(',"ratedAt":')) return undefined;
  const ratedAt = scan.string();
  if (ratedAt === undefined || !scan.literal('}') || !scan.atEnd()) return undefined;
  return { v: 1, id, battle, voices: [first, second], rating, researcher, ratedAt };
}

// eslint-disable-next-line no-control-regex -- exactly the characters JSON forbids raw in strings
const CONTROL_CHARACTER = /[\u0000-\u001f]/;

class Scanner {
  private at = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  literal(expected: string): boolean {
    if (!this.text.startsWith(expected, this.at)) return false;
    this.at += expected.length;
    return true;
  }

  /** A JSON string (the caller made sure the text has no escapes and no control characters). */
  string(): string | undefined {
    const { text } = this;
    if (text.charCodeAt(this.at) !== 0x22 /* " */) return undefined;
    const start = this.at + 1;
    const end = text.indexOf('"', start);
    if (end < 0) return undefined;
    this.at = end + 1;
    return text.slice(start, end);
  }

  /** A JSON integer of at most 6 digits without sign, fraction or exponent ("0" or no leading 0). */
  integer(): number | undefined {
    const { text } = this;
    let n = 0;
    let digits = 0;
    for (let c = text.charCodeAt(this.at); c >= 0x30 && c <= 0x39; c = text.charCodeAt(this.at)) {
      if (digits === 1 && n === 0) return undefined;
      n = n * 10 + (c - 0x30);
      digits++;
      this.at++;
    }
    return digits === 0 || digits > 6 ? undefined : n;
  }

  atEnd(): boolean {
    return this.at === this.text.length;
  }
}

/**
 * Whether Date.parse accepts `value`, answered without Date.parse for the form toISOString
 * writes (YYYY-MM-DDTHH:mm:ss.sssZ, in ranges V8 accepts for every month); others ask Date.parse.
 */
export function isTimestamp(value: string): boolean {
  return isIsoString(value) || !Number.isNaN(Date.parse(value));
}

function isIsoString(s: string): boolean {
  if (s.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const c = s.charCodeAt(i);
    const expected = ISO_SEPARATORS[i];
    if (expected === undefined ? c < 0x30 || c > 0x39 : c !== expected) return false;
  }
  const two = (i: number) => (s.charCodeAt(i) - 0x30) * 10 + (s.charCodeAt(i + 1) - 0x30);
  const month = two(5);
  const day = two(8);
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= 31 && two(11) <= 23 && two(14) <= 59 && two(17) <= 59
  );
}

/** The fixed characters of YYYY-MM-DDTHH:mm:ss.sssZ by position; digits elsewhere. */
const ISO_SEPARATORS: (number | undefined)[] = Object.assign(
  new Array<number | undefined>(24).fill(undefined),
  {
    4: 0x2d,
    7: 0x2d,
    10: 0x54,
    13: 0x3a,
    16: 0x3a,
    19: 0x2e,
    23: 0x5a,
  },
);
