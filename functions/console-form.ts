/** The console's POST forms: a signed-in session and that session's CSRF token, or 403. */
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { checkCsrfToken, type ConsoleSession } from '../shared/console/index.js';
import { SyncServiceError } from '../shared/errors.js';
import type { Services } from '../shared/services.js';
import { sessionOf } from './console-http.js';

const MAX_FORM_BYTES = 16 * 1024;

export async function formFields(request: HttpRequest): Promise<Record<string, string>> {
  const text = await request.text();
  if (text.length > MAX_FORM_BYTES) {
    throw new SyncServiceError('request_invalid', 'The form is too large.');
  }
  return Object.fromEntries(new URLSearchParams(text));
}

const csrfField = z.object({ csrf: z.string().max(200).optional() });

/** The session that sent this form; `forbidden` without one or with a token of another. */
export async function checkedFormSession(
  request: HttpRequest,
  services: Services,
  fields: Record<string, string>,
): Promise<ConsoleSession> {
  const session = await sessionOf(request, services);
  if (session === undefined) {
    throw new SyncServiceError(
      'forbidden',
      'You are not signed in to the console (or your session expired). Sign in and try again.',
    );
  }
  const { csrf } = csrfField.parse(fields);
  checkCsrfToken(session, csrf, services.settings);
  return session;
}
