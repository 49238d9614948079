/** What a scope reader hands the engine: both sides of the comparison, and what Entra lacked. */
import type { CurrentState } from './model.js';
import type { DesiredState } from './planner.js';
import type { IncompleteGroup } from './run-records.js';

export interface PlanInputs {
  readonly desired: DesiredState;
  readonly current: CurrentState;
  /** Groups assigned to the app that the scope covers. */
  readonly groups: number;
  /** Groups whose members could not be read completely: left as they are. */
  readonly incompleteGroups: readonly IncompleteGroup[];
  /** App role values seen that map to no MishikaLLM role (reported once per process). */
  readonly unmappedRoleValues?: readonly string[] | undefined;
}

/**
 * Reads a scope's inputs. Entra is read on the first call only; the tables on every call, so
 * a sync that met a stale ETag plans again from fresh rows without asking Graph twice.
 */
export interface ScopeReader {
  read(): Promise<PlanInputs>;
  /**
   * After a sync wrote rows of these teams: reads Entra again and says whether what its plan was
   * made from has moved since (then the next `read()` plans from the new view). Absent: the
   * scope is not checked.
   */
  readonly entraMoved?: ((teamsWritten: ReadonlySet<string>) => Promise<boolean>) | undefined;
}
