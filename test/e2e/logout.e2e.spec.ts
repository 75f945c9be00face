import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import request from 'supertest';
import { CognitoSessionService, Public } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { setCookies } from '../support/cookies.js';
import { createTestApp, ProbeController, seedHeaders, type TestApp } from '../support/test-app.js';

@Public()
@Controller('auth')
class LogoutController {
  constructor(private readonly session: CognitoSessionService) {}

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: { headers: Record<string, string>; method: string }, @Res({ passthrough: true }) res: unknown): Promise<void> {
    await this.session.logout(req, res);
  }
}

/**
 * Logout (issue: forgeable logout, first-client-only revocation, signed-out tokens still
 * working): over real HTTP, with the refresh calls going to the test identity provider.
 */
describe('session.logout()', () => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web' }, { clientId: 'mobile' }] });
  });
  afterAll(async () => {
    await idp?.close();
  });
  beforeEach(() => idp.resetStats());

  describe('cookie sessions with CSRF on', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(
        { ...idp.moduleOptions(), cookies: { enabled: true }, csrf: true },
        { controllers: [ProbeController, LogoutController] },
      );
    });
    afterAll(() => t?.close());

    const cookiesOf = (tokens: { accessToken: string; idToken: string; refreshToken: string }, csrf?: string): string =>
      `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}${csrf ? `; csrf_token=${csrf}` : ''}`;

    it('logout checks CSRF itself on a @Public() route: a forged cross-site logout is 403 csrf_failed and revokes nothing', async () => {
      const tokens = await idp.issueTokens({ sub: 'victim' });
      const res = await request(t.server).post('/auth/logout').set('Cookie', cookiesOf(tokens, 'the-csrf'));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('csrf_failed');
      expect(idp.stats.revokeToken).toBe(0);
      expect(setCookies(res).filter((c) => /Max-Age=0/.test(c))).toEqual([]);
      expect((await request(t.server).get('/t/me').set('Cookie', cookiesOf(tokens))).status).toBe(200);
    });

    it('a logout with the CSRF header clears the cookies, revokes the refresh token, and the old tokens are token_revoked', async () => {
      const tokens = await idp.issueTokens({ sub: 'leaver' });
      expect((await request(t.server).get('/t/me').set('Cookie', cookiesOf(tokens))).status).toBe(200); // cached now
      const res = await request(t.server).post('/auth/logout').set('Cookie', cookiesOf(tokens, 'c1')).set('X-CSRF-Token', 'c1');
      expect(res.status).toBe(204);
      expect(setCookies(res).filter((c) => /Max-Age=0/.test(c)).length).toBeGreaterThanOrEqual(3);
      expect(idp.stats.revokeToken).toBe(1);
      const again = await request(t.server).get('/t/me').set('Cookie', cookiesOf(tokens));
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('token_revoked');
      expect(again.headers['www-authenticate']).toBe('Bearer realm="cognito", error="invalid_token"');
    });
  });

  describe('header clients, two app clients', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(idp.moduleOptions(), { controllers: [ProbeController, LogoutController] });
    });
    afterAll(() => t?.close());

    it("revokes the second client's refresh token with that client, and its tokens stop working at once", async () => {
      const tokens = await idp.issueTokens({ sub: 'phone-user', clientId: 'mobile' });
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      const res = await request(t.server).post('/auth/logout').set(seedHeaders(tokens));
      expect(res.status).toBe(204);
      expect(idp.revoke(tokens.refreshToken)).toBe(false); // already revoked at the provider
      const me = await request(t.server).get('/t/me').set(seedHeaders(tokens));
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('token_revoked');
      expect(JSON.stringify(me.body)).not.toContain(tokens.accessToken.slice(0, 20));
    });

    it('another session of the same user is not affected by a session logout', async () => {
      const one = await idp.issueTokens({ sub: 'two-devices', idClaims: { origin_jti: 's-1' }, accessClaims: { origin_jti: 's-1' } });
      const two = await idp.issueTokens({ sub: 'two-devices', idClaims: { origin_jti: 's-2' }, accessClaims: { origin_jti: 's-2' } });
      expect((await request(t.server).post('/auth/logout').set(seedHeaders(one))).status).toBe(204);
      expect((await request(t.server).get('/t/me').set(seedHeaders(one))).body.code).toBe('token_revoked');
      expect((await request(t.server).get('/t/me').set(seedHeaders(two))).status).toBe(200);
    });
  });
});
