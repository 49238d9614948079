/** How each domain operation is written: the entities it creates, merges or deletes. */
import type { Operation, SideRepair } from '../sync/operations.js';
import type { TableWrite } from './tables.js';
import * as writes from './writes.js';

function repairWrite<T>(
  repair: SideRepair<T> | undefined,
  create: (row: T) => TableWrite,
  update: (changes: Partial<T>, etag: string) => TableWrite,
): TableWrite[] {
  if (repair === undefined) return [];
  return ['create' in repair ? create(repair.create) : update(repair.set, repair.etag)];
}

export function writesFor(operation: Operation): TableWrite[] {
  switch (operation.kind) {
    case 'team-created':
      return [writes.createTeam(operation.team)];
    case 'team-renamed':
      return [
        writes.updateTeam(
          operation.teamId,
          operation.teamAlias === undefined
            ? { entraDisplayName: operation.entraDisplayName }
            : { entraDisplayName: operation.entraDisplayName, teamAlias: operation.teamAlias },
          operation.etag,
        ),
      ];
    case 'team-restored':
      // A merge cannot delete a property: a restored team carries empty archive fields.
      return [
        writes.updateTeam(
          operation.teamId,
          { archived: false, archivedAt: '', archivedReason: '' },
          operation.etag,
        ),
      ];
    case 'team-archived':
      return [
        writes.updateTeam(
          operation.teamId,
          {
            archived: true,
            archivedAt: operation.archivedAt,
            archivedReason: operation.archivedReason,
          },
          operation.etag,
        ),
      ];
    case 'user-created':
      return [writes.createUser(operation.user)];
    case 'user-updated':
      return [writes.updateUser(operation.userId, operation.changes, operation.etag)];
    case 'user-signed-in':
      return [
        writes.updateUser(operation.userId, { lastSignInAt: operation.signedInAt }, operation.etag),
      ];
    case 'membership-added':
      return writes.createMembership(operation.member);
    case 'membership-removed': {
      const { teamId, userId, teamSideEtag, userSideEtag } = operation;
      return [
        ...(teamSideEtag === undefined
          ? []
          : [writes.deleteTeamMember(teamId, userId, teamSideEtag)]),
        ...(userSideEtag === undefined
          ? []
          : [writes.deleteUserTeamLink(userId, teamId, userSideEtag)]),
      ];
    }
    case 'membership-repaired': {
      const { teamId, userId } = operation;
      return [
        ...repairWrite(operation.userSide, writes.createUserTeamLink, (changes, etag) =>
          writes.updateUserTeamLink(userId, teamId, changes, etag),
        ),
        ...repairWrite(operation.teamSide, writes.createTeamMember, (changes, etag) =>
          writes.updateTeamMember(teamId, userId, changes, etag),
        ),
      ];
    }
  }
}

function targetOf(write: TableWrite): string {
  return `${write.table}\u0000${write.partitionKey}\u0000${write.rowKey}`;
}

/**
 * The writes of a list of operations, with the operations each write serves. Merges of one row
 * planned against the same ETag (a rename and a restore, a profile update and a sign-in stamp)
 * become one merge: written apart, the second would meet the ETag the first one changed.
 */
export function writesForAll(operations: readonly Operation[]): {
  readonly writes: TableWrite[];
  /** For each operation, the indexes of its writes in `writes`; the first owner counts them. */
  readonly writesOf: number[][];
  readonly owner: number[];
} {
  const all: TableWrite[] = [];
  const owner: number[] = [];
  const merges = new Map<string, number>();
  const writesOf = operations.map((operation, operationIndex) =>
    writesFor(operation).map((write) => {
      if (write.action === 'merge') {
        const key = `${targetOf(write)}\u0000${write.etag}`;
        const shared = merges.get(key);
        const existing = shared === undefined ? undefined : all[shared];
        if (shared !== undefined && existing?.action === 'merge') {
          all[shared] = {
            ...existing,
            properties: { ...existing.properties, ...write.properties },
          };
          return shared;
        }
        merges.set(key, all.length);
      }
      all.push(write);
      owner.push(operationIndex);
      return all.length - 1;
    }),
  );
  return { writes: all, writesOf, owner };
}
