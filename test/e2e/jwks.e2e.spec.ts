import request from 'supertest';
import { JwtValidationService, resolveCognitoSettings, type CognitoAuthForRootOptions } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { createTestApp, seedHeaders, type TestApp } from '../support/test-app.js';
import { clockModule, ManualClock, waitFor } from '../support/clock.js';
import { JwksGate } from '../support/jwks-gate.js';

const COOLDOWN = 10_000;
const HOUR = 3_600_000;
/** JWKS fetch timeout of the warm apps (the default): a fetch that hangs ends by it. */
const JWKS_TIMEOUT = 3000;
/** JWKS fetch timeout of the apps whose refetches the test holds at a gate: never reached. */
const NO_TIMEOUT = 600_000;

/** JWKS behaviour over HTTP, counted at the test identity provider's JWKS endpoint, on an injected clock. */
describe('JWKS cache', () => {
  let idp: TestIdentityProvider;
  let clock: ManualClock;

  const startApp = (options: Partial<CognitoAuthForRootOptions> = {}): Promise<TestApp> =>
    createTestApp({ ...idp.moduleOptions(), jwksRefetchCooldownMs: COOLDOWN, ...options }, { imports: [clockModule(clock)] });

  beforeEach(async () => {
    idp = await TestIdentityProvider.start();
    clock = new ManualClock(Date.now());
  });
  afterEach(async () => {
    await idp?.close();
  });

  it('cold start: 200 concurrent requests on a fresh app make one JWKS fetch', async () => {
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => idp.issueTokens({ sub: `cold-${i}` })));
    const t = await startApp();
    try {
      const res = await Promise.all(tokens.map((tk) => request(t.server).get('/t/me').set(seedHeaders(tk))));
      expect(res.map((r) => r.status)).toEqual(Array(200).fill(200));
      expect(idp.stats.jwksRequests).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('cold service (no start-up fetch): 200 concurrent verifications share one fetch', async () => {
    const service = new JwtValidationService(resolveCognitoSettings(idp.moduleOptions(), () => undefined));
    const tokens = await Promise.all(Array.from({ length: 200 }, () => idp.issueTokens()));
    const claims = await Promise.all(tokens.map((tk) => service.verifyAccessToken(tk.accessToken)));
    expect(claims.map((c) => c.sub)).toEqual(tokens.map((tk) => tk.sub));
    expect(idp.stats.jwksRequests).toBe(1);
  });

  it('cold start with the JWKS down: 503 auth_unavailable with Retry-After, then recovery after the cooldown', async () => {
    idp.jwks.mode = 'fail';
    const t = await startApp();
    try {
      const tokens = await idp.issueTokens();
      const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', code: 'auth_unavailable', message: expect.any(String) });
      expect(res.headers['retry-after']).toBe('5');
      idp.jwks.mode = 'ok';
      clock.advance(COOLDOWN);
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('a hanging JWKS at start-up times out: start-up goes on, requests get 503', async () => {
    idp.jwks.mode = 'hang';
    const t = await startApp({ jwksTimeoutMs: 400 });
    try {
      expect(t.app.get(JwtValidationService).jwksStatus()).toMatchObject({ keys: 0, lastError: 'timed out' });
      const res = await request(t.server)
        .get('/t/me')
        .set(seedHeaders(await idp.issueTokens()));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
    } finally {
      await t.close();
    }
  });

  describe('warm', () => {
    let t: TestApp;
    let jwt: JwtValidationService;
    beforeEach(async () => {
      t = await startApp({ jwksTimeoutMs: JWKS_TIMEOUT });
      jwt = t.app.get(JwtValidationService);
      expect(idp.stats.jwksRequests).toBe(1);
      idp.resetStats();
    });
    afterEach(() => t?.close());

    it('keeps verifying known-kid tokens while background refetches fail (stale-if-error)', async () => {
      for (const mode of ['fail', 'hang', 'invalid-json'] as const) {
        idp.jwks.mode = mode;
        clock.advance(HOUR); // the key set is stale: the next request starts a refetch and does not wait for it
        const fresh = await Promise.all(Array.from({ length: 20 }, () => idp.issueTokens({ expiresInSeconds: 24 * 3600 })));
        const res = await Promise.all(fresh.map((tk) => request(t.server).get('/t/me').set(seedHeaders(tk))));
        expect(res.map((r) => r.status)).toEqual(Array(20).fill(200));
        // A hanging refetch ends by the app's fetch timeout (JWKS_TIMEOUT): waited for, not timed.
        await waitFor(() => jwt.jwksStatus().lastErrorAt === clock.now(), `the failed ${mode} refetch`, 30_000);
      }
      expect(idp.stats.jwksRequests).toBe(3);
    });

    it('accepts a rotated key after exactly one refetch, once the cooldown of the start-up fetch is over', async () => {
      const next = await idp.rotateKey();
      const tokens = await idp.issueTokens({ sub: 'rotated', key: next });
      // Right after start-up the cooldown holds: the new kid is unknown, and nothing is fetched.
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.code).toBe('token_invalid');
      expect(idp.stats.jwksRequests).toBe(0);
      clock.advance(COOLDOWN);
      const ok = await Promise.all(Array.from({ length: 10 }, () => request(t.server).get('/t/me').set(seedHeaders(tokens))));
      expect(ok.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(idp.stats.jwksRequests).toBe(1);
    });

    it('a key dropped from the JWKS stops passing, for tokens already verified too', async () => {
      const old = await idp.issueTokens();
      expect((await request(t.server).get('/t/me').set(seedHeaders(old))).status).toBe(200); // now cached
      const next = await idp.rotateKey({ dropOld: true });
      clock.advance(COOLDOWN);
      expect(
        (
          await request(t.server)
            .get('/t/me')
            .set(seedHeaders(await idp.issueTokens({ key: next })))
        ).status,
      ).toBe(200);
      const res = await request(t.server).get('/t/me').set(seedHeaders(old));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
      expect(idp.stats.jwksRequests).toBe(1);
    });
  });

  /**
   * Warm apps whose refetches go through a gate in front of the provider's JWKS endpoint: the test
   * holds a refetch in flight and releases it when it has seen what was answered meanwhile, so
   * "does not wait for the refetch" is shown by the order of events, not by a timer. The fetch
   * timeout is never reached: a held refetch ends only when the test releases it.
   */
  describe('warm, refetches held at a gate', () => {
    let gate: JwksGate;
    let t: TestApp;
    let jwt: JwtValidationService;
    beforeEach(async () => {
      gate = await JwksGate.start(idp.jwksUri);
      t = await startApp({ jwksUri: gate.url, jwksTimeoutMs: NO_TIMEOUT });
      jwt = t.app.get(JwtValidationService);
      expect(jwt.jwksStatus()).toMatchObject({ keys: 1, lastError: undefined });
      expect(gate.fetches).toBe(1);
    });
    afterEach(async () => {
      await t?.close();
      await gate?.close();
    });

    it('100 unknown-kid tokens make at most one fetch per cooldown and never block known-kid tokens', async () => {
      clock.advance(COOLDOWN); // past the cooldown of the start-up fetch
      idp.jwks.mode = 'fail'; // the refetch fails once the gate lets it through
      const rogue = await idp.createKey();
      const unknown = await Promise.all(Array.from({ length: 100 }, () => idp.issueTokens({ key: rogue })));
      const valid = await Promise.all(Array.from({ length: 50 }, () => idp.issueTokens()));
      let unknownAnswered = 0;
      /** Per known-kid answer: its status, and whether no unknown-kid answer had come yet. */
      const validDone: Array<{ status: number; beforeAnyUnknown: boolean }> = [];
      gate.hold();
      const unknownRes = Promise.all(
        unknown.map((tk) =>
          request(t.server)
            .get('/t/me')
            .set(seedHeaders(tk))
            .then((r) => (unknownAnswered++, r)),
        ),
      );
      const validRes = Promise.all(
        valid.map((tk) =>
          request(t.server)
            .get('/t/me')
            .set(seedHeaders(tk))
            .then((r) => validDone.push({ status: r.status, beforeAnyUnknown: unknownAnswered === 0 })),
        ),
      );
      try {
        // Every known-kid answer comes while the refetch is held: none waits for it (a known kid
        // that did would wait until the release below, and this wait would fail).
        await waitFor(() => validDone.length === valid.length, 'every known-kid answer while the refetch is held', 15_000);
        await waitFor(() => gate.fetches === 2, 'the refetch of the unknown kid to reach the JWKS endpoint');
        expect(validDone).toEqual(Array(valid.length).fill({ status: 200, beforeAnyUnknown: true }));
        expect({ open: gate.open, unknownAnswered }).toEqual({ open: 1, unknownAnswered: 0 });
      } finally {
        gate.release();
      }
      await validRes;
      // The refetch was tried and failed: 503 for the tokens that waited for it; one that only
      // reached the app after it failed is inside its cooldown: 401.
      const res = await unknownRes;
      expect(res.every((r) => r.status === 503 || r.body.code === 'token_invalid')).toBe(true);
      expect(res.some((r) => r.status === 503)).toBe(true);
      expect(jwt.jwksStatus()).toMatchObject({ keys: 1, lastErrorAt: clock.now() });
      expect(gate.fetches).toBe(2);

      // Inside the cooldown an unknown kid is simply invalid, with no fetch at all.
      idp.jwks.mode = 'ok';
      const again = await request(t.server)
        .get('/t/me')
        .set(seedHeaders(await idp.issueTokens({ key: rogue })));
      expect(again.body.code).toBe('token_invalid');
      expect(gate.fetches).toBe(2);
    });

    it('refetches the key set in the background once it is older than its max-age; no request waits', async () => {
      const tokens = await idp.issueTokens({ expiresInSeconds: 2 * 3600 });
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      await idp.rotateKey({ dropOld: true });
      const startedAt = jwt.jwksStatus().fetchedAt;
      clock.advance(HOUR);
      gate.hold(); // the background refetch stays in flight until released
      idp.jwks.mode = 'fail'; // and then fails
      let status: number | undefined;
      const answer = request(t.server)
        .get('/t/me')
        .set(seedHeaders(tokens))
        .then((r) => (status = r.status));
      try {
        // A request that waited for the refetch would wait until the release below: this wait would fail.
        await waitFor(() => status !== undefined, 'the answer while the refetch is held', 15_000);
        expect(status).toBe(200);
        // That answer came while the refetch it started was in flight: held open at the gate, unended.
        await waitFor(() => gate.fetches === 2, 'the background refetch to reach the JWKS endpoint');
        expect({ open: gate.open, lastError: jwt.jwksStatus().lastError, fetchedAt: jwt.jwksStatus().fetchedAt }).toEqual({
          open: 1,
          lastError: undefined,
          fetchedAt: startedAt,
        });
      } finally {
        gate.release();
      }
      await answer;
      await waitFor(() => jwt.jwksStatus().lastErrorAt === clock.now(), 'the refetch to fail');
      // The failed refetch kept the last good key set (stale-if-error).
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      idp.jwks.mode = 'ok';
      clock.advance(COOLDOWN);
      await request(t.server).get('/t/me').set(seedHeaders(tokens)); // starts the next refetch, which drops the old key
      await waitFor(() => jwt.jwksStatus().fetchedAt === clock.now(), 'the refetch to succeed');
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.code).toBe('token_invalid');
      expect(gate.fetches).toBe(3);
    });
  });
});
