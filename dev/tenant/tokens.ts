/**
 * Signing keys (RS256, rotatable) and tokens shaped like Entra's v1 and v2 tokens.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  SignJWT,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  decodeProtectedHeader,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { Directory, UserObject } from './model.js';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  createdAt: Date;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    extractable: true,
    modulusLength: 2048,
  });
  const { n, e } = await exportJWK(publicKey);
  if (n === undefined || e === undefined) throw new Error('an RSA public key without n or e');
  // Entra's kid is a base64url thumbprint-like string; a random one of the same length does.
  const kid = randomBytes(20).toString('base64url').slice(0, 27);
  return {
    kid,
    privateKey,
    publicJwk: { kty: 'RSA', use: 'sig', kid, x5t: kid, n, e },
    createdAt: new Date(),
  };
}

/**
 * The tenant's keys. `published` is what the JWKS serves (the current key, plus the previous
 * one when a rotation keeps it); `known` is every key the tenant ever signed with, which the
 * simulated Graph keeps accepting (as Graph does for tokens within their lifetime).
 */
export class KeyRing {
  private published: SigningKey[] = [];
  private readonly known = new Map<string, SigningKey>();

  static async create(): Promise<KeyRing> {
    const ring = new KeyRing();
    const k = await newKey();
    ring.published = [k];
    ring.known.set(k.kid, k);
    return ring;
  }

  get current(): SigningKey {
    const k = this.published[0];
    if (!k) throw new Error('no signing key');
    return k;
  }

  /** A new current key; the old one leaves the JWKS unless `keepPrevious`. Returns the new kid. */
  async rotate(keepPrevious = false): Promise<string> {
    const k = await newKey();
    this.known.set(k.kid, k);
    this.published = keepPrevious ? [k, this.current] : [k];
    return k.kid;
  }

  /** The JWKS document; like Entra's tenant-specific one, each key names its issuer. */
  jwks(issuer: string): { keys: JWK[] } {
    return { keys: this.published.map((k) => ({ ...k.publicJwk, issuer })) };
  }

  knownKey(kid: string): SigningKey | undefined {
    return this.known.get(kid);
  }
}

export type TokenAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'HS256' | 'none';

export interface IssueTokenOptions {
  /** Object id (or UPN) of a user in the tenant. */
  userId: string;
  /** Token version: 2 (default, v2 issuer) or 1 (`https://sts.windows.net/{tid}/`). */
  version?: 1 | 2;
  /** Default: the client id (v2) or the app id URI `api://<clientId>` (v1). */
  audience?: string;
  /** Overrides the issuer (e.g. to test a wrong one). */
  issuer?: string;
  /** Lifetime, default 3600. Negative makes an expired token. */
  expiresInSeconds?: number;
  /** Added to `nbf` (positive = not valid yet). Default 0. */
  notBeforeOffsetSeconds?: number;
  /** Shifts `iat`/`nbf`/`exp` (e.g. -7200 issues a token "two hours ago"). Default 0. */
  issuedAtOffsetSeconds?: number;
  nonce?: string;
  /** Overrides the `tid` claim (the issuer follows unless `issuer` is given). */
  tenantId?: string;
  /** Overrides the `kid` header (signed with the current key). */
  kid?: string;
  /** Signs with a fresh key that is not in the JWKS (its kid is unknown). */
  signWithUnknownKey?: boolean;
  /** Default RS256. `HS256` signs with the client secret, `none` leaves it unsigned. */
  algorithm?: TokenAlgorithm;
  /**
   * Extra protected-header parameters (`crit`, `jku`, ...), signed RS256 with the current key
   * as given: jose refuses to sign some of them (an unknown `crit`), a hostile issuer would not.
   */
  header?: Record<string, unknown>;
  /**
   * `true`: the user's transitive groups (as the app's groupMembershipClaims selects);
   * a list: exactly those ids; `false`: no claim. Past 200 groups the overage form is used.
   * Default: true unless the app's groupMembershipClaims is 'None'.
   */
  includeGroups?: boolean | string[];
  /** `scp` claim (delegated scopes), e.g. 'access_as_user'. */
  scopes?: string;
  /**
   * `roles` claim. Default: the values of the app roles the user holds, directly or through a
   * group they are a direct member of (absent when none), as Entra issues it.
   */
  roles?: string[];
  /** Claims to leave out (e.g. ['email', 'oid']). */
  omit?: string[];
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
}

export const GROUPS_OVERAGE_LIMIT = 200;
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

export interface TokenContext {
  directory: Directory;
  keys: KeyRing;
  authorityHost: string;
  graphEndpoint: string;
}

