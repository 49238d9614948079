/**
 * Hostile requests for every route: paths built from the registered route templates with
 * percent-encoding edge cases, traversal, unicode and very long segments; methods; Host,
 * Content-Type, Cookie and Authorization garbage; Content-Length lies; bodies of every kind
 * (JSON, deeply nested JSON, forms, invalid UTF-8, Graph-shaped notifications, oversized).
 * Every string an attacker controls may carry MARKUP, so an unescaped echo is visible.
 */
import fc from 'fast-check';
import type { HttpFunctionDefinition } from '../../functions/registry.js';
import { CLIENT_STATE, groupChange } from '../support/notifications.js';
import { S } from '../support/sample-tenant.js';

/** Markup that must never come back raw in an HTML page. */
export const MARKUP = '<fz-x onload="1">\'&';

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    MARKUP,
    `${MARKUP}</script><script>alert(1)</script>`,
    '../../../../etc/passwd',
    '..\\..\\windows\\win.ini',
    "' or 1 eq 1 or PartitionKey ne '",
    'PartitionKey eq \u0027x\u0027',
    '\u202e\u2066evil\u0000\r\nX-Injected: 1',
    '\u001b[2J\u001b]0;owned\u0007',
    '😀'.repeat(40),
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    'javascript:alert(1)',
    'x'.repeat(300),
    S.ava,
    S.evals,
    '',
  ),
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
    .map(([a, b]) => `${a}${MARKUP}${b}`),
);

/** A path segment as it goes on the wire. */
const segment = fc.oneof(
  { weight: 4, arbitrary: hostile.map(encodeURIComponent) },
  { weight: 3, arbitrary: fc.constantFrom(S.evals, S.ava, S.prodTeam, 'manual-team', 'run-1') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '%E0%A4%A',
      '%',
      '%%',
      '%zz',
      '%00',
      '%0a',
      '%0d%0a',
      '%2e%2e',
      '..',
      '.',
      '%2F',
      '%252F',
      '%5C',
      '%C0%AE%C0%AE',
      '%FF%FE',
      '%ED%A0%80',
      '%F4%90%80%80',
      '%EF%BB%BF',
      '%3Cfz-x%3E',
      '%22%3E%3Cfz-x%3E',
      "'",
      '"',
      '~',
      '*',
      ';',
      '@',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 12_000 }).map((n) => 'a'.repeat(n)) },
  // Raw bytes 0x21-0xff, sent unencoded (Node's client sends them as latin1 bytes).
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0x21, max: 0xff }).map((code) => String.fromCharCode(code)),
      maxLength: 16,
    }),
  },
);

function fillTemplate(route: string): fc.Arbitrary<string> {
  const parts = route
    .split('/')
    .map((part) =>
      /^\{[^}]+\}$/.test(part)
        ? fc.option(segment, { nil: undefined, freq: part.endsWith('?}') ? 3 : 8 })
        : fc.oneof(
            { weight: 9, arbitrary: fc.constant(part) },
            { weight: 1, arbitrary: fc.constant(part.toUpperCase()) },
          ),
    );
  return fc
    .tuple(
      fc.tuple(...parts),
      fc.oneof(
        { weight: 6, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 2 }) },
      ),
    )
    .map(([filled, extra]) =>
      [...filled.filter((part): part is string => part !== undefined), ...extra].join('/'),
    );
}

const QUERY_NAMES = [
  'validationToken',
  'redirect',
  'code',
  'state',
  'error',
  'error_description',
  'page',
  'limit',
  'runId',
  'teamId',
  'source',
  '$filter',
  'x',
];

const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(...QUERY_NAMES),
      fc.oneof(
        { weight: 6, arbitrary: hostile.map(encodeURIComponent) },
        { weight: 1, arbitrary: segment },
      ),
    ),
    {
      maxLength: 4,
    },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

const ANY_METHOD = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** A method and a path: mostly a registered route with its own method, sometimes anything. */
export function target(
  routes: readonly HttpFunctionDefinition[],
): fc.Arbitrary<{ method: string; path: string }> {
  const routed = fc.constantFrom(...routes).chain((definition) =>
    fc.record({
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...definition.methods) },
        { weight: 1, arbitrary: fc.constantFrom(...ANY_METHOD) },
      ),
      path: fillTemplate(definition.route).map((path) => `/api/${path}`),
    }),
  );
  const elsewhere = fc.record({
    method: fc.constantFrom(...ANY_METHOD),
    path: fc.oneof(
      fc.constantFrom(
        '/',
        '/api',
        '/api/',
        '//api//health',
        '/API/HEALTH',
        '/api/../api/health',
        '/api/%2e%2e/admin/functions/reconcileTimer',
      ),
      fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    ),
  });
  // The host's admin route: any name, POST mostly (it runs a timer function: 202).
  const admin = fc.record({
    method: fc.constantFrom('POST', 'POST', 'GET'),
    path: fc
      .oneof(
        fc.constantFrom('delta', 'subscriptionUpkeep', 'DELTA', 'syncMe', 'groupSyncWorker'),
        segment,
      )
      .map((name) => `/admin/functions/${name}`),
  });
  return fc
    .tuple(
      fc.oneof(
        { weight: 14, arbitrary: routed },
        { weight: 1, arbitrary: elsewhere },
        { weight: 1, arbitrary: admin },
      ),
      query,
    )
    .map(([{ method, path }, search]) => ({ method, path: `${path}${search}` }));
}

