import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import {
  consoleQueries,
  csrfTokenFor,
  heldPage,
  releaseHeldRemovals,
  signedInPage,
} from '../shared/console/index.js';
import { getServices } from '../shared/services.js';
import { consoleErrorResponse, htmlResponse, requireAdmin } from './console-http.js';
import { checkedForm } from './console-form.js';
import { parseInput } from './http.js';
import { httpFunction } from './registry.js';

const releaseForm = z.object({ heldRunId: z.string().min(1).max(200) });

/**
 * `POST /api/console/held/release`: an admin releases the latest run's held removals. The
 * session, its CSRF token and the admin role are checked before anything is read or run.
 */
export async function consoleRelease(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  let frame;
  try {
    const services = getServices();
    const { session, fields } = await checkedForm(request, services);
    frame = { session, csrfToken: csrfTokenFor(session, services.settings) };
    requireAdmin(session);
    const { heldRunId } = parseInput(releaseForm, fields, 'form');
    const result = await releaseHeldRemovals(services, session, heldRunId);
    context.info(
      `console: ${session.userId} released the removals held by run ${heldRunId} (limit ${result.release.maxMembershipRemovals}); run ${result.run.runId} ended ${result.run.outcome}`,
    );
    const state = await consoleQueries.heldState(services.repository);
    return htmlResponse(200, signedInPage(frame, heldPage(state, frame.csrfToken, result)));
  } catch (error) {
    return consoleErrorResponse(error, context, frame);
  }
}

export const consoleReleaseFunction = httpFunction({
  name: 'consoleRelease',
  route: 'console/held/release',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: consoleRelease,
});
