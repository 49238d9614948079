/**
 * The sign-in driven with fetch, one redirect at a time, as a browser would follow it: start at
 * the service, pick a user on the simulated tenant's page, come back to the callback.
 */
import { expect } from 'vitest';
import type { SimulatedTenant } from '../../dev/tenant/server.js';

export interface LoginStart {
  readonly authorize: URL;
  /** `name=value`, as the browser would send it back. */
  readonly cookie: string;
  readonly setCookie: string;
}

export async function startLogin(
  hostUrl: string,
  query = '',
  headers: Record<string, string> = {},
): Promise<LoginStart> {
  const response = await fetch(`${hostUrl}/api/sso/login${query}`, { redirect: 'manual', headers });
  expect(response.status).toBe(302);
  const setCookie = response.headers.getSetCookie()[0] ?? '';
  return {
    authorize: new URL(response.headers.get('location') ?? ''),
    cookie: setCookie.split(';')[0] ?? '',
    setCookie,
  };
}

/** Picks a user on the tenant's sign-in page; returns where Entra sends the browser back. */
export async function pickUser(
  tenant: SimulatedTenant,
  authorize: URL,
  userId: string,
): Promise<URL> {
  const page = await (await fetch(authorize)).text();
  const link = new RegExp(`href="([^"]+)" data-user-id="${userId}"`).exec(page)?.[1];
  if (link === undefined) throw new Error(`user ${userId} is not on the sign-in page`);
  const answer = await fetch(new URL(link.replaceAll('&amp;', '&'), tenant.baseUrl), {
    redirect: 'manual',
  });
  return new URL(answer.headers.get('location') ?? '');
}

export async function cancelSignIn(tenant: SimulatedTenant, authorize: URL): Promise<URL> {
  const page = await (await fetch(authorize)).text();
  const link = /class="cancel" href="([^"]+)"/.exec(page)?.[1] ?? '';
  const answer = await fetch(new URL(link.replaceAll('&amp;', '&'), tenant.baseUrl), {
    redirect: 'manual',
  });
  return new URL(answer.headers.get('location') ?? '');
}

export async function callback(url: URL | string, cookie: string | undefined) {
  const response = await fetch(url, {
    redirect: 'manual',
    headers: cookie === undefined ? {} : { cookie },
  });
  const text = await response.text();
  return {
    status: response.status,
    location: response.headers.get('location'),
    setCookie: response.headers.getSetCookie().join('\n'),
    text,
    errorCode: /<code id="error-code">([^<]*)<\/code>/.exec(text)?.[1],
  };
}
