import request from 'supertest';
import { JwtValidationService, resolveCognitoSettings } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { createTestApp, seedHeaders, type TestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** JWKS behaviour under load, counted at the test identity provider's JWKS endpoint. */
describe('JWKS cache', () => {
  let idp: TestIdentityProvider;

  beforeEach(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterEach(async () => {
    await idp?.close();
  });

  it('cold start: 200 concurrent requests on a fresh app make one JWKS fetch', async () => {
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => idp.issueTokens({ sub: `cold-${i}` })));
    const t = await createTestApp(idp.moduleOptions());
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
    const t = await createTestApp({ ...idp.moduleOptions(), jwksRefetchCooldownMs: 300 });
    try {
      const tokens = await idp.issueTokens();
      const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', code: 'auth_unavailable', message: expect.any(String) });
      expect(res.headers['retry-after']).toBe('5');
      idp.jwks.mode = 'ok';
      await sleep(350);
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('a hanging JWKS at start-up times out: start-up goes on, requests get 503', async () => {
    idp.jwks.mode = 'hang';
    const started = Date.now();
    const t = await createTestApp({ ...idp.moduleOptions(), jwksTimeoutMs: 400 });
    try {
      expect(Date.now() - started).toBeLessThan(3000);
      const res = await request(t.server).get('/t/me').set(seedHeaders(await idp.issueTokens()));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
    } finally {
      await t.close();
    }
  });

  describe('warm', () => {
    let t: TestApp;
    beforeEach(async () => {
      t = await createTestApp({ ...idp.moduleOptions(), jwksRefetchCooldownMs: 300, jwksTimeoutMs: 1500 });
      expect(idp.stats.jwksRequests).toBe(1);
    });
    afterEach(() => t?.close());

    it('keeps verifying known-kid tokens when the JWKS endpoint goes down (stale-if-error)', async () => {
      for (const mode of ['fail', 'hang', 'invalid-json'] as const) {
        idp.jwks.mode = mode;
        const fresh = await Promise.all(Array.from({ length: 20 }, () => idp.issueTokens()));
        const res = await Promise.all(fresh.map((tk) => request(t.server).get('/t/me').set(seedHeaders(tk))));
        expect(res.every((r) => r.status === 200)).toBe(true);
      }
      expect(idp.stats.jwksRequests).toBe(1);
    });

    it('100 unknown-kid tokens make at most one fetch per cooldown and never block known-kid tokens', async () => {
      await t.close();
      t = await createTestApp({ ...idp.moduleOptions(), jwksRefetchCooldownMs: 1000, jwksTimeoutMs: 1500 });
      idp.resetStats();
      await sleep(1050); // past the cooldown of the start-up fetch
      idp.jwks.mode = 'hang'; // the refetch hangs until its timeout
      const rogue = await idp.createKey();
      const unknown = await Promise.all(Array.from({ length: 100 }, () => idp.issueTokens({ key: rogue })));
      const valid = await Promise.all(Array.from({ length: 50 }, () => idp.issueTokens()));
      const finished: Array<{ kind: string; status: number; at: number }> = [];
      const send = (kind: string, tk: { accessToken: string; idToken: string }) =>
        request(t.server)
          .get('/t/me')
          .set(seedHeaders(tk))
          .then((r) => finished.push({ kind, status: r.status, at: Date.now() }));
      await Promise.all([...unknown.map((tk) => send('unknown', tk)), ...valid.map((tk) => send('valid', tk))]);
      const validDone = finished.filter((f) => f.kind === 'valid');
      const unknownDone = finished.filter((f) => f.kind === 'unknown');
      expect(validDone.every((f) => f.status === 200)).toBe(true);
      // The refetch was tried and failed: 503; the known-kid answers all came before it gave up.
      expect(unknownDone.every((f) => f.status === 503 || f.status === 401)).toBe(true);
      expect(unknownDone.some((f) => f.status === 503)).toBe(true);
      expect(Math.max(...validDone.map((f) => f.at))).toBeLessThan(Math.min(...unknownDone.map((f) => f.at)));
      expect(idp.stats.jwksRequests).toBe(1);

      // Inside the cooldown an unknown kid is simply invalid, with no fetch at all.
      idp.jwks.mode = 'ok';
      const again = await request(t.server).get('/t/me').set(seedHeaders(await idp.issueTokens({ key: rogue })));
      expect(again.body.code).toBe('token_invalid');
      expect(idp.stats.jwksRequests).toBe(1);
    });

    it('accepts a rotated key after exactly one refetch', async () => {
      // Key generation is slow: make the key before the app starts so the cooldown is not spent on it.
      const next = await idp.createKey();
      const tokens = await idp.issueTokens({ sub: 'rotated', key: next });
      await t.close();
      t = await createTestApp({ ...idp.moduleOptions(), jwksRefetchCooldownMs: 1000 });
      idp.resetStats();
      idp.publishKey(next);
      // Right after start-up the cooldown holds: the new kid is unknown, and nothing is fetched.
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.code).toBe('token_invalid');
      expect(idp.stats.jwksRequests).toBe(0);
      await sleep(1050);
      const ok = await Promise.all(Array.from({ length: 10 }, () => request(t.server).get('/t/me').set(seedHeaders(tokens))));
      expect(ok.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(idp.stats.jwksRequests).toBe(1);
    });
  });
});
