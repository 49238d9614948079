import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { beginLogin, loginErrorPage, type ResponseCookie } from '../shared/auth/index.js';
import { htmlPageHeaders } from '../shared/console/index.js';
import { SyncServiceError } from '../shared/errors.js';
import { getServices } from '../shared/services.js';
import { statusFor } from './http.js';
import { httpFunction } from './registry.js';

/** A sign-in failure as a page for the browser (the login routes are not an API). */
export function loginErrorResponse(
  error: unknown,
  context: InvocationContext,
  cookies: ResponseCookie[] = [],
  loginPath?: string,
): HttpResponseInit {
  const page = loginErrorPage(error, loginPath);
  const status = error instanceof SyncServiceError ? statusFor(error.code) : 500;
  if (error instanceof SyncServiceError) {
    if (status >= 500) context.error(`${error.code}: ${error.message}`);
    else context.warn(`${error.code}: ${error.message}`);
  } else {
    context.error('unexpected failure', error);
  }
  return {
    status,
    body: page.html,
    cookies,
    headers: htmlPageHeaders(),
  };
}

export async function ssoLogin(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const services = getServices();
    const start = await beginLogin({
      settings: services.settings,
      requestUrl: request.url,
      forwardedProto: request.headers.get('x-forwarded-proto'),
      redirect: request.query.get('redirect') ?? undefined,
      now: services.clock(),
    });
    return {
      status: 302,
      headers: { location: start.location, 'cache-control': 'no-store' },
      cookies: [start.cookie],
    };
  } catch (error) {
    return loginErrorResponse(error, context);
  }
}

export const ssoLoginFunction = httpFunction({
  name: 'ssoLogin',
  route: 'sso/login',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: ssoLogin,
});
