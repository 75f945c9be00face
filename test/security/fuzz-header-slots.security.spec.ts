import { createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { COGNITO_AUTH_SETTINGS, type CognitoAuthSettings } from '../../src/index.js';
import { TestIdentityProvider, type IssuedTokens } from '../../src/testing/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import {
  type CsrfState,
  type Expectation,
  type Extracted,
  type RouteKind,
  Oracle,
  judgeAnswer,
  readingsOf,
  subOfMe,
  subOfOpen,
  trimOws,
} from './support/oracle.js';
import { assertBatched, b64urlString, headerString, rarely, utf8AsLatin1 } from './support/property.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, WireClient, type WireRequest } from './support/wire.js';

/**
 * Property: arbitrary values in every token slot (`ACCESSTOKEN`, `IDTOKEN`, `REFRESHTOKEN` in any
 * letter case, `Authorization` with any scheme, the `AccessToken` / `IdToken` / `RefreshToken`
 * cookies among other cookies, quoted and percent-encoded, and whole garbage `Cookie` headers),
 * mixed with real tokens (valid, expired with a working refresh token, of two users, signed by an
 * unknown key), on a protected, a public, a `@UseGuards` and a CSRF-checked `@Scopes` route of an
 * app with cookies and CSRF on. Each answer must be exactly what the oracle derives from the
 * contract; never a 5xx; never a token fragment in a body, a header or a log line.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const tally = new Tally('fuzz: header and cookie slots', import.meta.url);

interface SlotCase {
  route: 'me' | 'open' | 'guarded' | 'notes';
  access?: { name: string; value: string };
  id?: { name: string; value: string };
  refresh?: { name: string; value: string };
  authorization?: string;
  cookies: (readonly [string, string])[];
  cookieSeparator: string;
  garbageCookie?: string;
  csrfCookie?: string;
  csrfHeader?: { match: true } | { value: string };
  /** A coherent pair placed over the random slots: which pool pair, and where each token goes. */
  pair?: {
    which: 'a' | 'b' | 'c' | 'd';
    accessVia: 'header' | 'bearer' | 'cookie';
    idVia: 'header' | 'cookie';
    refresh?: { which: 'a' | 'b' | 'c' | 'd'; via: 'header' | 'cookie' };
  };
}

const ROUTES: Record<SlotCase['route'], { method: string; path: string; kind: RouteKind; subOf?: typeof subOfMe }> = {
  me: { method: 'GET', path: '/t/me', kind: 'protected', subOf: subOfMe },
  open: { method: 'GET', path: '/t/open', kind: 'public', subOf: subOfOpen },
  guarded: { method: 'GET', path: '/guarded/me', kind: 'protected', subOf: subOfMe },
  notes: { method: 'POST', path: '/t/notes', kind: 'scoped-post' },
};

const present = (s: string | undefined) => (s === undefined || trimOws(s) === '' ? undefined : trimOws(s));
/** RFC 6750 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The access-token readings of `Authorization` (none, one, or "absent or this" when malformed). */
function bearerReadings(raw: string | undefined): (string | undefined)[] {
  const out = new Set<string | undefined>();
  for (const value of readingsOf(raw)) {
    const m = value === undefined ? null : /^bearer[ \t]+(.*)$/is.exec(value);
    if (!m || m[1] === '') out.add(undefined);
    else if (B64TOKEN.test(m[1])) out.add(m[1]);
    else out.add(undefined).add(m[1]);
  }
  return [...out];
}

/** RFC 6265 section 5.2 pairs of a Cookie header; each value with its quoted and percent-decoded readings. */
function cookieReadings(header: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const readings = new Set<string>();
    for (const raw of [trimOws(part.slice(eq + 1)), part.slice(eq + 1).trim()]) {
      readings.add(raw);
      const unquoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
      readings.add(unquoted);
      for (const r of [raw, unquoted]) {
        if (!r.includes('%')) continue;
        try {
          readings.add(decodeURIComponent(r));
        } catch {
          // not percent-encoding after all
        }
      }
    }
    for (const name of new Set([trimOws(part.slice(0, eq)), part.slice(0, eq).trim()])) {
      if (name) out.set(name, [...(out.get(name) ?? []), ...readings]);
    }
  }
  return out;
}

