import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { checkHealth, type HealthReport } from '../shared/health.js';
import { jsonResponse } from './http.js';
import { httpFunction } from './registry.js';

/**
 * The probe is anonymous: it says whether the settings loaded and the tables answer, and why
 * not in words. Which tenant, which endpoint and the error text stay in the log, under the
 * correlation id the answer carries.
 */
function publicReport(report: HealthReport, correlationId: string) {
  return {
    status: report.status,
    ...(report.reason === undefined ? {} : { reason: report.reason }),
    settings: { loaded: report.settings.loaded },
    ...(report.tables === undefined ? {} : { tables: { reachable: report.tables.reachable } }),
    ...(report.status === 'ok' ? {} : { correlationId }),
  };
}

export async function health(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const report = await checkHealth();
  if (report.status !== 'ok') {
    const detail = report.settings.loaded ? report.tables?.error : report.settings.error;
    context.warn(
      `health [${context.invocationId}]: ${report.reason ?? 'unhealthy'}: ${detail ?? 'no detail'}`,
    );
  }
  return jsonResponse(
    report.status === 'ok' ? 200 : 503,
    publicReport(report, context.invocationId),
  );
}

export const healthFunction = httpFunction({
  name: 'health',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: health,
});
