/**
 * The sample app in a real browser: Debian's Chromium (headless) driven by playwright-core,
 * against the compiled sample app (a child process, SQLite in a temp dir) and the library's ready
 * sign-in controller.
 *
 * Against the test identity provider (which has MFA and sends codes the test can read): sign up,
 * confirm with the code, sign in with a TOTP code, see the synced user row, add notes with the
 * CSRF token, a transparent refresh through the refresh cookie, sign out (the old cookies are
 * refused afterwards), then forgot password, reset and sign in with an SMS code. Against
 * cognito-local provisioned as `npm run demo` does: the demo users sign in and out, the admin
 * page, a wrong password. Nothing leaks: no token, password or code in a body or a log line.
 * Screenshots: test-output/browser/.
 *
 * Needs /usr/bin/chromium (CHROMIUM_PATH overrides): skipped without it, failed without it when
 * REQUIRE_BROWSER=1. Builds the library and the sample app first (tsc, ~10 s).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { type CognitoLocalProcess, findFreePort, startCognitoLocal } from '../../sample-app/demo/cognito-local.js';
import { DEMO_USERS, provision } from '../../sample-app/demo/provision.js';
import { type SampleAppProcess, sampleAppCognitoEnv, startSampleApp } from '../../sample-app/demo/sample-app-process.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { buildSampleApp, describeBrowser, launchChromium, leaks, PageWatch, until } from './browser-harness.js';

const QUIET_ENV = { NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
/** A base32 TOTP secret, as an authenticator app would hold it. */
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const CAROL = { username: 'carol', email: 'carol@example.com', firstName: 'Carol', lastName: 'Danvers', password: 'Carol-Passw0rd!' };
const ALICE = { username: 'alice', password: 'Wonder-Land-Passw0rd!', newPassword: 'Looking-Gla55-Passw0rd!' };

