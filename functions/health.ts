import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { checkHealth } from '../shared/health.js';
import { jsonResponse } from './http.js';
import { httpFunction } from './registry.js';

export async function health(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const report = await checkHealth();
  if (report.status !== 'ok') context.warn(`health: ${report.reason ?? 'unhealthy'}`);
  return jsonResponse(report.status === 'ok' ? 200 : 503, report);
}

export const healthFunction = httpFunction({
  name: 'health',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: health,
});
