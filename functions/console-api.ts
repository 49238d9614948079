/**
 * The read API for an admin's bearer token: `/api/operator/teams/{teamId?}`,
 * `/api/operator/users/{userId}` and `/api/operator/sync/status` answer what `/api/teams`,
 * `/api/users/{userId}` and `/api/sync/status` answer, through the same handlers. Those keep
 * `authLevel: function` for the proxy and scripts; a route cannot take both, because with a
 * function level the host refuses a request without a key before the handler runs (and
 * `admin/…` routes are reserved by the host, hence `operator/…`). See docs/design-notes.md.
 */
import type {
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';
import { requireAdminBearer } from '../shared/console/index.js';
import { getServices } from '../shared/services.js';
import { errorResponse } from './http.js';
import { httpFunction } from './registry.js';
import { syncStatus } from './sync-status.js';
import { teams } from './teams.js';
import { users } from './users.js';

function withAdminBearer(handler: HttpHandler) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const { settings, clock } = getServices();
      await requireAdminBearer(request.headers.get('authorization'), settings, clock);
    } catch (error) {
      return errorResponse(error, context);
    }
    return handler(request, context);
  };
}

export const operatorTeamsFunction = httpFunction({
  name: 'operatorTeams',
  route: 'operator/teams/{teamId?}',
  methods: ['GET'],
  // The admin's bearer token is the authentication, checked before the handler reads anything.
  authLevel: 'anonymous',
  handler: withAdminBearer(teams),
});

export const operatorUsersFunction = httpFunction({
  name: 'operatorUsers',
  route: 'operator/users/{userId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: withAdminBearer(users),
});

export const operatorSyncStatusFunction = httpFunction({
  name: 'operatorSyncStatus',
  route: 'operator/sync/status',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: withAdminBearer(syncStatus),
});
