import { UpdateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import request from 'supertest';
import { JwtValidationService, type CognitoAuthForRootOptions } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { findLeaks } from '../support/capture-logger.js';
import {
  adminClient,
  type CognitoLocal,
  type LoginTokens,
  type ProvisionedPool,
  provisionCognitoLocal,
  startCognitoLocal,
} from '../support/cognito-local.js';
import { cookieNamed, cookieValue, setCookies } from '../support/cookies.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../support/test-app.js';

/** The `exp` of a token, in ms. */
function expiryMs(token: string): number {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { exp: number }).exp * 1000;
}

/**
 * Resolves once every token has expired (clock tolerance 0): cognito-local signs with its own
 * clock, so the wait is for its `exp` to pass, taken from the tokens rather than guessed.
 */
async function untilExpired(tokens: readonly LoginTokens[]): Promise<void> {
  const last = Math.max(...tokens.flatMap((t) => [expiryMs(t.accessToken), expiryMs(t.idToken)]));
  while (Date.now() <= last) await new Promise((r) => setTimeout(r, last + 20 - Date.now()));
}

const COGNITO_LOCAL_CASES = ['headers', 'cookies', 'revoked'] as const;

describe('transparent refresh against cognito-local (real SDK calls, real tokens)', () => {
  let local: CognitoLocal;
  let pool: ProvisionedPool;
  /** One expired session per platform and case, logged in together so that one wait serves all. */
  const sessions = new Map<string, LoginTokens>();

  beforeAll(async () => {
    local = await startCognitoLocal();
    // Sessions logged in with tokens valid for 2 s: the pairs really expire.
    pool = await provisionCognitoLocal(local.endpoint, {
      tokenValiditySeconds: 2,
      users: [{ username: 'dora', password: 'Dora-Passw0rd!', email: 'dora@example.test' }],
    });
    for (const [platform] of HTTP_PLATFORMS) {
      for (const name of COGNITO_LOCAL_CASES) sessions.set(`${platform}:${name}`, await pool.login('dora', 'Dora-Passw0rd!'));
    }
    await untilExpired([...sessions.values()]);
    // Then the client issues tokens valid for an hour, so the refreshed ones outlive the test however
    // slow it runs (clock tolerance 0). The flows and revocation setting it was created with are
    // sent again: Cognito resets the settings an update leaves out.
    const client = adminClient(local.endpoint);
    try {
      await client.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: pool.userPoolId,
          ClientId: pool.clientId,
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
          EnableTokenRevocation: true,
          AccessTokenValidity: 1,
          IdTokenValidity: 1,
          TokenValidityUnits: { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' },
        }),
      );
    } finally {
      client.destroy();
    }
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
  });

  const options = (extra: Partial<CognitoAuthForRootOptions> = {}): CognitoAuthForRootOptions => ({
    userPoolId: pool.userPoolId,
    clientId: pool.clientId,
    endpoint: local.endpoint,
    clockToleranceSeconds: 0,
    ...extra,
  });

  describe.each(HTTP_PLATFORMS)('on %s', (platform) => {
    const expiredLogin = (name: (typeof COGNITO_LOCAL_CASES)[number]): LoginTokens => sessions.get(`${platform}:${name}`)!;

    it('an expired pair with a valid refresh token: 200, new tokens in the headers, and they verify', async () => {
      const t = await createTestApp(options(), {}, platform);
      try {
        const tokens = expiredLogin('headers');
        expect(
          (
            await request(t.server)
              .get('/t/me')
              .set(seedHeaders({ ...tokens, refreshToken: undefined }))
          ).body.code,
        ).toBe('token_expired');
        const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
        expect(res.status).toBe(200);
        expect(res.body.username).toBe('dora');
        const access = res.headers['accesstoken'];
        const id = res.headers['idtoken'];
        expect(access).toBeTruthy();
        expect(id).toBeTruthy();
        expect(access).not.toBe(tokens.accessToken);
        // Issued under the client's new validity (an hour, where the expired ones had 2 s): no race with its expiry below.
        expect(expiryMs(access) - expiryMs(tokens.accessToken)).toBeGreaterThan(30 * 60_000);
        expect(res.headers['access-control-expose-headers']).toContain('ACCESSTOKEN');
        expect(res.headers['access-control-expose-headers']).toContain('IDTOKEN');
        const verified = await t.app.get(JwtValidationService).verifyPair(id, access);
        expect(verified.id['cognito:username']).toBe('dora');
        expect(findLeaks([res.text, ...t.logger.lines], [tokens.accessToken, tokens.idToken, tokens.refreshToken, access, id])).toEqual([]);
      } finally {
        await t.close();
      }
    });

    it('the same in cookie mode, with the new cookies and their attributes', async () => {
      const t = await createTestApp(options({ cookies: { enabled: true } }), {}, platform);
      try {
        const tokens = expiredLogin('cookies');
        const res = await request(t.server)
          .get('/t/me')
          .set('Cookie', `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}`);
        expect(res.status).toBe(200);
        for (const name of ['AccessToken', 'IdToken']) {
          const cookie = cookieNamed(res, name);
          expect(cookie).toBeDefined();
          expect(cookie).toMatch(/; Path=\/; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax$/);
        }
        // Cookie-borne tokens go back as cookies only: no token in a header a page script can read.
        expect(res.headers['accesstoken']).toBeUndefined();
        expect(res.headers['idtoken']).toBeUndefined();
        expect(res.headers['access-control-expose-headers']).toBeUndefined();
        expect(res.headers['cache-control']).toBe('no-store');
        // cognito-local does not rotate: the refresh token cookie is left as it was.
        expect(cookieNamed(res, 'RefreshToken')).toBeUndefined();
        const again = await request(t.server)
          .get('/t/me')
          .set(
            'Cookie',
            `AccessToken=${cookieValue(cookieNamed(res, 'AccessToken'))}; IdToken=${cookieValue(cookieNamed(res, 'IdToken'))}`,
          );
        expect(again.status).toBe(200);
      } finally {
        await t.close();
      }
    });

    it('a revoked refresh token: 401 refresh_failed and, in cookie mode, the cookies cleared', async () => {
      const t = await createTestApp(options({ cookies: { enabled: true } }), {}, platform);
      try {
        const tokens = expiredLogin('revoked');
        const { RevokeTokenCommand } = await import('@aws-sdk/client-cognito-identity-provider');
        const client = adminClient(local.endpoint);
        await client.send(new RevokeTokenCommand({ Token: tokens.refreshToken, ClientId: pool.clientId }));
        client.destroy();
        const res = await request(t.server)
          .get('/t/me')
          .set('Cookie', `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}`);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('refresh_failed');
        expect(res.headers['www-authenticate']).toBe('Bearer realm="cognito", error="invalid_token"');
        for (const name of ['AccessToken', 'IdToken', 'RefreshToken'])
          expect(cookieNamed(res, name)).toMatch(/^[A-Za-z]+=; Path=\/; Max-Age=0;/);
      } finally {
        await t.close();
      }
    });
  });
});

