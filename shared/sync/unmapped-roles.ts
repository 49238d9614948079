/**
 * App role values that map to no MishikaLLM role are ignored; each is logged once per process,
 * not at every sign-in. The Functions host collects console output into the app's log.
 */
import { unmappedRoleReporter } from '../auth/roles.js';
import { printable } from '../printable.js';

export const reportUnmappedRolesToLog = unmappedRoleReporter((value) => {
  console.warn(
    `app role "${printable(value, 250)}" maps to no MishikaLLM role and is ignored ` +
      '(name it after a role, or map it in role_mappings / ROLE_MAPPINGS)',
  );
});
