/** The console's POST forms: a signed-in session and that session's CSRF token, or 403. */
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { checkCsrfToken, type ConsoleSession } from '../shared/console/index.js';
import { SyncServiceError } from '../shared/errors.js';
import { readLimitedText } from '../shared/request-body.js';
import type { Services } from '../shared/services.js';
import { sessionOf } from './console-http.js';
import { parseInput } from './http.js';

const MAX_FORM_BYTES = 16 * 1024;

const csrfField = z.object({ csrf: z.string().max(200).optional() });

/**
 * The session that sent this form, and the form's fields. The cookie is checked before the
 * body is read, and the body is read only up to 16 KiB (413 past it): anyone can post here.
 * `forbidden` without a session or with another session's CSRF token.
 */
export async function checkedForm(
  request: HttpRequest,
  services: Services,
): Promise<{ session: ConsoleSession; fields: Record<string, string> }> {
  const session = await sessionOf(request, services);
  if (session === undefined) {
    throw new SyncServiceError(
      'forbidden',
      'You are not signed in to the console (or your session expired). Sign in and try again.',
    );
  }
  const text = await readLimitedText(
    request.body,
    request.headers.get('content-length'),
    MAX_FORM_BYTES,
  );
  const fields = Object.fromEntries(new URLSearchParams(text));
  // parseInput: a token that is no token (too long) is the caller's mistake, a 400, not a 500.
  const { csrf } = parseInput(csrfField, fields, 'form');
  checkCsrfToken(session, csrf, services.settings);
  return { session, fields };
}
