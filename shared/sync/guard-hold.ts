/**
 * What the mass-removal guard holds between runs. A full pass whose guard tripped leaves a
 * hold naming the teams whose removals (or archive) it held; until a later pass applies or no
 * longer plans them, a sign-in removes nobody from those teams (it still adds), so a guard that
 * held a mass removal cannot be drained one sign-in at a time.
 */
import type { Operation } from './operations.js';

export interface GuardHold {
  readonly runId: string;
  /** The teams whose removals are held; `all` when the list was too long to keep. */
  readonly teamIds: ReadonlySet<string> | 'all';
}

export function holdOf(runId: string, held: readonly Operation[]): GuardHold | undefined {
  const teamIds = new Set<string>();
  for (const operation of held) {
    if (operation.kind === 'membership-removed' || operation.kind === 'team-archived') {
      teamIds.add(operation.teamId);
    }
  }
  return teamIds.size === 0 ? undefined : { runId, teamIds };
}

export function holdsRemovalsOf(hold: GuardHold | undefined, teamId: string): boolean {
  if (hold === undefined) return false;
  return hold.teamIds === 'all' || hold.teamIds.has(teamId);
}
