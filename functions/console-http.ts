/**
 * The console's HTTP edge: reads the session cookie, sends a visitor without one to sign in
 * (back to the page they asked for), refuses admin pages to non-admins, and turns every error
 * into an HTML page with the security headers. Pages themselves are rendered in
 * shared/console.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { loginPathReturningTo, readCookie } from '../shared/auth/index.js';
import {
  CONSOLE_SESSION_COOKIE_NAME,
  csrfTokenFor,
  errorContent,
  htmlPageHeaders,
  openConsoleSession,
  plainPage,
  signedInPage,
  errorBody,
  type ConsoleSession,
  type PageContent,
} from '../shared/console/index.js';
import { SyncServiceError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { getServices, type Services } from '../shared/services.js';
import { statusFor } from './http.js';

export interface ConsoleRequest {
  readonly request: HttpRequest;
  readonly services: Services;
  readonly session: ConsoleSession;
  readonly csrfToken: string;
}

export type ConsoleRender = (input: ConsoleRequest) => Promise<PageContent>;

export function htmlResponse(
  status: number,
  body: string,
  extra: Pick<HttpResponseInit, 'cookies'> = {},
): HttpResponseInit {
  return { status, body, headers: htmlPageHeaders(), ...extra };
}

export async function sessionOf(
  request: HttpRequest,
  services: Services,
): Promise<ConsoleSession | undefined> {
  const value = readCookie(request.headers.get('cookie'), CONSOLE_SESSION_COOKIE_NAME);
  return openConsoleSession(value, services.settings, services.clock());
}

const TITLES: Partial<Record<string, string>> = {
  forbidden: 'Not allowed',
  not_found: 'Not found',
  request_invalid: 'That request is not valid',
  sync_refused: 'Not released',
};

/** An error as a console page; 5xx details go to the log only. */
export function consoleErrorResponse(
  error: unknown,
  context: InvocationContext,
  frame?: { session: ConsoleSession; csrfToken: string },
): HttpResponseInit {
  const known = error instanceof SyncServiceError;
  const status = known ? statusFor(error.code) : 500;
  const code = known ? error.code : 'internal';
  if (status >= 500)
    context.error(`console: ${code}: ${known ? printable(error.message) : String(error)}`);
  else context.warn(`console: ${code}: ${known ? printable(error.message) : ''}`);
  const message =
    known && status < 500
      ? error.message
      : 'The console could not complete the request; try again in a moment.';
  const title = TITLES[code] ?? 'Something went wrong';
  const html =
    frame === undefined
      ? plainPage(title, errorBody(message, code))
      : signedInPage(frame, errorContent(title, message, code));
  return htmlResponse(status, html);
}

function signInRedirect(request: HttpRequest, services: Services): HttpResponseInit {
  const url = new URL(request.url);
  return {
    status: 302,
    headers: {
      location: loginPathReturningTo(`${url.pathname}${url.search}`, services.settings),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    },
  };
}

export function requireAdmin(session: ConsoleSession): void {
  if (!session.admin) {
    throw new SyncServiceError(
      'forbidden',
      'This page is for console admins (Entra app role proxy_admin or CONSOLE_ADMIN_ROLE). Your own teams are under My teams.',
    );
  }
}

/** A GET page: signed-in users only, admins only when `admin`. */
export function consolePage(options: { readonly admin: boolean; readonly render: ConsoleRender }) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let frame: { session: ConsoleSession; csrfToken: string } | undefined;
    try {
      const services = getServices();
      const session = await sessionOf(request, services);
      if (session === undefined) return signInRedirect(request, services);
      frame = { session, csrfToken: csrfTokenFor(session, services.settings) };
      if (options.admin) requireAdmin(session);
      const content = await options.render({ request, services, ...frame });
      return htmlResponse(200, signedInPage(frame, content));
    } catch (error) {
      return consoleErrorResponse(error, context, frame);
    }
  };
}
