import {
  TestIdentityProvider,
  type IssuedTokens,
  type IssueTokensOptions,
  type RefreshTokenOwner,
  type TestSigningKey,
} from '../../src/testing/index.js';
import { clockModule, ManualClock } from '../support/clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { type Expectation, judgeAnswer, subOfMe } from './support/oracle.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, WireClient, type WireResponse } from './support/wire.js';

/**
 * Fault injection on the Cognito refresh endpoint (the test identity provider's InitiateAuth,
 * reached by the real AWS SDK v3 client), one case per fault: slow (under and over the timeout),
 * no answer, throttling, HTTP 500, malformed JSON, tokens signed by an unknown key, tokens of
 * another user. An expired pair with a refresh token must get: 503 auth_unavailable with
 * Retry-After when Cognito cannot answer, with one Cognito call (plus at most one SDK retry)
 * however many requests share the refresh token; 401 when the new tokens do not verify, without
 * handing them out; 200 again once healed.
 *
 * No timings are asserted: calls are counted at the identity provider, the app runs on an
 * injected clock (the JWKS cooldown passes when the test advances it), and the call timeout is
 * shown by outcomes: an endpoint slower than the timeout would have answered with good tokens
 * in the end, so a 503 proves the app gave up, and one that never answers would leave the
 * request hanging without it.
 */
const tally = new Tally('faults: Cognito refresh endpoint', import.meta.url);
/** Cognito call timeout of the app (the contract's default). */
const TIMEOUT = 5000;
/** JWKS refetch cooldown, on the injected clock. */
const COOLDOWN = 10_000;
const STORM = 30;

const unavailable: Expectation = { status: 503, code: 'auth_unavailable' };

