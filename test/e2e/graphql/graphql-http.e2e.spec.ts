import { jest } from '@jest/globals';
import { CognitoAuthenticator, JwtValidationService } from '../../../src/index.js';
import { type IssuedTokens, TestIdentityProvider } from '../../../src/testing/index.js';
import { findLeaks } from '../../support/capture-logger.js';
import { cookieValue } from '../../support/cookies.js';
import {
  createGraphqlApp,
  deadUrl,
  type GqlResponse,
  type GraphqlDriverName,
  type GraphqlTestApp,
  subscribeOnce,
} from '../../support/graphql-app.js';
import { seedHeaders } from '../../support/test-app.js';

const DRIVERS: readonly GraphqlDriverName[] = ['apollo', 'mercurius'];
const ME = '{ me { sub email groups } }';

/** The one refusal of a response: HTTP 200, the field null, our code and status in `extensions`. */
function expectRefusal(res: GqlResponse, code: string, status: number, field = 'me'): void {
  expect(res.status).toBe(200);
  expect(res.body.data?.[field]).toBeNull();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors![0].path).toEqual([field]);
  expect(res.body.errors![0].extensions).toEqual({ code, status });
}

function tokenStrings(...sets: IssuedTokens[]): string[] {
  return sets.flatMap((t) => [t.accessToken, t.idToken, t.refreshToken]);
}

function errorLines(t: GraphqlTestApp): string[] {
  return t.logger.lines.filter((line) => line.startsWith('error'));
}

describe.each(DRIVERS)('GraphQL queries and mutations over HTTP (%s)', (driver) => {
  let idp: TestIdentityProvider;
  let t: GraphqlTestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createGraphqlApp(driver, idp.moduleOptions());
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('no token: 200, the guarded field null with token_missing / 401 and our message; the @Public() field answers', async () => {
    const res = await t.query('{ me { sub } open }');
    expectRefusal(res, 'token_missing', 401);
    expect(res.body.errors![0].message).toBe('Authentication token missing');
    expect(res.body.data).toEqual({ me: null, open: 'anonymous' });
    expect(errorLines(t)).toEqual([]);
  });

  it('a valid pair: @CurrentUser() and @CognitoClaims() are filled, from the seed headers or Bearer + IDTOKEN', async () => {
    const tokens = await idp.issueTokens({ sub: 'gql-1', email: 'gql1@example.test', groups: ['staff'] });
    const query = '{ me { sub email groups } claims { access id } open }';
    const expected = {
      me: { sub: 'gql-1', email: 'gql1@example.test', groups: ['staff'] },
      claims: { access: 'gql-1', id: 'gql-1' },
      open: 'gql-1',
    };
    const seed = await t.query(query, seedHeaders({ ...tokens, refreshToken: undefined }));
    expect(seed.status).toBe(200);
    expect(seed.body).toEqual({ data: expected });
    const bearer = await t.query(query, { Authorization: `Bearer ${tokens.accessToken}`, IDTOKEN: tokens.idToken });
    expect(bearer.body).toEqual({ data: expected });
  });

  it('a query with several guarded fields authenticates once', async () => {
    const spy = jest.spyOn(t.app.get(CognitoAuthenticator), 'authenticateNow');
    try {
      const tokens = await idp.issueTokens({ sub: 'once' });
      const res = await t.query('{ a: me { sub } b: me { sub } claims { id } }', seedHeaders(tokens));
      expect(res.body).toEqual({ data: { a: { sub: 'once' }, b: { sub: 'once' }, claims: { id: 'once' } } });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('@Public(): anonymous without a token or with a bad one, the caller with a valid one', async () => {
    const tokens = await idp.issueTokens({ sub: 'pub-1' });
    expect((await t.query('{ open }')).body).toEqual({ data: { open: 'anonymous' } });
    expect((await t.query('{ open }', seedHeaders(tokens))).body).toEqual({ data: { open: 'pub-1' } });
    const bad = await t.query('{ open }', { ACCESSTOKEN: 'x.y.z', IDTOKEN: tokens.idToken });
    expect(bad.body).toEqual({ data: { open: 'anonymous' } });
  });

  it('@Groups: the field for a member; forbidden_group / 403 for the others, and their other fields answer', async () => {
    const admin = await idp.issueTokens({ sub: 'adm', groups: ['admin'] });
    const staff = await idp.issueTokens({ sub: 'stf', groups: ['staff'] });
    expect((await t.query('{ admin }', seedHeaders(admin))).body).toEqual({ data: { admin: 'ok' } });
    const res = await t.query('{ admin me { sub } }', seedHeaders(staff));
    expectRefusal(res, 'forbidden_group', 403, 'admin');
    expect(res.body.data).toEqual({ admin: null, me: { sub: 'stf' } });
  });

  it('a mutation is guarded the same way', async () => {
    const tokens = await idp.issueTokens({ sub: 'mut-1' });
    expect((await t.query('mutation { touch }', seedHeaders(tokens))).body).toEqual({ data: { touch: 'mut-1' } });
    expectRefusal(await t.query('mutation { touch }'), 'token_missing', 401, 'touch');
  });

  it('one of two tokens: token_missing naming the other', async () => {
    const tokens = await idp.issueTokens();
    const res = await t.query(ME, { ACCESSTOKEN: tokens.accessToken });
    expectRefusal(res, 'token_missing', 401);
    expect(res.body.errors![0].message).toMatch(/ID token/);
  });

  it('a bad token and a token of the wrong use are token_invalid, and neither is echoed or logged', async () => {
    const tokens = await idp.issueTokens();
    const forged = `${tokens.accessToken.slice(0, -4)}AAAA`;
    const bad = await t.query(ME, { ACCESSTOKEN: forged, IDTOKEN: tokens.idToken });
    expectRefusal(bad, 'token_invalid', 401);
    const wrongUse = await t.query(ME, { ACCESSTOKEN: tokens.idToken, IDTOKEN: tokens.idToken });
    expectRefusal(wrongUse, 'token_invalid', 401);
    expect(findLeaks([bad.text, wrongUse.text, ...t.logger.lines], [forged, ...tokenStrings(tokens)])).toEqual([]);
  });

  it('an expired pair without a refresh token: token_expired', async () => {
    const tokens = await idp.issueTokens({ expiresInSeconds: -120 });
    const res = await t.query(ME, seedHeaders({ ...tokens, refreshToken: undefined }));
    expectRefusal(res, 'token_expired', 401);
  });

  it('an expired pair with a refresh token: refreshed once, answered, the new tokens in the response headers', async () => {
    const tokens = await idp.issueTokens({ sub: 'exp-1', expiresInSeconds: -120 });
    const before = idp.stats.initiateAuth;
    const res = await t.query('{ me { sub } claims { id } }', seedHeaders(tokens));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { sub: 'exp-1' }, claims: { id: 'exp-1' } } });
    expect(idp.stats.initiateAuth - before).toBe(1);
    const access = res.headers.get('accesstoken');
    const id = res.headers.get('idtoken');
    expect(access).toBeTruthy();
    expect(access).not.toBe(tokens.accessToken);
    expect(res.headers.get('access-control-expose-headers')).toContain('ACCESSTOKEN');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const verified = await t.app.get(JwtValidationService).verifyPair(id!, access!);
    expect(verified.access.sub).toBe('exp-1');
    expect(findLeaks([res.text, ...t.logger.lines], [...tokenStrings(tokens), access!, id!])).toEqual([]);
  });

  it('a refresh token Cognito refuses: refresh_failed', async () => {
    const tokens = await idp.issueTokens({ expiresInSeconds: -120 });
    idp.revoke(tokens.refreshToken);
    expectRefusal(await t.query(ME, seedHeaders(tokens)), 'refresh_failed', 401);
  });
});