/** A header value as bytes: UTF-8 sent as latin1 characters, control characters left out. */
// eslint-disable-next-line no-control-regex -- Node refuses these in a header; the server never sees them.
const HEADER_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

function headerValue(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1').replace(HEADER_CONTROL, '');
}

const hostHeader = fc.oneof(
  { weight: 20, arbitrary: fc.constant('loopback') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'a b',
      '',
      'evil.example',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '[::1',
      'localhost:99999',
      '%00',
      '☃.localhost',
    ),
  },
);

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-7',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'text/plain',
  'text/html',
  'application/xml',
  '*/*',
  ';;;',
  'application/json\u00ff',
);

const cookie = fc.oneof(
  fc.constant(undefined),
  hostile.map((text) => `mishikallm_console=${text}`),
  hostile.map((text) => `mishikallm_sso_login=${text}`),
  hostile,
  fc.constantFrom(
    'a=b; a=c; ;;=;',
    '=',
    `${'x'.repeat(4000)}=1`,
    'mishikallm_console=e30.e30.AAAA',
  ),
);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'bearer a.b.c',
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
    'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.x',
    'Bearer a.b.c.d.e',
    `Bearer ${'A'.repeat(40_000)}`,
    'Basic YWRtaW46YWRtaW4=',
    'Bearer \u00ff\u00fe',
  ),
  hostile.map((text) => `Bearer ${text}`),
  // A header that decodes, with claims an attacker chose.
  fc
    .record({
      alg: fc.constantFrom('RS256', 'none', 'HS256', '€'),
      typ: hostile,
      kid: hostile,
      crit: fc.option(fc.array(hostile)),
    })
    .map(
      (header) =>
        `Bearer ${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify({ tid: MARKUP, oid: '😀' })).toString('base64url')}.c2ln`,
    ),
);

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 100, max: 20_000 }),
        fc.constantFrom('array' as const, 'object' as const),
      )
      .map(([depth, kind]) => Buffer.from(nested(depth, kind))),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.constantFrom(
            'csrf',
            'heldRunId',
            'code',
            'state',
            'error',
            'error_description',
            'id_token',
            'nonce',
            'x',
          ),
          hostile,
        ),
        { maxLength: 5 },
      )
      .map((fields) => Buffer.from(new URLSearchParams(fields).toString())),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc.constant(Buffer.from([0xff, 0xfe, 0xc0, 0xae, 0x7b, 0xed, 0xa0, 0x80])),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(S.evals, S.marketing, MARKUP, '00000000-0000-0000-0000-000000000000'),
        fc.constantFrom(CLIENT_STATE, MARKUP, ''),
        fc.constantFrom('updated', 'deleted', MARKUP),
      )
      .map(([groupId, clientState, changeType]) =>
        Buffer.from(JSON.stringify({ value: [groupChange(groupId, clientState, changeType)] })),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 5_000, max: 200_000 }).map((n) => Buffer.alloc(n, 'x')),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 5_000, max: 200_000 })
      .map((n) => Buffer.from(`{"nonce":"${'n'.repeat(n)}"}`)),
  },
);

/** How the declared length relates to the body: true, shorter, or not a number at all. */
const lengthLie = fc.oneof(
  { weight: 12, arbitrary: fc.constant('true' as const) },
  { weight: 1, arbitrary: fc.constant('shorter' as const) },
  { weight: 1, arbitrary: fc.constant('garbage' as const) },
);

export type Identity = 'anonymous' | 'session' | 'bearer';

export interface FuzzCase {
  readonly target: { readonly method: string; readonly path: string };
  readonly host: string;
  readonly contentType: string | undefined;
  readonly cookie: string | undefined;
  readonly authorization: string | undefined;
  readonly body: Buffer | undefined;
  readonly lengthLie: 'true' | 'shorter' | 'garbage';
  /** Whose credentials ride along (valid ones, beside the garbage). */
  readonly identity: Identity;
  /** Put the session's real CSRF token into a form body. */
  readonly withCsrf: boolean;
}

export function fuzzCase(routes: readonly HttpFunctionDefinition[]): fc.Arbitrary<FuzzCase> {
  return fc.record({
    target: target(routes),
    host: hostHeader.map(headerValue),
    contentType: contentType.map((value) => (value === undefined ? undefined : headerValue(value))),
    cookie: cookie.map((value) => (value === undefined ? undefined : headerValue(value))),
    authorization: authorization.map((value) =>
      value === undefined ? undefined : headerValue(value),
    ),
    body,
    lengthLie,
    identity: fc.constantFrom(
      'anonymous' as const,
      'anonymous' as const,
      'session' as const,
      'bearer' as const,
    ),
    withCsrf: fc.boolean(),
  });
}
