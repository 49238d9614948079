/**
 * The operator read API's credential: an Entra token for this app (validated as every bearer
 * token is, shared/auth/token.ts) whose `roles` make its user a console admin.
 */
import { bearerToken } from '../auth/bearer.js';
import { isConsoleAdmin } from '../auth/roles.js';
import { validateEntraToken } from '../auth/token.js';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';
import type { Clock } from '../services.js';
import type { SignedInIdentity } from '../sync/identity.js';

/** The admin the `Authorization` header names; 401 for a bad token, 403 for a non-admin. */
export async function requireAdminBearer(
  authorization: string | null,
  settings: Settings,
  clock: Clock,
): Promise<SignedInIdentity> {
  const token = bearerToken(authorization);
  const validated = await validateEntraToken(token, { settings, clock, kind: 'any' });
  if (!isConsoleAdmin(validated.identity.roles ?? [], settings.access)) {
    throw new SyncServiceError(
      'forbidden',
      `The token's user holds no admin app role (${settings.access.consoleAdminRole} or a role mapped to proxy_admin).`,
    );
  }
  return validated.identity;
}