describe('fuzz: arbitrary header and cookie values in every token slot', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let client: WireClient;
  let oracle: Oracle;
  let pool: { a: IssuedTokens; b: IssuedTokens; c: IssuedTokens; d: IssuedTokens; e: IssuedTokens };
  const batchTokens: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp({ ...idp.moduleOptions(), cookies: { enabled: true, secure: false }, csrf: true });
    client = new WireClient(await listen(t.app));
    const rogue = await idp.createKey();
    pool = {
      a: await idp.issueTokens({ sub: 'fz-a', scopes: ['aws.cognito.signin.user.admin', 'notes/write'] }),
      b: await idp.issueTokens({ sub: 'fz-b' }),
      c: await idp.issueTokens({ sub: 'fz-c', expiresInSeconds: -3600 }),
      d: await idp.issueTokens({ sub: 'fz-d', expiresInSeconds: -3600, scopes: ['notes/write'] }),
      e: await idp.issueTokens({ sub: 'fz-e', key: rogue }),
    };
    const settings = t.app.get<CognitoAuthSettings>(COGNITO_AUTH_SETTINGS);
    const kid = idp.currentKey.kid;
    oracle = new Oracle({
      issuers: settings.issuers,
      clients: settings.clientIds,
      toleranceSec: settings.clockToleranceSeconds,
      maxTokenLength: settings.maxTokenLength,
      keys: new Map([[kid, createPublicKey({ key: idp.currentKey.publicJwk as never, format: 'jwk' })]]),
      refreshOwners: new Map([
        [pool.a.refreshToken, { sub: 'fz-a', clientId: pool.a.clientId, scopes: ['aws.cognito.signin.user.admin', 'notes/write'] }],
        [pool.b.refreshToken, { sub: 'fz-b', clientId: pool.b.clientId, scopes: ['aws.cognito.signin.user.admin'] }],
        [pool.c.refreshToken, { sub: 'fz-c', clientId: pool.c.clientId, scopes: ['aws.cognito.signin.user.admin'] }],
        [pool.d.refreshToken, { sub: 'fz-d', clientId: pool.d.clientId, scopes: ['notes/write'] }],
      ]),
    });
  });

  afterAll(async () => {
    tally.save();
    client?.close();
    await t?.close();
    await idp?.close();
  });

  function arbitraries() {
    const p = pool;
    const real = [p.a, p.b, p.c, p.d, p.e].flatMap((x) => [x.accessToken, x.idToken]);
    const refreshes = [p.a, p.b, p.c, p.d].map((x) => x.refreshToken);
    const ows = fc.constantFrom('', '', '', ' ', '\t', '  ', ' \t ');
    const garbage = fc.oneof(
      { weight: 4, arbitrary: headerString({ maxLength: 40 }) },
      { weight: 2, arbitrary: fc.tuple(b64urlString(1, 60), b64urlString(0, 60), b64urlString(0, 60)).map((s) => s.join('.')) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', ' \t  ') },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(utf8AsLatin1) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom(...real), fc.integer({ min: 0, max: 1400 }), headerString({ maxLength: 6 }))
          .map(([tok, cut, junk]) => tok.slice(0, cut) + junk),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.integer({ min: 8193, max: 9000 }), fc.constantFrom('A', 'x.', 'eyJ', '.'))
          .map(([n, c]) => c.repeat(Math.ceil(n / c.length)).slice(0, n)),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('null', 'undefined', 'Bearer', '[object Object]', '{}', 'eyJhbGciOiJub25lIn0.e30.', '...', '.', 'a.b.c'),
      },
    );
    const tokenValue = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(ows, fc.constantFrom(...real), ows).map(([a, tok, b]) => a + tok + b) },
      { weight: 5, arbitrary: garbage },
    );
    const refreshValue = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(ows, fc.constantFrom(...refreshes), ows).map(([a, tok, b]) => a + tok + b) },
      { weight: 1, arbitrary: fc.constantFrom(...real) },
      { weight: 3, arbitrary: garbage },
    );
    const slot = (names: string[], value: fc.Arbitrary<string>) =>
      fc.option(fc.record({ name: fc.constantFrom(...names), value }), { nil: undefined, freq: 3 });
    const cookieOctet = fc.string({
      unit: fc
        .integer({ min: 0x21, max: 0x7e })
        .filter((c) => c !== 0x22 && c !== 0x2c && c !== 0x3b && c !== 0x5c)
        .map((c) => String.fromCharCode(c)),
      maxLength: 40,
    });
    const cookieValue = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...real, ...refreshes) },
      { weight: 1, arbitrary: fc.constantFrom(...real).map((tok) => `"${tok}"`) },
      { weight: 1, arbitrary: fc.constantFrom(...real).map((tok) => tok.replace(/\./g, '%2E')) },
      { weight: 3, arbitrary: cookieOctet },
      { weight: 1, arbitrary: fc.constant('') },
    );
    const tokenCookie = fc.tuple(
      fc.constantFrom(
        'AccessToken',
        'IdToken',
        'RefreshToken',
        'AccessToken',
        'IdToken',
        'accesstoken',
        'ACCESSTOKEN',
        'idtoken',
        ' IdToken',
        'RefreshToken ',
      ),
      cookieValue,
    );
    const otherCookie = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/), cookieOctet);
    return fc.record<SlotCase>({
      route: fc.constantFrom('me', 'me', 'me', 'open', 'guarded', 'notes', 'notes'),
      access: slot(['ACCESSTOKEN', 'accesstoken', 'AccessToken', 'aCcEsStOkEn'], tokenValue),
      id: slot(['IDTOKEN', 'idtoken', 'IdToken'], tokenValue),
      refresh: slot(['REFRESHTOKEN', 'refreshtoken', 'RefreshToken'], refreshValue),
      authorization: fc.option(
        fc
          .tuple(
            fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Token', 'Bearer:', ''),
            fc.constantFrom(' ', '\t', '  ', ''),
            tokenValue,
          )
          .map(([scheme, sep, value]) => `${scheme}${sep}${value}`),
        { nil: undefined, freq: 3 },
      ),
      cookies: fc.array(fc.oneof({ weight: 3, arbitrary: tokenCookie }, { weight: 1, arbitrary: otherCookie }), { maxLength: 6 }),
      cookieSeparator: fc.constantFrom('; ', ';', ' ; '),
      garbageCookie: rarely(headerString({ maxLength: 80 }), 12),
      csrfCookie: fc.option(b64urlString(8, 43), { nil: undefined, freq: 2 }),
      pair: fc.option(
        fc.record({
          which: fc.constantFrom('a', 'b', 'c', 'd'),
          accessVia: fc.constantFrom('header', 'bearer', 'cookie'),
          idVia: fc.constantFrom('header', 'cookie'),
          refresh: fc.option(
            fc.record({ which: fc.constantFrom('a', 'b', 'c', 'd', 'c', 'd'), via: fc.constantFrom('header', 'cookie') }),
            {
              nil: undefined,
              freq: 4,
            },
          ),
        }),
        { nil: undefined, freq: 2 },
      ),
      csrfHeader: fc.option(
        fc.oneof(
          fc.constant({ match: true as const }),
          headerString({ maxLength: 43 }).map((value) => ({ value })),
        ),
        {
          nil: undefined,
          freq: 2,
        },
      ),
    });
  }

  /** Places the coherent pair of the case over its random slots. */
  function withPair(c: SlotCase): SlotCase {
    if (!c.pair) return c;
    const out: SlotCase = { ...c, cookies: [...c.cookies] };
    const p = pool[c.pair.which];
    if (c.pair.accessVia === 'header') {
      out.access = { name: 'ACCESSTOKEN', value: p.accessToken };
    } else if (c.pair.accessVia === 'bearer') {
      out.access = undefined;
      out.authorization = `Bearer ${p.accessToken}`;
    } else {
      out.access = undefined;
      out.authorization = undefined;
      out.cookies.unshift(['AccessToken', p.accessToken]);
    }
    if (c.pair.idVia === 'header') {
      out.id = { name: 'IDTOKEN', value: p.idToken };
    } else {
      out.id = undefined;
      out.cookies.unshift(['IdToken', p.idToken]);
    }
    if (c.pair.refresh) {
      const r = pool[c.pair.refresh.which].refreshToken;
      if (c.pair.refresh.via === 'header') {
        out.refresh = { name: 'REFRESHTOKEN', value: r };
      } else {
        out.refresh = undefined;
        out.cookies.unshift(['RefreshToken', r]);
      }
    }
    if (c.pair.accessVia === 'cookie' || c.pair.idVia === 'cookie' || c.pair.refresh?.via === 'cookie') out.garbageCookie = undefined;
    return out;
  }

  function toRequest(c: SlotCase): { req: WireRequest; sent: string[]; cookieHeader?: string; csrfHeader?: string } {
    const route = ROUTES[c.route];
    const headers: Record<string, string> = {};
    const sent: string[] = [];
    for (const s of [c.access, c.id, c.refresh]) {
      if (s) {
        headers[s.name] = s.value;
        sent.push(s.value);
      }
    }
    if (c.authorization !== undefined) {
      headers.Authorization = c.authorization;
      sent.push(c.authorization.replace(/^\S*\s*/, ''));
    }
    let cookieHeader: string | undefined;
    if (c.garbageCookie !== undefined) cookieHeader = c.garbageCookie;
    else {
      const pairs = c.cookies.map(([n, v]) => `${n}=${v}`);
      if (c.csrfCookie !== undefined) pairs.splice(pairs.length >> 1, 0, `csrf_token=${c.csrfCookie}`);
      if (pairs.length > 0) cookieHeader = pairs.join(c.cookieSeparator);
      for (const [, v] of c.cookies) sent.push(v);
    }
    if (cookieHeader !== undefined) {
      headers.Cookie = cookieHeader;
      sent.push(cookieHeader);
    }
    let csrfHeader: string | undefined;
    if (c.csrfHeader) csrfHeader = 'match' in c.csrfHeader ? (c.csrfCookie ?? 'no-cookie') : c.csrfHeader.value;
    if (csrfHeader !== undefined) headers['X-CSRF-Token'] = csrfHeader;
    return { req: { method: route.method, path: route.path, headers }, sent, cookieHeader, csrfHeader };
  }

  /** Every extraction the contract allows for the case, with its CSRF state. */
  function readings(c: SlotCase, cookieHeader: string | undefined, csrfHeader: string | undefined): { ex: Extracted; csrf: CsrfState }[] {
    const cookies = cookieReadings(cookieHeader);
    const cookieOptions = (name: string): (string | undefined)[] => {
      const values = (cookies.get(name) ?? []).flatMap(readingsOf);
      return values.length === 0 ? [undefined] : [...new Set(values)];
    };
    const bearer = bearerReadings(c.authorization);
    // ACCESSTOKEN or Authorization: which wins is not written down.
    const accessHeaderOptions = readingsOf(c.access?.value).flatMap((h) =>
      h === undefined ? bearer : [h, ...bearer.filter((b) => b !== undefined)],
    );
    const fromHeaderOrCookie = (headerOptions: (string | undefined)[], cookieName: string) =>
      [...new Set(headerOptions)].flatMap((h) =>
        h !== undefined ? [{ value: h, cookie: false }] : cookieOptions(cookieName).map((v) => ({ value: v, cookie: v !== undefined })),
      );
    const access = fromHeaderOrCookie(accessHeaderOptions, 'AccessToken');
    const id = fromHeaderOrCookie(readingsOf(c.id?.value), 'IdToken');
    const refresh = fromHeaderOrCookie(readingsOf(c.refresh?.value), 'RefreshToken');
    const csrfValues = cookies.get('csrf_token') ?? [];
    const header = csrfHeader === undefined ? undefined : present(csrfHeader);
    const csrfPass = header !== undefined && csrfValues.length > 0 && csrfValues.every((v) => v === header);
    const csrfFail = header === undefined || !csrfValues.includes(header);
    const out: { ex: Extracted; csrf: CsrfState }[] = [];
    for (const a of access) {
      for (const i of id) {
        for (const r of refresh) {
          let csrf: CsrfState = 'n/a';
          if (ROUTES[c.route].method === 'POST') {
            if (a.cookie || i.cookie) csrf = csrfPass ? 'pass' : csrfFail ? 'fail' : 'maybe';
            else if (r.cookie && !csrfPass) csrf = 'maybe';
          }
          out.push({ ex: { access: a.value, id: i.value, refresh: r.value }, csrf });
        }
      }
    }
    return out;
  }

  it(`${CASES} generated requests: exactly the contract's answer, no 5xx, no token fragment anywhere`, async () => {
    const result = await assertBatched(
      arbitraries(),
      async (generated) => {
        const c = withPair(generated);
        const { req, sent, cookieHeader, csrfHeader } = toRequest(c);
        batchTokens.push(...sent);
        const headerBytes = Object.entries(req.headers).reduce((n, [k, v]) => n + k.length + String(v).length + 4, 0);
        const allowed = readings(c, cookieHeader, csrfHeader);
        const sentAt = Date.now();
        await oracle.noteSent(
          allowed.map((r) => r.ex),
          sentAt,
        );
        let res;
        try {
          res = await client.send(req);
        } catch (err) {
          // Only a request over Node's header limit may be cut off (431 and close).
          const matched = headerBytes > 15_000;
          tally.record({ status: 0, matched, failure: `no answer: ${(err as Error).message}` });
          if (!matched) throw err;
          return;
        }
        const instants = [sentAt, Date.now()];
        const route = ROUTES[c.route];
        let expected: Expectation[] = [];
        for (const r of allowed) expected.push(...(await oracle.expect(r.ex, route.kind, instants, r.csrf)));
        expected = [...new Map(expected.map((e) => [JSON.stringify(e), e])).values()];
        if (headerBytes > 15_000) expected = headerBytes > 17_000 ? [{ status: 431 }] : [...expected, { status: 431 }];
        const verdict = judgeAnswer(res, expected, route.subOf);
        const leaks = tally.leaks(answerTexts(res.body, res.headers), sent);
        tally.record({
          status: res.status,
          code: codeOf(res.body),
          matched: verdict.ok,
          success: verdict.ok && verdict.match.status < 300 && verdict.match.sub !== null,
          expected503: verdict.ok && verdict.match.status === 503,
          failure: verdict.ok ? undefined : `${req.method} ${req.path} ${JSON.stringify(c).slice(0, 600)}: ${verdict.why}`,
        });
        if (!verdict.ok) throw new Error(`${req.method} ${req.path}: ${verdict.why}\ncase: ${JSON.stringify(c).slice(0, 2000)}`);
        if (res.status >= 500 && verdict.match.status !== 503) throw new Error(`5xx: ${res.status} ${res.body}`);
        if (leaks > 0) throw new Error(`token fragment leaked: ${res.body}`);
      },
      {
        cases: CASES,
        concurrency: 24,
        afterBatch: () => {
          tally.logLeaks(t.logger, batchTokens.splice(0));
        },
      },
    );
    tally.note(`seed ${result.seed}, ${result.runs} batches of 24`);
    tally.note(
      `refresh calls at the identity provider: ${idp.stats.initiateAuth}; ${tally.row.answers['503 auth_unavailable'] ?? 0} answers 503 by the per-user refresh limit`,
    );
    expect(tally.row.tried).toBeGreaterThanOrEqual(CASES);
    expect(tally.row.fiveXX).toBe(0);
    expect(tally.row.leaked).toBe(0);
    expect(tally.row.wrong).toBe(0);
  }, 300_000);
});
