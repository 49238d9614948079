import * as steps from '../auth/login-steps.js';
import type { ConsoleStack } from './console-fixture.js';

/** The Set-Cookie lines of a successful callback. */
export async function getSetCookie(stack: ConsoleStack, userId: string): Promise<string[]> {
  const start = await steps.startLogin(stack.host.url);
  const answer = await steps.pickUser(stack.tenant, start.authorize, userId);
  const response = await steps.callback(answer, start.cookie);
  return response.setCookie.split('\n');
}