describe.each(HTTP_PLATFORMS)('transparent refresh with the test identity provider (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({
      clients: [{ clientId: 'public-client' }, { clientId: 'secret-client', clientSecret: 'shh-its-a-secret' }],
    });
    // The default Cognito timeout: the calls that must succeed get their whole budget.
    t = await createTestApp(
      { ...idp.moduleOptions(), cookies: { enabled: true, secure: false, sameSite: 'strict', maxAgeSeconds: 3600 } },
      {},
      platform,
    );
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  beforeEach(() => {
    idp.refresh.mode = 'ok';
    idp.refresh.delayMs = 0;
    idp.refresh.issueAs = undefined;
    idp.resetStats();
  });

  it('a secret client: SECRET_HASH verified by the provider, and the new tokens returned the way they came (headers)', async () => {
    const tokens = await idp.issueTokens({ clientId: 'secret-client', sub: 'sec-1', username: 'sec-user', expiresInSeconds: -60 });
    const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
    expect(res.status).toBe(200);
    expect(res.body.sub).toBe('sec-1');
    expect(idp.stats.initiateAuth).toBe(1);
    expect(res.headers['accesstoken']).toBeTruthy();
    expect(cookieNamed(res, 'AccessToken')).toBeUndefined();
  });

  it('cookie-borne tokens: refreshed tokens go back as cookies only, never as readable headers', async () => {
    const tokens = await idp.issueTokens({ sub: 'cookie-1', expiresInSeconds: -60 });
    const res = await request(t.server)
      .get('/t/me')
      .set('Cookie', `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}`);
    expect(res.status).toBe(200);
    expect(cookieNamed(res, 'AccessToken')).toMatch(/; Path=\/; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    expect(res.headers['accesstoken']).toBeUndefined();
    expect(res.headers['idtoken']).toBeUndefined();
    expect(res.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('50 concurrent requests with one expired pair make exactly one InitiateAuth', async () => {
    const tokens = await idp.issueTokens({ expiresInSeconds: -60, sub: 'storm' });
    const res = await Promise.all(Array.from({ length: 50 }, () => request(t.server).get('/t/me').set(seedHeaders(tokens))));
    expect(res.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(res.map((r) => r.headers['accesstoken'])).size).toBe(1);
    expect(idp.stats.initiateAuth).toBe(1);
  });

  it('throttling: 503 auth_unavailable with Retry-After', async () => {
    idp.refresh.mode = 'throttle';
    const res = await request(t.server)
      .get('/t/me')
      .set(seedHeaders(await idp.issueTokens({ expiresInSeconds: -60 })));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('auth_unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('a hanging endpoint: 503 auth_unavailable (the call times out; without the timeout the request would hang)', async () => {
    idp.refresh.mode = 'hang';
    // Its own app with a short timeout, so that the shared one need not answer within it.
    const short = await createTestApp({ ...idp.moduleOptions(), cognitoTimeoutMs: 800 }, {}, platform);
    try {
      const res = await request(short.server)
        .get('/t/me')
        .set(seedHeaders(await idp.issueTokens({ expiresInSeconds: -60 })));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      await short.close();
    }
  });

  it('refreshed tokens of another user: 401 token_mismatch', async () => {
    idp.refresh.issueAs = () => ({ sub: 'somebody-else' });
    const res = await request(t.server)
      .get('/t/me')
      .set(seedHeaders(await idp.issueTokens({ expiresInSeconds: -60, sub: 'victim' })));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_mismatch');
    expect(res.headers['accesstoken']).toBeUndefined();
  });

  it('refreshed tokens signed by an unknown key are not trusted', async () => {
    const rogue = await idp.createKey();
    idp.refresh.issueAs = () => ({ key: rogue });
    const res = await request(t.server)
      .get('/t/me')
      .set(seedHeaders(await idp.issueTokens({ expiresInSeconds: -60 })));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
    expect(res.headers['accesstoken']).toBeUndefined();
  });

  it('refuses to refresh a pair that fails anything but expiry', async () => {
    const alice = await idp.issueTokens({ expiresInSeconds: -60, sub: 'alice' });
    const bob = await idp.issueTokens({ expiresInSeconds: -60, sub: 'bob' });
    const res = await request(t.server)
      .get('/t/me')
      .set({ ACCESSTOKEN: alice.accessToken, IDTOKEN: bob.idToken, REFRESHTOKEN: alice.refreshToken });
    expect(res.body.code).toBe('token_mismatch');
    const forged = await idp.issueTokens({ expiresInSeconds: -60, key: await idp.createKey() });
    expect((await request(t.server).get('/t/me').set(seedHeaders(forged))).body.code).toBe('token_invalid');
    expect(idp.stats.initiateAuth).toBe(0);
  });

  it('Cognito refusing the refresh token: 401 refresh_failed, cookies cleared', async () => {
    idp.refresh.mode = 'not-authorized';
    const res = await request(t.server)
      .get('/t/me')
      .set(seedHeaders(await idp.issueTokens({ expiresInSeconds: -60 })));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('refresh_failed');
    expect(cookieNamed(res, 'RefreshToken')).toMatch(/Max-Age=0/);
    // Four Set-Cookie values in one response (three token cookies and csrf_token), on either platform.
    expect(
      setCookies(res)
        .map((c) => c.split('=')[0])
        .sort(),
    ).toEqual(['AccessToken', 'IdToken', 'RefreshToken', 'csrf_token']);
    expect(setCookies(res).every((c) => c.includes('; Max-Age=0'))).toBe(true);
  });

  it('autoRefresh off: an expired pair is token_expired even with a refresh token', async () => {
    const off = await createTestApp({ ...idp.moduleOptions(), autoRefresh: false }, {}, platform);
    try {
      const res = await request(off.server)
        .get('/t/me')
        .set(seedHeaders(await idp.issueTokens({ expiresInSeconds: -60 })));
      expect(res.body.code).toBe('token_expired');
      expect(idp.stats.initiateAuth).toBe(0);
    } finally {
      await off.close();
    }
  });

  it('refresh-token rotation: GetTokensFromRefreshToken, and the rotated refresh token handed back', async () => {
    const rot = await createTestApp({ ...idp.moduleOptions(), refreshTokenRotation: true, cookies: { enabled: true } }, {}, platform);
    try {
      const tokens = await idp.issueTokens({ expiresInSeconds: -60 });
      const res = await request(rot.server).get('/t/me').set(seedHeaders(tokens));
      expect(res.status).toBe(200);
      expect(idp.stats.getTokensFromRefreshToken).toBe(1);
      const rotated = res.headers['refreshtoken'];
      expect(rotated).toBeTruthy();
      expect(rotated).not.toBe(tokens.refreshToken);
      expect(res.headers['access-control-expose-headers']).toContain('REFRESHTOKEN');
      expect(cookieNamed(res, 'RefreshToken')).toBeUndefined();
      // The same with cookie-borne tokens: the rotated refresh token only as a cookie.
      const fromCookies = await idp.issueTokens({ expiresInSeconds: -60 });
      const viaCookie = await request(rot.server)
        .get('/t/me')
        .set('Cookie', `AccessToken=${fromCookies.accessToken}; IdToken=${fromCookies.idToken}; RefreshToken=${fromCookies.refreshToken}`);
      expect(viaCookie.status).toBe(200);
      expect(viaCookie.headers['refreshtoken']).toBeUndefined();
      expect(cookieValue(cookieNamed(viaCookie, 'RefreshToken'))).toBeTruthy();
      expect(cookieValue(cookieNamed(viaCookie, 'RefreshToken'))).not.toBe(fromCookies.refreshToken);
    } finally {
      await rot.close();
    }
  });
});
