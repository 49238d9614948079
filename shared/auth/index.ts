export { bearerToken } from './bearer.js';
export { readClientCertificate, type ClientCertificate } from './client-credential.js';
export { redeemAuthorizationCode, TOKEN_ENDPOINT_TIMEOUT_MS } from './code-redemption.js';
export { confidentialClientFor, tokenEndpoint } from './confidential-client.js';
export {
  DEFAULT_KEYS_COOLDOWN_MS,
  DEFAULT_KEYS_MAX_AGE_MS,
  createEntraKeySet,
  jwksUrl,
  type EntraKeySet,
  type EntraKeySetOptions,
} from './keys.js';
export {
  CALLBACK_PATH,
  LOGIN_SCOPES,
  authorizeEndpoint,
  beginLogin,
  callbackUrlFor,
  codeChallengeOf,
  completeLogin,
  signInAgainPath,
  type CallbackParameters,
  type LoginCompletion,
  type LoginStart,
} from './login.js';
export {
  LOGIN_COOKIE_LIFETIME_SECONDS,
  LOGIN_COOKIE_NAME,
  LOGIN_COOKIE_PATH,
  clearedLoginCookie,
  loginCookie,
  openLoginSession,
  readCookie,
  sealLoginSession,
  type LoginSession,
  type ResponseCookie,
} from './login-cookie.js';
export { loginErrorPage, type LoginPage } from './pages.js';
export {
  LOGIN_PATH,
  isAllowedRedirect,
  loginPathReturningTo,
  resolveReturnTo,
} from './redirects.js';
export {
  CLOCK_TOLERANCE_SECONDS,
  v1Issuer,
  v2Issuer,
  validateEntraToken,
  type TokenKind,
  type ValidateTokenOptions,
  type ValidatedToken,
} from './token.js';
