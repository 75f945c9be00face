import { jest } from '@jest/globals';
import { type CanActivate, Controller, Get, type Type, UseGuards } from '@nestjs/common';
import request from 'supertest';
import {
  CognitoAuthenticator,
  CognitoClaims,
  CognitoGuard,
  CurrentUser,
  JwtValidationService,
  type VerifiedTokens,
} from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { createTestApp, GuardedController, HTTP_PLATFORMS, ProbeController, seedHeaders, type TestApp } from '../support/test-app.js';

describe.each(HTTP_PLATFORMS)('CognitoGuard and the decorators over real HTTP (%s)', (platform) => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }] });
  });
  afterAll(async () => {
    await idp?.close();
  });

  describe('id+access mode (default), global guard', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(idp.moduleOptions(), {}, platform);
    });
    afterAll(() => t?.close());

    it('lets a valid pair in through the ACCESSTOKEN / IDTOKEN headers, in any header case', async () => {
      expect(t.app.getHttpAdapter().getType()).toBe(platform);
      const tokens = await idp.issueTokens({ sub: 'u-1', email: 'u1@example.test' });
      const res = await request(t.server).get('/t/me').set({ accesstoken: tokens.accessToken, IdToken: tokens.idToken });
      expect(res.status).toBe(200);
      // The principal serialises as its documented shape: no email, no claims.
      expect(res.body).toStrictEqual({
        kind: 'user',
        pool: 'default',
        sub: 'u-1',
        username: 'u-1',
        groups: [],
        scopes: ['aws.cognito.signin.user.admin'],
        clientId: 'client-a',
      });
      const email = await request(t.server).get('/t/email').set({ accesstoken: tokens.accessToken, IdToken: tokens.idToken });
      expect(email.body).toEqual({ email: 'u1@example.test' });
    });

    it('takes the access token from Authorization: Bearer (scheme in any case) with IDTOKEN', async () => {
      const tokens = await idp.issueTokens({ sub: 'u-2' });
      const res = await request(t.server)
        .get('/t/claims')
        .set({ Authorization: `bEaReR ${tokens.accessToken}`, IDTOKEN: tokens.idToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access: 'u-2', id: 'u-2' });
    });

    it('gives one property with @CurrentUser(property)', async () => {
      const tokens = await idp.issueTokens({ email: 'prop@example.test' });
      const res = await request(t.server).get('/t/email').set(seedHeaders(tokens));
      expect(res.body).toEqual({ email: 'prop@example.test' });
    });

    it('answers a request with only one of the two tokens with token_missing naming the other', async () => {
      const tokens = await idp.issueTokens();
      const res = await request(t.server).get('/t/me').set({ ACCESSTOKEN: tokens.accessToken });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_missing');
      expect(res.body.message).toMatch(/ID token/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="cognito", error="invalid_request"');
    });

    it('answers a refresh token alone with token_missing', async () => {
      const tokens = await idp.issueTokens();
      const res = await request(t.server).get('/t/me').set({ REFRESHTOKEN: tokens.refreshToken });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_missing');
    });

    it('@Public(): anonymous without a token, the user with a valid one, anonymous with an invalid one', async () => {
      const tokens = await idp.issueTokens({ sub: 'pub-1' });
      expect((await request(t.server).get('/t/open')).body).toEqual({ user: null });
      expect((await request(t.server).get('/t/open').set(seedHeaders(tokens))).body).toEqual({ user: 'pub-1' });
      const bad = await request(t.server).get('/t/open').set({ ACCESSTOKEN: 'x.y.z', IDTOKEN: tokens.idToken });
      expect(bad.status).toBe(200);
      expect(bad.body).toEqual({ user: null });
    });

    it('@Groups: 200 in the group, 403 forbidden_group otherwise', async () => {
      const admin = await idp.issueTokens({ groups: ['admin', 'staff'] });
      const staff = await idp.issueTokens({ groups: ['staff'] });
      const none = await idp.issueTokens();
      expect((await request(t.server).get('/t/admin').set(seedHeaders(admin))).status).toBe(200);
      for (const tokens of [staff, none]) {
        const res = await request(t.server).get('/t/admin').set(seedHeaders(tokens));
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', code: 'forbidden_group', message: expect.any(String) });
      }
      expect((await request(t.server).delete('/t/notes/7').set(seedHeaders(staff))).body.code).toBe('forbidden_group');
      expect((await request(t.server).delete('/t/notes/7').set(seedHeaders(admin))).body).toEqual({ removed: '7' });
    });

    it('@Scopes: 201 with the scope, 403 forbidden_scope otherwise', async () => {
      const writer = await idp.issueTokens({ scopes: ['notes/read', 'notes/write'] });
      const reader = await idp.issueTokens({ scopes: ['notes/read'] });
      const ok = await request(t.server).post('/t/notes').set(seedHeaders(writer)).send({ text: 'hi' });
      expect(ok.status).toBe(201);
      expect(ok.body).toEqual({ created: { text: 'hi' } });
      const res = await request(t.server).post('/t/notes').set(seedHeaders(reader)).send({ text: 'hi' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden_scope');
    });

    it('authenticates once per request when the global guard and @UseGuards(CognitoGuard) both run', async () => {
      // The guard enters the authenticator through authenticateNow (synchronous when it can be).
      const authenticate = jest.spyOn(t.app.get(CognitoAuthenticator), 'authenticateNow');
      const check = jest.spyOn(t.app.get(JwtValidationService), 'check');
      const accessChecks = (): number => check.mock.calls.filter(([, use]) => use === 'access').length;
      try {
        const tokens = await idp.issueTokens({ sub: 'twice' });
        const res = await request(t.server).get('/guarded/me').set(seedHeaders(tokens));
        expect(res.body).toEqual({ sub: 'twice' });
        // The second guard finds the outcome on the request: no second pass through the
        // authenticator (the verified-token cache alone would hide a second verification).
        expect(authenticate).toHaveBeenCalledTimes(1);
        expect(accessChecks()).toBe(1);
        // The control: a route behind the global guard alone also authenticates once.
        await request(t.server).get('/t/me').set(seedHeaders(tokens)).expect(200);
        expect(authenticate).toHaveBeenCalledTimes(2);
      } finally {
        authenticate.mockRestore();
        check.mockRestore();
      }
    });

    it('the fast path still checks the pair: cached tokens of two users sent together are token_mismatch', async () => {
      const jwt = t.app.get(JwtValidationService);
      const a = await idp.issueTokens({ sub: 'fast-a' });
      const b = await idp.issueTokens({ sub: 'fast-b' });
      // Each token verified and cached in a valid pair first.
      await request(t.server).get('/t/me').set(seedHeaders(a)).expect(200);
      await request(t.server).get('/t/me').set(seedHeaders(b)).expect(200);
      expect(jwt.cachedClaims(a.accessToken, 'access')?.sub).toBe('fast-a');
      expect(jwt.cachedClaims(b.idToken, 'id')?.sub).toBe('fast-b');
      const verifyAccess = jest.spyOn(jwt, 'verifyAccessToken');
      const verifyId = jest.spyOn(jwt, 'verifyIdToken');
      try {
        const res = await request(t.server).get('/t/me').set({ ACCESSTOKEN: a.accessToken, IDTOKEN: b.idToken });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('token_mismatch');
        expect(res.headers['www-authenticate']).toBe('Bearer realm="cognito", error="invalid_token"');
        // Decided on the fast path: neither token was verified again.
        expect(verifyAccess).not.toHaveBeenCalled();
        expect(verifyId).not.toHaveBeenCalled();
        // And the mix of the reverse halves, both cached too.
        expect((await request(t.server).get('/t/me').set({ ACCESSTOKEN: b.accessToken, IDTOKEN: a.idToken })).body.code).toBe(
          'token_mismatch',
        );
      } finally {
        verifyAccess.mockRestore();
        verifyId.mockRestore();
      }
    });

    it('answers a repeated token from the verified-token cache', async () => {
      const jwt = t.app.get(JwtValidationService);
      const tokens = await idp.issueTokens();
      const before = jwt.cachedTokenCount;
      await request(t.server).get('/t/me').set(seedHeaders(tokens)).expect(200);
      expect(jwt.cachedTokenCount).toBe(before + 2);
      await request(t.server).get('/t/me').set(seedHeaders(tokens)).expect(200);
      expect(jwt.cachedTokenCount).toBe(before + 2);
    });
  });

  it('cached claims and principals are frozen: a handler cannot grant a later request a group', async () => {
    @Controller('tamper')
    class TamperController {
      @Get()
      tamper(@CognitoClaims() claims: VerifiedTokens, @CurrentUser() user: { groups: string[] }) {
        const attempts = [
          () => (claims.id?.['cognito:groups'] as string[]).push('admin'),
          () => user.groups.push('admin'),
          () => Object.assign(claims.access as object, { scope: 'notes/write' }),
        ];
        return {
          refused: attempts.filter((a) => {
            try {
              a();
              return false;
            } catch {
              return true;
            }
          }).length,
        };
      }
    }
    const t = await createTestApp(idp.moduleOptions(), { controllers: [TamperController, ProbeController] }, platform);
    try {
      const tokens = await idp.issueTokens({ groups: ['staff'] });
      expect((await request(t.server).get('/tamper').set(seedHeaders(tokens))).body).toEqual({ refused: 3 });
      expect((await request(t.server).get('/t/admin').set(seedHeaders(tokens))).body.code).toBe('forbidden_group');
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.groups).toEqual(['staff']);
    } finally {
      await t.close();
    }
  });

  it('access mode: the Bearer access token alone is enough; an ID token sent along is still paired', async () => {
    const t = await createTestApp({ ...idp.moduleOptions(), tokenUse: 'access' }, {}, platform);
    try {
      const tokens = await idp.issueTokens({ sub: 'acc-1', groups: ['admin'] });
      const res = await request(t.server).get('/t/me').set('Authorization', `Bearer ${tokens.accessToken}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'acc-1', username: 'acc-1', groups: ['admin'], clientId: 'client-a' });
      expect((await request(t.server).get('/t/me').set({ ACCESSTOKEN: tokens.accessToken })).status).toBe(200);
      const other = await idp.issueTokens({ sub: 'someone-else' });
      const mismatch = await request(t.server)
        .get('/t/me')
        .set({ Authorization: `Bearer ${tokens.accessToken}`, IDTOKEN: other.idToken });
      expect(mismatch.body.code).toBe('token_mismatch');
      const idOnly = await request(t.server).get('/t/me').set({ IDTOKEN: tokens.idToken });
      expect(idOnly.status).toBe(401);
      expect(idOnly.body.code).toBe('token_missing');
    } finally {
      await t.close();
    }
  });

  it('id mode: the ID token alone is enough', async () => {
    const t = await createTestApp({ ...idp.moduleOptions(), tokenUse: 'id' }, {}, platform);
    try {
      const tokens = await idp.issueTokens({ sub: 'id-1', email: 'id1@example.test' });
      const res = await request(t.server).get('/t/email').set({ IDTOKEN: tokens.idToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ email: 'id1@example.test' });
    } finally {
      await t.close();
    }
  });

  it('cookies: tokens read from AccessToken / IdToken cookies; a header wins over a cookie; blank cookies are absent', async () => {
    const t = await createTestApp({ ...idp.moduleOptions(), cookies: { enabled: true } }, {}, platform);
    try {
      const alice = await idp.issueTokens({ sub: 'alice' });
      const bob = await idp.issueTokens({ sub: 'bob' });
      const cookie = `AccessToken=${alice.accessToken}; IdToken=${alice.idToken}`;
      expect((await request(t.server).get('/t/me').set('Cookie', cookie)).body.sub).toBe('alice');
      const both = await request(t.server).get('/t/me').set('Cookie', cookie).set(seedHeaders(bob));
      expect(both.body.sub).toBe('bob');
      const blank = await request(t.server).get('/t/me').set('Cookie', 'AccessToken=; IdToken=  ');
      expect(blank.body.code).toBe('token_missing');
    } finally {
      await t.close();
    }
  });

  it('globalGuard: false leaves routes open unless @UseGuards(CognitoGuard), which then protects them', async () => {
    const t = await createTestApp({ ...idp.moduleOptions(), globalGuard: false }, {}, platform);
    try {
      expect((await request(t.server).get('/t/me')).status).toBe(200);
      expect((await request(t.server).get('/guarded/me')).status).toBe(401);
      const tokens = await idp.issueTokens({ sub: 'g-1' });
      expect((await request(t.server).get('/guarded/me').set(seedHeaders(tokens))).body).toEqual({ sub: 'g-1' });
    } finally {
      await t.close();
    }
  });

  // The global guard is APP_GUARD useExisting CognitoGuard (Nest's documented pattern), so
  // overrideProvider(CognitoGuard) replaces it; overrideGuard(CognitoGuard) replaces @UseGuards uses,
  // and the global guard defers to the same replacement.
  describe('replacing the guard in tests', () => {
    @Controller('x')
    @UseGuards(CognitoGuard)
    class XController {
      @Get() get(@CurrentUser() user: unknown) {
        return { user: user ?? null };
      }
    }

    async function statuses(
      globalGuard: boolean,
      override?: 'guard' | 'provider',
      fake: CanActivate = { canActivate: () => true },
      controllers: Type<unknown>[] = [XController, ProbeController],
    ): Promise<number[]> {
      const t = await createTestApp(
        { ...idp.moduleOptions(), globalGuard },
        {
          controllers,
          override: (builder) =>
            override === 'guard'
              ? builder.overrideGuard(CognitoGuard).useValue(fake)
              : override === 'provider'
                ? builder.overrideProvider(CognitoGuard).useValue(fake)
                : builder,
        },
        platform,
      );
      try {
        const paths = controllers.includes(XController) ? ['/x', '/t/admin'] : ['/t/admin'];
        return await Promise.all(paths.map(async (path) => (await request(t.server).get(path)).status));
      } finally {
        await t.close();
      }
    }

    it('overrideGuard(CognitoGuard) replaces @UseGuards(CognitoGuard)', async () => {
      expect(await statuses(false)).toEqual([401, 200]);
      expect(await statuses(false, 'guard')).toEqual([200, 200]);
    });

    it('overrideGuard(CognitoGuard) replaces the global guard too (globalGuard on, the default)', async () => {
      expect(await statuses(true, 'guard')).toEqual([200, 200]);
      // No controller names the guard: the module's own use of it is what the override replaces.
      expect(await statuses(true, 'guard', undefined, [ProbeController])).toEqual([200]);
      // The global guard answers as the replacement does, a refusal included.
      expect(await statuses(true, 'guard', { canActivate: () => false }, [ProbeController])).toEqual([403]);
    });

    it('app.get(CognitoGuard) is the guard that runs: the global one, or what overrideProvider put there', async () => {
      const plain = await createTestApp(idp.moduleOptions(), { controllers: [ProbeController] }, platform);
      try {
        const canActivate = jest.spyOn(plain.app.get(CognitoGuard), 'canActivate');
        expect((await request(plain.server).get('/t/admin')).status).toBe(401);
        expect(canActivate).toHaveBeenCalledTimes(1);
      } finally {
        await plain.close();
      }
      const fake = { canActivate: () => true };
      const replaced = await createTestApp(
        idp.moduleOptions(),
        { controllers: [ProbeController], override: (builder) => builder.overrideProvider(CognitoGuard).useValue(fake) },
        platform,
      );
      try {
        expect(replaced.app.get(CognitoGuard)).toBe(fake);
      } finally {
        await replaced.close();
      }
    });

    it('overrideProvider(CognitoGuard) replaces the global guard', async () => {
      expect(await statuses(true)).toEqual([401, 401]);
      // /x still meets its own @UseGuards instance; /t/admin only the global one.
      expect((await statuses(true, 'provider'))[1]).toBe(200);
    });
  });
});

void GuardedController;
