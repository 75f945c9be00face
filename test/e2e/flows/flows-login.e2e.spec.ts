import request from 'supertest';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { findLeaks } from '../../support/capture-logger.js';
import { cookieNamed, cookieValue, setCookies } from '../../support/cookies.js';
import { HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';
import { flowsApp, PASSWORD, texts } from './flows-app.js';

/** POST /auth/login over real HTTP, with the real SDK client against the test identity provider. */
describe.each(HTTP_PLATFORMS)('POST /auth/login (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  const bodies: unknown[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    idp.flows.addUser({ username: 'alice', password: PASSWORD, groups: ['admin', 'staff'] });
    idp.flows.addUser({ username: 'ursula', password: PASSWORD, status: 'UNCONFIRMED' });
    idp.flows.addUser({ username: 'rita', password: PASSWORD, status: 'RESET_REQUIRED' });
    idp.flows.addUser({ username: 'dora', password: PASSWORD, enabled: false });
    t = await flowsApp(idp, {}, {}, platform);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  beforeEach(() => {
    idp.flows.controls.mode = 'ok';
    idp.flows.controls.preventUserExistenceErrors = false;
    idp.flows.resetCalls();
  });
  afterAll(() => {
    // No password, code or token in any log line or error body of this suite.
    expect(findLeaks(texts(...t.logger.lines, ...bodies), secrets)).toEqual([]);
    for (const line of t.logger.lines) expect(line).not.toContain(PASSWORD);
  });

  const login = async (body: unknown) => {
    const res = await request(t.server)
      .post('/auth/login')
      .send(body as object);
    if (res.status !== 200) bodies.push(res.body);
    return res;
  };

  it('USER_PASSWORD_AUTH: 200 signed_in with the user, and with cookies off the tokens in the body', async () => {
    const res = await login({ username: 'alice', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ status: 'signed_in', user: { username: 'alice', groups: ['admin', 'staff'] }, expiresIn: 3600 });
    expect(res.body.user.sub).toBe(idp.flows.user('alice')!.sub);
    expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'idToken', 'refreshToken', 'status', 'user']);
    secrets.push(res.body.accessToken, res.body.idToken, res.body.refreshToken);
    expect(setCookies(res)).toEqual([]);
    const me = await request(t.server).get('/t/me').set(seedHeaders(res.body));
    expect(me.status).toBe(200);
    expect(me.body.sub).toBe(res.body.user.sub);
    expect(idp.flows.calls['InitiateAuth']).toBe(1);
  });

  it('USER_SRP_AUTH: the password is proved, not sent (InitiateAuth then the PASSWORD_VERIFIER answer)', async () => {
    const res = await login({ username: 'alice', password: PASSWORD, srp: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'signed_in', user: { username: 'alice' } });
    expect(idp.flows.calls).toMatchObject({ InitiateAuth: 1, RespondToAuthChallenge: 1 });
  });

  it('signs in by e-mail alias too; the user is the internal user name', async () => {
    const res = await login({ username: 'alice@example.test', password: PASSWORD, srp: true });
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe('alice');
  });

  it.each([false, true])('a wrong password is 401 invalid_credentials (srp %p)', async (srp) => {
    const res = await login({ username: 'alice', password: 'Wr0ng-Horse!', srp });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'invalid_credentials',
      message: 'Incorrect username or password',
    });
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('an unknown user gets the very answer of a wrong password (srp %p, PreventUserExistenceErrors %p)', async (srp, prevent) => {
    idp.flows.controls.preventUserExistenceErrors = prevent;
    const unknown = await login({ username: 'nobody', password: PASSWORD, srp });
    const wrong = await login({ username: 'alice', password: 'Wr0ng-Horse!', srp });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
  });

  it('an unconfirmed user: 403 user_not_confirmed after the right password, 401 after a wrong one', async () => {
    expect((await login({ username: 'ursula', password: PASSWORD })).body.code).toBe('user_not_confirmed');
    expect((await login({ username: 'ursula', password: PASSWORD, srp: true })).status).toBe(403);
    expect((await login({ username: 'ursula', password: 'Wr0ng-Horse!' })).body.code).toBe('invalid_credentials');
  });

  it('a user whose password an admin reset: 403 password_reset_required', async () => {
    const res = await login({ username: 'rita', password: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('password_reset_required');
  });

  it('a disabled user is 401 invalid_credentials', async () => {
    expect((await login({ username: 'dora', password: PASSWORD })).body.code).toBe('invalid_credentials');
  });

  it.each([
    [undefined, 'The body must be a JSON object'],
    [[], 'The body must be a JSON object'],
    [{ password: PASSWORD }, 'username must be a non-empty string'],
    [{ username: 'alice' }, 'password must be a non-empty string'],
    [{ username: 'al ice', password: PASSWORD }, 'username must be at most 128 characters with no spaces'],
    [{ username: 'alice', password: PASSWORD, srp: 'yes' }, 'srp must be true or false'],
  ])('a bad body %p is 400 with a clear message and no Cognito call', async (body, message) => {
    const res = await login(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(message);
    expect(idp.flows.calls['InitiateAuth'] ?? 0).toBe(0);
  });

  it.each([
    ['application/x-www-form-urlencoded', 'username=alice&password=x'],
    ['text/plain', '{"username":"alice","password":"x"}'],
  ])('a body sent as %s (what a cross-site form can post) is 400 and never reaches Cognito', async (type, body) => {
    const res = await request(t.server).post('/auth/login').set('Content-Type', type).send(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('The body must be JSON (Content-Type: application/json)');
    expect(idp.flows.calls['InitiateAuth'] ?? 0).toBe(0);
  });

  it("malformed JSON is 400 (the platform's body parser), never a 500", async () => {
    const res = await request(t.server).post('/auth/login').set('Content-Type', 'application/json').send('{"username": ');
    expect(res.status).toBe(400);
  });

  it('a password Cognito could never accept (leading blank) is invalid_credentials without a call', async () => {
    const res = await login({ username: 'alice', password: ` ${PASSWORD}` });
    expect(res.body.code).toBe('invalid_credentials');
    expect(idp.flows.calls['InitiateAuth'] ?? 0).toBe(0);
  });

  it.each(['throttle', 'limit-exceeded'] as const)('Cognito throttling (%s) is 429 limit_exceeded with Retry-After', async (mode) => {
    idp.flows.controls.mode = mode;
    const res = await login({ username: 'alice', password: PASSWORD });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('limit_exceeded');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('Cognito down (500) is 503 auth_unavailable with Retry-After', async () => {
    idp.flows.controls.mode = 'error';
    const res = await login({ username: 'alice', password: PASSWORD, srp: true });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('auth_unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('POST /auth/login: timeouts, secret clients, cookie sessions', () => {
  let idp: TestIdentityProvider;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web', clientSecret: 'web-secret-value' }] });
    idp.flows.addUser({ username: 'alice', password: PASSWORD });
  });
  afterAll(() => idp?.close());

  it('a Cognito that never answers is 503 once the Cognito timeout passes', async () => {
    const t = await flowsApp(idp, { cognitoTimeoutMs: 200 });
    try {
      idp.flows.controls.mode = 'hang';
      const res = await request(t.server).post('/auth/login').send({ username: 'alice', password: PASSWORD });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
    } finally {
      idp.flows.controls.mode = 'ok';
      await t.close();
    }
  });

  it('a client with a secret sends SECRET_HASH (the provider checks it), for the password and the SRP flow', async () => {
    const t = await flowsApp(idp);
    try {
      for (const srp of [false, true]) {
        const res = await request(t.server).post('/auth/login').send({ username: 'alice', password: PASSWORD, srp });
        expect(res.status).toBe(200);
      }
    } finally {
      await t.close();
    }
  });

  it('cookie sessions: tokens only in HttpOnly cookies, a CSRF cookie; a second login over a session needs X-CSRF-Token', async () => {
    const t = await flowsApp(idp, { cookies: { enabled: true, secure: false }, csrf: true });
    try {
      const res = await request(t.server).post('/auth/login').send({ username: 'alice', password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'signed_in', user: { sub: idp.flows.user('alice')!.sub, username: 'alice', groups: [] } });
      for (const name of ['AccessToken', 'IdToken', 'RefreshToken']) expect(cookieNamed(res, name)).toMatch(/HttpOnly/);
      const csrf = cookieValue(cookieNamed(res, 'csrf_token'))!;
      const jar = setCookies(res)
        .map((c) => c.split(';')[0])
        .join('; ');
      expect((await request(t.server).get('/t/me').set('Cookie', jar)).status).toBe(200);
      const forged = await request(t.server).post('/auth/login').set('Cookie', jar).send({ username: 'alice', password: PASSWORD });
      expect(forged.status).toBe(403);
      expect(forged.body.code).toBe('csrf_failed');
      const again = await request(t.server)
        .post('/auth/login')
        .set('Cookie', jar)
        .set('X-CSRF-Token', csrf)
        .send({ username: 'alice', password: PASSWORD });
      expect(again.status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
