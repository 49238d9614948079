/**
 * What no answer may ever be, whatever was asked: a 5xx; a stack trace, a file path or an
 * SDK's error text; a secret; markup echoed raw into HTML or broken JSON; a body without
 * `nosniff`, an HTML page without its CSP and frame refusal; a redirect to another site.
 */
import type { WireResponse } from './wire.js';
import { MARKUP } from './arbitraries.js';

const LEAKS: readonly (readonly [string, RegExp])[] = [
  ['a stack frame', /\bat (?:async )?[\w$.<>[\] ]+ \(|\n\s+at \S+:\d+:\d+/],
  ['a file path', /\/work\/|\/home\/|\/tmp\/|node_modules|file:\/\/|\.[cm]?[jt]s:\d+/],
  [
    'an error class',
    /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|RestError|ZodError|AbortError|DOMException)\b/,
  ],
  [
    'runtime error text',
    /Unexpected token|Cannot read propert|is not a function|is not defined|Maximum call stack|E(?:CONNREFUSED|CONNRESET|NOTFOUND|NOENT)|ERR_[A-Z_]{4,}|JSON at position/,
  ],
  [
    'storage or Graph detail',
    /UpdateConditionNotSatisfied|EntityAlreadyExists|OutOfRangeInput|InvalidInput|RequestId:|x-ms-|devstoreaccount1|Authorization_RequestDenied/,
  ],
];

function header(response: WireResponse, name: string): string {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

export interface CheckContext {
  /** Values that must never appear in an answer. */
  readonly secrets: readonly string[];
  /** Origins a redirect may point to besides this host (the tenant's sign-in page). */
  readonly redirectOrigins: readonly string[];
}

/** Every rule the answer breaks, in words; empty when it breaks none. */
export function problemsWith(response: WireResponse, context: CheckContext): string[] {
  const problems: string[] = [];
  const { body, status } = response;
  const type = header(response, 'content-type').toLowerCase();
  if (status >= 500) problems.push(`answered ${status}`);
  for (const [what, pattern] of LEAKS) {
    const found = pattern.exec(body);
    if (found !== null) problems.push(`the body shows ${what}: ${found[0]}`);
  }
  for (const secret of context.secrets) {
    if (secret.length > 0 && body.includes(secret)) problems.push('the body shows a secret');
  }
  if (body.length > 0 && header(response, 'x-content-type-options') !== 'nosniff') {
    problems.push('a body without X-Content-Type-Options: nosniff');
  }
  if (type.startsWith('text/html')) {
    if (body.includes('<fz-x')) problems.push('markup from the request echoed into HTML');
    const csp = header(response, 'content-security-policy');
    if (!csp.includes("default-src 'none'") || !csp.includes("frame-ancestors 'none'")) {
      problems.push(`an HTML page without its CSP (${csp})`);
    }
    if (header(response, 'x-frame-options') !== 'DENY')
      problems.push('an HTML page that can be framed');
  } else if (type.startsWith('application/json') && body.length > 0) {
    try {
      JSON.parse(body);
    } catch {
      problems.push('a JSON answer that does not parse');
    }
  } else if (body.length > 0 && !type.startsWith('text/plain') && !type.startsWith('text/css')) {
    problems.push(`a body of type "${type}"`);
  }
  if (
    type.startsWith('text/plain') &&
    body.includes(MARKUP) &&
    header(response, 'x-content-type-options') !== 'nosniff'
  ) {
    problems.push('markup echoed as text a browser may sniff');
  }
  const location = header(response, 'location');
  if (location !== '') {
    const local =
      location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\');
    if (!local && !context.redirectOrigins.some((origin) => location.startsWith(`${origin}/`))) {
      problems.push(`a redirect off this site: ${location}`);
    }
  }
  return problems;
}
