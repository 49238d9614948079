import { z } from 'zod';

/** `<n>s|m|h|d|mo`, the budget durations MishikaLLM understands. */
const budgetDuration = z
  .string()
  .regex(/^[1-9]\d*(s|m|h|d|mo)$/, { error: 'a duration like 30s, 15m, 24h, 30d or 1mo' });

const models = z.array(z.string().min(1, { error: 'a model name' }), {
  error: 'a list of model names, e.g. ["gpt-4o"]',
});

const budget = z.number({ error: 'a number of USD' }).nonnegative({ error: 'a budget >= 0' });
const limit = z
  .number({ error: 'a whole number' })
  .int({ error: 'a whole number' })
  .nonnegative({ error: 'a limit >= 0' });

function mappingOf(keys: readonly string[]) {
  return (issue: { code?: string; keys?: readonly string[] }) =>
    issue.code === 'unrecognized_keys'
      ? `only known keys (unknown: ${(issue.keys ?? []).join(', ')}; known: ${keys.join(', ')})`
      : `a mapping of ${keys.join(', ')}`;
}

export const userRoles = [
  'proxy_admin',
  'proxy_admin_viewer',
  'internal_user',
  'internal_user_viewer',
] as const;

export type UserRole = (typeof userRoles)[number];

/**
 * An Entra app role's value as the app manifest allows it (no whitespace, not starting with a
 * dot), the string tokens carry in `roles`.
 */
const APP_ROLE_VALUE =
  "an app role value (no spaces, not starting with '.', at most 250 characters)";

export const appRoleValueSchema = z.string().regex(/^[^\s.]\S{0,249}$/, { error: APP_ROLE_VALUE });

/** `role_mappings`: Entra app role value → the MishikaLLM user role it grants. */
export const roleMappingsSchema = z.record(
  appRoleValueSchema,
  z.enum(userRoles, { error: `one of ${userRoles.join(', ')}` }),
  {
    error: (issue) =>
      issue.code === 'invalid_key'
        ? `${APP_ROLE_VALUE} as the key`
        : `a mapping of app role values to ${userRoles.join(', ')}`,
  },
);

export type RoleMappings = Readonly<Partial<Record<string, UserRole>>>;

export const defaultTeamParamsSchema = z.strictObject(
  {
    max_budget: budget.optional(),
    budget_duration: budgetDuration.optional(),
    models: models.optional(),
    tpm_limit: limit.optional(),
    rpm_limit: limit.optional(),
    team_member_permissions: z.array(z.string()).optional(),
  },
  {
    error: mappingOf([
      'max_budget',
      'budget_duration',
      'models',
      'tpm_limit',
      'rpm_limit',
      'team_member_permissions',
    ]),
  },
);

export const defaultUserParamsSchema = z.strictObject(
  {
    user_role: z.enum(userRoles, { error: `one of ${userRoles.join(', ')}` }).optional(),
    max_budget: budget.optional(),
    budget_duration: budgetDuration.optional(),
    models: models.optional(),
    tpm_limit: limit.optional(),
    rpm_limit: limit.optional(),
  },
  {
    error: mappingOf([
      'user_role',
      'max_budget',
      'budget_duration',
      'models',
      'tpm_limit',
      'rpm_limit',
    ]),
  },
);

export type DefaultTeamParams = z.infer<typeof defaultTeamParamsSchema>;
export type DefaultUserParams = z.infer<typeof defaultUserParamsSchema>;

/** The YAML settings file: operators may point at the proxy's own config, so other keys pass. */
export const settingsFileSchema = z.looseObject({
  mishikallm_settings: z
    .looseObject({
      default_team_params: defaultTeamParamsSchema.optional(),
      default_internal_user_params: defaultUserParamsSchema.optional(),
      role_mappings: roleMappingsSchema.optional(),
    })
    .optional(),
});