describeBrowser('sample app in Chromium', () => {
  let tmp: string;
  let browser: Browser;

  beforeAll(async () => {
    await buildSampleApp(); // the sample app runs as a user's would: compiled by tsc, importing the built library
    tmp = await mkdtemp(path.join(os.tmpdir(), 'sample-app-browser-'));
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('against the test identity provider: sign-up, confirmation, MFA, refresh, sign-out, password reset', () => {
    let idp: TestIdentityProvider;
    let app: SampleAppProcess | undefined;
    let w: PageWatch;
    const tokens = new Set<string>();
    const codes: string[] = [];
    const remember = async () => (await w.tokenCookies()).forEach((t) => tokens.add(t));

    beforeAll(async () => {
      idp = await TestIdentityProvider.start();
      const attributes = { 'custom:first_name': 'Alice', 'custom:last_name': 'Liddell' };
      idp.flows.addUser({ username: ALICE.username, password: ALICE.password, email: 'alice@example.com', mfa: ['SMS_MFA'], attributes });
      app = await startSampleApp({
        port: await findFreePort(),
        env: {
          ...sampleAppCognitoEnv({ userPoolId: idp.userPoolId, clientId: idp.clientIds[0]! }, idp.endpoint),
          DATABASE_URL: `sqlite:${path.join(tmp, 'idp.db')}`,
          ...QUIET_ENV,
        },
      });
      w = await PageWatch.open(browser, app.url);
    }, 60_000);
    afterAll(async () => {
      await w?.context.close();
      await app?.stop();
      if (app?.pid !== undefined) expect(() => process.kill(app!.pid!, 0)).toThrow(); // gone
      await idp?.close();
    });

    it('a wrong password is 401 invalid_credentials, shown on the page', async () => {
      await w.page.goto(app!.url);
      await w.page.locator('#signed-out').waitFor({ state: 'visible' });
      await w.page.fill('#username', ALICE.username);
      await w.page.fill('#password', 'Not-the-passw0rd!');
      const res = await w.click('#sign-in', 'POST', '/auth/login');
      expect(res.status()).toBe(401);
      expect(await res.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'invalid_credentials',
        message: 'Incorrect username or password',
      });
      expect(await w.page.textContent('#login-error')).toBe('Incorrect username or password');
      expect(await w.cookie('AccessToken')).toBeUndefined();
    });

    it('signs up, and confirms with the code Cognito sent (a wrong code first: code_mismatch)', async () => {
      await w.page.click('#show-signup');
      await w.page.fill('#signup-username', CAROL.username);
      await w.page.fill('#signup-email', CAROL.email);
      await w.page.fill('#signup-first-name', CAROL.firstName);
      await w.page.fill('#signup-last-name', CAROL.lastName);
      await w.page.fill('#signup-password', CAROL.password);
      const signup = await w.click('#signup-submit', 'POST', '/auth/signup');
      expect(signup.status()).toBe(201);
      expect(await signup.json()).toMatchObject({ status: 'confirmation_required', delivery: { medium: 'EMAIL' } });
      await w.page.locator('#confirm').waitFor({ state: 'visible' });
      expect(await w.page.textContent('#info')).toMatch(/^We sent a code to c\*\*\*@e\*\*\*\.$/);

      const code = idp.flows.lastCode(CAROL.username, 'signup')!;
      codes.push(code);
      await w.page.fill('#confirm-code', code === '000000' ? '111111' : '000000');
      expect((await w.click('#confirm-submit', 'POST', '/auth/confirm')).status()).toBe(400);
      expect(await w.page.textContent('#confirm-error')).toBe('The code is wrong');
      await w.page.fill('#confirm-code', code);
      expect((await w.click('#confirm-submit', 'POST', '/auth/confirm')).status()).toBe(204);
      await w.page.locator('#signed-out').waitFor({ state: 'visible' });
      expect(await w.page.textContent('#info')).toBe('Your account is confirmed: sign in.');
      expect(await w.page.inputValue('#username')).toBe(CAROL.username);
    });

    it('signs in with a TOTP code from an authenticator app, and sees the synced user row', async () => {
      const carol = idp.flows.user(CAROL.username)!;
      carol.mfa = ['SOFTWARE_TOKEN_MFA']; // she turned on an authenticator app
      carol.totpSecret = TOTP_SECRET;

      await w.page.fill('#password', CAROL.password);
      const login = await w.click('#sign-in', 'POST', '/auth/login');
      expect(await login.json()).toMatchObject({ status: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA' });
      await w.page.locator('#challenge').waitFor({ state: 'visible' });
      expect(await w.page.textContent('#challenge-label')).toBe('Enter the code from your authenticator app.');
      expect(await w.page.isVisible('#challenge-answer')).toBe(true);
      expect(await w.page.isVisible('#challenge-choice')).toBe(false); // only SELECT_MFA_TYPE offers a choice
      expect(await w.cookie('AccessToken')).toBeUndefined();

      const right = idp.flows.totpCode(CAROL.username);
      codes.push(right);
      await w.page.fill('#challenge-answer', right === '000000' ? '111111' : '000000');
      const wrong = await w.click('#challenge-submit', 'POST', '/auth/challenge');
      expect((await wrong.json()).code).toBe('code_mismatch');
      expect(await w.page.textContent('#challenge-error')).toBe('The code is wrong');
      await w.screenshot('mfa-challenge');

      await w.page.fill('#challenge-answer', right);
      const done = await w.click('#challenge-submit', 'POST', '/auth/challenge');
      expect(await done.json()).toEqual({ status: 'signed_in', user: { sub: carol.sub, username: CAROL.username, groups: [] } });
      await w.page.locator('#signed-in').waitFor({ state: 'visible' });
      await w.page.locator('#user-id').filter({ hasText: /^\d+$/ }).waitFor();
      expect(await w.page.textContent('#user-email')).toBe(CAROL.email);
      expect(await w.page.textContent('#user-first-name')).toBe(CAROL.firstName);
      expect(await w.page.textContent('#user-last-name')).toBe(CAROL.lastName);
      expect(await w.page.textContent('#user-sub')).toBe(carol.sub);
      expect(await w.page.textContent('#user-name')).toBe(`${CAROL.firstName} ${CAROL.lastName}`);
      expect(await w.page.textContent('#user-groups')).toBe('(none)');

      for (const name of ['AccessToken', 'IdToken', 'RefreshToken']) {
        expect(await w.cookie(name)).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      }
      expect(await w.cookie('csrf_token')).toMatchObject({ httpOnly: false, secure: true });
      await remember();
      expect(await w.fetch('GET', '/admin')).toMatchObject({ status: 403, body: { code: 'forbidden_group' } });
    });

    it('adds a note with the CSRF token (and a POST without it is refused)', async () => {
      await w.page.fill('#note-text', 'Buy milk');
      const res = await w.click('#add-note', 'POST', '/notes');
      expect(res.status()).toBe(201);
      expect(res.request().headers()['x-csrf-token']).toBe((await w.cookie('csrf_token'))!.value);
      await w.page.locator('#notes li').filter({ hasText: 'Buy milk' }).waitFor();
      expect(await w.fetch('POST', '/notes', {}, { text: 'forged' })).toMatchObject({ status: 403, body: { code: 'csrf_failed' } });
      await w.screenshot('signed-in');
    });

    it('with an expired access token, the next action succeeds through the refresh cookie', async () => {
      // The session as it is once its access and ID tokens have expired: an expired pair of
      // carol's, with its refresh token, in the cookies.
      const carol = idp.flows.user(CAROL.username)!;
      const idClaims = { ...carol.attributes, email_verified: true };
      const expired = await idp.issueTokens({
        sub: carol.sub,
        username: carol.username,
        email: carol.email,
        idClaims,
        expiresInSeconds: -60,
      });
      [expired.accessToken, expired.idToken, expired.refreshToken].forEach((t) => tokens.add(t));
      const values: Record<string, string> = {
        AccessToken: expired.accessToken,
        IdToken: expired.idToken,
        RefreshToken: expired.refreshToken,
      };
      await w.context.addCookies(
        (await w.context.cookies(app!.url)).filter((c) => c.name in values).map((c) => ({ ...c, value: values[c.name]! })),
      );

      await w.page.fill('#note-text', 'Written with an expired access token');
      const res = await w.click('#add-note', 'POST', '/notes');
      expect(res.status()).toBe(201);
      expect(res.headers()['accesstoken']).toBeUndefined(); // cookie-borne tokens come back as cookies only
      await w.page.locator('#notes li').first().filter({ hasText: 'Written with an expired access token' }).waitFor();
      const after = (await w.cookie('AccessToken'))!.value;
      expect(after).not.toBe(expired.accessToken);
      await remember();
      await until(
        () => app!.lines.some((l) => l.includes('POST /notes 201') && l.includes('(tokens refreshed)')),
        'the app logs the refresh',
      );
      expect(await w.page.locator('#notes li').count()).toBe(2);
    });

    it('signs out; afterwards the old cookies are refused (token_revoked)', async () => {
      const before = (await w.context.cookies(app!.url)).filter((c) =>
        ['AccessToken', 'IdToken', 'RefreshToken', 'csrf_token'].includes(c.name),
      );
      const res = await w.click('#sign-out', 'POST', '/auth/logout');
      expect(res.status()).toBe(204);
      await w.page.locator('#signed-out').waitFor({ state: 'visible' });
      expect(await w.page.textContent('#info')).toBe('Signed out.');
      expect((await w.context.cookies(app!.url)).map((c) => c.name)).toEqual([]);
      expect(await w.fetch('GET', '/me')).toMatchObject({ status: 401, body: { code: 'token_missing' } });

      await w.context.addCookies(before);
      expect(await w.fetch('GET', '/me')).toMatchObject({ status: 401, body: { code: 'token_revoked' } });
      await w.context.clearCookies();
    });

    it('forgot password: a code, a new password, then a sign-in with an SMS code', async () => {
      await w.page.goto(app!.url);
      await w.page.locator('#signed-out').waitFor({ state: 'visible' });
      await w.page.fill('#username', ALICE.username);
      await w.page.click('#show-forgot');
      expect(await w.page.inputValue('#forgot-username')).toBe(ALICE.username);
      expect((await w.click('#forgot-submit', 'POST', '/auth/forgot')).status()).toBe(202);
      await w.page.locator('#reset').waitFor({ state: 'visible' });
      const resetCode = idp.flows.lastCode(ALICE.username, 'forgot')!;
      codes.push(resetCode);
      await w.page.fill('#reset-code', resetCode);
      await w.page.fill('#reset-password', 'short');
      const weak = await w.click('#reset-submit', 'POST', '/auth/reset');
      expect((await weak.json()).code).toBe('invalid_password');
      await w.page.fill('#reset-code', resetCode);
      await w.page.fill('#reset-password', ALICE.newPassword);
      expect((await w.click('#reset-submit', 'POST', '/auth/reset')).status()).toBe(204);
      await w.page.locator('#signed-out').waitFor({ state: 'visible' });
      expect(await w.page.textContent('#info')).toBe('Your password is changed: sign in.');

      await w.page.fill('#password', ALICE.newPassword);
      expect(await (await w.click('#sign-in', 'POST', '/auth/login')).json()).toMatchObject({ challenge: 'SMS_MFA' });
      expect(await w.page.textContent('#challenge-label')).toBe('Enter the code we sent by SMS to +*******0100.');
      const sms = idp.flows.lastCode(ALICE.username, 'SMS_MFA')!;
      codes.push(sms);
      await w.page.fill('#challenge-answer', sms);
      expect((await w.click('#challenge-submit', 'POST', '/auth/challenge')).status()).toBe(200);
      await w.page.locator('#user-first-name').filter({ hasText: 'Alice' }).waitFor();
      await remember();
      expect((await w.click('#sign-out', 'POST', '/auth/logout')).status()).toBe(204);
    });

    it('put no token, password or code in a response body, header or log line, and raised no page error', () => {
      expect(tokens.size).toBeGreaterThanOrEqual(9);
      const haystacks = [...w.bodies, ...w.headerValues, ...app!.lines];
      expect(leaks(haystacks, tokens, [CAROL.password, ALICE.password, ALICE.newPassword])).toEqual([]);
      const codeInLog = codes.filter((code) => app!.lines.some((l) => new RegExp(`\\b${code}\\b`).test(l)));
      expect(codeInLog).toEqual([]);
      expect(w.pageErrors).toEqual([]);
    });
  });

  describe('against cognito-local, provisioned as `npm run demo` does', () => {
    let cognito: CognitoLocalProcess | undefined;
    let app: SampleAppProcess | undefined;
    let w: PageWatch;
    const [admin, alice] = DEMO_USERS;

    beforeAll(async () => {
      cognito = await startCognitoLocal({ port: await findFreePort(), dir: path.join(tmp, 'cognito') });
      const pool = await provision(cognito.endpoint, { tokenValiditySeconds: 300, poolName: 'browser-test' });
      app = await startSampleApp({
        port: await findFreePort(),
        env: { ...sampleAppCognitoEnv(pool, cognito.endpoint), DATABASE_URL: `sqlite:${path.join(tmp, 'demo.db')}`, ...QUIET_ENV },
      });
      w = await PageWatch.open(browser, app.url);
    }, 60_000);
    afterAll(async () => {
      await w?.context.close();
      await app?.stop();
      await cognito?.stop();
      for (const pid of [app?.pid, cognito?.pid]) if (pid !== undefined) expect(() => process.kill(pid, 0)).toThrow();
    });

    const signIn = async (username: string, password: string) => {
      await w.page.fill('#username', username);
      await w.page.fill('#password', password);
      return w.click('#sign-in', 'POST', '/auth/login');
    };

    it('a wrong password is 401 invalid_credentials', async () => {
      await w.page.goto(app!.url);
      await w.page.locator('#signed-out').waitFor({ state: 'visible' });
      const res = await signIn(alice.username, 'Wrong-Passw0rd!');
      expect(res.status()).toBe(401);
      expect((await res.json()).code).toBe('invalid_credentials');
    });

    it('the admin signs in, sees their row and the admin page, and signs out', async () => {
      const res = await signIn(admin.username, admin.password);
      expect(await res.json()).toMatchObject({ status: 'signed_in', user: { username: admin.username, groups: ['admin'] } });
      await w.page.locator('#user-email').filter({ hasText: admin.email }).waitFor();
      expect(await w.page.textContent('#user-groups')).toBe('admin');
      expect(await w.page.textContent('#user-first-name')).toBe(admin.firstName);
      expect((await w.click('#try-admin', 'GET', '/admin')).status()).toBe(200);
      await w.page
        .locator('#status')
        .filter({ hasText: `Hello ${admin.firstName}, you are an admin` })
        .waitFor();
      await w.screenshot('cognito-local-admin');
      expect((await w.click('#sign-out', 'POST', '/auth/logout')).status()).toBe(204);
      await w.page.locator('#signed-out').waitFor({ state: 'visible' });
    });

    it('a user outside the admin group is refused the admin page (403 forbidden_group)', async () => {
      await signIn(alice.username, alice.password);
      await w.page.locator('#user-email').filter({ hasText: alice.email }).waitFor();
      expect((await w.click('#try-admin', 'GET', '/admin')).status()).toBe(403);
      expect(await w.page.textContent('#status')).toContain('forbidden_group');
      expect((await w.click('#sign-out', 'POST', '/auth/logout')).status()).toBe(204);
      expect(w.pageErrors).toEqual([]);
    });
  });
});
