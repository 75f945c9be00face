import { randomBytes, randomUUID } from 'node:crypto';
import { TestIdentityProvider, type IssuedTokens } from '../../src/testing/index.js';
import { clockModule, ManualClock, waitFor } from '../support/clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { JwksGate } from '../support/jwks-gate.js';
import { b64u } from './support/jws.js';
import { type Expectation, judgeAnswer, subOfMe } from './support/oracle.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, pool, rawRequest, WireClient, type WireRequest, type WireResponse } from './support/wire.js';

/**
 * Abuse limits: headers over Node's 16 KiB limit get Node's 431; tokens over `maxTokenLength`
 * get 401 token_invalid without being decoded (proved by an unknown kid that would otherwise
 * make the JWKS be fetched); a Cookie header of thousands of cookies is parsed and answered right,
 * never with a 5xx; a flood of unknown-kid tokens fetches the JWKS once per cooldown and never
 * holds up tokens whose key is known; refresh tokens Cognito refused are remembered for a minute,
 * and one validly signed expired pair cannot make more than 10 refresh calls a minute.
 *
 * No timings are asserted: the app runs on an injected clock (cooldowns and the refresh minute pass
 * when the test advances it), JWKS fetches and Cognito calls are counted at the identity provider,
 * and a gate in front of the JWKS endpoint holds a refetch open so that what is answered while it
 * is in flight is a matter of order, not of speed. Timings are noted in the table, never compared.
 */
const tally = new Tally('abuse: size caps, cookie floods, unknown-kid flood, refresh floods', import.meta.url);
const invalid: Expectation = { status: 401, code: 'token_invalid', www: 'invalid_token' };
const refreshFailed: Expectation = { status: 401, code: 'refresh_failed', www: 'invalid_token' };
const unavailable: Expectation = { status: 503, code: 'auth_unavailable' };
/** The JWKS refetch cooldown of the app, on its injected clock. */
const COOLDOWN = 10_000;
/** The per-user refresh window (10 attempts a minute per `sub`). */
const MINUTE = 60_000;

/** The pool's issuer, once the provider listens: only a token naming a configured issuer reaches a key lookup. */
let issuer = '';

/** A compact JWS with an unknown kid and a fake signature: costs nothing to make. */
function unknownKidToken(payloadPad = 0): string {
  const header = b64u(JSON.stringify({ alg: 'RS256', kid: `flood-${randomUUID()}` }));
  const payload = b64u(JSON.stringify({ sub: 'x', iss: issuer, token_use: 'access', pad: 'p'.repeat(payloadPad) }));
  return `${header}.${payload}.${randomBytes(256).toString('base64url')}`;
}

/** A refresh token the pool never issued (Cognito answers NotAuthorizedException). */
const randomRefreshToken = () => randomBytes(48).toString('base64url');

const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? 0;

