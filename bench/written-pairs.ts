/**
 * Which memberships a phase's captured writes add and remove, read off the two sides of the
 * table contract (docs/schema.md): a Teams `member:<userId>` row in the team's partition and a
 * Users `team:<teamId>` row in the user's. The change phases check them against the change made.
 */
import type { TableWrite } from '../shared/store/tables.js';

export interface WrittenPairs {
  /** `<teamId>/<userId>` per side. */
  readonly teamSideAdded: ReadonlySet<string>;
  readonly teamSideRemoved: ReadonlySet<string>;
  readonly userSideAdded: ReadonlySet<string>;
  readonly userSideRemoved: ReadonlySet<string>;
  /** Writes that are neither side of a membership (new users, renamed teams, …). */
  readonly other: number;
  /** The first few of them, `<table> <action> <partition>/<row>`, to say what they were. */
  readonly otherSample: readonly string[];
}

export function writtenPairs(writes: readonly TableWrite[]): WrittenPairs {
  const pairs = {
    teamSideAdded: new Set<string>(),
    teamSideRemoved: new Set<string>(),
    userSideAdded: new Set<string>(),
    userSideRemoved: new Set<string>(),
    other: 0,
    otherSample: [] as string[],
  };
  for (const write of writes) {
    const side =
      write.table === 'teams' && write.rowKey.startsWith('member:')
        ? { pair: `${write.partitionKey}/${write.rowKey.slice(7)}`, team: true }
        : write.table === 'users' && write.rowKey.startsWith('team:')
          ? { pair: `${write.rowKey.slice(5)}/${write.partitionKey}`, team: false }
          : undefined;
    if (side === undefined || !(write.action === 'create' || write.action === 'delete')) {
      pairs.other += 1;
      if (pairs.otherSample.length < 5) {
        pairs.otherSample.push(
          `${write.table} ${write.action} ${write.partitionKey}/${write.rowKey}`,
        );
      }
      continue;
    }
    const added = write.action === 'create';
    const set = side.team
      ? added
        ? pairs.teamSideAdded
        : pairs.teamSideRemoved
      : added
        ? pairs.userSideAdded
        : pairs.userSideRemoved;
    set.add(side.pair);
  }
  return pairs;
}

const same = (a: ReadonlySet<string>, b: ReadonlySet<string>) =>
  a.size === b.size && [...a].every((item) => b.has(item));

/** Both sides of exactly the expected pairs, and nothing else but `otherAllowed` writes. */
export function exactlyThePairs(
  pairs: WrittenPairs,
  expected: { readonly added: ReadonlySet<string>; readonly removed: ReadonlySet<string> },
  otherAllowed: number,
): boolean {
  return (
    same(pairs.teamSideAdded, expected.added) &&
    same(pairs.userSideAdded, expected.added) &&
    same(pairs.teamSideRemoved, expected.removed) &&
    same(pairs.userSideRemoved, expected.removed) &&
    pairs.other === otherAllowed
  );
}