describe.each(DRIVERS)("GraphQL over HTTP: the app's validate hook (%s)", (driver) => {
  let idp: TestIdentityProvider;
  let t: GraphqlTestApp;
  const seen: { sub: unknown; handler: string | undefined }[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createGraphqlApp(driver, {
      ...idp.moduleOptions(),
      validate: (tokens, info) => {
        seen.push({ sub: tokens.access?.sub, handler: info.handler?.name });
        return info.handler?.name !== 'claims';
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it("runs for each guarded field with that field's resolver: one refused field is null with forbidden_claims, the others answer", async () => {
    const tokens = await idp.issueTokens({ sub: 'gql-judged' });
    const res = await t.query('{ me { sub } claims { id } }', seedHeaders(tokens));
    expectRefusal(res, 'forbidden_claims', 403, 'claims');
    expect(res.body.data).toEqual({ me: { sub: 'gql-judged' }, claims: null });
    expect(seen.filter((s) => s.sub === 'gql-judged').map((s) => s.handler)).toEqual(['me', 'claims']);
  });
});

describe.each(DRIVERS)('GraphQL over HTTP with cookies and CSRF (%s)', (driver) => {
  let idp: TestIdentityProvider;
  let t: GraphqlTestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createGraphqlApp(driver, { ...idp.moduleOptions(), cookies: { enabled: true, secure: false }, csrf: true });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const cookieHeader = (tokens: IssuedTokens, csrf?: string) =>
    `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}${csrf ? `; csrf_token=${csrf}` : ''}`;

  it('cookie-borne tokens on a GraphQL POST need X-CSRF-Token equal to the csrf_token cookie', async () => {
    const tokens = await idp.issueTokens({ sub: 'ck-1' });
    expectRefusal(await t.query(ME, { Cookie: cookieHeader(tokens, 'c0ffee') }), 'csrf_failed', 403);
    const wrong = await t.query(ME, { Cookie: cookieHeader(tokens, 'c0ffee'), 'X-CSRF-Token': 'other' });
    expectRefusal(wrong, 'csrf_failed', 403);
    const ok = await t.query(ME, { Cookie: cookieHeader(tokens, 'c0ffee'), 'X-CSRF-Token': 'c0ffee' });
    expect(ok.body.data).toEqual({ me: { sub: 'ck-1', email: 'ck-1@example.test', groups: [] } });
  });

  it('header-borne tokens need no CSRF header', async () => {
    const tokens = await idp.issueTokens({ sub: 'hd-1' });
    expect((await t.query('{ me { sub } }', seedHeaders(tokens))).body).toEqual({ data: { me: { sub: 'hd-1' } } });
  });

  it('an expired cookie pair is refreshed into new cookies, never into a header a script can read', async () => {
    const tokens = await idp.issueTokens({ sub: 'ck-exp', expiresInSeconds: -120 });
    const res = await t.query('{ me { sub } }', { Cookie: cookieHeader(tokens, 'c1'), 'X-CSRF-Token': 'c1' });
    expect(res.body).toEqual({ data: { me: { sub: 'ck-exp' } } });
    const cookies = res.headers.getSetCookie();
    const access = cookieValue(cookies.find((c) => c.startsWith('AccessToken=')));
    expect(access).toBeTruthy();
    expect(access).not.toBe(tokens.accessToken);
    expect(cookies.find((c) => c.startsWith('AccessToken='))).toMatch(/HttpOnly/);
    expect(res.headers.get('accesstoken')).toBeNull();
    expect(res.headers.get('idtoken')).toBeNull();
  });

  it('refresh_failed clears the token cookies', async () => {
    const tokens = await idp.issueTokens({ expiresInSeconds: -120 });
    idp.revoke(tokens.refreshToken);
    const res = await t.query(ME, { Cookie: cookieHeader(tokens, 'c2'), 'X-CSRF-Token': 'c2' });
    expectRefusal(res, 'refresh_failed', 401);
    const cleared = res.headers
      .getSetCookie()
      .filter((c) => /Max-Age=0/.test(c))
      .map((c) => c.split('=')[0]);
    expect(cleared).toEqual(expect.arrayContaining(['AccessToken', 'IdToken', 'RefreshToken']));
  });
});

describe.each(DRIVERS)('GraphQL over HTTP with the JWKS unreachable (%s)', (driver) => {
  it('answers auth_unavailable / 503 in extensions, with Retry-After, never a 500 or a hang', async () => {
    const idp = await TestIdentityProvider.start();
    const t = await createGraphqlApp(driver, { ...idp.moduleOptions(), jwksUri: await deadUrl(), jwksTimeoutMs: 1000 });
    try {
      const tokens = await idp.issueTokens();
      const res = await t.query('{ me { sub } open }', seedHeaders(tokens));
      expectRefusal(res, 'auth_unavailable', 503);
      expect(res.body.data).toEqual({ me: null, open: 'anonymous' });
      expect(res.headers.get('retry-after')).toBe('5');
      expect(findLeaks([res.text, ...t.logger.lines], tokenStrings(tokens))).toEqual([]);
    } finally {
      await t.close();
      await idp.close();
    }
  });
});

describe("Apollo with the app's own context function", () => {
  it('({ req, res }) => ({ req, res }): queries, refresh and subscriptions work as with the default context', async () => {
    const idp = await TestIdentityProvider.start();
    const t = await createGraphqlApp('apollo', idp.moduleOptions(), {
      apolloContext: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res, tenant: 'acme' }),
    });
    try {
      const tokens = await idp.issueTokens({ sub: 'ctx-1' });
      expect((await t.query('{ me { sub } }', seedHeaders(tokens))).body).toEqual({ data: { me: { sub: 'ctx-1' } } });
      expectRefusal(await t.query(ME), 'token_missing', 401);
      const expired = await idp.issueTokens({ sub: 'ctx-2', expiresInSeconds: -120 });
      const refreshed = await t.query('{ me { sub } }', seedHeaders(expired));
      expect(refreshed.body).toEqual({ data: { me: { sub: 'ctx-2' } } });
      expect(refreshed.headers.get('accesstoken')).toBeTruthy();
      const sub = await subscribeOnce(t.wsUrl, 'subscription { ticks { sub } }', {
        connectionParams: { accessToken: tokens.accessToken, idToken: tokens.idToken },
      });
      expect(sub.events).toEqual([1, 2, 3].map(() => ({ data: { ticks: { sub: 'ctx-1' } } })));
      expect((await subscribeOnce(t.wsUrl, 'subscription { ticks { sub } }')).closed).toEqual({ code: 4401, reason: 'token_missing' });
    } finally {
      await t.close();
      await idp.close();
    }
  });
});
