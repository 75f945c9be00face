import { All, Controller, HttpCode, Post, Propfind, Req, Res } from '@nestjs/common';
import request from 'supertest';
import { CognitoSessionService, CurrentUser, Public } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { setCookies } from '../support/cookies.js';
import { createTestApp, HTTP_PLATFORMS, ProbeController, seedHeaders, type TestApp } from '../support/test-app.js';

@Controller('auth')
class LogoutController {
  constructor(private readonly session: CognitoSessionService) {}

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: { headers: Record<string, string> }, @Res({ passthrough: true }) res: unknown): Promise<void> {
    await this.session.logout(req, res);
  }
}

/** One handler for every method (`@All()`), a WebDAV one, and a public unsafe one. */
@Controller('m')
class MethodsController {
  @All('any')
  @HttpCode(200)
  any(@Req() req: { method: string }, @CurrentUser() user: { sub: string }): { method: string; sub: string } {
    return { method: req.method, sub: user.sub };
  }

  @Propfind('dav')
  @HttpCode(207)
  dav(@CurrentUser() user: { sub: string }): { sub: string } {
    return { sub: user.sub };
  }

  @Public()
  @Post('open')
  @HttpCode(200)
  open(@CurrentUser() user: { sub?: string } | undefined): { user: string | null } {
    return { user: user?.sub ?? null };
  }
}

/** The methods the CSRF allow-list lets through, and some of those it does not. */
const SAFE = ['get', 'head', 'options'] as const;
const UNSAFE = ['post', 'put', 'patch', 'delete', 'purge', 'propfind'] as const;
type Method = (typeof SAFE)[number] | (typeof UNSAFE)[number];

