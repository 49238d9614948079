import { z } from 'zod';
import { consoleQueries, usersPage } from '../shared/console/index.js';
import { consolePage } from './console-http.js';
import { parseInput } from './http.js';
import { httpFunction } from './registry.js';

const pageQuery = z.object({ page: z.string().min(1).max(8192).optional() });

/** `GET /api/console/users`: every user row, a page at a time. */
export const consoleUsers = consolePage({
  admin: true,
  async render({ request, services }) {
    const { page } = parseInput(pageQuery, Object.fromEntries(request.query), 'query');
    return usersPage(await consoleQueries.usersPage(services.repository, page), page === undefined);
  },
});

export const consoleUsersFunction = httpFunction({
  name: 'consoleUsers',
  route: 'console/users',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleUsers,
});
