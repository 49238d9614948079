import { z } from 'zod';
import { consoleQueries, teamPage, teamsPage } from '../shared/console/index.js';
import { storageKey } from '../shared/views.js';
import { consolePage } from './console-http.js';
import { parseInput } from './http.js';
import { httpFunction } from './registry.js';

const pageQuery = z.object({ page: z.string().min(1).max(8192).optional() });
const teamParams = z.object({ teamId: storageKey('team id') });

/** `GET /api/console/teams` (every team, a page at a time) and `/api/console/teams/{teamId}`. */
export const consoleTeams = consolePage({
  admin: true,
  async render({ request, services }) {
    if (request.params.teamId === undefined || request.params.teamId === '') {
      const { page } = parseInput(pageQuery, Object.fromEntries(request.query), 'query');
      return teamsPage(
        await consoleQueries.teamsPage(services.repository, page),
        page === undefined,
      );
    }
    const { teamId } = parseInput(teamParams, request.params, 'route');
    const { team, members } = await consoleQueries.teamWithMembers(services.repository, teamId);
    return teamPage(team, members);
  },
});

export const consoleTeamsFunction = httpFunction({
  name: 'consoleTeams',
  route: 'console/teams/{teamId?}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleTeams,
});
