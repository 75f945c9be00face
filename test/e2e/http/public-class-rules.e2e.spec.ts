import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import request from 'supertest';
import { CurrentUser, Groups, Public, Scopes } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';

/**
 * `@Public()` on a class makes its handlers public, except a handler carrying its own `@Groups`
 * or `@Scopes`: that one needs a valid token and meets its rule (a class-level `@Public()` must
 * not silently drop a handler's rule).
 */
@Public()
@Controller('pub')
class PublicController {
  @Get('plain')
  plain(@CurrentUser() user: { sub?: string } | undefined): { user: string | null } {
    return { user: user?.sub ?? null };
  }

  @Groups('admin')
  @Get('admin')
  admin(@CurrentUser() user: { sub: string }): { sub: string } {
    return { sub: user.sub };
  }

  @Scopes('notes/write')
  @Post('notes')
  @HttpCode(201)
  write(@CurrentUser() user: { sub: string }): { sub: string } {
    return { sub: user.sub };
  }
}

describe.each(HTTP_PLATFORMS)("a @Public() controller keeps its handlers' own @Groups / @Scopes (%s)", (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp(idp.moduleOptions(), { controllers: [PublicController] }, platform);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('@Groups on a handler of a @Public() class: anonymous 401 token_missing, non-admin 403 forbidden_group, admin 200', async () => {
    const anonymous = await request(t.server).get('/pub/admin');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('token_missing');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="cognito"');
    const staff = await request(t.server)
      .get('/pub/admin')
      .set(seedHeaders(await idp.issueTokens({ sub: 'staff-1', groups: ['staff'] })));
    expect(staff.status).toBe(403);
    expect(staff.body.code).toBe('forbidden_group');
    const admin = await request(t.server)
      .get('/pub/admin')
      .set(seedHeaders(await idp.issueTokens({ sub: 'admin-1', groups: ['admin'] })));
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual({ sub: 'admin-1' });
  });

  it('such a handler with a bad token is refused, not let through anonymously', async () => {
    const tokens = await idp.issueTokens({ groups: ['admin'] });
    const res = await request(t.server).get('/pub/admin').set({ ACCESSTOKEN: 'x.y.z', IDTOKEN: tokens.idToken });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });

  it('@Scopes on a handler of a @Public() class: anonymous 401, without the scope 403 forbidden_scope, with it 201', async () => {
    const anonymous = await request(t.server).post('/pub/notes');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('token_missing');
    const reader = await request(t.server)
      .post('/pub/notes')
      .set(seedHeaders(await idp.issueTokens({ scopes: ['notes/read'] })));
    expect(reader.status).toBe(403);
    expect(reader.body.code).toBe('forbidden_scope');
    const writer = await request(t.server)
      .post('/pub/notes')
      .set(seedHeaders(await idp.issueTokens({ sub: 'w-1', scopes: ['notes/write'] })));
    expect(writer.status).toBe(201);
    expect(writer.body).toEqual({ sub: 'w-1' });
  });

  it('a plain handler of that class stays public: anonymous, the user with a valid token, anonymous with a bad one', async () => {
    expect((await request(t.server).get('/pub/plain')).body).toEqual({ user: null });
    const tokens = await idp.issueTokens({ sub: 'plain-1' });
    expect((await request(t.server).get('/pub/plain').set(seedHeaders(tokens))).body).toEqual({ user: 'plain-1' });
    const bad = await request(t.server).get('/pub/plain').set({ ACCESSTOKEN: 'x.y.z', IDTOKEN: tokens.idToken });
    expect(bad.status).toBe(200);
    expect(bad.body).toEqual({ user: null });
    const expired = await request(t.server)
      .get('/pub/plain')
      .set(seedHeaders({ ...(await idp.issueTokens({ expiresInSeconds: -60 })), refreshToken: undefined }));
    expect(expired.status).toBe(200);
    expect(expired.body).toEqual({ user: null });
  });
});
