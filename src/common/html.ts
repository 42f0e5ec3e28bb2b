// Text into HTML: the pages show researcher-supplied names, which must never become markup.
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

// Characters XML 1.0 cannot carry at all, not even escaped: C0 controls other than tab and line
// breaks, U+FFFE/U+FFFF, and unpaired surrogates.
/* eslint-disable no-control-regex -- matching control characters is the point */
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/* eslint-enable no-control-regex */

/**
 * Text into XML (SVG served on its own and parsed as XML): escaped as for HTML, and characters
 * XML cannot carry shown as U+FFFD, so that any name the API admits leaves the document well-formed.
 */
export function escapeXml(text: string): string {
  return escapeHtml(text).replace(NOT_XML, '\uFFFD');
}
