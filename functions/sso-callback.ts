import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import {
  LOGIN_COOKIE_NAME,
  clearedLoginCookie,
  completeLogin,
  readCookie,
  signInAgainPath,
  type CallbackParameters,
} from '../shared/auth/index.js';
import { consoleSessionCookieFor } from '../shared/console/index.js';
import { readLimitedText } from '../shared/request-body.js';
import { getServices } from '../shared/services.js';
import { syncSignedInUser } from '../shared/sync/index.js';
import { parseInput } from './http.js';
import { loginErrorResponse } from './sso-login.js';
import { httpFunction } from './registry.js';

const parameter = z.string().max(8192).optional();
/** Room for every parameter at its longest (form_post also sends an id_token and session_state). */
const MAX_FORM_BYTES = 64 * 1024;
const callbackSchema = z.object({
  code: parameter,
  state: parameter,
  error: z.string().max(200).optional(),
  error_description: parameter,
});

async function callbackParameters(request: HttpRequest): Promise<CallbackParameters> {
  const values: Record<string, string> = Object.fromEntries(request.query);
  // response_mode=form_post answers with a form body; its fields win over the query.
  if (request.method === 'POST') {
    const text = await readLimitedText(
      request.body,
      request.headers.get('content-length'),
      MAX_FORM_BYTES,
    );
    const form = new URLSearchParams(text);
    for (const [name, value] of form) values[name] = value;
  }
  return parseInput(callbackSchema, values, 'sign-in answer');
}

async function signInAgainFor(cookieValue: string | undefined): Promise<string | undefined> {
  try {
    const services = getServices();
    return await signInAgainPath(cookieValue, services.settings, services.clock());
  } catch {
    // No usable settings: the page offers the plain sign-in link.
    return undefined;
  }
}

export async function ssoCallback(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  // The attempt is used once, whatever the outcome.
  const cookies = [clearedLoginCookie()];
  const cookieValue = readCookie(request.headers.get('cookie'), LOGIN_COOKIE_NAME);
  try {
    const services = getServices();
    const completion = await completeLogin({
      settings: services.settings,
      parameters: await callbackParameters(request),
      cookieValue,
      now: services.clock(),
      sync: (identity) => syncSignedInUser(services, identity),
    });
    context.info(`sso/callback: signed in and synced user ${completion.identity.userId}`);
    cookies.push(
      await consoleSessionCookieFor({
        identity: completion.identity,
        appRoles: completion.identity.roles ?? [],
        settings: services.settings,
        now: services.clock(),
      }),
    );
    return {
      status: 302,
      headers: {
        location: completion.location,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      },
      cookies,
    };
  } catch (error) {
    return loginErrorResponse(error, context, cookies, await signInAgainFor(cookieValue));
  }
}

export const ssoCallbackFunction = httpFunction({
  name: 'ssoCallback',
  route: 'sso/callback',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  handler: ssoCallback,
});
