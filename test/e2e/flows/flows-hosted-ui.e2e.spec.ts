import request from 'supertest';
import { FlowStateCrypto } from '../../../src/flows/flow-state.crypto.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { cookieNamed, cookieValue, setCookies } from '../../support/cookies.js';
import { HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';
import { flowsApp, PASSWORD, STATE_KEY } from './flows-app.js';

const REDIRECT = 'http://app.test/auth/callback';

/** The hosted UI: GET /auth/hosted (state, nonce, PKCE S256 in the signed cognito_oauth cookie) and GET /auth/callback. */
describe.each(HTTP_PLATFORMS)('hosted UI (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  const hostedUi = () => ({
    domain: idp.endpoint,
    redirectUri: REDIRECT,
    scopes: ['openid', 'email', 'aws.cognito.signin.user.admin'],
    afterLogin: '/home',
  });

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    idp.flows.addUser({ username: 'alice', password: PASSWORD, groups: ['staff'] });
    t = await flowsApp(idp, { cookies: { enabled: true, secure: false }, flows: { hostedUi: hostedUi() } }, {}, platform);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  beforeEach(() => {
    idp.flows.controls.mode = 'ok';
    idp.flows.oauth.controls.signInAs = 'alice';
    idp.flows.oauth.controls.deny = false;
    idp.flows.resetCalls();
  });

  /** GET /auth/hosted, then the provider's /oauth2/authorize: the callback query and the cookie. */
  async function startSignIn(app = t, provider?: string): Promise<{ code: string; state: string; cookie: string; authorize: URL }> {
    const start = await request(app.server).get(`/auth/hosted${provider ? `?provider=${provider}` : ''}`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers['location'] as string);
    const cookie = cookieValue(cookieNamed(start, 'cognito_oauth'))!;
    const back = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    return { code: callback.searchParams.get('code') ?? '', state: callback.searchParams.get('state') ?? '', cookie, authorize };
  }

  const callback = (q: { code?: string; state?: string; error?: string }, cookie?: string, app = t) => {
    const req = request(app.server).get('/auth/callback').query(q);
    return cookie !== undefined ? req.set('Cookie', `cognito_oauth=${encodeURIComponent(cookie)}`) : req;
  };

  it('GET /auth/hosted redirects to /oauth2/authorize with state, nonce and an S256 PKCE challenge, and sets the HttpOnly cookie', async () => {
    const res = await request(t.server).get('/auth/hosted?provider=Google');
    expect(res.status).toBe(302);
    const url = new URL(res.headers['location'] as string);
    expect(`${url.origin}${url.pathname}`).toBe(`${idp.endpoint}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'test-client',
      redirect_uri: REDIRECT,
      scope: 'openid email aws.cognito.signin.user.admin',
      code_challenge_method: 'S256',
      identity_provider: 'Google',
    });
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = cookieNamed(res, 'cognito_oauth')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=600/);
    expect(cookieValue(cookie)).not.toContain(url.searchParams.get('code_challenge'));
  });

  it('the callback exchanges the code with the verifier, sets the session cookies and redirects to afterLogin', async () => {
    const { code, state, cookie } = await startSignIn();
    const res = await callback({ code, state }, cookie);
    expect(res.status).toBe(302);
    expect(res.headers['location']).toBe('/home');
    expect(cookieNamed(res, 'cognito_oauth')).toMatch(/Max-Age=0/);
    const jar = setCookies(res)
      .filter((c) => /^(AccessToken|IdToken|RefreshToken)=/.test(c))
      .map((c) => c.split(';')[0]);
    expect(jar).toHaveLength(3);
    const me = await request(t.server).get('/t/me').set('Cookie', jar.join('; '));
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('alice');
    expect(idp.flows.calls['oauth2/token']).toBe(1);
  });

  it('the hosted UI form signs the user in too (no live session at the provider)', async () => {
    idp.flows.oauth.controls.signInAs = undefined;
    const start = await request(t.server).get('/auth/hosted');
    const cookie = cookieValue(cookieNamed(start, 'cognito_oauth'))!;
    const page = await fetch(start.headers['location'] as string);
    expect(await page.text()).toContain('<form method="post" action="/login">');
    const form = new URLSearchParams({
      ...Object.fromEntries(new URL(start.headers['location'] as string).searchParams),
      username: 'alice',
      password: PASSWORD,
    });
    const back = await fetch(`${idp.endpoint}/login`, { method: 'POST', body: form, redirect: 'manual' });
    const q = new URL(back.headers.get('location')!).searchParams;
    expect((await callback({ code: q.get('code')!, state: q.get('state')! }, cookie)).status).toBe(302);
  });

  describe('forged state, missing cookie or verifier, reused code: 400 invalid_state', () => {
    it("a state other than the cookie's (a forged callback)", async () => {
      const { code, cookie } = await startSignIn();
      const res = await callback({ code, state: 'forged-state-value' }, cookie);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_state');
      expect(idp.flows.calls['oauth2/token'] ?? 0).toBe(0);
    });

    it('no cognito_oauth cookie (a callback started elsewhere)', async () => {
      const { code, state } = await startSignIn();
      expect((await callback({ code, state })).body.code).toBe('invalid_state');
    });

    it('a cookie whose payload was altered', async () => {
      const { code, state, cookie } = await startSignIn();
      const [v, , mac] = cookie.split('.');
      const forged = Buffer.from(JSON.stringify({ s: state, v: 'a'.repeat(43), n: 'n', e: 9_999_999_999 })).toString('base64url');
      expect((await callback({ code, state }, `${v}.${forged}.${mac}`)).body.code).toBe('invalid_state');
    });

    it('a signed cookie without the PKCE verifier never reaches the token endpoint', async () => {
      const { code, state } = await startSignIn();
      const noVerifier = new FlowStateCrypto(STATE_KEY, Date.now).sign({
        s: state,
        n: 'n',
        e: Math.floor(Date.now() / 1000) + 60,
      } as never);
      const res = await callback({ code, state }, noVerifier);
      expect(res.body).toMatchObject({ code: 'invalid_state', message: 'The sign-in has no PKCE verifier: start the sign-in again' });
      expect(idp.flows.calls['oauth2/token'] ?? 0).toBe(0);
    });

    it('a verifier that does not match the challenge is refused by the token endpoint', async () => {
      const { code, state } = await startSignIn();
      const wrongVerifier = new FlowStateCrypto(STATE_KEY, Date.now).sign({
        s: state,
        v: 'b'.repeat(43),
        n: 'n',
        e: Math.floor(Date.now() / 1000) + 60,
      } as never);
      expect((await callback({ code, state }, wrongVerifier)).body.code).toBe('invalid_state');
      expect(idp.flows.calls['oauth2/token']).toBe(1);
    });

    it('a code used once already', async () => {
      const { code, state, cookie } = await startSignIn();
      expect((await callback({ code, state }, cookie)).status).toBe(302);
      const again = await callback({ code, state }, cookie);
      expect(again.status).toBe(400);
      expect(again.body.code).toBe('invalid_state');
    });

    it('an error from the hosted UI (the user cancelled)', async () => {
      idp.flows.oauth.controls.deny = true;
      const start = await request(t.server).get('/auth/hosted');
      const back = await fetch(start.headers['location'] as string, { redirect: 'manual' });
      const q = Object.fromEntries(new URL(back.headers.get('location')!).searchParams);
      const res = await callback(q, cookieValue(cookieNamed(start, 'cognito_oauth')));
      expect(res.body).toMatchObject({ code: 'invalid_state', message: 'The hosted UI did not sign the user in (access_denied)' });
    });

    it('a code or state with characters no URL value has', async () => {
      expect((await callback({ code: 'a b', state: 'x' }, 'c')).body.code).toBe('invalid_state');
    });
  });

  it('the token endpoint down is 503, throttling 429', async () => {
    const first = await startSignIn();
    idp.flows.controls.mode = 'error';
    expect((await callback({ code: first.code, state: first.state }, first.cookie)).body.code).toBe('auth_unavailable');
    idp.flows.controls.mode = 'ok';
    const second = await startSignIn();
    idp.flows.controls.mode = 'throttle';
    const res = await callback({ code: second.code, state: second.state }, second.cookie);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('with cookies off the callback still redirects to afterLogin (302), the tokens in the body for a client that does not follow it', async () => {
    const app = await flowsApp(idp, { flows: { hostedUi: hostedUi() } }, {}, platform);
    try {
      const { code, state, cookie } = await startSignIn(app);
      const res = await callback({ code, state }, cookie, app);
      expect(res.status).toBe(302);
      expect(res.headers['location']).toBe('/home');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ status: 'signed_in', user: { username: 'alice', groups: ['staff'] } });
      expect(res.body.user.sub).toBe(idp.flows.user('alice')!.sub);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'idToken', 'refreshToken', 'status', 'user']);
      expect(setCookies(res).filter((c) => /^(AccessToken|IdToken|RefreshToken)=/.test(c))).toEqual([]);
      // The tokens are the ones the provider issued for the code: the app accepts them.
      const me = await request(app.server).get('/t/me').set(seedHeaders(res.body));
      expect(me.status).toBe(200);
      expect(me.body.sub).toBe(res.body.user.sub);
      expect(idp.flows.calls['oauth2/token']).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('with cookies off and no afterLogin set, the callback redirects to /', async () => {
    const { afterLogin: _unused, ...noAfterLogin } = hostedUi();
    const app = await flowsApp(idp, { flows: { hostedUi: noAfterLogin } }, {}, platform);
    try {
      const { code, state, cookie } = await startSignIn(app);
      const res = await callback({ code, state }, cookie, app);
      expect(res.status).toBe(302);
      expect(res.headers['location']).toBe('/');
      expect(res.body.status).toBe('signed_in');
    } finally {
      await app.close();
    }
  });

  it.each([true, false])('an afterLogin with characters a header cannot carry is percent-encoded, once (cookies %s)', async (enabled) => {
    const app = await flowsApp(
      idp,
      { cookies: { enabled, secure: false }, flows: { hostedUi: { ...hostedUi(), afterLogin: '/café/€?q=%20' } } },
      {},
      platform,
    );
    try {
      const { code, state, cookie } = await startSignIn(app);
      const res = await callback({ code, state }, cookie, app);
      expect(res.status).toBe(302);
      expect(res.headers['location']).toBe('/caf%C3%A9/%E2%82%AC?q=%20');
    } finally {
      await app.close();
    }
  });

  it('without a hosted UI configured, GET /auth/hosted is 404', async () => {
    const app = await flowsApp(idp, {}, {}, platform);
    try {
      expect((await request(app.server).get('/auth/hosted')).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('a provider name that is not one is 400', async () => {
    expect((await request(t.server).get('/auth/hosted?provider=%3Cscript%3E')).status).toBe(400);
  });
});
