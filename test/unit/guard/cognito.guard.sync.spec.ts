import { jest } from '@jest/globals';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { CognitoAuthenticator, CognitoGuard, CognitoUser, type CognitoAuthForRootOptions } from '../../../src/index.js';
import { TestIdentityProvider, type IssuedTokens, type IssueTokensOptions } from '../../../src/testing/index.js';
import { clockModule, ManualClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/databases.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type HttpPlatform, type TestApp, type TestAppExtras } from '../../support/test-app.js';

/**
 * What `CognitoGuard.canActivate` hands Nest: a plain `true`, no promise, when the outcome is known
 * without waiting (tokens cached or verified on this thread, no user to load); a promise when
 * something has to wait (user sync, a key set to fetch). Refusals are rejected promises either
 * way, and a refusal reached synchronously says exactly what the same refusal reached after a
 * wait says. Driven over real HTTP; the guard's own return values are read through a spy on the
 * app's guard instance (the global guard is that instance).
 */
const T0 = Date.UTC(2030, 0, 1);
const COOLDOWN = 10_000;

describe.each(HTTP_PLATFORMS)('CognitoGuard answers synchronously when nothing waits (%s)', (platform: HttpPlatform) => {
  let idp: TestIdentityProvider;
  let clock: ManualClock;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }] });
  });
  afterAll(() => idp?.close());
  beforeEach(() => {
    clock = new ManualClock(T0);
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.close();
  });

  async function appWith(options: Partial<CognitoAuthForRootOptions> = {}, imports: TestAppExtras['imports'] = []) {
    const t = await createTestApp(
      { ...idp.moduleOptions(), users: false, jwksRefetchCooldownMs: COOLDOWN, ...options },
      { imports: [clockModule(clock), ...(imports ?? [])] },
      platform,
    );
    apps.push(t);
    const canActivate = jest.spyOn(t.app.get(CognitoGuard), 'canActivate');
    const authenticateNow = jest.spyOn(t.app.get(CognitoAuthenticator), 'authenticateNow');
    return { t, canActivate, authenticateNow };
  }

  type Spied = Awaited<ReturnType<typeof appWith>>;
  const issue = (options: IssueTokensOptions = {}) => idp.issueTokens({ now: clock.seconds, ...options });
  /** The pair only: with no refresh token an expired pair is refused, not refreshed. */
  const pairOf = (tk: IssuedTokens) => seedHeaders({ accessToken: tk.accessToken, idToken: tk.idToken });
  /** A key published after start-up, past the refetch cooldown: the first token signed with it makes the guard wait for the JWKS. */
  const unfetchedKey = async () => {
    const next = await idp.rotateKey();
    clock.advance(COOLDOWN);
    return next;
  };
  /** What the guard returned on its latest call. */
  const lastAnswer = (spied: Spied) => spied.canActivate.mock.results.at(-1)!;

  it('a new pair whose key is held, then the same pair cached: plain true both times', async () => {
    const spied = await appWith();
    const tk = await issue({ sub: 'sync-1' });
    for (const round of ['new', 'cached']) {
      const res = await request(spied.t.server).get('/t/me').set(pairOf(tk));
      expect({ round, status: res.status, sub: res.body.sub }).toEqual({ round, status: 200, sub: 'sync-1' });
      expect(lastAnswer(spied)).toEqual({ type: 'return', value: true });
    }
    expect(spied.canActivate).toHaveBeenCalledTimes(2);
  });

  it('a @Public() route passes with a plain true, with or without tokens', async () => {
    const spied = await appWith();
    await request(spied.t.server).get('/t/open').expect(200);
    expect(lastAnswer(spied)).toEqual({ type: 'return', value: true });
    await request(spied.t.server)
      .get('/t/open')
      .set(pairOf(await issue()))
      .expect(200);
    expect(lastAnswer(spied)).toEqual({ type: 'return', value: true });
  });

  it('a key not fetched yet: a promise of true; the same pair again, cached: plain true', async () => {
    const spied = await appWith();
    const tk = await issue({ sub: 'later-1', key: await unfetchedKey() });
    await request(spied.t.server).get('/t/me').set(pairOf(tk)).expect(200);
    const first = lastAnswer(spied);
    expect(first.type).toBe('return');
    expect(first.value).toBeInstanceOf(Promise);
    await expect(first.value).resolves.toBe(true);
    await request(spied.t.server).get('/t/me').set(pairOf(tk)).expect(200);
    expect(lastAnswer(spied)).toEqual({ type: 'return', value: true });
  });

  describe('with a validate hook', () => {
    /** "ok" in, "no" false, "boom" throws; "later" answers true after a wait. */
    const validate = (tokens: { access?: { sub: string } }) => {
      const sub = tokens.access?.sub ?? '';
      if (sub.startsWith('boom')) throw new Error('lookup failed');
      if (sub.startsWith('later')) return Promise.resolve(true);
      return sub.startsWith('ok');
    };

    it('a hook that answers at once keeps the plain true; one that returns a promise is waited for', async () => {
      const spied = await appWith({ validate });
      await request(spied.t.server)
        .get('/t/me')
        .set(pairOf(await issue({ sub: 'ok-1' })))
        .expect(200);
      expect(lastAnswer(spied)).toEqual({ type: 'return', value: true });
      await request(spied.t.server)
        .get('/t/me')
        .set(pairOf(await issue({ sub: 'later-2' })))
        .expect(200);
      const waited = lastAnswer(spied);
      expect(waited.value).toBeInstanceOf(Promise);
      await expect(waited.value).resolves.toBe(true);
    });

    it('false or a throw at once is 403 forbidden_claims, as a rejected promise, nothing of the error leaked', async () => {
      const spied = await appWith({ validate });
      for (const sub of ['no-1', 'boom-1']) {
        const res = await request(spied.t.server)
          .get('/t/me')
          .set(pairOf(await issue({ sub })));
        expect({ sub, status: res.status, code: res.body.code }).toEqual({ sub, status: 403, code: 'forbidden_claims' });
        expect(res.text).not.toContain('lookup failed');
        const answer = lastAnswer(spied);
        expect(answer.value).toBeInstanceOf(Promise);
        await expect(answer.value).rejects.toMatchObject({ code: 'forbidden_claims' });
      }
    });
  });

  describe('with user sync on', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('sqlite');
    });
    afterAll(() => db?.drop());

    it('a promise of true on every call, the pair cached or not (the user is loaded)', async () => {
      const typeOrm = TypeOrmModule.forRoot({ ...db.options, entities: [CognitoUser], synchronize: true } as Parameters<
        typeof TypeOrmModule.forRoot
      >[0]);
      const spied = await appWith({ users: { entity: CognitoUser } }, [typeOrm]);
      const tk = await issue({ sub: 'synced-1' });
      for (const round of ['new', 'cached']) {
        const res = await request(spied.t.server).get('/t/me').set(pairOf(tk));
        expect({ round, status: res.status, sub: res.body.sub }).toEqual({ round, status: 200, sub: 'synced-1' });
        const answer = lastAnswer(spied);
        expect(answer.type).toBe('return');
        expect(answer.value).toBeInstanceOf(Promise);
        await expect(answer.value).resolves.toBe(true);
      }
    });
  });

  describe('a refusal reached at once is the refusal reached after a wait', () => {
    /** One request through the guard: how the authenticator answered, what the guard rejected with, and the response. */
    async function refused(spied: Spied, path: string, tk: IssuedTokens) {
      const res = await request(spied.t.server).get(path).set(pairOf(tk));
      const answer = lastAnswer(spied);
      // A refusal is never thrown at Nest, nor a plain false: a rejected promise.
      expect(answer.type).toBe('return');
      expect(answer.value).toBeInstanceOf(Promise);
      const error = (await (answer.value as Promise<boolean>).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; getStatus?: () => number } | undefined;
      const auth = spied.authenticateNow.mock.results.at(-1)!;
      return {
        authenticated: auth.type === 'throw' ? 'at once' : auth.value instanceof Promise ? 'after a wait' : 'at once',
        code: error?.code,
        status: error?.getStatus?.(),
        response: { status: res.status, body: res.body as unknown, wwwAuthenticate: res.headers['www-authenticate'] },
      };
    }

    it.each<[string, string, IssueTokensOptions, string]>([
      ['an expired pair', '/t/me', { expiresInSeconds: -60 }, 'token_expired'],
      ['a pair without the route group', '/t/admin', { groups: ['staff'] }, 'forbidden_group'],
    ])('%s: the same code, status and response', async (_, path, options, code) => {
      const spied = await appWith();
      const now = await refused(spied, path, await issue(options));
      const later = await refused(spied, path, await issue({ ...options, key: await unfetchedKey() }));
      expect(now.authenticated).toBe('at once');
      expect(later.authenticated).toBe('after a wait');
      expect(now.code).toBe(code);
      expect({ ...later, authenticated: undefined }).toEqual({ ...now, authenticated: undefined });
    });

    it('a pair with a bad signature: the same code, status and response', async () => {
      const spied = await appWith();
      const rogue = await idp.createKey();
      const now = await refused(spied, '/t/me', await issue({ key: rogue, header: { kid: idp.currentKey.kid } }));
      const next = await unfetchedKey();
      const later = await refused(spied, '/t/me', await issue({ key: rogue, header: { kid: next.kid } }));
      expect([now.authenticated, later.authenticated]).toEqual(['at once', 'after a wait']);
      expect(now.code).toBe('token_invalid');
      expect({ ...later, authenticated: undefined }).toEqual({ ...now, authenticated: undefined });
    });
  });
});
