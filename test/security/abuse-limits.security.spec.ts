import { randomBytes, randomUUID } from 'node:crypto';
import { TestIdentityProvider, type IssuedTokens } from '../../src/testing/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { b64u } from './support/jws.js';
import { type Expectation, judgeAnswer, subOfMe } from './support/oracle.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, pool, rawRequest, sleep, WireClient, type WireRequest, type WireResponse } from './support/wire.js';

/**
 * Abuse limits: headers over Node's 16 KiB limit get Node's 431; tokens over `maxTokenLength`
 * get 401 token_invalid without being decoded (proved by an unknown kid that would otherwise
 * make the JWKS be fetched); a Cookie header of thousands of cookies is answered quickly; a flood
 * of unknown-kid tokens fetches the JWKS at most once per cooldown and never holds up tokens
 * whose key is known.
 */
const tally = new Tally('abuse: size caps, cookie floods, unknown-kid flood', import.meta.url);
const invalid: Expectation = { status: 401, code: 'token_invalid', www: 'invalid_token' };

/** A compact JWS with an unknown kid and a fake signature: costs nothing to make. */
function unknownKidToken(payloadPad = 0): string {
  const header = b64u(JSON.stringify({ alg: 'RS256', kid: `flood-${randomUUID()}` }));
  const payload = b64u(JSON.stringify({ sub: 'x', token_use: 'access', pad: 'p'.repeat(payloadPad) }));
  return `${header}.${payload}.${randomBytes(256).toString('base64url')}`;
}