describe('faults: Cognito refresh endpoint', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let client: WireClient;
  let rogue: TestSigningKey;
  let clock: ManualClock;
  let storms = 0;
  const sent: string[] = [];

  /** What the provider mints on refresh: tokens on the app's clock, with `extra` applied. */
  function refreshIssues(extra: (owner: RefreshTokenOwner) => IssueTokensOptions = () => ({})): void {
    idp.refresh.issueAs = (owner) => ({ ...extra(owner), now: clock.seconds });
  }

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    rogue = await idp.createKey();
    clock = new ManualClock(Date.now());
    refreshIssues();
    t = await createTestApp(
      { ...idp.moduleOptions(), cognitoTimeoutMs: TIMEOUT, jwksRefetchCooldownMs: COOLDOWN },
      { imports: [clockModule(clock)] },
    );
    client = new WireClient(await listen(t.app));
  });
  afterEach(() => {
    idp.refresh.mode = 'ok';
    idp.refresh.delayMs = 0;
    refreshIssues();
  });
  afterAll(async () => {
    tally.save();
    client?.close();
    await t?.close();
    await idp?.close();
  });

  const expiredPair = (sub: string) => idp.issueTokens({ sub, expiresInSeconds: -120, now: clock.seconds });

  async function call(tk: IssuedTokens, expected: Expectation, opts: { tokensBack: boolean }): Promise<WireResponse> {
    sent.push(tk.accessToken, tk.idToken, tk.refreshToken);
    const res = await client.send({
      method: 'GET',
      path: '/t/me',
      headers: { ACCESSTOKEN: tk.accessToken, IDTOKEN: tk.idToken, REFRESHTOKEN: tk.refreshToken },
    });
    const verdict = judgeAnswer(res, [expected], subOfMe);
    const back = typeof res.headers.accesstoken === 'string' && typeof res.headers.idtoken === 'string';
    const ok = verdict.ok && back === opts.tokensBack && (expected.status !== 503 || res.headers['retry-after'] === '5');
    tally.leaks(answerTexts(res.body, res.headers), [tk.accessToken, tk.idToken, tk.refreshToken]);
    tally.record({
      status: res.status,
      code: codeOf(res.body),
      matched: ok,
      success: expected.status < 300,
      expected503: expected.status === 503,
      failure: ok ? undefined : `${verdict.ok ? '' : verdict.why}, tokens back ${back}`,
    });
    expect({
      verdict: verdict.ok ? 'ok' : verdict.why,
      tokensBack: back,
      retryAfter: expected.status === 503 ? res.headers['retry-after'] : undefined,
    }).toEqual({
      verdict: 'ok',
      tokensBack: opts.tokensBack,
      retryAfter: expected.status === 503 ? '5' : undefined,
    });
    if (back) sent.push(String(res.headers.accesstoken), String(res.headers.idtoken));
    return res;
  }

  /** A storm of requests sharing one expired pair: all get `expected`, Cognito sees at most `maxCalls` calls. */
  async function storm(expected: Expectation, maxCalls: number, tokensBack: boolean): Promise<void> {
    const tk = await expiredPair(`storm-${++storms}`);
    const before = idp.stats.initiateAuth;
    await Promise.all(
      Array.from({ length: STORM }, () => call(tk, expected.status === 200 ? { ...expected, sub: tk.sub } : expected, { tokensBack })),
    );
    const calls = idp.stats.initiateAuth - before;
    tally.note(
      `${expect.getState().currentTestName?.replace(/^faults: Cognito refresh endpoint /, '') ?? ''}: ${STORM} concurrent requests sharing one refresh token made ${calls} InitiateAuth call(s)`,
    );
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(maxCalls);
  }

  it('control: a healthy refresh answers 200 with new tokens; a storm makes one call', async () => {
    const tk = await expiredPair('healthy');
    await call(tk, { status: 200, sub: 'healthy' }, { tokensBack: true });
    await storm({ status: 200 }, 1, true);
  });

  it('slow under the timeout (a fifth of it): 200', async () => {
    idp.refresh.delayMs = TIMEOUT / 5;
    await call(await expiredPair('slow-under'), { status: 200, sub: 'slow-under' }, { tokensBack: true });
  });

  it('slow over the timeout: 503 (the late answer, good tokens, is not waited for)', async () => {
    idp.refresh.delayMs = TIMEOUT * 3;
    await storm(unavailable, 2, false);
  });

  it('no answer at all: 503 (the request does not hang)', async () => {
    idp.refresh.mode = 'hang';
    await storm(unavailable, 2, false);
  });

  it('throttling (TooManyRequestsException): 503, at most one SDK retry', async () => {
    idp.refresh.mode = 'throttle';
    await storm(unavailable, 2, false);
  });

  it('HTTP 500 (InternalErrorException): 503, at most one SDK retry', async () => {
    idp.refresh.mode = 'error';
    await storm(unavailable, 2, false);
  });

  it('malformed JSON: 503 (Cognito did not really answer), not a 500', async () => {
    idp.refresh.mode = 'malformed';
    await storm(unavailable, 2, false);
  });

  it('refused (NotAuthorizedException): 401 refresh_failed', async () => {
    idp.refresh.mode = 'not-authorized';
    await storm({ status: 401, code: 'refresh_failed', www: 'invalid_token' }, 1, false);
  });

  it('new tokens signed by an unknown key: 401 token_invalid, and they are not handed out', async () => {
    refreshIssues(() => ({ key: rogue }));
    const jwksBefore = idp.stats.jwksRequests;
    await storm({ status: 401, code: 'token_invalid', www: 'invalid_token' }, 1, false);
    expect(idp.stats.jwksRequests).toBe(jwksBefore); // inside the cooldown: refused without a fetch
    clock.advance(COOLDOWN); // past the JWKS cooldown: the unknown kid is refetched, still unknown
    await call(
      await expiredPair('rogue-after-cooldown'),
      { status: 401, code: 'token_invalid', www: 'invalid_token' },
      { tokensBack: false },
    );
    expect(idp.stats.jwksRequests).toBe(jwksBefore + 1);
  });

  it('new tokens of another user: 401 token_mismatch, and they are not handed out', async () => {
    refreshIssues((owner) => ({ sub: `${owner.sub}-other`, username: `${owner.username}-other` }));
    await call(await expiredPair('swapped'), { status: 401, code: 'token_mismatch', www: 'invalid_token' }, { tokensBack: false });
  });

  it('recovers once healed, and nothing leaked into bodies or logs', async () => {
    await call(await expiredPair('healed'), { status: 200, sub: 'healed' }, { tokensBack: true });
    tally.leaks(t.logger.lines, sent);
    expect(tally.row.leaked).toBe(0);
    expect(tally.row.fiveXX).toBe(0);
  });
});
