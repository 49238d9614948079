export { requireAdminBearer } from './admin-token.js';
export { CSRF_FIELD, checkCsrfToken, csrfTokenFor } from './csrf.js';
export { CONTENT_SECURITY_POLICY, htmlPageHeaders } from './headers.js';
export { escapeHtml, html, SafeHtml } from './html.js';
export {
  SIGN_OUT_PATH,
  STYLESHEET_PATH,
  plainPage,
  signedInPage,
  type PageContent,
  type SignedInFrame,
} from './layout.js';
export { errorBody, errorContent, signedOutBody, SIGN_IN_TO_CONSOLE } from './pages/messages.js';
export { heldPage, RELEASE_PATH } from './pages/held.js';
export { myTeamsPage } from './pages/my-teams.js';
export { runPage } from './pages/run.js';
export { runsPage } from './pages/runs.js';
export { teamPage } from './pages/team.js';
export { teamsPage } from './pages/teams.js';
export { usersPage } from './pages/users.js';
export * as consoleQueries from './queries.js';
export { releaseHeldRemovals, type ReleaseResult } from './release.js';
export {
  CONSOLE_PATH,
  CONSOLE_SESSION_COOKIE_NAME,
  CONSOLE_SESSION_LIFETIME_SECONDS,
  clearedConsoleSessionCookie,
  consoleSessionCookie,
  consoleSessionCookieFor,
  newConsoleSession,
  openConsoleSession,
  sealConsoleSession,
  type ConsoleSession,
} from './session.js';
export { CONSOLE_STYLESHEET } from './style.js';
