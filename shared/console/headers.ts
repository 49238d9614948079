/**
 * The headers of every HTML page the service serves (console, sign-in and error pages): no
 * script at all, styles only from the served stylesheet, never framed, never cached, and no
 * console URL (with its ids) leaked to another site in a Referer.
 */
import { STRICT_TRANSPORT_SECURITY } from '../security-headers.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function htmlPageHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'strict-transport-security': STRICT_TRANSPORT_SECURITY,
  };
}
