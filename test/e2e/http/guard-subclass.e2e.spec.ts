import { type ExecutionContext, Injectable } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import request from 'supertest';
import { CognitoGuard, type CognitoContextAdapter, type ContextTokens } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';

/** An app's own guard: the tokens come from one header, `X-App-Session: <access token> <ID token>`. */
@Injectable()
class SessionHeaderGuard extends CognitoGuard {
  protected override getTokens(context: ExecutionContext, adapter: CognitoContextAdapter): ContextTokens {
    if (context.getType() !== 'http') return super.getTokens(context, adapter);
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const value = req.headers['x-app-session'];
    const [access, id] = (typeof value === 'string' ? value : '').trim().split(/\s+/);
    return { access: access || undefined, id: id || undefined, source: 'header' };
  }
}

describe.each(HTTP_PLATFORMS)('a subclass of CognitoGuard as the global guard (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp(
      { ...idp.moduleOptions(), globalGuard: false },
      { providers: [{ provide: APP_GUARD, useClass: SessionHeaderGuard }] },
      platform,
    );
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const session = (tokens: { accessToken: string; idToken: string }) => ({ 'X-App-Session': `${tokens.accessToken} ${tokens.idToken}` });

  it('reads the tokens where its getTokens() says, and the rest of the guard works as before', async () => {
    const tokens = await idp.issueTokens({ sub: 'sub-1', groups: ['staff'] });
    const res = await request(t.server).get('/t/me').set(session(tokens));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sub: 'sub-1', groups: ['staff'] });
    const admin = await request(t.server).get('/t/admin').set(session(tokens));
    expect(admin.status).toBe(403);
    expect(admin.body.code).toBe('forbidden_group');
    expect((await request(t.server).get('/t/open')).body).toEqual({ user: null });
    expect((await request(t.server).get('/t/open').set(session(tokens))).body).toEqual({ user: 'sub-1' });
  });

  it('replaces the default places: the ACCESSTOKEN / IDTOKEN headers alone are token_missing', async () => {
    const tokens = await idp.issueTokens();
    const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_missing');
    const half = await request(t.server).get('/t/me').set({ 'X-App-Session': tokens.accessToken });
    expect(half.status).toBe(401);
    expect(half.body.code).toBe('token_missing');
    expect(half.body.message).toMatch(/ID token/);
  });

  it('a route with @UseGuards(CognitoGuard) as well reuses its outcome: one authentication per request', async () => {
    const tokens = await idp.issueTokens({ sub: 'both' });
    const res = await request(t.server).get('/guarded/me').set(session(tokens));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'both' });
  });
});
