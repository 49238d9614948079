/** Pages that are not views of data: signed out, refused, failed. */
import { LOGIN_PATH } from '../../auth/redirects.js';
import { html } from '../html.js';
import type { PageContent } from '../layout.js';
import { CONSOLE_PATH } from '../session.js';

export const SIGN_IN_TO_CONSOLE = `${LOGIN_PATH}?redirect=${encodeURIComponent(CONSOLE_PATH)}`;

export function signedOutBody() {
  return html`<p>You are signed out of the console.</p>
    <p><a href="${SIGN_IN_TO_CONSOLE}">Sign in again</a></p>`;
}

export function errorBody(message: string, code: string) {
  return html`<p id="message">${message}</p>
    <p>Error code: <code id="error-code">${code}</code></p>
    <p><a href="${CONSOLE_PATH}">Back to the console</a></p>`;
}

export function errorContent(title: string, message: string, code: string): PageContent {
  return { title, section: 'none', body: errorBody(message, code) };
}
