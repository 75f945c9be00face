/**
 * The sample app in a real browser: Debian's Chromium (headless) driven by playwright-core,
 * against the compiled sample app (a child process, SQLite in a temp dir) and its own
 * cognito-local (a free port, a temp working dir, tokens valid for 3 seconds).
 *
 * Sign in through the page, see the synced user, create a note with the CSRF token, let the
 * access token expire and see the next action succeed through the refresh cookie, sign out and be
 * refused (the revoked refresh token too). Screenshot: test-output/browser/signed-in.png.
 *
 * Needs /usr/bin/chromium (CHROMIUM_PATH overrides): skipped without it, failed without it when
 * REQUIRE_BROWSER=1. Builds the library and the sample app first (tsc, ~10 s).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Cookie, type Page } from 'playwright-core';
import { type CognitoLocalProcess, findFreePort, startCognitoLocal } from '../../sample-app/demo/cognito-local.js';
import { DEMO_USERS, provision } from '../../sample-app/demo/provision.js';
import { PROJECT_ROOT, type SampleAppProcess, sampleAppCognitoEnv, startSampleApp } from '../../sample-app/demo/sample-app-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const MISSING = `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium); REQUIRE_BROWSER=1 makes this a failure`;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const TOKEN_VALIDITY_SECONDS = 3;
const SCREENSHOT = path.join(PROJECT_ROOT, 'test-output', 'browser', 'signed-in.png');
const alice = DEMO_USERS.find((u) => u.username === 'alice')!;

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function jwtExp(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
  if (typeof payload.exp !== 'number') throw new Error('token without exp');
  return payload.exp;
}

/** Pieces of a token long enough to be unmistakable: the start and end of each segment past the header. */
function fragments(token: string): string[] {
  const segments = token.split('.');
  const parts = segments.length === 3 ? segments.slice(1) : [token];
  return parts.filter((p) => p.length >= 24).flatMap((p) => [p.slice(0, 24), p.slice(-24)]);
}

