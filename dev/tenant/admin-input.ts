/**
 * What the admin API makes of a request body before the directory sees it: the ids and fields a
 * person should not have to invent (the tenant assigns object ids, as Entra does), and invalid
 * input described in words (`name is required`), never as a dump of the validator's issues.
 */
import { randomUUID } from 'node:crypto';
import { ZodError } from 'zod';
import { DirectoryError } from './model.js';
import { HttpError } from './routing/http-io.js';

type Body = Record<string, unknown>;

const isBlank = (value: unknown) =>
  value === undefined || (typeof value === 'string' && value.trim() === '');

/** A group body with the id the tenant assigns when none is given. */
export function newGroupInput(body: Body): Body {
  return { ...body, id: isBlank(body.id) ? randomUUID() : body.id };
}

function mailNickname(displayName: string): string {
  return displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim()
    .split(/\s+/)
    .join('.')
    .replace(/[^a-z0-9._-]/g, '');
}

/**
 * A user body with what Entra's "New user" form fills in: an id, a UPN from the display name in
 * the tenant's domain, mail equal to the UPN, and given name and surname from the display name.
 */
export function newUserInput(body: Body, domain: string): Body {
  const displayName = typeof body.displayName === 'string' ? body.displayName.trim() : '';
  const [givenName, ...rest] = displayName.split(/\s+/);
  const nickname = mailNickname(displayName);
  const upn = isBlank(body.userPrincipalName)
    ? nickname === ''
      ? undefined
      : `${nickname}@${domain}`
    : body.userPrincipalName;
  return {
    ...body,
    id: isBlank(body.id) ? randomUUID() : body.id,
    ...(upn === undefined ? {} : { userPrincipalName: upn }),
    mail: body.mail === undefined ? upn : body.mail,
    givenName: body.givenName ?? (givenName === '' ? null : givenName),
    surname: body.surname ?? (rest.length === 0 ? null : rest.join(' ')),
  };
}

function describeIssue(issue: ZodError['issues'][number]): string {
  const field = issue.path.map(String).join('.') || 'the body';
  const missing =
    (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) ||
    (issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1);
  if (missing) return `${field} is required`;
  if (issue.code === 'invalid_type') return `${field} must be a ${issue.expected}`;
  return `${field} is not valid (${issue.message})`;
}

const ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
};

/** An admin API failure as `{ status, error, message }`: a code and one line in words. */
export function adminFailure(err: unknown): { status: number; error: string; message: string } {
  if (err instanceof ZodError) {
    return {
      status: 400,
      error: 'invalid_request',
      message: err.issues.map(describeIssue).join('; '),
    };
  }
  if (err instanceof SyntaxError) {
    return { status: 400, error: 'invalid_request', message: 'The body is not valid JSON.' };
  }
  const status = err instanceof HttpError || err instanceof DirectoryError ? err.status : 400;
  const message = err instanceof Error ? err.message : String(err);
  return { status, error: ERROR_CODES[status] ?? 'internal', message };
}

/** A required string field of a body, or an `invalid_request` naming it. */
export function requiredString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new HttpError(400, `${field} is required`);
  return value.trim();
}
