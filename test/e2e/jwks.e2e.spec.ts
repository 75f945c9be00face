import request from 'supertest';
import { JwtValidationService, resolveCognitoSettings, type CognitoAuthForRootOptions } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { createTestApp, seedHeaders, type TestApp } from '../support/test-app.js';
import { clockModule, ManualClock, waitFor } from '../support/clock.js';

const COOLDOWN = 10_000;
const HOUR = 3_600_000;

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
      t = await startApp({ jwksTimeoutMs: 300 });
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
        await waitFor(() => jwt.jwksStatus().lastErrorAt === clock.now(), `the failed ${mode} refetch`);
      }
      expect(idp.stats.jwksRequests).toBe(3);
    });

    it('100 unknown-kid tokens make at most one fetch per cooldown and never block known-kid tokens', async () => {
      clock.advance(COOLDOWN); // past the cooldown of the start-up fetch
      idp.jwks.mode = 'hang'; // the refetch hangs until its timeout
      const rogue = await idp.createKey();
      const unknown = await Promise.all(Array.from({ length: 100 }, () => idp.issueTokens({ key: rogue })));
      const valid = await Promise.all(Array.from({ length: 50 }, () => idp.issueTokens()));
      const finished: Array<{ kind: string; status: number }> = []; // in the order the answers came
      const send = (kind: string, tk: { accessToken: string; idToken: string }) =>
        request(t.server)
          .get('/t/me')
          .set(seedHeaders(tk))
          .then((r) => finished.push({ kind, status: r.status }));
      await Promise.all([...unknown.map((tk) => send('unknown', tk)), ...valid.map((tk) => send('valid', tk))]);
      const validDone = finished.filter((f) => f.kind === 'valid');
      const unknownDone = finished.filter((f) => f.kind === 'unknown');
      expect(validDone.every((f) => f.status === 200)).toBe(true);
      // The refetch was tried and failed: 503; the known-kid answers all came before it gave up.
      expect(unknownDone.every((f) => f.status === 503 || f.status === 401)).toBe(true);
      expect(unknownDone.some((f) => f.status === 503)).toBe(true);
      expect(finished.slice(0, validDone.length).every((f) => f.kind === 'valid')).toBe(true);
      expect(idp.stats.jwksRequests).toBe(1);

      // Inside the cooldown an unknown kid is simply invalid, with no fetch at all.
      idp.jwks.mode = 'ok';
      const again = await request(t.server)
        .get('/t/me')
        .set(seedHeaders(await idp.issueTokens({ key: rogue })));
      expect(again.body.code).toBe('token_invalid');
      expect(idp.stats.jwksRequests).toBe(1);
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

    it('refetches the key set in the background once it is older than its max-age; no request waits', async () => {
      const tokens = await idp.issueTokens({ expiresInSeconds: 2 * 3600 });
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      idp.jwks.mode = 'hang'; // the background refetch will not end until its timeout
      await idp.rotateKey({ dropOld: true });
      clock.advance(HOUR);
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      expect(idp.stats.jwksRequests).toBe(1);
      expect(jwt.jwksStatus().lastError).toBeUndefined(); // answered while the refetch still hangs
      await waitFor(() => jwt.jwksStatus().lastError === 'timed out', 'the refetch to time out');
      idp.jwks.mode = 'ok';
      clock.advance(COOLDOWN);
      await request(t.server).get('/t/me').set(seedHeaders(tokens)); // starts the next refetch, which drops the old key
      await waitFor(() => jwt.jwksStatus().fetchedAt === clock.now(), 'the refetch to succeed');
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.code).toBe('token_invalid');
    });
  });
});
