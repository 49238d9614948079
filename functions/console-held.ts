import { consoleQueries, heldPage } from '../shared/console/index.js';
import { consolePage } from './console-http.js';
import { httpFunction } from './registry.js';

/** `GET /api/console/held`: what the latest run held, and the Release form. */
export const consoleHeld = consolePage({
  admin: true,
  render: async ({ services, csrfToken }) =>
    heldPage(await consoleQueries.heldState(services.repository), csrfToken),
});

export const consoleHeldFunction = httpFunction({
  name: 'consoleHeld',
  route: 'console/held',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleHeld,
});
