/**
 * The planner's rule for roles (DESIGN.md, "Who gets a user row, and which role"): `entraRole`
 * records what Entra's app roles imply, `userRole` follows it only while it still equals the
 * previous `entraRole`, and rows written before `entraRole` existed read as if the default role
 * had been their Entra role.
 */
import { describe, expect, it } from 'vitest';
import type { UserRole } from '../../shared/config/params.js';
import { writesForAll } from '../../shared/store/operation-writes.js';
import { rowsAfter } from '../../shared/store/rows-after.js';
import type { CurrentState, Stored, User, UserProfile } from '../../shared/sync/model.js';
import type { UserChanges } from '../../shared/sync/operations.js';
import {
  planSync,
  type DesiredState,
  type Plan,
  type PlanOptions,
} from '../../shared/sync/planner.js';

const NOW = '2026-11-30T12:00:00.000Z';
const TEAM = 'e0000000-0000-4000-8000-000000000001';
const ADA = 'a0000000-0000-4000-8000-000000000001';

const options: PlanOptions = {
  now: NOW,
  actor: 'reconcile',
  defaults: { team: {}, user: { user_role: 'internal_user', max_budget: 10 } },
  maxMembershipRemovals: 500,
};

const PROFILE: UserProfile = {
  userId: ADA,
  userEmail: 'ada@contoso.example',
  displayName: 'Ada',
  userPrincipalName: 'ada@contoso.example',
  accountEnabled: true,
};

type Roles = ReadonlyMap<string, UserRole | undefined> | undefined;

/** A full pass that sees Ada, a direct member of the team's group, with these roles. */
function desired(entraRoles: Roles, profile: UserProfile | null = PROFILE): DesiredState {
  return {
    scope: { kind: 'tenant' },
    assignedGroups: new Map([[TEAM, { displayName: 'Team' }]]),
    members: new Map([[TEAM, new Set([ADA])]]),
    users: new Map([[ADA, profile]]),
    entraRoles,
  };
}

const roleOf = (role: UserRole | undefined): Roles => new Map([[ADA, role]]);

/** Ada's row as stored (a member of the team already), or no row. */
function tables(user: Partial<User> | undefined): CurrentState {
  const stored: Stored<User> | undefined =
    user === undefined
      ? undefined
      : {
          ...PROFILE,
          userRole: 'internal_user',
          models: [],
          source: 'entra',
          deletedInEntra: false,
          createdAt: NOW,
          etag: 'etag-user',
          ...user,
        };
  const member = {
    teamId: TEAM,
    userId: ADA,
    role: 'user',
    source: 'entra',
    addedAt: NOW,
  } as const;
  return {
    teams: new Map([
      [
        TEAM,
        {
          teamId: TEAM,
          team: {
            teamId: TEAM,
            teamAlias: 'Team',
            source: 'entra',
            entraGroupId: TEAM,
            entraDisplayName: 'Team',
            models: [],
            teamMemberPermissions: [],
            archived: false,
            createdAt: NOW,
            etag: 'etag-team',
          },
          members: new Map([[ADA, { ...member, userEmail: PROFILE.userEmail, etag: 'm' }]]),
        },
      ],
    ]),
    users: new Map([
      [
        ADA,
        {
          userId: ADA,
          user: stored,
          teams: new Map([[TEAM, { ...member, etag: 'l' }]]),
        },
      ],
    ]),
  };
}

/** The role fields the plan changes on Ada's row, or undefined when it changes none. */
function roleChangesOf(plan: Plan): UserChanges | undefined {
  const update = plan.operations.find((operation) => operation.kind === 'user-updated');
  return update?.kind === 'user-updated' ? update.changes : undefined;
}

function afterApplying(state: CurrentState, plan: Plan): CurrentState {
  const results = writesForAll(plan.operations).writes.map((write, index) => ({
    write,
    outcome: 'applied' as const,
    etag: `etag-after-${index}`,
  }));
  return rowsAfter(state, results);
}

describe('the planner: roles at creation', () => {
  const created = (entraRoles: Roles, planOptions = options) => {
    const plan = planSync(desired(entraRoles), tables(undefined), planOptions);
    const operation = plan.operations.find((candidate) => candidate.kind === 'user-created');
    if (operation?.kind !== 'user-created') throw new Error('no user created');
    return { user: operation.user, writes: writesForAll(plan.operations).writes };
  };

  it('gives a new user the role Entra implies, and records it', () => {
    expect(created(roleOf('proxy_admin')).user).toMatchObject({
      userRole: 'proxy_admin',
      entraRole: 'proxy_admin',
    });
  });

  it('gives the default role when none of the user’s app roles maps, and records it', () => {
    expect(created(roleOf(undefined)).user).toMatchObject({
      userRole: 'internal_user',
      entraRole: 'internal_user',
    });
    const viewerDefault = {
      ...options,
      defaults: { ...options.defaults, user: { user_role: 'internal_user_viewer' as const } },
    };
    expect(created(roleOf(undefined), viewerDefault).user).toMatchObject({
      userRole: 'internal_user_viewer',
      entraRole: 'internal_user_viewer',
    });
  });

  it('writes no entraRole when no app role maps (v1), nor when the user’s roles are unknown', () => {
    for (const roles of [undefined, new Map<string, UserRole | undefined>()]) {
      const { user, writes } = created(roles);
      expect(user.userRole).toBe('internal_user');
      expect(user.entraRole).toBeUndefined();
      const row = writes.find((write) => write.table === 'users' && write.rowKey === 'user');
      expect(row?.action === 'create' ? row.properties : undefined).not.toHaveProperty('entraRole');
    }
  });
});

