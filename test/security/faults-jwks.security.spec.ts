import { createPublicKey, verify, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JwtValidationService } from '../../src/index.js';
import { TestIdentityProvider, type IssuedTokens, type IssueTokensOptions, type TestSigningKey } from '../../src/testing/index.js';
import { clockModule, ManualClock, waitFor } from '../support/clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { JwksGate } from '../support/jwks-gate.js';
import { type Expectation, judgeAnswer, subOfMe } from './support/oracle.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, WireClient, type WireResponse } from './support/wire.js';

/**
 * Fault injection on the JWKS endpoint of a real (test) identity provider, one case per fault:
 * slow (over the timeout), no answer at all, HTTP 500, invalid JSON, a 5 MB body, keys of the
 * wrong type under the right kids, a redirect. For each: a cold start (no key set yet) goes on
 * and answers 503 auth_unavailable with Retry-After, with one fetch for any number of waiting
 * requests, and recovers once the endpoint heals; a warm app answers tokens of known keys while a
 * refetch is in flight and after it failed (stale-if-error), answers a new kid 503 when its
 * refetch failed and 401 token_invalid inside the cooldown, and accepts the new key after
 * healing. And a key above 8192 bits in the key set is ignored.
 *
 * No timings are asserted. The app runs on an injected clock (the cooldown passes when the test
 * advances it); fetches are counted at the identity provider and at a gate in front of it, which
 * holds a refetch in flight so that "known keys do not wait" is shown by what is answered before
 * it ends. A fault that needs the fetch timeout to end (slow, no answer) is shown by its outcome:
 * the provider's late answer would have been a good key set, so a 503 and the recorded
 * `timed out` prove that the app gave up. Only those faults run with a short fetch timeout.
 */
const tally = new Tally('faults: JWKS endpoint', import.meta.url);
/** JWKS fetch timeout of the apps whose fault needs it (the contract's default). */
const TIMEOUT = 3000;
/** JWKS fetch timeout of the others: never reached, so a held fetch ends only when released. */
const NO_TIMEOUT = 600_000;
/** JWKS refetch cooldown, on the injected clock. */
const COOLDOWN = 10_000;

const unavailable: Expectation = { status: 503, code: 'auth_unavailable' };
const invalid: Expectation = { status: 401, code: 'token_invalid', www: 'invalid_token' };
const ok = (tk: IssuedTokens): Expectation => ({ status: 200, sub: tk.sub });

interface Fault {
  name: string;
  apply: (idp: TestIdentityProvider) => void;
  /** The fetch ends only by the app's timeout. */
  timesOut?: boolean;
}

