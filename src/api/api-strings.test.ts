import { RE2_SPACE, apiLength, cutToLength } from './api-strings.ts';

describe('strings as the API server judges them', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(apiLength('')).toBe(0);
    expect(apiLength('a')).toBe(1);
    expect(apiLength('😀')).toBe(1);
    expect(apiLength('a😀b')).toBe(3);
    expect(apiLength('声\u00a0\u2028')).toBe(3);
    // A lone surrogate arrives at the API server as U+FFFD: one code point too.
    expect(apiLength('\ud800x')).toBe(2);
  });

  it('cuts at a code point boundary', () => {
    expect(cutToLength('abc', 5)).toBe('abc');
    expect(cutToLength('abcdef', 3)).toBe('abc');
    expect(cutToLength('😀😀😀', 2)).toBe('😀😀');
    expect(cutToLength('a😀', 1)).toBe('a');
    expect(cutToLength('😀😀', 0)).toBe('');
    for (let max = 0; max < 8; max++) {
      const cut = cutToLength('a😀b😀😀c', max);
      expect(apiLength(cut)).toBe(Math.min(max, 6));
      expect(cut).toBe([...'a😀b😀😀c'].slice(0, max).join(''));
    }
  });

  it("spells out RE2's \\s: tab, newline, form feed, carriage return and space, nothing else", () => {
    const space = new RegExp(`^[${RE2_SPACE}]$`, 'u');
    expect(['\t', '\n', '\f', '\r', ' '].every((c) => space.test(c))).toBe(true);
    expect(['\v', '\u00a0', '\u2028', '\u3000', '\ufeff', 'a'].some((c) => space.test(c))).toBe(false);
  });
});