describe.each(HTTP_PLATFORMS)('CSRF double-submit and the session helper (cookie mode, %s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let cookieHeader: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp(
      { ...idp.moduleOptions(), cookies: { enabled: true }, csrf: true },
      { controllers: [ProbeController, LogoutController, MethodsController] },
      platform,
    );
    const tokens = await idp.issueTokens({ sub: 'csrf-user', scopes: ['notes/write'] });
    headers = seedHeaders(tokens);
    cookieHeader = `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}`;
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const call = (method: Method, path: string) => request(t.server)[method](path);

  it('issues a csrf_token cookie (32 random bytes, base64url, readable by scripts) on a cookie-authenticated response', async () => {
    const res = await request(t.server).get('/t/me').set('Cookie', cookieHeader);
    expect(res.status).toBe(200);
    const csrf = setCookies(res).find((c) => c.startsWith('csrf_token='));
    expect(csrf).toMatch(/^csrf_token=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=2592000; Secure; SameSite=Lax$/);
    expect(csrf).not.toMatch(/HttpOnly/);
    // Not issued again while the request carries one.
    const again = await request(t.server).get('/t/me').set('Cookie', `${cookieHeader}; csrf_token=abc`);
    expect(setCookies(again).some((c) => c.startsWith('csrf_token='))).toBe(false);
  });

  it('POST with cookie tokens and no X-CSRF-Token: 403 csrf_failed', async () => {
    const res = await request(t.server).post('/t/notes').set('Cookie', `${cookieHeader}; csrf_token=the-token-value`).send({});
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', code: 'csrf_failed', message: expect.any(String) });
  });

  it('POST with a wrong X-CSRF-Token, or with no csrf cookie: 403 csrf_failed', async () => {
    const wrong = await request(t.server)
      .post('/t/notes')
      .set('Cookie', `${cookieHeader}; csrf_token=the-token-value`)
      .set('X-CSRF-Token', 'the-token-valuf');
    expect(wrong.body.code).toBe('csrf_failed');
    const noCookie = await request(t.server).post('/t/notes').set('Cookie', cookieHeader).set('X-CSRF-Token', 'the-token-value');
    expect(noCookie.body.code).toBe('csrf_failed');
    const del = await request(t.server).delete('/t/notes/1').set('Cookie', cookieHeader);
    expect(del.body.code).toBe('csrf_failed');
  });

  it('POST with the matching header: 201', async () => {
    const res = await request(t.server)
      .post('/t/notes')
      .set('Cookie', `${cookieHeader}; csrf_token=the-token-value`)
      .set('X-CSRF-Token', 'the-token-value')
      .send({ text: 'ok' });
    expect(res.status).toBe(201);
  });

  it('GET is unaffected, and header-borne tokens need no CSRF token', async () => {
    expect((await request(t.server).get('/t/me').set('Cookie', cookieHeader)).status).toBe(200);
    expect((await request(t.server).post('/t/notes').set(headers).send({})).status).toBe(201);
  });

  describe('the safe methods are an allow-list: GET, HEAD, OPTIONS', () => {
    it.each(SAFE)('%s on an @All() route passes without X-CSRF-Token', async (method) => {
      const res = await call(method, '/m/any').set('Cookie', `${cookieHeader}; csrf_token=v`);
      expect(res.status).toBe(200);
      if (method !== 'head') expect(res.body).toEqual({ method: method.toUpperCase(), sub: 'csrf-user' });
    });

    it.each(UNSAFE)('%s on an @All() route needs X-CSRF-Token, and passes with it', async (method) => {
      const refused = await call(method, '/m/any').set('Cookie', `${cookieHeader}; csrf_token=v`);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('csrf_failed');
      const allowed = await call(method, '/m/any').set('Cookie', `${cookieHeader}; csrf_token=v`).set('X-CSRF-Token', 'v');
      expect(allowed.status).toBe(200);
      expect(allowed.body).toEqual({ method: method.toUpperCase(), sub: 'csrf-user' });
    });

    it('a @Propfind() handler needs X-CSRF-Token too', async () => {
      const refused = await call('propfind', '/m/dav').set('Cookie', `${cookieHeader}; csrf_token=v`);
      expect(refused.body.code).toBe('csrf_failed');
      const allowed = await call('propfind', '/m/dav').set('Cookie', `${cookieHeader}; csrf_token=v`).set('X-CSRF-Token', 'v');
      expect(allowed.status).toBe(207);
      expect(allowed.body).toEqual({ sub: 'csrf-user' });
    });

    it('an unsafe method on a @Public() route without X-CSRF-Token goes on anonymously', async () => {
      const anonymous = await request(t.server).post('/m/open').set('Cookie', `${cookieHeader}; csrf_token=v`);
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ user: null });
      const signedIn = await request(t.server).post('/m/open').set('Cookie', `${cookieHeader}; csrf_token=v`).set('X-CSRF-Token', 'v');
      expect(signedIn.body).toEqual({ user: 'csrf-user' });
    });
  });

  it('logout clears the cookies (four Set-Cookie values) and revokes the refresh token at Cognito', async () => {
    const tokens = await idp.issueTokens();
    const before = idp.stats.revokeToken;
    const res = await request(t.server)
      .post('/auth/logout')
      .set('Cookie', `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}; csrf_token=v`)
      .set('X-CSRF-Token', 'v');
    expect(res.status).toBe(204);
    const cleared = setCookies(res);
    expect(cleared).toHaveLength(4);
    for (const name of ['AccessToken', 'IdToken', 'RefreshToken', 'csrf_token']) {
      expect(cleared.find((c) => c.startsWith(`${name}=`))).toMatch(/=; Path=\/; Max-Age=0;/);
    }
    expect(idp.stats.revokeToken).toBe(before + 1);
    const expired = await idp.issueTokens({ sub: tokens.sub, expiresInSeconds: -60 });
    const after = await request(t.server)
      .get('/t/me')
      .set(seedHeaders({ ...expired, refreshToken: tokens.refreshToken }));
    expect(after.body.code).toBe('refresh_failed');
  });
});