const FAULTS: Fault[] = [
  { name: 'slow (3x the timeout)', apply: (idp) => void (idp.jwks.delayMs = TIMEOUT * 3), timesOut: true },
  { name: 'no answer', apply: (idp) => void (idp.jwks.mode = 'hang'), timesOut: true },
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

/**
 * The test-only RSA key of 8200 bits (test/security/support/rsa-8200.test-key.json): making one
 * takes tens of seconds, so it was made once. As a `TestSigningKey` the provider signs and
 * publishes with.
 */
async function oversizedKey(): Promise<TestSigningKey> {
  const { _comment, ...jwk } = JSON.parse(readFileSync(new URL('./support/rsa-8200.test-key.json', import.meta.url), 'utf8')) as Record<
    string,
    string
  >;
  void _comment;
  const kid = 'rsa-8200';
  const privateKey = await webcrypto.subtle.importKey(
    'jwk',
    jwk as webcrypto.JsonWebKey,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    true,
    ['sign'],
  );
  return { kid, privateKey, publicJwk: Object.freeze({ kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' }) };
}

describe('faults: JWKS endpoint', () => {
  const logs: string[] = [];
  const sent: string[] = [];
  let idp: TestIdentityProvider;
  let gate: JwksGate;
  let clock: ManualClock;
  let t: TestApp | undefined;
  let client: WireClient | undefined;

  beforeEach(async () => {
    idp = await TestIdentityProvider.start();
    gate = await JwksGate.start(idp.jwksUri);
    clock = new ManualClock(Date.now());
  });
  afterEach(async () => {
    if (t) logs.push(...t.logger.lines);
    client?.close();
    await t?.close();
    await gate.close();
    await idp.close();
    t = undefined;
    client = undefined;
  });
  afterAll(() => tally.save());

  /** Starts the app (its start-up fetch included) behind the gate, on the test's clock. */
  async function boot(timeoutMs: number): Promise<WireClient> {
    t = await createTestApp(
      { ...idp.moduleOptions(), jwksUri: gate.url, jwksTimeoutMs: timeoutMs, jwksRefetchCooldownMs: COOLDOWN },
      { imports: [clockModule(clock)] },
    );
    client = new WireClient(await listen(t.app));
    return client;
  }

  const jwt = () => t!.app.get(JwtValidationService);
  /** Tokens minted on the app's clock. */
  const issue = (options: IssueTokensOptions) => idp.issueTokens({ ...options, now: clock.seconds });

  async function call(c: WireClient, tk: IssuedTokens, expected: Expectation, what: string): Promise<WireResponse> {
    sent.push(tk.accessToken, tk.idToken);
    const res = await c.send({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: tk.accessToken, IDTOKEN: tk.idToken } });
    const verdict = judgeAnswer(res, [expected], subOfMe);
    const retryOk = expected.status !== 503 || res.headers['retry-after'] === '5';
    const matched = verdict.ok && retryOk;
    tally.leaks(answerTexts(res.body, res.headers), [tk.accessToken, tk.idToken]);
    tally.record({
      status: res.status,
      code: codeOf(res.body),
      matched,
      success: expected.status < 300,
      expected503: expected.status === 503,
      failure: matched ? undefined : `${what}: ${verdict.ok ? '' : verdict.why} retry-after ${String(res.headers['retry-after'])}`,
    });
    expect({ verdict: verdict.ok ? 'ok' : verdict.why, retryOk }).toEqual({ verdict: 'ok', retryOk: true });
    return res;
  }

  for (const fault of FAULTS) {
    describe(fault.name, () => {
      const timeoutMs = fault.timesOut ? TIMEOUT : NO_TIMEOUT;

      it('cold start: start-up goes on, 503 with Retry-After, one fetch for many waiters, then recovery', async () => {
        const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => issue({ sub: `cold-${i}` })));
        fault.apply(idp);
        const c = await boot(timeoutMs);
        expect(idp.stats.jwksRequests).toBe(1);
        expect(jwt().jwksStatus()).toMatchObject({ keys: 0, lastError: fault.timesOut ? 'timed out' : expect.any(String) });
        // Inside the cooldown of the failed start-up fetch: 503, and no fetch.
        await call(c, tokens[0], unavailable, `${fault.name}, cold, in the cooldown`);
        expect(idp.stats.jwksRequests).toBe(1);
        clock.advance(COOLDOWN);
        await Promise.all(tokens.map((tk) => call(c, tk, unavailable, `${fault.name}, cold, 20 waiters`)));
        expect(idp.stats.jwksRequests).toBe(2); // single flight, redirect not followed
        if (fault.timesOut) expect(jwt().jwksStatus().lastError).toBe('timed out');
        heal(idp);
        clock.advance(COOLDOWN);
        await call(c, tokens[1], ok(tokens[1]), `${fault.name}, cold, healed`);
      });

      it('warm: known keys answered while the refetch is in flight and after it failed, a new kid 503 then 401 in the cooldown, healed it is accepted', async () => {
        const next = await idp.createKey();
        const c = await boot(timeoutMs);
        const known = await Promise.all(Array.from({ length: 20 }, (_, i) => issue({ sub: `warm-${i}` })));
        const rotated = await issue({ sub: 'rotated', key: next });
        idp.publishKey(next);
        fault.apply(idp);
        clock.advance(COOLDOWN);
        const before = gate.fetches;
        gate.hold();
        let newKidAnswered = false;
        const newKid = call(c, rotated, unavailable, `${fault.name}, warm, new kid`).finally(() => (newKidAnswered = true));
        await waitFor(() => gate.fetches === before + 1, 'the refetch of the new kid to reach the JWKS endpoint');
        // Every known-kid answer arrives while that refetch is still held open: none waited for it.
        const inFlight = await Promise.all(
          known.map(async (tk) => {
            await call(c, tk, ok(tk), `${fault.name}, warm, known kid during the refetch`);
            return gate.holding && gate.open === 1 && !newKidAnswered;
          }),
        );
        expect(inFlight).toEqual(Array(known.length).fill(true));
        gate.release();
        await newKid;
        expect(gate.fetches - before).toBe(1);
        if (fault.timesOut) expect(jwt().jwksStatus().lastError).toBe('timed out');
        // The last good key set is kept (stale-if-error).
        await call(c, known[1], ok(known[1]), `${fault.name}, warm, known kid after the failed refetch`);
        // Inside the cooldown of that failed refetch: token_invalid, and no fetch.
        await call(c, await issue({ sub: 'rotated-2', key: next }), invalid, `${fault.name}, warm, new kid in the cooldown`);
        expect(gate.fetches - before).toBe(1);
        heal(idp);
        clock.advance(COOLDOWN);
        await call(c, rotated, ok(rotated), `${fault.name}, warm, healed`);
        await call(c, known[0], ok(known[0]), `${fault.name}, warm, known kid after healing`);
        expect(gate.fetches - before).toBe(2);
      });
    });
  }

  it('rule: a JWKS RSA key above 8192 bits is ignored, its tokens 401 token_invalid, while a 2048-bit key beside it verifies', async () => {
    const big = await oversizedKey();
    idp.publishKey(big);
    const c = await boot(NO_TIMEOUT);
    expect(jwt().jwksStatus().keys).toBe(1); // the provider's 2048-bit key only
    const signedBig = await issue({ sub: 'big-key', key: big });
    // The signature is good: with the key taken, the token would verify.
    const [h, p, s] = signedBig.accessToken.split('.');
    const bigPublic = createPublicKey({ key: { ...big.publicJwk }, format: 'jwk' });
    expect(bigPublic.asymmetricKeyDetails?.modulusLength).toBe(8200);
    expect(verify('sha256', Buffer.from(`${h}.${p}`), bigPublic, Buffer.from(s, 'base64url'))).toBe(true);
    await call(c, signedBig, invalid, 'oversized key, in the cooldown');
    // Past the cooldown its kid makes a refetch, which ignores the key again.
    clock.advance(COOLDOWN);
    const before = idp.stats.jwksRequests;
    await call(c, await issue({ sub: 'big-key-2', key: big }), invalid, 'oversized key, after a refetch');
    expect(idp.stats.jwksRequests - before).toBe(1);
    expect(jwt().jwksStatus().keys).toBe(1);
    const control = await issue({ sub: 'normal-key' });
    await call(c, control, ok(control), 'the 2048-bit key beside it');
    tally.note(
      'an 8200-bit RSA key in the key set: ignored at start-up and on refetch (its validly signed tokens 401 token_invalid), the 2048-bit key beside it used',
    );
  });

  it('logged no token fragment and no response carried one', () => {
    tally.leaks(logs, sent);
    expect(tally.row.tried).toBeGreaterThan(0);
    expect(tally.row.leaked).toBe(0);
    expect(tally.row.fiveXX).toBe(0);
  });
});
