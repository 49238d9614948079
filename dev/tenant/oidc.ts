/**
 * Entra's v2 OIDC endpoints for one tenant: discovery, JWKS, authorize (a sign-in page listing
 * the tenant's users), token (authorization_code with PKCE, refresh_token, client_credentials;
 * a client secret or a certificate's client assertion) and logout. Errors come back the way Entra sends them.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE, checkClientAssertion } from './client-assertion.js';
import type { SimResponse } from './sim-response.js';
import type { UserObject } from './model.js';
import {
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  issueGraphAppToken,
  issueGraphDelegatedToken,
  issueUserToken,
  v2Issuer,
  type TokenContext,
} from './tokens.js';

const CODE_LIFETIME_MS = 10 * 60 * 1000;
const SESSION_LIFETIME_MS = 30 * 60 * 1000;
const TOKEN_LIFETIME_S = 3599;

interface PendingAuthorization {
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  responseMode: 'query' | 'form_post' | 'fragment';
  scope: string;
  createdAt: number;
}

interface IssuedCode {
  userId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  nonce: string | undefined;
  scope: string;
  expiresAt: number;
  redeemed: boolean;
}

interface RefreshGrant {
  userId: string;
  scope: string;
}

export interface OidcOptions {
  /** Refuse authorization requests without `code_challenge` (S256). Default true. */
  requirePkce: boolean;
}

export interface AuthorizeRequestRecord {
  at: string;
  params: Record<string, string>;
}

function htmlEscape(s: string): string {
  const entities: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#39;',
  };
  return s.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

function html(status: number, body: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body,
  };
}

