import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import request from 'supertest';
import { CognitoSessionService, Public } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { setCookies } from '../support/cookies.js';
import { createTestApp, ProbeController, seedHeaders, type TestApp } from '../support/test-app.js';

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


describe('CSRF double-submit and the session helper (cookie mode)', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let cookieHeader: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp({ ...idp.moduleOptions(), cookies: { enabled: true }, csrf: true }, { controllers: [ProbeController, LogoutController] });
    const tokens = await idp.issueTokens({ scopes: ['notes/write'] });
    headers = seedHeaders(tokens);
    cookieHeader = `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}`;
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

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
    const wrong = await request(t.server).post('/t/notes').set('Cookie', `${cookieHeader}; csrf_token=the-token-value`).set('X-CSRF-Token', 'the-token-valuf');
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

  it('logout clears the cookies and revokes the refresh token at Cognito', async () => {
    const tokens = await idp.issueTokens();
    const res = await request(t.server)
      .post('/auth/logout')
      .set('Cookie', `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}`);
    expect(res.status).toBe(204);
    const cleared = setCookies(res);
    for (const name of ['AccessToken', 'IdToken', 'RefreshToken', 'csrf_token']) {
      expect(cleared.find((c) => c.startsWith(`${name}=`))).toMatch(/=; Path=\/; Max-Age=0;/);
    }
    expect(idp.stats.revokeToken).toBe(1);
    const expired = await idp.issueTokens({ sub: tokens.sub, expiresInSeconds: -60 });
    const after = await request(t.server).get('/t/me').set(seedHeaders({ ...expired, refreshToken: tokens.refreshToken }));
    expect(after.body.code).toBe('refresh_failed');
  });
});
