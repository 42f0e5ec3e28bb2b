// Strings as the API server judges them. It counts minLength and maxLength in Unicode code points
// (Go's utf8.RuneCountInString), where a JavaScript string's length counts UTF-16 units, so one
// emoji is 1 there and 2 here. Its patterns and CEL `matches` are RE2, whose \s is ASCII only
// ([\t\n\f\r ]), where JavaScript's also takes \v, NBSP, U+2028 and the other Unicode spaces.

/** The length the API server compares with minLength and maxLength: code points. */
export function apiLength(s: string): number {
  if (s.length < 2) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** RE2's \s as the body of a JavaScript character class: `[${RE2_SPACE}]`, `[^${RE2_SPACE}]`. */
export const RE2_SPACE = '\\t\\n\\f\\r ';

/** `s` cut to at most `max` code points, never between the halves of a surrogate pair. */
export function cutToLength(s: string, max: number): string {
  if (s.length <= max) return s;
  let n = 0;
  let end = 0;
  for (const c of s) {
    if (n === max) break;
    n++;
    end += c.length;
  }
  return s.slice(0, end);
}