function pageShell(title: string, inner: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${htmlEscape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}
main{max-width:440px;margin:48px auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.4rem;font-weight:600}ul{list-style:none;padding:0}
li a,button.account{display:block;width:100%;text-align:left;padding:10px 8px;border:0;border-top:1px solid #ddd;background:none;color:#000;text-decoration:none;font:inherit;cursor:pointer}
li a:hover,li a:focus{background:#eef}.upn{display:block;color:#555;font-size:.9em}
.cancel{display:inline-block;margin-top:16px}.banner{font-size:.8em;color:#a00}
</style></head><body><main>${inner}</main></body></html>`;
}

export class OidcProvider {
  private readonly sessions = new Map<string, PendingAuthorization>();
  private readonly codes = new Map<string, IssuedCode>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  /** The last authorize requests received (newest last), for tests to inspect. */
  readonly authorizeRequests: AuthorizeRequestRecord[] = [];

  constructor(
    private readonly ctx: TokenContext,
    private readonly options: OidcOptions,
  ) {}

  private get tenantId(): string {
    return this.ctx.directory.tenantId;
  }

  private get base(): string {
    return this.ctx.authorityHost;
  }

  /** True when the path's tenant segment names this tenant (its id or its domain). */
  knowsTenant(segment: string): boolean {
    const s = segment.toLowerCase();
    return s === this.tenantId || s === this.ctx.directory.domain.toLowerCase();
  }

  discovery(): SimResponse {
    const t = this.tenantId;
    const b = this.base;
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'max-age=86400, private',
      },
      body: {
        token_endpoint: `${b}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${b}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: v2Issuer(b, t),
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.ctx.graphEndpoint}/oidc/userinfo`,
        authorization_endpoint: `${b}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${b}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${b}/${t}/oauth2/v2.0/logout`,
        claims_supported: [
          'sub',
          'iss',
          'cloud_instance_name',
          'cloud_instance_host_name',
          'cloud_graph_host_name',
          'msgraph_host',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'ver',
          'at_hash',
          'c_hash',
          'email',
        ],
        code_challenge_methods_supported: ['S256'],
        kerberos_endpoint: `${b}/${t}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: new URL(this.ctx.graphEndpoint).host,
        rbac_url: 'https://pas.windows.net',
      },
    };
  }

  jwks(): SimResponse {
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'max-age=86400, private',
      },
      body: this.ctx.keys.jwks(v2Issuer(this.base, this.tenantId)),
    };
  }

  // ---------- errors ----------

  private static describe(
    code: number,
    message: string,
  ): { description: string; trace: string; correlation: string; timestamp: string } {
    const trace = randomUUID();
    const correlation = randomUUID();
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d{3}Z$/, 'Z');
    return {
      description: `AADSTS${code}: ${message} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
      trace,
      correlation,
      timestamp,
    };
  }

  /** A token-endpoint error in Entra's JSON shape. */
  static tokenError(status: number, error: string, code: number, message: string): SimResponse {
    const d = OidcProvider.describe(code, message);
    return {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: {
        error,
        error_description: d.description,
        error_codes: [code],
        timestamp: d.timestamp,
        trace_id: d.trace,
        correlation_id: d.correlation,
        error_uri: `https://login.microsoftonline.com/error?code=${code}`,
      },
    };
  }

  /** An error Entra shows on its own page (it cannot trust the redirect URI). */
  private errorPage(status: number, code: number, message: string): SimResponse {
    const d = OidcProvider.describe(code, message);
    return html(
      status,
      pageShell(
        'Sign in error',
        `<h1>Sorry, but we're having trouble signing you in.</h1><p role="alert" id="error-code">AADSTS${code}: ${htmlEscape(message)}</p><p class="banner">${htmlEscape(d.description)}</p>`,
      ),
    );
  }

  private respond(p: PendingAuthorization, params: Record<string, string>): SimResponse {
    const all: Record<string, string> = { ...params };
    if (p.state !== undefined) all.state = p.state;
    if (p.responseMode === 'form_post') {
      const inputs = Object.entries(all)
        .map(([k, v]) => `<input type="hidden" name="${htmlEscape(k)}" value="${htmlEscape(v)}">`)
        .join('');
      return html(
        200,
        `<!doctype html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()"><form method="POST" name="hiddenform" action="${htmlEscape(p.redirectUri)}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript></form></body></html>`,
      );
    }
    const qs = new URLSearchParams(all).toString();
    if (p.responseMode === 'fragment')
      return { status: 302, headers: { location: `${p.redirectUri}#${qs}` }, body: '' };
    const url = new URL(p.redirectUri);
    for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
    return {
      status: 302,
      headers: { location: url.toString(), 'cache-control': 'no-store' },
      body: '',
    };
  }

  private redirectError(
    p: PendingAuthorization,
    error: string,
    code: number,
    message: string,
  ): SimResponse {
    const d = OidcProvider.describe(code, message);
    return this.respond(p, {
      error,
      error_description: d.description,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    });
  }

  private redirectAllowed(uri: string): boolean {
    const app = this.ctx.directory.app;
    if (app.redirectUris.includes(uri)) return true;
    if (!app.allowLoopbackRedirects) return false;
    try {
      const u = new URL(uri);
      return (
        (u.protocol === 'http:' || u.protocol === 'https:') &&
        (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]') &&
        u.hash === ''
      );
    } catch {
      return false;
    }
  }

  // ---------- authorize ----------

  authorize(query: URLSearchParams): SimResponse {
    const params = Object.fromEntries(query);
    this.authorizeRequests.push({ at: new Date().toISOString(), params });
    if (this.authorizeRequests.length > 50) this.authorizeRequests.shift();
    const app = this.ctx.directory.app;
    const clientId = query.get('client_id');
    if (!clientId)
      return this.errorPage(
        400,
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    if (clientId.toLowerCase() !== app.clientId) {
      return this.errorPage(
        400,
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.ctx.directory.displayName}'.`,
      );
    }
    const redirectUri = query.get('redirect_uri');
    if (!redirectUri) return this.errorPage(400, 900971, 'No reply address provided.');
    if (!this.redirectAllowed(redirectUri)) {
      return this.errorPage(
        400,
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'.`,
      );
    }
    const modeParam = query.get('response_mode') ?? 'query';
    const responseMode =
      modeParam === 'form_post' || modeParam === 'fragment' ? modeParam : 'query';
    const p: PendingAuthorization = {
      redirectUri,
      state: query.get('state') ?? undefined,
      nonce: query.get('nonce') ?? undefined,
      codeChallenge: query.get('code_challenge') ?? undefined,
      responseMode,
      scope: query.get('scope') ?? '',
      createdAt: Date.now(),
    };
    if (modeParam !== 'query' && modeParam !== 'form_post' && modeParam !== 'fragment') {
      return this.redirectError(
        p,
        'invalid_request',
        900144,
        `The 'response_mode' parameter value '${modeParam}' is not supported.`,
      );
    }
    const responseType = query.get('response_type');
    if (responseType !== 'code') {
      return this.redirectError(
        p,
        'unsupported_response_type',
        700054,
        `response_type '${responseType ?? ''}' is not enabled for the application.`,
      );
    }
    if (!p.scope.split(' ').includes('openid')) {
      return this.redirectError(
        p,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'scope' with 'openid'.",
      );
    }
    const method = query.get('code_challenge_method');
    if (p.codeChallenge !== undefined) {
      if (method !== 'S256') {
        return this.redirectError(
          p,
          'invalid_request',
          501491,
          `Invalid code_challenge_method '${method ?? '(none: plain)'}': the simulated tenant accepts S256 only.`,
        );
      }
      if (!/^[A-Za-z0-9_-]{43}$/.test(p.codeChallenge)) {
        return this.redirectError(
          p,
          'invalid_request',
          501491,
          'Invalid size of Code_Challenge parameter.',
        );
      }
    } else if (this.options.requirePkce) {
      return this.redirectError(
        p,
        'invalid_request',
        9002325,
        'Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
      );
    }
    const prompt = query.get('prompt');
    const hint = query.get('login_hint');
    if (prompt === 'none') {
      const u = hint ? this.ctx.directory.findUser(hint) : undefined;
      if (!u?.accountEnabled) {
        return this.redirectError(
          p,
          'login_required',
          50058,
          'A silent sign-in request was sent but no user is signed in.',
        );
      }
      return this.issueCode(p, u);
    }
    const session = randomBytes(18).toString('base64url');
    this.sessions.set(session, p);
    this.prune();
    return html(200, this.signInPage(session, hint ?? undefined));
  }

  private signInPage(session: string, hint: string | undefined): string {
    const dir = this.ctx.directory;
    const t = this.tenantId;
    const users = [...dir.users.values()].filter((u) => u.accountEnabled);
    const items = users
      .map((u) => {
        const href = `/${t}/oauth2/v2.0/authorize/select?session=${session}&user=${u.id}`;
        const hinted =
          hint?.toLowerCase() === u.userPrincipalName.toLowerCase() ? ' aria-current="true"' : '';
        return `<li><a href="${htmlEscape(href)}" data-user-id="${u.id}" data-upn="${htmlEscape(u.userPrincipalName)}"${hinted}><span class="name">${htmlEscape(u.displayName)}</span><span class="upn">${htmlEscape(u.userPrincipalName)}</span></a></li>`;
      })
      .join('\n');
    return pageShell(
      `Sign in to your account`,
      `<p class="banner">Simulated Entra tenant (development only): no password is asked.</p>
<h1>Pick an account</h1>
<p>to continue to <strong>${htmlEscape(dir.app.displayName)}</strong> (${htmlEscape(dir.displayName)})</p>
<nav aria-label="Accounts"><ul>
${items}
</ul></nav>
<a class="cancel" href="/${t}/oauth2/v2.0/authorize/cancel?session=${session}">Cancel</a>`,
    );
  }

  /** The sign-in page's choice: `/{tid}/oauth2/v2.0/authorize/select?session=..&user=<id or upn>`. */
  select(query: URLSearchParams): SimResponse {
    const p = this.takeSession(query.get('session'));
    if (!p)
      return this.errorPage(
        400,
        50196,
        'The sign-in session has expired or was already used. Start the sign-in again.',
      );
    const u = this.ctx.directory.findUser(query.get('user') ?? '');
    if (!u)
      return this.redirectError(
        p,
        'invalid_request',
        50034,
        'The user account does not exist in this directory.',
      );
    if (!u.accountEnabled)
      return this.redirectError(p, 'access_denied', 50057, 'The user account is disabled.');
    return this.issueCode(p, u);
  }

  /** The sign-in page's Cancel: Entra's `access_denied`. */
  cancel(query: URLSearchParams): SimResponse {
    const p = this.takeSession(query.get('session'));
    if (!p)
      return this.errorPage(
        400,
        50196,
        'The sign-in session has expired or was already used. Start the sign-in again.',
      );
    return this.redirectError(
      p,
      'access_denied',
      65004,
      'User declined to consent to access the app.',
    );
  }

  private takeSession(id: string | null): PendingAuthorization | undefined {
    if (id === null) return undefined;
    const p = this.sessions.get(id);
    this.sessions.delete(id);
    if (!p || Date.now() - p.createdAt > SESSION_LIFETIME_MS) return undefined;
    return p;
  }

  private issueCode(p: PendingAuthorization, user: UserObject): SimResponse {
    const code = `1.${randomBytes(48).toString('base64url')}`;
    this.codes.set(code, {
      userId: user.id,
      redirectUri: p.redirectUri,
      codeChallenge: p.codeChallenge,
      nonce: p.nonce,
      scope: p.scope,
      expiresAt: Date.now() + CODE_LIFETIME_MS,
      redeemed: false,
    });
    return this.respond(p, { code, session_state: randomUUID() });
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, v] of this.sessions)
      if (now - v.createdAt > SESSION_LIFETIME_MS) this.sessions.delete(k);
    for (const [k, v] of this.codes) if (now > v.expiresAt + CODE_LIFETIME_MS) this.codes.delete(k);
  }

  // ---------- token ----------

  async token(form: URLSearchParams, authorization: string | undefined): Promise<SimResponse> {
    const app = this.ctx.directory.app;
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    if (authorization?.toLowerCase().startsWith('basic ') === true) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, i));
      secret = decodeURIComponent(decoded.slice(i + 1));
    }
    const grant = form.get('grant_type');
    if (!grant)
      return OidcProvider.tokenError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    if (!clientId)
      return OidcProvider.tokenError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    if (clientId.toLowerCase() !== app.clientId) {
      return OidcProvider.tokenError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.ctx.directory.displayName}'.`,
      );
    }
    const refused = await this.authenticateClient(form, clientId, secret);
    if (refused) return refused;
    switch (grant) {
      case 'client_credentials':
        return this.clientCredentials(form);
      case 'authorization_code':
        return this.authorizationCode(form);
      case 'refresh_token':
        return this.refresh(form);
      default:
        return OidcProvider.tokenError(
          400,
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${grant}'.`,
        );
    }
  }

  /** `undefined` when the request carries a valid client secret or client assertion. */
  private async authenticateClient(
    form: URLSearchParams,
    clientId: string,
    secret: string | null,
  ): Promise<SimResponse | undefined> {
    const app = this.ctx.directory.app;
    const assertion = form.get('client_assertion');
    const assertionType = form.get('client_assertion_type');
    if (assertion !== null || assertionType !== null) {
      if (secret) {
        return OidcProvider.tokenError(
          400,
          'invalid_request',
          900144,
          "The request must contain either 'client_assertion' or 'client_secret', not both.",
        );
      }
      if (assertionType !== CLIENT_ASSERTION_TYPE || !assertion) {
        return OidcProvider.tokenError(
          400,
          'invalid_request',
          900144,
          `The request body must contain the following parameters: 'client_assertion' and 'client_assertion_type' with the value '${CLIENT_ASSERTION_TYPE}'.`,
        );
      }
      const rejection = await checkClientAssertion({
        assertion,
        clientId,
        certificates: app.certificates,
        audiences: [this.ctx.directory.tenantId, this.ctx.directory.domain].map(
          (tenant) => `${this.base}/${tenant}/oauth2/v2.0/token`,
        ),
        now: new Date(),
      });
      return rejection === undefined
        ? undefined
        : OidcProvider.tokenError(401, 'invalid_client', rejection.code, rejection.message);
    }
    if (!secret) {
      return OidcProvider.tokenError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const a = Buffer.from(secret);
    const b = Buffer.from(app.clientSecret);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      return OidcProvider.tokenError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
    }
    return undefined;
  }

  private async clientCredentials(form: URLSearchParams): Promise<SimResponse> {
    const app = this.ctx.directory.app;
    const scope = (form.get('scope') ?? '').trim();
    if (!scope)
      return OidcProvider.tokenError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'scope'.",
      );
    const scopes = scope.split(/\s+/);
    const resource = scopes.find((s) => s.endsWith('/.default'));
    if (!resource || scopes.length !== 1) {
      return OidcProvider.tokenError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const r = resource.slice(0, -'/.default'.length).replace(/\/$/, '');
    const graph = [GRAPH_RESOURCE, GRAPH_APP_ID, this.ctx.graphEndpoint].includes(r);
    const self = r === `api://${app.clientId}` || r === app.clientId;
    if (!graph && !self) {
      return OidcProvider.tokenError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${r} was not found in the tenant named ${this.ctx.directory.displayName}.`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const accessToken = graph
      ? await issueGraphAppToken(this.ctx, TOKEN_LIFETIME_S)
      : await this.appTokenForSelf(now);
    return this.tokenResponse({
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_S,
      ext_expires_in: TOKEN_LIFETIME_S,
      access_token: accessToken,
    });
  }

  private appTokenForSelf(now: number): Promise<string> {
    const dir = this.ctx.directory;
    return new SignJWT({
      aud: `api://${dir.app.clientId}`,
      iss: `https://sts.windows.net/${dir.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + TOKEN_LIFETIME_S,
      appid: dir.app.clientId,
      appidacr: '1',
      idtyp: 'app',
      oid: dir.app.servicePrincipalId,
      sub: dir.app.servicePrincipalId,
      tid: dir.tenantId,
      // An app holds only the roles an application may be given, never the ones for people.
      roles: dir.app.appRoles
        .filter((r) => r.isEnabled && r.allowedMemberTypes.includes('Application'))
        .map((r) => r.value)
        .filter((v): v is string => typeof v === 'string'),
      ver: '1.0',
    })
      .setProtectedHeader({
        typ: 'JWT',
        alg: 'RS256',
        kid: this.ctx.keys.current.kid,
        x5t: this.ctx.keys.current.kid,
      })
      .sign(this.ctx.keys.current.privateKey);
  }

  private async authorizationCode(form: URLSearchParams): Promise<SimResponse> {
    const code = form.get('code');
    if (!code)
      return OidcProvider.tokenError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'code'.",
      );
    const c = this.codes.get(code);
    if (!c)
      return OidcProvider.tokenError(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid: the authorization code is unknown.',
      );
    if (c.redeemed) {
      return OidcProvider.tokenError(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    if (Date.now() > c.expiresAt) {
      return OidcProvider.tokenError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    }
    const redirectUri = form.get('redirect_uri');
    if (redirectUri !== c.redirectUri) {
      return OidcProvider.tokenError(
        400,
        'invalid_grant',
        500112,
        `The reply address '${redirectUri ?? ''}' does not match the reply address '${c.redirectUri}' provided when requesting Authorization code.`,
      );
    }
    const verifier = form.get('code_verifier');
    if (c.codeChallenge !== undefined) {
      const computed =
        verifier === null ? '' : createHash('sha256').update(verifier).digest('base64url');
      if (verifier === null || computed !== c.codeChallenge) {
        return OidcProvider.tokenError(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    const user = this.ctx.directory.users.get(c.userId);
    if (!user)
      return OidcProvider.tokenError(
        400,
        'invalid_grant',
        50034,
        'The user account does not exist in this directory.',
      );
    if (!user.accountEnabled)
      return OidcProvider.tokenError(400, 'invalid_grant', 50057, 'The user account is disabled.');
    c.redeemed = true;
    return this.userTokens(user, c.scope, c.nonce);
  }

  private async refresh(form: URLSearchParams): Promise<SimResponse> {
    const rt = form.get('refresh_token') ?? '';
    const g = this.refreshTokens.get(rt);
    if (!g)
      return OidcProvider.tokenError(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid: the refresh token is unknown.',
      );
    const user = this.ctx.directory.users.get(g.userId);
    if (!user?.accountEnabled)
      return OidcProvider.tokenError(
        400,
        'invalid_grant',
        50057,
        'The user account is disabled or deleted.',
      );
    this.refreshTokens.delete(rt);
    return this.userTokens(user, form.get('scope') ?? g.scope, undefined);
  }

  private async userTokens(
    user: UserObject,
    scope: string,
    nonce: string | undefined,
  ): Promise<SimResponse> {
    const app = this.ctx.directory.app;
    const scopes = scope.split(/\s+/).filter(Boolean);
    const oidcScopes = new Set(['openid', 'profile', 'email', 'offline_access']);
    const apiPrefixes = [`api://${app.clientId}/`, `${app.clientId}/`];
    const apiScopes = scopes.filter((s) => apiPrefixes.some((p) => s.startsWith(p)));
    let accessToken: string;
    let grantedScope: string;
    if (apiScopes.length > 0) {
      const names = apiScopes
        .map((s) => s.slice(s.lastIndexOf('/') + 1))
        .filter((s) => s !== '.default');
      grantedScope = apiScopes.join(' ');
      accessToken = await issueUserToken(this.ctx, {
        userId: user.id,
        version: 2,
        scopes: names.join(' ') || 'access_as_user',
        expiresInSeconds: TOKEN_LIFETIME_S,
      });
    } else {
      const graphScopes = scopes
        .filter((s) => !oidcScopes.has(s))
        .map((s) => s.replace(/^https:\/\/graph\.microsoft\.com\//, ''));
      const scp = [...new Set([...graphScopes, 'openid', 'profile', 'email', 'User.Read'])]
        .filter((s) => s !== '.default')
        .join(' ');
      grantedScope = scp;
      accessToken = await issueGraphDelegatedToken(this.ctx, user, scp, TOKEN_LIFETIME_S);
    }
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: grantedScope,
      expires_in: TOKEN_LIFETIME_S,
      ext_expires_in: TOKEN_LIFETIME_S,
      access_token: accessToken,
    };
    if (scopes.includes('openid')) {
      const idOpts =
        nonce === undefined
          ? { userId: user.id, version: 2 as const }
          : { userId: user.id, version: 2 as const, nonce };
      body.id_token = await issueUserToken(this.ctx, idOpts);
    }
    if (scopes.includes('offline_access')) {
      const rt = `1.${randomBytes(48).toString('base64url')}`;
      this.refreshTokens.set(rt, { userId: user.id, scope });
      body.refresh_token = rt;
    }
    return this.tokenResponse(body);
  }

  private tokenResponse(body: Record<string, unknown>): SimResponse {
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        pragma: 'no-cache',
      },
      body,
    };
  }

  logout(query: URLSearchParams): SimResponse {
    const target = query.get('post_logout_redirect_uri');
    if (target && this.redirectAllowed(target)) {
      const url = new URL(target);
      const state = query.get('state');
      if (state !== null) url.searchParams.set('state', state);
      return { status: 302, headers: { location: url.toString() }, body: '' };
    }
    return html(
      200,
      pageShell(
        'Signed out',
        "<h1>You signed out of your account</h1><p>It's a good idea to close all browser windows.</p>",
      ),
    );
  }
}
