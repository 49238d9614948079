/**
 * What the convergence suite generates: a small tenant, and commands that change Entra, trigger
 * syncs, edit as an operator or inject faults. Commands name users, groups and teams by index;
 * the world resolves an index against what exists when the command runs (modulo the count), so
 * every generated sequence is valid and shrinks to a shorter valid one.
 */
import fc from 'fast-check';
import type { AppRoleValue } from './model.js';

export interface GroupSpec {
  /** Indexes of users (modulo the user count) that are direct members. */
  readonly users: readonly number[];
  /** Offsets of later groups nested in this one. */
  readonly nested: readonly number[];
  readonly assignment: AppRoleValue | 'none';
}

export interface TenantSpec {
  readonly users: number;
  readonly groups: readonly GroupSpec[];
  /** Users assigned to the app directly. */
  readonly directUsers: readonly { readonly user: number; readonly role: AppRoleValue }[];
}

export type GraphFaultStatus = 429 | 500 | 503 | 504;
export type FeedFault = 'drop' | 'duplicate' | 'reorder' | 'replay';

export type Command =
  | { readonly kind: 'addMember'; readonly group: number; readonly user: number }
  | { readonly kind: 'removeMember'; readonly group: number; readonly pick: number }
  | { readonly kind: 'nest'; readonly group: number; readonly child: number }
  | { readonly kind: 'unnest'; readonly group: number; readonly pick: number }
  | { readonly kind: 'rename'; readonly group: number }
  | { readonly kind: 'assignGroup'; readonly group: number; readonly role: AppRoleValue }
  | { readonly kind: 'unassignGroup'; readonly group: number }
  | { readonly kind: 'assignUser'; readonly user: number; readonly role: AppRoleValue }
  | { readonly kind: 'unassignUser'; readonly user: number }
  | { readonly kind: 'disableUser'; readonly user: number }
  | { readonly kind: 'enableUser'; readonly user: number }
  | { readonly kind: 'updateUser'; readonly user: number }
  | { readonly kind: 'deleteUser'; readonly user: number }
  | { readonly kind: 'deleteGroup'; readonly group: number }
  | { readonly kind: 'addUser'; readonly group: number }
  | { readonly kind: 'signIn'; readonly user: number }
  | { readonly kind: 'notify' }
  | { readonly kind: 'delta' }
  | { readonly kind: 'fullPass' }
  | { readonly kind: 'setBudget'; readonly team: number; readonly budget: number }
  | { readonly kind: 'setAlias'; readonly team: number }
  | { readonly kind: 'setRole'; readonly user: number; readonly role: number }
  | {
      readonly kind: 'addManual';
      readonly team: number;
      readonly user: number;
      readonly role: 'user' | 'admin';
    }
  | {
      readonly kind: 'graphFault';
      readonly status: GraphFaultStatus;
      readonly times: number;
      readonly inBatch: boolean;
    }
  | { readonly kind: 'feedFault'; readonly fault: FeedFault };

const index = fc.nat({ max: 31 });
const appRole = fc.constantFrom<AppRoleValue>('default', 'internal_user', 'proxy_admin');

export const tenantSpec: fc.Arbitrary<TenantSpec> = fc.record({
  users: fc.integer({ min: 2, max: 7 }),
  groups: fc.array(
    fc.record({
      users: fc.array(index, { maxLength: 4 }),
      nested: fc.array(index, { maxLength: 2 }),
      assignment: fc.oneof(
        { weight: 3, arbitrary: appRole },
        { weight: 1, arbitrary: fc.constant('none' as const) },
      ),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  directUsers: fc.array(fc.record({ user: index, role: appRole }), { maxLength: 2 }),
});

const entraChange: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('addMember'), group: index, user: index }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('removeMember'), group: index, pick: index }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('nest'), group: index, child: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unnest'), group: index, pick: index }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rename'), group: index }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('assignGroup'), group: index, role: appRole }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unassignGroup'), group: index }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('assignUser'), user: index, role: appRole }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unassignUser'), user: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('disableUser'), user: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('enableUser'), user: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('updateUser'), user: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteUser'), user: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteGroup'), group: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('addUser'), group: index }) },
);

const syncTrigger: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('signIn'), user: index }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('notify') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delta') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fullPass') }) },
);

const operatorEdit: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('setBudget'),
      team: index,
      budget: fc.integer({ min: 1, max: 999 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setAlias'), team: index }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('setRole'), user: index, role: fc.nat({ max: 1 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('addManual'),
      team: index,
      user: index,
      role: fc.constantFrom<'user' | 'admin'>('user', 'admin'),
    }),
  },
);

const fault: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('graphFault'),
      status: fc.constantFrom<GraphFaultStatus>(429, 500, 503, 504),
      times: fc.integer({ min: 1, max: 10 }),
      inBatch: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('feedFault'),
      fault: fc.constantFrom<FeedFault>('drop', 'duplicate', 'reorder', 'replay'),
    }),
  },
);

export function commands(maxLength: number): fc.Arbitrary<Command[]> {
  return fc.array(
    fc.oneof(
      { weight: 5, arbitrary: entraChange },
      { weight: 5, arbitrary: syncTrigger },
      { weight: 3, arbitrary: operatorEdit },
      { weight: 1, arbitrary: fault },
    ),
    { minLength: Math.ceil(maxLength / 2), maxLength, size: 'max' },
  );
}