describe('abuse limits', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let client: WireClient;
  let port: number;
  let good: IssuedTokens;
  let clock: ManualClock;
  let gate: JwksGate;
  const sent: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    issuer = idp.issuer;
    gate = await JwksGate.start(idp.jwksUri);
    clock = new ManualClock(Date.now());
    // Refreshed tokens are minted on the app's clock, so they are neither early nor late for it.
    idp.refresh.issueAs = () => ({ now: clock.seconds });
    t = await createTestApp(
      {
        ...idp.moduleOptions(),
        jwksUri: gate.url,
        cookies: { enabled: true, secure: false },
        jwksRefetchCooldownMs: COOLDOWN,
        // A held refetch ends when the test releases it, not when a timer fires on a busy machine.
        jwksTimeoutMs: 600_000,
      },
      { imports: [clockModule(clock)] },
    );
    port = await listen(t.app);
    client = new WireClient(port);
    good = await issue({ sub: 'abuse-ok' });
  });
  afterAll(async () => {
    tally.leaks(t.logger.lines, sent);
    tally.save();
    client?.close();
    await t?.close();
    await gate?.close();
    await idp?.close();
  });

  /** Tokens minted on the app's clock (`expiresInSeconds` negative: already expired). */
  const issue = (options: { sub: string; expiresInSeconds?: number }) => idp.issueTokens({ ...options, now: clock.seconds });

  async function expectAnswer(req: WireRequest, expected: Expectation[], tokens: string[]): Promise<WireResponse> {
    sent.push(...tokens);
    const res = await client.send(req);
    const verdict = judgeAnswer(res, expected, subOfMe);
    tally.leaks(answerTexts(res.body, res.headers), tokens);
    tally.record({
      status: res.status,
      code: codeOf(res.body),
      matched: verdict.ok,
      success: res.status < 300,
      expected503: verdict.ok && verdict.match.status === 503,
      failure: verdict.ok ? undefined : verdict.why,
    });
    expect(verdict).toEqual(expect.objectContaining({ ok: true }));
    return res;
  }

  const withRefresh = (tk: IssuedTokens, refreshToken: string): WireRequest => ({
    method: 'GET',
    path: '/t/me',
    headers: { ACCESSTOKEN: tk.accessToken, IDTOKEN: tk.idToken, REFRESHTOKEN: refreshToken },
  });

  it("headers over Node's 16 KiB limit: 431 from Node itself, the app unharmed", async () => {
    const before = gate.fetches;
    const big = 'a'.repeat(20_000);
    const heads = [
      `GET /t/me HTTP/1.1\r\nHost: x\r\nACCESSTOKEN: ${big}\r\nIDTOKEN: ${good.idToken}\r\n\r\n`,
      `GET /t/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${big}\r\n\r\n`,
      `GET /t/me HTTP/1.1\r\nHost: x\r\nCookie: AccessToken=${big}\r\n\r\n`,
      `GET /t/me HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 400 }, (_, i) => `X-Filler-${i}: ${'f'.repeat(40)}`).join('\r\n')}\r\nACCESSTOKEN: ${good.accessToken}\r\nIDTOKEN: ${good.idToken}\r\n\r\n`,
    ];
    for (const head of heads) {
      const res = await rawRequest(port, head);
      tally.record({ status: res.status, matched: res.status === 431, failure: `expected 431, got ${res.status}` });
      expect(res.status).toBe(431);
    }
    expect(gate.fetches).toBe(before);
    await expectAnswer(
      { method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: good.accessToken, IDTOKEN: good.idToken } },
      [{ status: 200, sub: 'abuse-ok' }],
      [good.accessToken, good.idToken],
    );
  });

  it('tokens over maxTokenLength (8192) in every slot: 401 token_invalid without decoding them', async () => {
    const long = unknownKidToken(9000);
    expect(long.length).toBeGreaterThan(8192);
    expect(long.length).toBeLessThan(15_000);
    const slots: Record<string, string>[] = [
      { ACCESSTOKEN: long, IDTOKEN: good.idToken },
      { ACCESSTOKEN: good.accessToken, IDTOKEN: long },
      { Authorization: `Bearer ${long}`, IDTOKEN: good.idToken },
      { Cookie: `AccessToken=${long}`, IDTOKEN: good.idToken },
      { ACCESSTOKEN: good.accessToken, Cookie: `IdToken=${long}` },
    ];
    clock.advance(COOLDOWN); // past the cooldown: a decoded unknown kid would be fetched now
    const before = gate.fetches;
    for (const headers of slots) await expectAnswer({ method: 'GET', path: '/t/me', headers }, [invalid], [long]);
    expect(gate.fetches).toBe(before);
    // The control: the same kind of token under the cap *is* decoded, and its unknown kid fetched.
    await expectAnswer(
      { method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: unknownKidToken(10), IDTOKEN: good.idToken } },
      [invalid],
      [],
    );
    expect(gate.fetches).toBe(before + 1);
    tally.note(`over-cap tokens (${long.length} chars) made 0 JWKS fetches; the under-cap control made 1`);
  });

  it('a Cookie header of thousands of cookies is parsed and answered right, never with a 5xx', async () => {
    const before = gate.fetches;
    const filler = Array.from({ length: 2000 }, (_, i) => `${i.toString(36)}=1`).join(';');
    const first = `AccessToken=${good.accessToken}; IdToken=${good.idToken}; ${filler}`;
    const last = `${filler}; AccessToken=${good.accessToken}; IdToken=${good.idToken}`;
    expect(first.length).toBeGreaterThan(12_000);
    expect(first.length).toBeLessThan(16_000);
    await expectAnswer(
      { method: 'GET', path: '/t/me', headers: { Cookie: first } },
      [{ status: 200, sub: 'abuse-ok' }],
      [good.accessToken, good.idToken],
    );
    // Token cookies behind 2000 others (a sibling subdomain's, say) are still found.
    const tail = await expectAnswer(
      { method: 'GET', path: '/t/me', headers: { Cookie: last } },
      [{ status: 200, sub: 'abuse-ok' }],
      [good.accessToken, good.idToken],
    );
    tally.note(`token cookies after 2000 others: ${tail.status} ${codeOf(tail.body) ?? ''}`.trim());
    const burst = await pool(
      Array.from({ length: 200 }, (_, i) => i),
      16,
      (i) =>
        expectAnswer(
          { method: 'GET', path: '/t/me', headers: { Cookie: i % 2 ? first : `${filler}; x=${i}` } },
          i % 2 ? [{ status: 200, sub: 'abuse-ok' }] : [{ status: 401, code: 'token_missing', www: 'realm' }],
          [good.accessToken, good.idToken],
        ),
    );
    expect(burst.map((r) => r.status).filter((status) => status >= 500)).toEqual([]);
    tally.note(
      `200 requests with 2000-cookie headers: all answered as the contract says (median ${median(burst.map((r) => r.ms)).toFixed(1)} ms, noted only)`,
    );
    // One huge token cookie (12,000 characters) under the header limit: refused by length.
    const huge = unknownKidToken(11_000);
    await expectAnswer(
      { method: 'GET', path: '/t/me', headers: { Cookie: `AccessToken=${huge}; IdToken=${good.idToken}` } },
      [invalid],
      [huge],
    );
    expect(gate.fetches).toBe(before);
  });

  it('an unknown-kid flood fetches the JWKS once per cooldown and never holds up known-kid tokens', async () => {
    const FLOOD = 600;
    const valid = await Promise.all(Array.from({ length: 300 }, (_, i) => issue({ sub: `flood-ok-${i}` })));
    const unknownAnswer = (tok: string) =>
      expectAnswer({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: tok, IDTOKEN: good.idToken } }, [invalid], []);
    clock.advance(COOLDOWN);
    const before = gate.fetches;
    gate.hold();
    // The first unknown kid starts a refetch; the gate keeps it in flight.
    let unknownAnswered = 0;
    const first = unknownAnswer(unknownKidToken()).then(() => unknownAnswered++);
    await waitFor(() => gate.fetches === before + 1, 'the refetch to reach the JWKS endpoint');
    // The flood: every unknown kid waits for that one refetch (none starts another)...
    const flood = pool(
      Array.from({ length: FLOOD }, () => unknownKidToken()),
      32,
      async (tok) => {
        await unknownAnswer(tok);
        unknownAnswered++;
      },
    );
    // ...while every known-kid token is answered before the refetch ends.
    const answeredInFlight: boolean[] = [];
    await pool(valid, 4, async (tk) => {
      await expectAnswer(
        { method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: tk.accessToken, IDTOKEN: tk.idToken } },
        [{ status: 200, sub: tk.sub }],
        [tk.accessToken, tk.idToken],
      );
      answeredInFlight.push(gate.holding && gate.open === 1);
    });
    const unknownBeforeRelease = unknownAnswered;
    gate.release();
    await Promise.all([first, flood]);
    const fetchesInWindow = gate.fetches - before;
    // Past the cooldown, a burst of new unknown kids makes exactly one more fetch (single flight).
    clock.advance(COOLDOWN);
    await Promise.all(Array.from({ length: 50 }, () => unknownAnswer(unknownKidToken())));
    const fetchesAfter = gate.fetches - before - fetchesInWindow;
    tally.note(
      `unknown-kid flood: ${1 + FLOOD} requests inside one cooldown made ${fetchesInWindow} JWKS fetch, 50 more after the cooldown made ${fetchesAfter}; ` +
        `${answeredInFlight.filter(Boolean).length}/300 known-kid requests answered 200 while that refetch was held in flight, ${unknownBeforeRelease} unknown-kid requests meanwhile`,
    );
    expect(answeredInFlight).toEqual(Array(300).fill(true));
    expect(unknownBeforeRelease).toBe(0);
    expect(fetchesInWindow).toBe(1);
    expect(fetchesAfter).toBe(1);
  }, 120_000);

  it('rule: a refused refresh token repeated makes 1 Cognito call (remembered 60 s)', async () => {
    const tk = await issue({ sub: 'refused-replay', expiresInSeconds: -120 });
    const refused = randomRefreshToken();
    const before = idp.stats.initiateAuth;
    for (let i = 0; i < 5; i++) await expectAnswer(withRefresh(tk, refused), [refreshFailed], [tk.accessToken, tk.idToken, refused]);
    const calls = idp.stats.initiateAuth - before;
    // Remembered for a minute, not for ever: past it, Cognito is asked again.
    clock.advance(MINUTE);
    await expectAnswer(withRefresh(tk, refused), [refreshFailed], [tk.accessToken, tk.idToken, refused]);
    const callsAfterMinute = idp.stats.initiateAuth - before - calls;
    tally.note(`a refused refresh token sent 5 times made ${calls} InitiateAuth call(s); once more a minute later, ${callsAfterMinute}`);
    expect(calls).toBe(1);
    expect(callsAfterMinute).toBe(1);
  });

  it('rule: 40 random refresh tokens with one validly signed expired pair make at most 10 Cognito calls, then 503 with Retry-After', async () => {
    const tk = await issue({ sub: 'refresh-flood', expiresInSeconds: -120 });
    const bystander = await issue({ sub: 'refresh-bystander', expiresInSeconds: -120 });
    const before = idp.stats.initiateAuth;
    const flood = Array.from({ length: 40 }, randomRefreshToken);
    const answers = await pool(flood, 40, (refresh) =>
      expectAnswer(withRefresh(tk, refresh), [refreshFailed, unavailable], [tk.accessToken, tk.idToken, refresh]),
    );
    const calls = idp.stats.initiateAuth - before;
    const limited = answers.filter((r) => r.status === 503);
    const retryAfter = limited.map((r) => Number(r.headers['retry-after']));
    // The pair's own, valid refresh token is held back too this minute; another user's is not.
    await expectAnswer(withRefresh(tk, tk.refreshToken), [unavailable], [tk.accessToken, tk.idToken, tk.refreshToken]);
    await expectAnswer(
      withRefresh(bystander, bystander.refreshToken),
      [{ status: 200, sub: bystander.sub }],
      [bystander.accessToken, bystander.idToken, bystander.refreshToken],
    );
    const callsInMinute = idp.stats.initiateAuth - before;
    // A minute later the user may refresh again.
    clock.advance(MINUTE);
    await expectAnswer(withRefresh(tk, tk.refreshToken), [{ status: 200, sub: tk.sub }], [tk.accessToken, tk.idToken, tk.refreshToken]);
    tally.note(
      `refresh flood: 40 random refresh tokens with one expired pair made ${calls} InitiateAuth calls; ${answers.length - limited.length} × 401 refresh_failed, ` +
        `${limited.length} × 503 (Retry-After ${[...new Set(retryAfter)].join(', ')} s); a minute later the user's own refresh token worked`,
    );
    expect(calls).toBeLessThanOrEqual(10);
    expect(calls).toBe(10); // the limit is 10 attempts, not fewer
    expect(answers.filter((r) => r.status === 401)).toHaveLength(calls);
    expect(limited).toHaveLength(40 - calls);
    expect(retryAfter.every((s) => Number.isInteger(s) && s >= 1 && s <= 60)).toBe(true);
    expect(callsInMinute).toBe(calls + 1); // the bystander's refresh only
    expect(idp.stats.initiateAuth - before).toBe(calls + 2);
  });
});
