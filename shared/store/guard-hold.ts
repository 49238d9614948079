/**
 * The guard's hold as one `SyncState` entity (PartitionKey `reconcile`, RowKey `hold`), written
 * only when it changes, so an unchanged run writes nothing here either.
 */
import type { GuardHold } from '../sync/guard-hold.js';
import type { StoredEntity } from './entities.js';
import type { Tables } from './tables.js';

const HOLD_PARTITION = 'reconcile';
const HOLD_ROW = 'hold';
/** Under the 64 KiB property limit; a longer list holds every team. */
const MAX_TEAMS_JSON_CHARS = 30_000;

function holdFromEntity(entity: StoredEntity | undefined): GuardHold | undefined {
  if (entity?.active !== true) return undefined;
  const runId = typeof entity.runId === 'string' ? entity.runId : '';
  if (entity.allTeams === true || typeof entity.teamsJson !== 'string') {
    return { runId, teamIds: 'all' };
  }
  try {
    const parsed: unknown = JSON.parse(entity.teamsJson);
    if (!Array.isArray(parsed)) return { runId, teamIds: 'all' };
    return { runId, teamIds: new Set(parsed.filter((id) => typeof id === 'string')) };
  } catch {
    return { runId, teamIds: 'all' };
  }
}

export async function readHold(tables: Tables): Promise<GuardHold | undefined> {
  return holdFromEntity(await tables.readEntity('state', HOLD_PARTITION, HOLD_ROW));
}

function sameHold(a: GuardHold | undefined, b: GuardHold | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const [mine, theirs] = [a.teamIds, b.teamIds];
  if (mine === 'all' || theirs === 'all') return mine === theirs;
  return mine.size === theirs.size && [...mine].every((id) => theirs.has(id));
}

/** Records the hold a run left (undefined: none); the held run's id is kept with it. */
export async function writeHold(tables: Tables, hold: GuardHold | undefined): Promise<void> {
  const stored = await tables.readEntity('state', HOLD_PARTITION, HOLD_ROW);
  if (sameHold(holdFromEntity(stored), hold)) return;
  const teams = hold === undefined || hold.teamIds === 'all' ? [] : [...hold.teamIds].sort();
  const teamsJson = JSON.stringify(teams);
  const allTeams = hold?.teamIds === 'all' || teamsJson.length > MAX_TEAMS_JSON_CHARS;
  const report = await tables.applyWrites([
    {
      table: 'state',
      action: 'upsert',
      partitionKey: HOLD_PARTITION,
      rowKey: HOLD_ROW,
      properties: {
        active: hold !== undefined,
        runId: hold?.runId ?? '',
        allTeams,
        teamsJson: allTeams ? '[]' : teamsJson,
      },
    },
  ]);
  const failure = report.results.find((result) => result.outcome !== 'applied');
  if (failure?.error !== undefined) throw failure.error;
}