describe('the planner: userRole follows entraRole', () => {
  const cases: {
    name: string;
    stored: Partial<User>;
    entra: Roles;
    changes: UserChanges | undefined;
  }[] = [
    {
      name: 'follows a promotion while userRole equals the previous entraRole',
      stored: { userRole: 'internal_user', entraRole: 'internal_user' },
      entra: roleOf('proxy_admin'),
      changes: { entraRole: 'proxy_admin', userRole: 'proxy_admin' },
    },
    {
      name: 'demotes to the default role when the user leaves the admin group',
      stored: { userRole: 'proxy_admin', entraRole: 'proxy_admin' },
      entra: roleOf(undefined),
      changes: { entraRole: 'internal_user', userRole: 'internal_user' },
    },
    {
      name: 'keeps a role an operator chose, recording the new Entra role',
      stored: { userRole: 'proxy_admin_viewer', entraRole: 'internal_user' },
      entra: roleOf('proxy_admin'),
      changes: { entraRole: 'proxy_admin' },
    },
    {
      name: 'keeps an operator’s promotion across a demotion in Entra',
      stored: { userRole: 'proxy_admin', entraRole: 'internal_user' },
      entra: roleOf('internal_user_viewer'),
      changes: { entraRole: 'internal_user_viewer' },
    },
    {
      name: 'writes nothing when Entra’s role is unchanged, whatever userRole is',
      stored: { userRole: 'proxy_admin_viewer', entraRole: 'internal_user' },
      entra: roleOf('internal_user'),
      changes: undefined,
    },
    {
      name: 'writes nothing when no app role maps (v1), even over a recorded entraRole',
      stored: { userRole: 'proxy_admin', entraRole: 'proxy_admin' },
      entra: undefined,
      changes: undefined,
    },
    {
      name: 'writes nothing for a user whose roles are not known this time',
      stored: { userRole: 'proxy_admin', entraRole: 'proxy_admin' },
      entra: new Map(),
      changes: undefined,
    },
    {
      name: 'legacy row (no entraRole) with the default role: follows Entra',
      stored: { userRole: 'internal_user' },
      entra: roleOf('proxy_admin'),
      changes: { entraRole: 'proxy_admin', userRole: 'proxy_admin' },
    },
    {
      name: 'legacy row with another role: an operator’s edit, kept',
      stored: { userRole: 'proxy_admin_viewer' },
      entra: roleOf('proxy_admin'),
      changes: { entraRole: 'proxy_admin' },
    },
    {
      name: 'legacy row already at the role Entra implies: only records entraRole',
      stored: { userRole: 'internal_user' },
      entra: roleOf(undefined),
      changes: { entraRole: 'internal_user' },
    },
    {
      name: 'legacy row with an operator’s role and no mapped Entra role: kept',
      stored: { userRole: 'proxy_admin' },
      entra: roleOf(undefined),
      changes: { entraRole: 'internal_user' },
    },
  ];

  for (const { name, stored, entra, changes } of cases) {
    it(name, () => {
      const state = tables(stored);
      const plan = planSync(desired(entra), state, options);
      expect(roleChangesOf(plan)).toEqual(changes);
      // Planning again against the result writes nothing: the role never flips back.
      expect(planSync(desired(entra), afterApplying(state, plan), options).operations).toEqual([]);
    });
  }

  it('says why in the audit reason, naming a kept operator role', () => {
    const plan = planSync(
      desired(roleOf('proxy_admin')),
      tables({ userRole: 'proxy_admin_viewer', entraRole: 'internal_user' }),
      options,
    );
    expect(plan.operations).toMatchObject([
      {
        kind: 'user-updated',
        reason:
          'Entra role changed from internal_user to proxy_admin (role proxy_admin_viewer chosen by an operator kept)',
      },
    ]);
  });

  it('changes profile and role in one update, and merges it with the sign-in stamp', () => {
    const signIn: DesiredState = {
      ...desired(roleOf('proxy_admin'), { ...PROFILE, displayName: 'Ada L.' }),
      scope: { kind: 'user', userId: ADA },
    };
    const plan = planSync(signIn, tables({ entraRole: 'internal_user' }), {
      ...options,
      actor: 'signin',
    });
    expect(plan.operations.map((operation) => operation.kind)).toEqual([
      'user-updated',
      'user-signed-in',
    ]);
    expect(roleChangesOf(plan)).toEqual({
      displayName: 'Ada L.',
      entraRole: 'proxy_admin',
      userRole: 'proxy_admin',
    });
    expect(writesForAll(plan.operations).writes).toHaveLength(1);
  });

  it('does not touch the role of a user Entra no longer has', () => {
    const plan = planSync(
      desired(roleOf(undefined), null),
      tables({ userRole: 'proxy_admin', entraRole: 'proxy_admin' }),
      options,
    );
    expect(roleChangesOf(plan)).toEqual({ deletedInEntra: true });
  });
});

describe('the planner: why a user is created', () => {
  it('names a directly assigned user, who is in no team', () => {
    const direct: DesiredState = { ...desired(roleOf('proxy_admin')), members: new Map() };
    const plan = planSync(direct, { teams: new Map(), users: new Map() }, options);
    expect(plan.operations).toMatchObject([
      { kind: 'team-created' },
      { kind: 'user-created', userId: ADA, reason: 'assigned to the app directly' },
    ]);
  });
});
