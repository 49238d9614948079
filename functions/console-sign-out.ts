import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { clearedConsoleSessionCookie, plainPage, signedOutBody } from '../shared/console/index.js';
import { getServices } from '../shared/services.js';
import { consoleErrorResponse, htmlResponse } from './console-http.js';
import { checkedForm } from './console-form.js';
import { httpFunction } from './registry.js';

/**
 * `POST /api/console/sign-out`: clears the session cookie. It needs the CSRF token, or any
 * site could sign a user out. The session is a signed cookie, so signing out ends it in this
 * browser; a copy taken before stays valid until it expires (at most an hour).
 */
export async function consoleSignOut(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const services = getServices();
    await checkedForm(request, services);
    return htmlResponse(200, plainPage('Signed out', signedOutBody()), {
      cookies: [clearedConsoleSessionCookie()],
    });
  } catch (error) {
    return consoleErrorResponse(error, context);
  }
}

export const consoleSignOutFunction = httpFunction({
  name: 'consoleSignOut',
  route: 'console/sign-out',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: consoleSignOut,
});
