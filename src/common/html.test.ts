import { escapeHtml, escapeXml } from './html.ts';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });
});

describe('escapeXml', () => {
  it('escapes like escapeHtml and replaces what XML cannot carry, keeping paired surrogates', () => {
    expect(escapeXml('a<b\u0001\uD800c\uD83D\uDE00\uFFFF')).toBe('a&lt;b\uFFFD\uFFFDc\uD83D\uDE00\uFFFD');
    expect(escapeXml('tab\there\nnew')).toBe('tab\there\nnew');
  });
});
