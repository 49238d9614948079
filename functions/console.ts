import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { consoleQueries, myTeamsPage } from '../shared/console/index.js';
import { consolePage } from './console-http.js';
import { httpFunction } from './registry.js';

/** `GET /api/console`: the signed-in user's own teams, for everyone who can sign in. */
export const consoleHome: (
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit> = consolePage({
  admin: false,
  render: async ({ services, session }) =>
    myTeamsPage(await consoleQueries.myTeams(services.repository, session.userId)),
});

export const consoleHomeFunction = httpFunction({
  name: 'consoleHome',
  route: 'console',
  methods: ['GET'],
  // The console's own session cookie is the authentication (a browser holds no function key).
  authLevel: 'anonymous',
  handler: consoleHome,
});
