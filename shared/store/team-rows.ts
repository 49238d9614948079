/** The read API's team queries: team rows alone, without their members. */
import { odata } from '@azure/data-tables';
import type { Stored, Team } from '../sync/model.js';
import { TEAM_ROW, teamFromEntity } from './entities.js';
import { mapPooled } from './pool.js';
import type { Tables } from './tables.js';

/** At most this many team rows are read at once for one user's teams. */
const TEAM_READ_CONCURRENCY = 16;

export interface TeamRowPage {
  readonly teams: readonly Stored<Team>[];
  /** The SDK's token for the next page; undefined when there is none. */
  readonly continuationToken: string | undefined;
}

/** One request's page of team rows, in team id order (member rows are not read). */
export async function teamRowPage(
  tables: Tables,
  options: { readonly pageSize: number; readonly continuationToken: string | undefined },
): Promise<TeamRowPage> {
  const page = await tables.listPage('teams', {
    filter: odata`RowKey eq ${TEAM_ROW}`,
    pageSize: options.pageSize,
    continuationToken: options.continuationToken,
  });
  return { teams: page.entities.map(teamFromEntity), continuationToken: page.continuationToken };
}

/** The team row of each team that has one. */
export async function teamRows(
  tables: Tables,
  teamIds: readonly string[],
): Promise<Map<string, Stored<Team>>> {
  const entities = await mapPooled(teamIds, TEAM_READ_CONCURRENCY, (teamId) =>
    tables.readEntity('teams', teamId, TEAM_ROW),
  );
  const rows = new Map<string, Stored<Team>>();
  for (const entity of entities) {
    if (entity !== undefined) rows.set(entity.partitionKey, teamFromEntity(entity));
  }
  return rows;
}
