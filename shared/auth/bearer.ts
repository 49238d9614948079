import { z } from 'zod';
import { SyncServiceError } from '../errors.js';

const authorizationHeader = z
  .string()
  .trim()
  .regex(/^Bearer(?: +|$)/i)
  .transform((value) => value.replace(/^Bearer */i, ''));

// RFC 6750's b64token: a JWT's three base64url parts fit it.
const b64token = z.string().regex(/^[A-Za-z0-9\-._~+/]+=*$/);

/**
 * The token of an `Authorization: Bearer <token>` header. No header, another scheme or an empty
 * credential is `token_missing`; a credential that is not a b64token is `token_malformed`.
 */
export function bearerToken(authorization: string | null | undefined): string {
  const header = authorizationHeader.safeParse(authorization ?? '');
  if (!header.success) {
    const scheme = /^\s*([A-Za-z][A-Za-z0-9-]{0,19})/.exec(authorization ?? '')?.[1];
    throw new SyncServiceError(
      'token_missing',
      scheme === undefined
        ? 'No Authorization header: send "Authorization: Bearer <Entra ID token or access token>".'
        : `The Authorization header uses the "${scheme}" scheme: send "Authorization: Bearer <token>".`,
    );
  }
  if (header.data === '') {
    throw new SyncServiceError(
      'token_missing',
      'The Authorization header names the Bearer scheme but carries no token.',
    );
  }
  if (!b64token.safeParse(header.data).success) {
    throw new SyncServiceError(
      'token_malformed',
      'The Bearer credential is not a token (RFC 6750 b64token characters only).',
    );
  }
  return header.data;
}
