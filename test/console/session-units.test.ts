/** The console's session cookie, CSRF tokens and escaping, without HTTP. */
import { describe, expect, it } from 'vitest';
import {
  checkCsrfToken,
  csrfTokenFor,
  html,
  newConsoleSession,
  openConsoleSession,
  sealConsoleSession,
} from '../../shared/console/index.js';
import { testSettings } from '../support/services.js';

const settings = testSettings({ SESSION_SECRET: 'console-unit-secret-0123456789-abcdefghijkl' });
const other = testSettings({ SESSION_SECRET: 'another-unit-secret-0123456789-abcdefghijkl' });
const now = new Date('2026-01-01T12:00:00Z');
const identity = { userId: 'u-1', tenantId: 't', name: 'Dana', preferredUsername: 'dana@x.test' };

describe('console sessions', () => {
  it('round-trip, and decide admin from the roles claim', async () => {
    const admin = newConsoleSession({ identity, appRoles: ['proxy_admin'], settings, now });
    const member = newConsoleSession({ identity, appRoles: ['internal_user'], settings, now });
    expect(admin.admin).toBe(true);
    expect(member.admin).toBe(false);
    const opened = await openConsoleSession(
      await sealConsoleSession(admin, settings),
      settings,
      now,
    );
    expect(opened).toEqual(admin);
  });

  it('honour CONSOLE_ADMIN_ROLE', () => {
    const custom = testSettings({
      SESSION_SECRET: 'x'.repeat(40),
      CONSOLE_ADMIN_ROLE: 'Console.Admin',
    });
    const session = newConsoleSession({
      identity,
      appRoles: ['Console.Admin'],
      settings: custom,
      now,
    });
    expect(session.admin).toBe(true);
  });

  it('read as signed out when expired, signed with another secret or altered', async () => {
    const session = newConsoleSession({ identity, appRoles: [], settings, now });
    const sealed = await sealConsoleSession(session, settings);
    const later = new Date(now.getTime() + 3601 * 1000);
    expect(await openConsoleSession(sealed, settings, later)).toBeUndefined();
    expect(await openConsoleSession(sealed, other, now)).toBeUndefined();
    const [header, , signature] = sealed.split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'u-1', adm: true })).toString('base64url');
    expect(
      await openConsoleSession(`${header}.${payload}.${signature}`, settings, now),
    ).toBeUndefined();
    expect(await openConsoleSession('', settings, now)).toBeUndefined();
    expect(await openConsoleSession(undefined, settings, now)).toBeUndefined();
  });
});

describe('CSRF tokens', () => {
  it("are bound to one session: another session's token, none or a forged one is forbidden", () => {
    const one = newConsoleSession({ identity, appRoles: [], settings, now });
    const two = newConsoleSession({ identity, appRoles: [], settings, now });
    expect(() => {
      checkCsrfToken(one, csrfTokenFor(one, settings), settings);
    }).not.toThrow();
    for (const token of [csrfTokenFor(two, settings), undefined, '', 'x'.repeat(43)]) {
      expect(() => {
        checkCsrfToken(one, token, settings);
      }).toThrow(expect.objectContaining({ code: 'forbidden' }) as Error);
    }
  });
});

describe('html', () => {
  it('escapes every value but nested html', () => {
    const alias = '<script>alert(1)</script>"\'&';
    const out = html`<p title="${alias}">${alias}${html`<b>${alias}</b>`}${[alias, 1]}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(out).toContain('<b>&lt;script&gt;');
  });
});
