import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../shared/services.js';
import {
  DEFAULT_TEAM_PAGE_SIZE,
  listTeams,
  MAX_TEAM_PAGE_SIZE,
  readTeamWithMembers,
  storageKey,
} from '../shared/views.js';
import { errorResponse, jsonResponse, parseInput } from './http.js';
import { httpFunction } from './registry.js';

// Not strict: with a function key in the query string the host also passes `code` through.
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_TEAM_PAGE_SIZE).default(DEFAULT_TEAM_PAGE_SIZE),
  continuationToken: z.string().min(1).optional(),
  includeArchived: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

const teamParams = z.object({ teamId: storageKey('team id') });

/**
 * `GET /api/teams` (a page of teams) and `GET /api/teams/{teamId}` (a team and its members):
 * one function with an optional route parameter, as one module declares one function.
 */
export async function teams(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const { repository } = getServices();
    if (request.params.teamId === undefined || request.params.teamId === '') {
      const query = parseInput(listQuery, Object.fromEntries(request.query), 'query');
      return jsonResponse(200, await listTeams(repository, query));
    }
    const { teamId } = parseInput(teamParams, request.params, 'route');
    return jsonResponse(200, await readTeamWithMembers(repository, teamId));
  } catch (error) {
    return errorResponse(error, context);
  }
}

export const teamsFunction = httpFunction({
  name: 'teams',
  route: 'teams/{teamId?}',
  methods: ['GET'],
  authLevel: 'function',
  handler: teams,
});
