import type { EntraUser } from '../graph/directory.js';
import type { UserProfile } from './model.js';

/** A Graph user as the contract stores it: ids lower-case, e-mail from mail or UPN. */
export function profileFromEntra(user: EntraUser): UserProfile {
  return {
    userId: user.id.toLowerCase(),
    userEmail: (user.mail ?? user.userPrincipalName).toLowerCase(),
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled,
  };
}
