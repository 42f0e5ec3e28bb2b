// The CRD's rules on strings evaluated as the API server evaluates them, for tests that compare
// them with the controller's: minLength and maxLength in code points, `pattern` and CEL
// `matches` as RE2. The translation to JavaScript covers the RE2 that this CRD uses (literals,
// classes, groups, alternation, quantifiers, anchors, the escapes \s \S \d and escaped
// punctuation); anything else throws, so a new pattern is never judged wrongly in silence.
import { RE2_SPACE, apiLength } from './api-strings.ts';
import type { JSONSchemaProps } from './crd.ts';

const ESCAPED_PUNCTUATION = new Set('.+*?()[]{}|^$\\/-');

/** An RE2 pattern as a JavaScript RegExp with the same matches (u flag: code points, as RE2). */
export function re2(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[++i];
      if (e === 's') out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      else if (e === 'S' && !inClass) out += `[^${RE2_SPACE}]`;
      else if (e === 'd') out += inClass ? '0-9' : '[0-9]';
      else if (e !== undefined && ESCAPED_PUNCTUATION.has(e)) out += e === '-' && !inClass ? '-' : `\\${e}`;
      else throw new Error(`re2: \\${e ?? ''} in ${pattern} is not translated`);
    } else if (inClass) {
      if (c === '[') throw new Error(`re2: nested class or [: in ${pattern} is not translated`);
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '(' && pattern[i + 1] === '?') {
      throw new Error(`re2: (? in ${pattern} is not translated`);
    } else if (c === '.') {
      out += '[^\\n]'; // RE2's . without the s flag; JavaScript's also excludes \r, U+2028, U+2029.
    } else out += c;
  }
  if (inClass) throw new Error(`re2: unterminated class in ${pattern}`);
  return new RegExp(out, 'u');
}

/**
 * Whether the API server admits `value` for a string schema node: minLength, maxLength, pattern,
 * enum, and the node's CEL rules of the forms `self.matches('…')` and `!self.matches('…')`
 * (transition rules, which read oldSelf, do not apply on create and are skipped).
 */
export function admitsString(node: JSONSchemaProps, value: string): boolean {
  const length = apiLength(value);
  if (node.minLength !== undefined && length < node.minLength) return false;
  if (node.maxLength !== undefined && length > node.maxLength) return false;
  if (node.pattern !== undefined && !re2(node.pattern).test(value)) return false;
  if (node.enum !== undefined && !node.enum.includes(value)) return false;
  return (node['x-kubernetes-validations'] ?? []).every((r) => celAdmits(r.rule, 'self', value));
}

/** Evaluates a CEL rule of the form `[!]<path>.matches('<RE2>')` on `value`, the string at <path>. */
export function celAdmits(rule: string, path: string, value: string): boolean {
  if (rule.includes('oldSelf')) return true;
  const match = /^(!?)(.+)\.matches\('((?:[^'\\]|\\.)*)'\)$/.exec(rule.trim());
  if (match === null || match[2] !== path) throw new Error(`celAdmits: rule ${rule} is not translated`);
  // In a CEL single-quoted string '\\' is one backslash.
  const pattern = match[3]!.replace(/\\\\/g, '\\');
  return re2(pattern).test(value) !== (match[1] === '!');
}
