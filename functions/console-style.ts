import type { HttpResponseInit } from '@azure/functions';
import { CONSOLE_STYLESHEET } from '../shared/console/index.js';
import { httpFunction } from './registry.js';

/** `GET /api/console/style.css`: the console's one stylesheet (the CSP allows no inline style). */
export function consoleStyle(): Promise<HttpResponseInit> {
  return Promise.resolve({
    status: 200,
    body: CONSOLE_STYLESHEET,
    headers: {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    },
  });
}

export const consoleStyleFunction = httpFunction({
  name: 'consoleStyle',
  route: 'console/style.css',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleStyle,
});
