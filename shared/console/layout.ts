/**
 * The frame of every console page: who is signed in, Sign out (a POST with the session's CSRF
 * token), the navigation (admin pages for admins only) and one h1. No script anywhere.
 */
import { html, type SafeHtml } from './html.js';
import type { ConsoleSession } from './session.js';
import { CONSOLE_PATH } from './session.js';

export const STYLESHEET_PATH = `${CONSOLE_PATH}/style.css`;
export const SIGN_OUT_PATH = `${CONSOLE_PATH}/sign-out`;

export type ConsoleSection = 'mine' | 'teams' | 'users' | 'runs' | 'held' | 'none';

const SECTIONS: readonly {
  section: ConsoleSection;
  label: string;
  path: string;
  admin: boolean;
}[] = [
  { section: 'mine', label: 'My teams', path: CONSOLE_PATH, admin: false },
  { section: 'teams', label: 'All teams', path: `${CONSOLE_PATH}/teams`, admin: true },
  { section: 'users', label: 'Users', path: `${CONSOLE_PATH}/users`, admin: true },
  { section: 'runs', label: 'Sync runs', path: `${CONSOLE_PATH}/runs`, admin: true },
  { section: 'held', label: 'Held removals', path: `${CONSOLE_PATH}/held`, admin: true },
];

export interface PageContent {
  readonly title: string;
  readonly section: ConsoleSection;
  readonly body: SafeHtml;
}

export interface SignedInFrame {
  readonly session: ConsoleSession;
  readonly csrfToken: string;
}

function document(title: string, header: SafeHtml, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · MishikaLLM console</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        ${header}
        <main id="main">
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `.value;
}

export function signedInPage(frame: SignedInFrame, content: PageContent): string {
  const { session } = frame;
  const links = SECTIONS.filter((entry) => !entry.admin || session.admin).map(
    (entry) =>
      html`<li>
        <a
          href="${entry.path}"
          ${entry.section === content.section ? html` aria-current="page"` : ''}
          >${entry.label}</a
        >
      </li>`,
  );
  const upn = session.userPrincipalName === '' ? '' : html` (${session.userPrincipalName})`;
  const header = html`<header class="bar">
      <p class="brand"><a href="${CONSOLE_PATH}">MishikaLLM console</a></p>
      <p class="who" id="signed-in-as">
        Signed in as <strong>${session.name}</strong>${upn}${session.admin ? ' · admin' : ''}
      </p>
      <form method="post" action="${SIGN_OUT_PATH}">
        <input type="hidden" name="csrf" value="${frame.csrfToken}" /><button type="submit">
          Sign out
        </button>
      </form>
    </header>
    <nav aria-label="Console">
      <ul>
        ${links}
      </ul>
    </nav>`;
  return document(content.title, header, content.body);
}

/** A page for someone not (or no longer) signed in: signed out, errors before a session. */
export function plainPage(title: string, body: SafeHtml): string {
  const header = html`<header class="bar"><p class="brand">MishikaLLM console</p></header>`;
  return document(title, header, body);
}
