import { TestIdentityProvider, type IssuedTokens } from '../../src/testing/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { type Expectation, judgeAnswer, subOfMe } from './support/oracle.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, sleep, WireClient, type WireResponse } from './support/wire.js';

/**
 * Fault injection on the JWKS endpoint of a real (test) identity provider, one case per fault:
 * slow (over the timeout), no answer at all, HTTP 500, invalid JSON, a 5 MB body, keys of the
 * wrong type under the right kids, a redirect. For each: a cold start (no key set yet) must answer
 * 503 auth_unavailable with Retry-After, each request within the JWKS timeout, with one fetch for
 * any number of waiting requests, and recover once the endpoint heals; a warm app must keep
 * verifying tokens of known keys (stale-if-error) without waiting for the failing refetch, answer a
 * new kid 503 when its refetch failed and 401 token_invalid inside the cooldown, and accept the new
 * key after healing.
 */
const tally = new Tally('faults: JWKS endpoint', import.meta.url);
const TIMEOUT = 500;
const COOLDOWN = 400;
/** Scheduling slack on a shared 2-core machine. */
const SLACK = 700;

const unavailable: Expectation = { status: 503, code: 'auth_unavailable' };
const invalid: Expectation = { status: 401, code: 'token_invalid', www: 'invalid_token' };

const FAULTS: { name: string; apply: (idp: TestIdentityProvider) => void }[] = [
  { name: 'slow (3x the timeout)', apply: (idp) => void (idp.jwks.delayMs = TIMEOUT * 3) },
  { name: 'no answer', apply: (idp) => void (idp.jwks.mode = 'hang') },
  { name: 'HTTP 500', apply: (idp) => void ((idp.jwks.mode = 'fail'), (idp.jwks.failStatus = 500)) },
  { name: 'invalid JSON', apply: (idp) => void (idp.jwks.mode = 'invalid-json') },
  { name: 'a 5 MB body', apply: (idp) => void (idp.jwks.mode = 'huge') },
  { name: 'keys of the wrong type', apply: (idp) => void (idp.jwks.mode = 'wrong-key-type') },
  { name: 'a redirect', apply: (idp) => void (idp.jwks.mode = 'redirect') },
];

function heal(idp: TestIdentityProvider): void {
  idp.jwks.mode = 'ok';
  idp.jwks.delayMs = 0;
  idp.jwks.failStatus = 500;
}

describe('faults: JWKS endpoint', () => {
  const logs: string[] = [];
  const sent: string[] = [];
  afterAll(() => tally.save());

  for (const fault of FAULTS) {
    describe(fault.name, () => {
      let idp: TestIdentityProvider;
      let t: TestApp | undefined;
      let client: WireClient | undefined;
      beforeEach(async () => {
        idp = await TestIdentityProvider.start();
      });
      afterEach(async () => {
        if (t) logs.push(...t.logger.lines);
        client?.close();
        await t?.close();
        await idp.close();
        t = undefined;
        client = undefined;
      });

      async function boot(): Promise<WireClient> {
        t = await createTestApp({ ...idp.moduleOptions(), jwksTimeoutMs: TIMEOUT, jwksRefetchCooldownMs: COOLDOWN });
        client = new WireClient(await listen(t.app));
        return client;
      }

      async function call(c: WireClient, tk: IssuedTokens, expected: Expectation, maxMs: number): Promise<WireResponse> {
        sent.push(tk.accessToken, tk.idToken);
        const res = await c.send({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: tk.accessToken, IDTOKEN: tk.idToken } });
        const verdict = judgeAnswer(res, [expected], subOfMe);
        const retryOk = expected.status !== 503 || res.headers['retry-after'] === '5';
        const inTime = res.ms <= maxMs;
        const ok = verdict.ok && retryOk && inTime;
        tally.leaks(answerTexts(res.body, res.headers), [tk.accessToken, tk.idToken]);
        tally.record({
          status: res.status,
          code: codeOf(res.body),
          matched: ok,
          success: expected.status < 300,
          expected503: expected.status === 503,
          failure: ok ? undefined : `${fault.name}: ${verdict.ok ? '' : verdict.why} retry-after ${String(res.headers['retry-after'])} in ${res.ms.toFixed(0)} ms (max ${maxMs})`,
        });
        expect({ verdict: verdict.ok ? 'ok' : verdict.why, retryOk, inTime, ms: Math.round(res.ms) }).toEqual({ verdict: 'ok', retryOk: true, inTime: true, ms: expect.any(Number) });
        return res;
      }

      it('cold start: 503 with Retry-After within the timeout, one fetch for many waiters, then recovery', async () => {
        const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => idp.issueTokens({ sub: `cold-${i}` })));
        fault.apply(idp);
        const started = Date.now();
        const c = await boot();
        expect(Date.now() - started).toBeLessThan(TIMEOUT + 3000); // start-up goes on
        expect(idp.stats.jwksRequests).toBe(1);
        // Inside the cooldown of the failed start-up fetch: 503 at once, no fetch.
        await call(c, tokens[0], unavailable, SLACK);
        await sleep(COOLDOWN + 50);
        const before = idp.stats.jwksRequests;
        await Promise.all(tokens.map((tk) => call(c, tk, unavailable, TIMEOUT + SLACK)));
        expect(idp.stats.jwksRequests - before).toBe(1); // single flight, redirect not followed
        heal(idp);
        await sleep(COOLDOWN + 50);
        await call(c, tokens[1], { status: 200, sub: tokens[1].sub }, SLACK);
      });

      it('warm: known keys keep working without waiting, a new kid is 503 then 401 in the cooldown, healed it is accepted', async () => {
        const next = await idp.createKey();
        const c = await boot();
        const known = await Promise.all(Array.from({ length: 20 }, (_, i) => idp.issueTokens({ sub: `warm-${i}` })));
        const rotated = await idp.issueTokens({ sub: 'rotated', key: next });
        idp.publishKey(next);
        fault.apply(idp);
        await sleep(COOLDOWN + 50);
        const before = idp.stats.jwksRequests;
        const newKid = call(c, rotated, unavailable, TIMEOUT + SLACK);
        await sleep(20); // the refetch is in flight now
        await Promise.all(known.map((tk) => call(c, tk, { status: 200, sub: tk.sub }, SLACK)));
        await newKid;
        expect(idp.stats.jwksRequests - before).toBe(1);
        // Inside the cooldown of that failed refetch: token_invalid, and no fetch.
        await call(c, await idp.issueTokens({ sub: 'rotated-2', key: next }), invalid, SLACK);
        expect(idp.stats.jwksRequests - before).toBe(1);
        heal(idp);
        await sleep(COOLDOWN + 50);
        await call(c, rotated, { status: 200, sub: 'rotated' }, TIMEOUT + SLACK);
        await call(c, known[0], { status: 200, sub: known[0].sub }, SLACK);
      });
    });
  }

  it('logged no token fragment and no response carried one', () => {
    tally.leaks(logs, sent);
    expect(tally.row.tried).toBeGreaterThan(0);
    expect(tally.row.leaked).toBe(0);
    expect(tally.row.fiveXX).toBe(0);
  });
});
