/**
 * Text that came from outside (a request parameter, a Graph display name) made safe to log
 * or print on a terminal: control characters (C0, DEL, C1, which carry newlines that forge log
 * lines and escape sequences that rewrite a terminal) and bidirectional overrides (which make
 * a name read differently than it is) are shown as `\uXXXX`, never passed through.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  const escaped = text.replace(
    UNPRINTABLE,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return escaped.length > maxLength
    ? `${escaped.slice(0, Math.max(0, maxLength - 3))}...`
    : escaped;
}