export function v2Issuer(authorityHost: string, tid: string): string {
  return `${authorityHost}/${tid}/v2.0`;
}

export function v1Issuer(tid: string): string {
  return `https://sts.windows.net/${tid}/`;
}

/** A pairwise subject like Entra's (stable per user and app). */
function pairwiseSub(oid: string, clientId: string): string {
  return createHash('sha256').update(`${oid}:${clientId}`).digest('base64url').slice(0, 43);
}

function groupsFor(
  ctx: TokenContext,
  user: UserObject,
  include: boolean | string[] | undefined,
): string[] | undefined {
  if (Array.isArray(include)) return include;
  const mode = ctx.directory.app.groupMembershipClaims;
  if (include === false || (include === undefined && mode === 'None')) return undefined;
  return ctx.directory
    .transitiveParents(user.id)
    .filter((g) => mode === 'All' || ctx.directory.groups.get(g)?.securityEnabled === true);
}

async function sign(
  payload: JWTPayload,
  kid: string,
  key: CryptoKey | Uint8Array,
  alg: TokenAlgorithm,
): Promise<string> {
  if (alg === 'none') {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${enc({ typ: 'JWT', alg: 'none' })}.${enc(payload)}.`;
  }
  const header = alg === 'HS256' ? { typ: 'JWT', alg } : { typ: 'JWT', alg, kid, x5t: kid };
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

async function signRaw(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  ctx: TokenContext,
): Promise<string> {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc(header)}.${enc(payload)}`;
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    ctx.keys.current.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/** A user token (ID token or access token for this app) shaped like Entra's. */
export async function issueUserToken(ctx: TokenContext, opts: IssueTokenOptions): Promise<string> {
  const { directory } = ctx;
  const user = directory.requireUser(opts.userId);
  const version = opts.version ?? 2;
  const tid = opts.tenantId ?? directory.tenantId;
  const now = Math.floor(Date.now() / 1000) + (opts.issuedAtOffsetSeconds ?? 0);
  const lifetime = opts.expiresInSeconds ?? 3600;
  const clientId = directory.app.clientId;
  const payload: Record<string, unknown> = {
    aud: opts.audience ?? (version === 2 ? clientId : `api://${clientId}`),
    iss: opts.issuer ?? (version === 2 ? v2Issuer(ctx.authorityHost, tid) : v1Issuer(tid)),
    iat: now,
    nbf: now + (opts.notBeforeOffsetSeconds ?? 0),
    exp: now + lifetime,
    aio: randomBytes(24).toString('base64url'),
    name: user.displayName,
    oid: user.id,
    rh: `0.${randomBytes(16).toString('base64url')}.`,
    sub: pairwiseSub(user.id, clientId),
    tid,
    uti: randomBytes(16).toString('base64url'),
    ver: version === 2 ? '2.0' : '1.0',
  };
  if (user.mail) payload.email = user.mail;
  if (version === 2) {
    payload.preferred_username = user.userPrincipalName;
  } else {
    payload.upn = user.userPrincipalName;
    payload.unique_name = user.userPrincipalName;
    payload.appid = clientId;
    payload.appidacr = '1';
    if (user.givenName) payload.given_name = user.givenName;
    if (user.surname) payload.family_name = user.surname;
  }
  if (opts.nonce !== undefined) payload.nonce = opts.nonce;
  if (opts.scopes !== undefined) payload.scp = opts.scopes;
  const roles = opts.roles ?? directory.appRoleValuesOf(user.id);
  if (opts.roles !== undefined || roles.length > 0) payload.roles = roles;
  const groups = groupsFor(ctx, user, opts.includeGroups);
  if (groups !== undefined) {
    if (groups.length > GROUPS_OVERAGE_LIMIT) {
      payload._claim_names = { groups: 'src1' };
      payload._claim_sources = {
        src1: { endpoint: `${ctx.graphEndpoint}/v1.0/users/${user.id}/getMemberObjects` },
      };
    } else {
      payload.groups = groups;
    }
  }
  Object.assign(payload, opts.claims);
  for (const c of opts.omit ?? []) Reflect.deleteProperty(payload, c);
  return signPayload(ctx, payload, opts);
}

async function signPayload(
  ctx: TokenContext,
  payload: Record<string, unknown>,
  opts: Pick<IssueTokenOptions, 'algorithm' | 'kid' | 'signWithUnknownKey' | 'header'>,
): Promise<string> {
  const alg = opts.algorithm ?? 'RS256';
  if (opts.header !== undefined) {
    const kid = opts.kid ?? ctx.keys.current.kid;
    return signRaw({ typ: 'JWT', alg: 'RS256', kid, x5t: kid, ...opts.header }, payload, ctx);
  }
  if (alg === 'HS256') {
    return sign(payload, '', new TextEncoder().encode(ctx.directory.app.clientSecret), alg);
  }
  if (opts.signWithUnknownKey === true || (alg !== 'RS256' && alg !== 'none')) {
    // RS384/RS512/PS256 keys are fresh too: the JWKS only advertises RS256 keys.
    const stray =
      alg === 'RS256' || alg === 'none'
        ? await generateKeyPair('RS256')
        : await generateKeyPair(alg);
    const kid =
      opts.signWithUnknownKey === true
        ? randomBytes(20).toString('base64url').slice(0, 27)
        : (opts.kid ?? ctx.keys.current.kid);
    return sign(payload, kid, stray.privateKey, alg);
  }
  return sign(payload, opts.kid ?? ctx.keys.current.kid, ctx.keys.current.privateKey, alg);
}

/** An app-only access token for Microsoft Graph (client credentials), v1 like Graph's. */
export async function issueGraphAppToken(ctx: TokenContext, lifetime = 3599): Promise<string> {
  const { directory } = ctx;
  const now = Math.floor(Date.now() / 1000);
  return signPayload(
    ctx,
    {
      aud: GRAPH_RESOURCE,
      iss: v1Issuer(directory.tenantId),
      iat: now,
      nbf: now,
      exp: now + lifetime,
      aio: randomBytes(24).toString('base64url'),
      app_displayname: directory.app.displayName,
      appid: directory.app.clientId,
      appidacr: '1',
      idp: v1Issuer(directory.tenantId),
      idtyp: 'app',
      oid: directory.app.servicePrincipalId,
      rh: `0.${randomBytes(16).toString('base64url')}.`,
      roles: ['GroupMember.Read.All', 'User.Read.All', 'Application.Read.All'],
      sub: directory.app.servicePrincipalId,
      tid: directory.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
    },
    {},
  );
}

/** A delegated Graph token (what the code flow returns when no API scope of this app is asked). */
export async function issueGraphDelegatedToken(
  ctx: TokenContext,
  user: UserObject,
  scopes: string,
  lifetime = 3599,
): Promise<string> {
  const { directory } = ctx;
  const now = Math.floor(Date.now() / 1000);
  return signPayload(
    ctx,
    {
      aud: GRAPH_APP_ID,
      iss: v1Issuer(directory.tenantId),
      iat: now,
      nbf: now,
      exp: now + lifetime,
      app_displayname: directory.app.displayName,
      appid: directory.app.clientId,
      idtyp: 'user',
      name: user.displayName,
      oid: user.id,
      scp: scopes,
      sub: pairwiseSub(user.id, GRAPH_APP_ID),
      tid: directory.tenantId,
      unique_name: user.userPrincipalName,
      upn: user.userPrincipalName,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
    },
    {},
  );
}

export interface GraphCaller {
  kind: 'app' | 'user';
  oid: string;
}

/** Validates a bearer token presented to the simulated Graph; throws a message on failure. */
export async function verifyGraphToken(ctx: TokenContext, token: string): Promise<GraphCaller> {
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    kid = header.kid;
    if (header.alg !== 'RS256') throw new Error('alg');
  } catch {
    throw new Error(
      'Invalid JWT token. The token is malformed or uses an unsupported signing algorithm.',
    );
  }
  const key = kid === undefined ? undefined : ctx.keys.knownKey(kid);
  if (!key)
    throw new Error('Access token validation failure. Invalid signature: unknown signing key.');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, await importJWK(key.publicJwk, 'RS256'), {
      clockTolerance: 300,
    }));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') {
      throw new Error('Lifetime validation failed, the token is expired.', { cause: err });
    }
    throw new Error('Access token validation failure. Invalid signature or claims.', {
      cause: err,
    });
  }
  const aud = payload.aud;
  const audOk = [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID, ctx.graphEndpoint].some((a) =>
    Array.isArray(aud) ? aud.includes(a) : aud === a,
  );
  if (!audOk) throw new Error('Access token validation failure. Invalid audience.');
  if (payload.tid !== ctx.directory.tenantId)
    throw new Error('Access token validation failure. Invalid tenant.');
  const oid = typeof payload.oid === 'string' ? payload.oid : '';
  return { kind: payload.idtyp === 'user' ? 'user' : 'app', oid };
}

export function newId(): string {
  return randomUUID();
}
