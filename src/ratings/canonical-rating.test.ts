import { describe, expect, it } from '@jest/globals';
import { isTimestamp, scanCanonicalRating } from './canonical-rating.ts';
import { createRating, encodeRating } from './rating.ts';

/** A deterministic generator, so that a failure can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const INTERESTING = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '0',
  '1',
  '7',
  '-',
  '.',
  'e',
  ' ',
  '\n',
  '\u0001',
  'é',
  'Z',
  'T',
];

function mutate(text: string, rnd: () => number): string {
  const at = Math.floor(rnd() * (text.length + 1));
  const char = INTERESTING[Math.floor(rnd() * INTERESTING.length)]!;
  switch (Math.floor(rnd() * 3)) {
    case 0:
      return text.slice(0, at) + char + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + char + text.slice(at);
    default:
      return text.slice(0, at) + text.slice(at + 1);
  }
}

const sample = (rating = 3, names = { battle: 'battle-1', a: 'alice', b: 'bob', researcher: 'sim-7' }) =>
  encodeRating(
    createRating(
      { battle: names.battle, voices: [names.a, names.b], rating, researcher: names.researcher },
      '5a1b1c9e-0d2f-4f43-9a8e-2f1f3b1c0a11',
      new Date(Date.UTC(2026, 10, 29, 8, 40, 12, 345)).toISOString(),
    ),
  );

describe('scanCanonicalRating', () => {
  it('reads what encodeRating writes exactly as JSON.parse does', () => {
    for (const text of [
      sample(),
      sample(0),
      sample(123456),
      sample(9, { battle: 'b|x y', a: '__proto__', b: 'constructor', researcher: 'Ünïcödé ☃' }),
    ]) {
      expect(scanCanonicalRating(text)).toEqual(JSON.parse(text));
    }
  });

  it('answers only where its answer equals JSON.parse: any other text is left to JSON.parse', () => {
    const rnd = random(11);
    let answered = 0;
    let declined = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = sample(Math.floor(rnd() * 12));
      for (let m = 1 + Math.floor(rnd() * 2); m > 0; m--) text = mutate(text, rnd);
      const scanned = scanCanonicalRating(text);
      if (scanned === undefined) {
        declined++;
        continue;
      }
      answered++;
      expect(scanned).toEqual(JSON.parse(text));
    }
    // Both branches were exercised: mutations inside names keep the canonical shape.
    expect(answered).toBeGreaterThan(1000);
    expect(declined).toBeGreaterThan(1000);
  });

  it('declines escapes, control characters, leading zeros, fractions, signs and extra text', () => {
    const text = sample();
    for (const variant of [
      text.replace('alice', 'al\\u0069ce'),
      text.replace('alice', 'al\u0001ce'),
      text.replace('"rating":3', '"rating":03'),
      text.replace('"rating":3', '"rating":3.0'),
      text.replace('"rating":3', '"rating":-3'),
      text.replace('"rating":3', '"rating":1234567'),
      `${text} `,
      ` ${text}`,
      text.replace('{"v":1,', '{"v": 1,'),
      text.replace('"v":1', '"v":2'),
    ]) {
      expect(scanCanonicalRating(variant)).toBeUndefined();
    }
  });
});

describe('isTimestamp', () => {
  it('accepts what toISOString writes', () => {
    const rnd = random(5);
    for (let i = 0; i < 10_000; i++) {
      const iso = new Date(Math.floor(rnd() * 4102444800000)).toISOString();
      expect(isTimestamp(iso)).toBe(true);
    }
  });

  it('agrees with Date.parse on mangled timestamps', () => {
    const rnd = random(23);
    const base = '2026-11-29T08:40:12.345Z';
    const digits = '0123456789';
    for (let i = 0; i < 20_000; i++) {
      const at = Math.floor(rnd() * base.length);
      const char =
        rnd() < 0.8 ? digits[Math.floor(rnd() * 10)]! : INTERESTING[Math.floor(rnd() * INTERESTING.length)]!;
      const mangled = base.slice(0, at) + char + base.slice(at + 1);
      expect([mangled, isTimestamp(mangled)]).toEqual([mangled, !Number.isNaN(Date.parse(mangled))]);
    }
  });
});