if (!HAVE_CHROMIUM && process.env.REQUIRE_BROWSER === '1') {
  describe('sample app in Chromium', () => {
    it('needs Chromium (REQUIRE_BROWSER=1)', () => {
      throw new Error(MISSING);
    });
  });
} else if (!HAVE_CHROMIUM) {
  describe.skip(`sample app in Chromium (skipped: ${MISSING})`, () => {
    it('signs in, creates notes, refreshes, signs out', () => undefined);
  });
  console.warn(`test/browser skipped: ${MISSING}`);
} else {
  describe('sample app in Chromium: login page, CSRF, transparent refresh, logout', () => {
    let tmp: string;
    let cognito: CognitoLocalProcess | undefined;
    let app: SampleAppProcess | undefined;
    let context: BrowserContext | undefined;
    let page: Page;
    let base: string;
    const tokens = new Set<string>();
    const bodies: string[] = [];
    const pageErrors: string[] = [];
    let beforeLogout: Cookie[] = [];

    const cookie = async (name: string) => (await context!.cookies(base)).find((c) => c.name === name);
    const remember = async () => {
      for (const c of await context!.cookies(base)) if (['AccessToken', 'IdToken', 'RefreshToken'].includes(c.name)) tokens.add(c.value);
    };
    /** fetch from inside the page (same origin, the browser's cookies). */
    const fetchInPage = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) =>
      page.evaluate(
        async ({ method, url, headers, body }) => {
          const res = await fetch(url, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
          return { status: res.status, body: (await res.json().catch(() => null)) as { code?: string } | null };
        },
        { method, url, headers, body },
      );

    beforeAll(async () => {
      // The sample app runs as a user's would: compiled by tsc, importing the built library.
      const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT });
      await run(process.execPath, [tsc, '-p', path.join('sample-app', 'tsconfig.json')], { cwd: PROJECT_ROOT });

      tmp = await mkdtemp(path.join(os.tmpdir(), 'sample-app-browser-'));
      cognito = await startCognitoLocal({ port: await findFreePort(), dir: path.join(tmp, 'cognito') });
      const pool = await provision(cognito.endpoint, { tokenValiditySeconds: TOKEN_VALIDITY_SECONDS, poolName: 'browser-test' });
      app = await startSampleApp({
        port: await findFreePort(),
        env: {
          ...sampleAppCognitoEnv(pool, cognito.endpoint),
          COGNITO_CLOCK_TOLERANCE: '0',
          DATABASE_URL: `sqlite:${path.join(tmp, 'app.db')}`,
          NO_COLOR: '1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      });
      base = app.url;

      context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 900, height: 820 },
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => {
        if (/Content Security Policy|Refused to/i.test(msg.text())) pageErrors.push(msg.text());
      });
      page.on('response', async (res) => {
        if (!res.url().startsWith(base)) return;
        const headers = res.headers();
        for (const name of ['accesstoken', 'idtoken', 'refreshtoken']) if (headers[name]) tokens.add(headers[name]);
        bodies.push(await res.text().catch(() => ''));
      });
    }, 180_000);

    afterAll(async () => {
      await context?.close();
      await app?.stop();
      await cognito?.stop();
      for (const pid of [app?.pid, cognito?.pid]) {
        if (pid === undefined) continue;
        expect(() => process.kill(pid, 0)).toThrow(); // gone
      }
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }, 30_000);

    it('shows the sign-in form, and refuses a wrong password with 401 login_failed', async () => {
      await page.goto(base);
      await page.locator('#signed-out').waitFor({ state: 'visible' });
      await page.fill('#username', alice.username);
      await page.fill('#password', 'not-the-password');
      const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/auth/login')), page.click('#sign-in')]);
      expect(res.status()).toBe(401);
      expect(await res.json()).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'login_failed', message: 'Incorrect username or password' });
      await expect(page.locator('#login-error').textContent()).resolves.toBe('Incorrect username or password');
      expect(await cookie('AccessToken')).toBeUndefined();
    });

    it('signs in through the page and shows the synced user', async () => {
      await page.fill('#password', alice.password);
      const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/auth/login')), page.click('#sign-in')]);
      expect(res.status()).toBe(200);
      await page.locator('#signed-in').waitFor({ state: 'visible' });
      expect(await page.textContent('#user-email')).toBe(alice.email);
      expect(await page.textContent('#user-first-name')).toBe(alice.firstName);
      expect(await page.textContent('#user-last-name')).toBe(alice.lastName);
      expect(await page.textContent('#user-id')).toMatch(/^\d+$/);
      expect(await page.textContent('#user-name')).toBe(`${alice.firstName} ${alice.lastName}`);

      // Tokens in HttpOnly Secure cookies (Chromium keeps Secure cookies on http://localhost), the
      // CSRF token in a cookie scripts can read.
      for (const name of ['AccessToken', 'IdToken', 'RefreshToken']) {
        expect(await cookie(name)).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      }
      expect(await cookie('csrf_token')).toMatchObject({ httpOnly: false, secure: true });
      await remember();

      // The page's own view of /me is the entity with its primary key.
      const me = await fetchInPage('GET', '/me');
      expect(me).toMatchObject({ status: 200, body: { email: alice.email, first_name: alice.firstName, last_name: alice.lastName } });
      expect(await fetchInPage('GET', '/admin')).toMatchObject({ status: 403, body: { code: 'forbidden_group' } });
    });

    it('creates a note with the CSRF token (and a POST without it is refused)', async () => {
      await page.fill('#note-text', 'Buy milk');
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/notes') && r.request().method() === 'POST'),
        page.click('#add-note'),
      ]);
      expect(res.status()).toBe(201);
      expect(res.request().headers()['x-csrf-token']).toBe((await cookie('csrf_token'))!.value);
      await expect(page.locator('#notes li').first().textContent()).resolves.toBe('Buy milk');

      expect(await fetchInPage('POST', '/notes', {}, { text: 'forged' })).toMatchObject({ status: 403, body: { code: 'csrf_failed' } });

      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    });

    it('after the access token expires, the next action succeeds through the refresh cookie', async () => {
      const before = (await cookie('AccessToken'))!.value;
      const exp = jwtExp(before);
      await sleep(Math.max(0, exp * 1000 - Date.now()) + 1200);
      expect(Date.now() / 1000).toBeGreaterThan(exp);

      await page.fill('#note-text', 'Written with an expired access token');
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/notes') && r.request().method() === 'POST'),
        page.click('#add-note'),
      ]);
      expect(res.status()).toBe(201);
      expect(res.headers()['accesstoken']).toBeTruthy(); // refreshed by the guard
      await expect(page.locator('#notes li').first().textContent()).resolves.toBe('Written with an expired access token');
      expect(await page.textContent('#status')).toContain('(tokens refreshed)');
      const after = (await cookie('AccessToken'))!.value;
      expect(after).not.toBe(before);
      expect(jwtExp(after)).toBeGreaterThan(exp);
      await remember();
      expect(await page.locator('#notes li').count()).toBe(2);
    });

    it('signs out, and is refused afterwards, the revoked refresh token included', async () => {
      beforeLogout = (await context!.cookies(base)).filter((c) => ['AccessToken', 'IdToken', 'RefreshToken', 'csrf_token'].includes(c.name));
      const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/auth/logout')), page.click('#sign-out')]);
      expect(res.status()).toBe(204);
      await page.locator('#signed-out').waitFor({ state: 'visible' });
      expect(await page.textContent('#login-error')).toBe('Signed out.');
      expect((await context!.cookies(base)).map((c) => c.name)).toEqual([]);

      expect(await fetchInPage('GET', '/me')).toMatchObject({ status: 401, body: { code: 'token_missing' } });
      expect(await fetchInPage('POST', '/notes', {}, { text: 'after logout' })).toMatchObject({ status: 401, body: { code: 'token_missing' } });
      await page.reload();
      await page.locator('#signed-out').waitFor({ state: 'visible' });

      // Replaying the old cookies: the access token has expired by now, and the refresh token was
      // revoked at Cognito by the logout.
      const exp = jwtExp(beforeLogout.find((c) => c.name === 'AccessToken')!.value);
      await sleep(Math.max(0, exp * 1000 - Date.now()) + 1200);
      await context!.addCookies(beforeLogout);
      expect(await fetchInPage('GET', '/me')).toMatchObject({ status: 401, body: { code: 'refresh_failed' } });
    });

    it('put no token, or any piece of one, in a response body or a log line, and raised no page error', () => {
      expect(tokens.size).toBeGreaterThanOrEqual(5);
      const haystacks = [...bodies, ...app!.lines];
      const leaks = [...tokens].flatMap(fragments).filter((f) => haystacks.some((h) => h.includes(f)));
      expect(leaks).toEqual([]);
      expect(app!.lines.some((l) => l.includes('(tokens refreshed)'))).toBe(true);
      expect(pageErrors).toEqual([]);
    });
  });
}
