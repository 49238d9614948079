/**
 * The pages a browser sees when a sign-in cannot finish: what went wrong in words, the error
 * code for support, and a way to start again. Never a stack trace, never a token.
 */
import { type ErrorCode, SyncServiceError } from '../errors.js';
import { LOGIN_PATH } from './redirects.js';

export interface LoginPage {
  readonly code: ErrorCode | 'internal';
  readonly title: string;
  readonly html: string;
}

const TITLES: Partial<Record<ErrorCode, string>> = {
  login_state_invalid: 'This sign-in cannot be completed',
  login_code_invalid: 'This sign-in link has expired',
  login_denied: 'You were not signed in',
  login_failed: 'The sign-in failed',
  redirect_not_allowed: 'That page is not allowed after sign-in',
  config_invalid: 'Sign-in is not configured',
  keys_unavailable: 'Sign-in is temporarily unavailable',
  not_assigned: 'You are not assigned to MishikaLLM',
};

const RETRYABLE = new Set<string>([
  'login_state_invalid',
  'login_code_invalid',
  'login_denied',
  'login_failed',
  'keys_unavailable',
  'graph_unavailable',
  'graph_throttled',
  'store_unavailable',
]);

function escapeHtml(text: string): string {
  const entities: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#39;',
  };
  return text.replace(/[&<>"']/g, (character) => entities[character] ?? character);
}

export function loginErrorPage(error: unknown, loginPath = LOGIN_PATH): LoginPage {
  const known = error instanceof SyncServiceError;
  const code = known ? error.code : 'internal';
  const message = known ? error.message : 'An unexpected error occurred.';
  const title = (known ? TITLES[error.code] : undefined) ?? 'The sign-in could not be completed';
  const again = RETRYABLE.has(code)
    ? `<p><a id="start-again" href="${escapeHtml(loginPath)}">Sign in again</a></p>`
    : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<p id="message">${escapeHtml(message)}</p>
<p>Error code: <code id="error-code">${escapeHtml(code)}</code></p>
${again}
</main></body></html>`;
  return { code, title, html };
}
