import { admitsString, celAdmits, re2 } from './crd-rules.fixtures.ts';

describe('the CRD rules as the API server evaluates them', () => {
  it('reads \\s and \\S as RE2 does: ASCII spaces only, no \\v, NBSP or U+2028', () => {
    const space = re2('^\\s$');
    expect(['\t', '\n', '\f', '\r', ' '].every((c) => space.test(c))).toBe(true);
    expect(['\v', '\u00a0', '\u2028', 'x'].some((c) => space.test(c))).toBe(false);
    const nonSpace = re2('^\\S+$');
    expect(nonSpace.test('a\u00a0\v\u2028😀')).toBe(true);
    expect(re2('^[^|\\s]$').test('\u00a0')).toBe(true);
    expect(re2('^[^|\\s]$').test('😀')).toBe(true);
  });

  it('refuses to translate RE2 it does not cover', () => {
    expect(() => re2('\\pL')).toThrow(/not translated/);
    expect(() => re2('(?i)a')).toThrow(/not translated/);
    expect(() => re2('[[:alpha:]]')).toThrow(/not translated/);
  });

  it('counts lengths in code points', () => {
    expect(admitsString({ type: 'string', maxLength: 2 }, '😀😀')).toBe(true);
    expect(admitsString({ type: 'string', maxLength: 2 }, '😀😀😀')).toBe(false);
    expect(admitsString({ type: 'string', minLength: 2 }, '😀')).toBe(false);
  });

  it('evaluates matches rules and skips transition rules', () => {
    expect(celAdmits("self.matches('^a+$')", 'self', 'aa')).toBe(true);
    expect(celAdmits("!self.matches('^a')", 'self', 'ab')).toBe(false);
    expect(celAdmits('self == oldSelf', 'self', 'x')).toBe(true);
    expect(() => celAdmits("self.startsWith('a')", 'self', 'a')).toThrow(/not translated/);
  });
});
