import { Controller, Get, type INestApplication, Res } from '@nestjs/common';
import request from 'supertest';
import { CurrentUser } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { cookieNamed, cookieValue, setCookies } from '../../support/cookies.js';
import { createTestApp, HTTP_PLATFORMS, type TestApp } from '../../support/test-app.js';

interface CookieWriter {
  /** Express. */
  cookie?(name: string, value: string, options: { path: string }): unknown;
  append?(name: string, value: string): unknown;
  /** Fastify with @fastify/cookie. */
  setCookie?(name: string, value: string, options: { path: string }): unknown;
  /** Fastify. */
  header?(name: string, value: string): unknown;
}

/** Handlers that set their own cookie: with the cookie helper of the platform, and as a raw header. */
@Controller('prefs')
class PrefsController {
  @Get('helper')
  helper(@Res({ passthrough: true }) res: CookieWriter, @CurrentUser() user: { sub: string }): { sub: string } {
    if (res.setCookie) res.setCookie('theme', 'dark', { path: '/' });
    else res.cookie!('theme', 'dark', { path: '/' });
    return { sub: user.sub };
  }

  @Get('header')
  header(@Res({ passthrough: true }) res: CookieWriter, @CurrentUser() user: { sub: string }): { sub: string } {
    if (res.append) res.append('Set-Cookie', 'theme=dark; Path=/');
    else res.header!('Set-Cookie', 'theme=dark; Path=/');
    return { sub: user.sub };
  }
}

/**
 * The library writes `Set-Cookie` through the response the platform gives (the reply on Fastify,
 * never its raw Node response, whose `Set-Cookie` the reply's own would replace), so its cookies
 * and the app's all reach the client: on Fastify with @fastify/cookie's `setCookie()` or
 * `reply.header()`, on Express with `res.cookie()` or `res.append()`. The other suites run
 * Fastify without @fastify/cookie: the library needs no cookie plugin.
 */
describe.each(HTTP_PLATFORMS)("the library's cookies and the app's own in one response (%s)", (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    const beforeInit = async (app: INestApplication) => {
      if (platform !== 'fastify') return;
      const fastifyCookie = (await import('@fastify/cookie')).default;
      await (app as INestApplication & { register(plugin: unknown): Promise<unknown> }).register(fastifyCookie);
    };
    t = await createTestApp(
      { ...idp.moduleOptions(), cookies: { enabled: true }, csrf: true },
      { controllers: [PrefsController], beforeInit },
      platform,
    );
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it.each(['helper', 'header'])(
    'after a refresh of cookie-borne tokens: AccessToken, IdToken, csrf_token and the app cookie (%s) all arrive',
    async (route) => {
      const tokens = await idp.issueTokens({ sub: 'cookie-jar', expiresInSeconds: -60 });
      const res = await request(t.server)
        .get(`/prefs/${route}`)
        .set('Cookie', `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sub: 'cookie-jar' });
      expect(
        setCookies(res)
          .map((c) => c.split('=')[0])
          .sort(),
      ).toEqual(['AccessToken', 'IdToken', 'csrf_token', 'theme']);
      expect(cookieValue(cookieNamed(res, 'theme'))).toBe('dark');
      const again = await request(t.server)
        .get(`/prefs/${route}`)
        .set('Cookie', `AccessToken=${cookieValue(cookieNamed(res, 'AccessToken'))}; IdToken=${cookieValue(cookieNamed(res, 'IdToken'))}`);
      expect(again.status).toBe(200);
    },
  );
});