describe('abuse limits', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let client: WireClient;
  let port: number;
  let good: IssuedTokens;
  const sent: string[] = [];
  const COOLDOWN = 1000;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp({ ...idp.moduleOptions(), cookies: { enabled: true, secure: false }, jwksRefetchCooldownMs: COOLDOWN });
    port = await listen(t.app);
    client = new WireClient(port);
    good = await idp.issueTokens({ sub: 'abuse-ok' });
  });
  afterAll(async () => {
    tally.leaks(t.logger.lines, sent);
    tally.save();
    client?.close();
    await t?.close();
    await idp?.close();
  });

  async function expectAnswer(req: WireRequest, expected: Expectation[], tokens: string[]): Promise<WireResponse> {
    sent.push(...tokens);
    const res = await client.send(req);
    const verdict = judgeAnswer(res, expected, subOfMe);
    tally.leaks(answerTexts(res.body, res.headers), tokens);
    tally.record({ status: res.status, code: codeOf(res.body), matched: verdict.ok, success: res.status < 300, failure: verdict.ok ? undefined : verdict.why });
    expect(verdict).toEqual(expect.objectContaining({ ok: true }));
    return res;
  }

  it("headers over Node's 16 KiB limit: 431 from Node itself, the app unharmed", async () => {
    const before = idp.stats.jwksRequests;
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
      expect(res.ms).toBeLessThan(2000);
    }
    expect(idp.stats.jwksRequests).toBe(before);
    await expectAnswer({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: good.accessToken, IDTOKEN: good.idToken } }, [{ status: 200, sub: 'abuse-ok' }], [good.accessToken, good.idToken]);
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
    await sleep(COOLDOWN + 100); // past the cooldown: a decoded unknown kid would be fetched now
    const before = idp.stats.jwksRequests;
    for (const headers of slots) await expectAnswer({ method: 'GET', path: '/t/me', headers }, [invalid], [long]);
    expect(idp.stats.jwksRequests).toBe(before);
    // The control: the same kind of token under the cap *is* decoded, and its unknown kid fetched.
    await expectAnswer({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: unknownKidToken(10), IDTOKEN: good.idToken } }, [invalid], []);
    expect(idp.stats.jwksRequests).toBe(before + 1);
    tally.note(`over-cap tokens (${long.length} chars) made 0 JWKS fetches; the under-cap control made 1`);
  });

  it('a Cookie header of thousands of cookies is answered quickly, and never with a 5xx', async () => {
    const filler = Array.from({ length: 2000 }, (_, i) => `${i.toString(36)}=1`).join(';');
    const first = `AccessToken=${good.accessToken}; IdToken=${good.idToken}; ${filler}`;
    const last = `${filler}; AccessToken=${good.accessToken}; IdToken=${good.idToken}`;
    expect(first.length).toBeGreaterThan(12_000);
    expect(first.length).toBeLessThan(16_000);
    const res = await expectAnswer({ method: 'GET', path: '/t/me', headers: { Cookie: first } }, [{ status: 200, sub: 'abuse-ok' }], [good.accessToken, good.idToken]);
    expect(res.ms).toBeLessThan(500);
    // Token cookies behind 2000 others (a sibling subdomain's, say) are still found.
    const tail = await expectAnswer({ method: 'GET', path: '/t/me', headers: { Cookie: last } }, [{ status: 200, sub: 'abuse-ok' }], [
      good.accessToken,
      good.idToken,
    ]);
    tally.note(`token cookies after 2000 others: ${tail.status} ${codeOf(tail.body) ?? ''}`.trim());
    const burst = await pool(Array.from({ length: 200 }, (_, i) => i), 16, (i) =>
      expectAnswer({ method: 'GET', path: '/t/me', headers: { Cookie: i % 2 ? first : `${filler}; x=${i}` } }, i % 2 ? [{ status: 200, sub: 'abuse-ok' }] : [{ status: 401, code: 'token_missing', www: 'realm' }], [
        good.accessToken,
        good.idToken,
      ]),
    );
    const ms = burst.map((r) => r.ms).sort((a, b) => a - b);
    tally.note(`200 requests with 2000-cookie headers: median ${ms[100].toFixed(1)} ms, max ${ms[199].toFixed(1)} ms`);
    expect(ms[199]).toBeLessThan(1000);
    // One huge token cookie (12,000 characters) under the header limit: refused by length.
    const huge = unknownKidToken(11_000);
    await expectAnswer({ method: 'GET', path: '/t/me', headers: { Cookie: `AccessToken=${huge}; IdToken=${good.idToken}` } }, [invalid], [huge]);
  });

  it('an unknown-kid flood fetches the JWKS at most once per cooldown and never holds up known-kid tokens', async () => {
    const valid = await Promise.all(Array.from({ length: 300 }, (_, i) => idp.issueTokens({ sub: `flood-ok-${i}` })));
    idp.jwks.delayMs = 1500; // each refetch is slow: known-kid answers must not wait for it
    await sleep(COOLDOWN + 100);
    const before = idp.stats.jwksRequests;
    const started = Date.now();
    const FLOOD_MS = 3500;
    let unknownSent = 0;
    const validMs: number[] = [];
    const flood = pool(Array.from({ length: 32 }, (_, i) => i), 32, async () => {
      while (Date.now() - started < FLOOD_MS) {
        const tok = unknownKidToken();
        unknownSent++;
        await expectAnswer({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: tok, IDTOKEN: good.idToken } }, [invalid], []);
      }
    });
    const known = pool(valid, 4, async (tk) => {
      await sleep(8);
      const res = await expectAnswer({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: tk.accessToken, IDTOKEN: tk.idToken } }, [{ status: 200, sub: tk.sub }], [tk.accessToken, tk.idToken]);
      validMs.push(res.ms);
    });
    await Promise.all([flood, known]);
    const elapsed = Date.now() - started;
    const fetches = idp.stats.jwksRequests - before;
    idp.jwks.delayMs = 0;
    validMs.sort((a, b) => a - b);
    tally.note(
      `unknown-kid flood: ${unknownSent} requests in ${elapsed} ms made ${fetches} JWKS fetches (cooldown ${COOLDOWN} ms, each fetch 1500 ms); ` +
        `300 known-kid requests meanwhile: median ${validMs[150].toFixed(1)} ms, max ${validMs[299].toFixed(1)} ms`,
    );
    expect(unknownSent).toBeGreaterThan(500);
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(1 + Math.floor(elapsed / COOLDOWN));
    // Known-kid answers never wait for a 1500 ms refetch (one that did would take up to 1500 ms).
    expect(validMs[150]).toBeLessThan(100);
    expect(validMs[299]).toBeLessThan(1000);
  }, 60_000);
});
