import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../shared/services.js';
import { readUserWithTeams, storageKey } from '../shared/views.js';
import { errorResponse, jsonResponse, parseInput } from './http.js';
import { httpFunction } from './registry.js';

const userParams = z.object({ userId: storageKey('user id') });

/** `GET /api/users/{userId}`: the user row and the user's teams. */
export async function users(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const { userId } = parseInput(userParams, request.params, 'route');
    return jsonResponse(200, await readUserWithTeams(getServices().repository, userId));
  } catch (error) {
    return errorResponse(error, context);
  }
}

export const usersFunction = httpFunction({
  name: 'users',
  route: 'users/{userId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: users,
});
