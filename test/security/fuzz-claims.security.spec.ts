import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { COGNITO_AUTH_SETTINGS, type CognitoAuthSettings } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { atHashOf, jsonWithRaw, privateKeyObject, signRaw } from './support/jws.js';
import { type Expectation, Oracle, judgeAnswer, subOfMe, subOfOpen } from './support/oracle.js';
import { assertBatched, rarely } from './support/property.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, WireClient } from './support/wire.js';

/**
 * Property: arbitrary JOSE headers and claim sets, signed for real with the pool's key (or, now and
 * then, another key under the pool's kid): wrong types for every claim (numbers as strings, arrays,
 * objects, null, huge numbers, unicode, lone surrogates), missing claims, times on both sides of
 * the clock tolerance, `__proto__` / `constructor` / `prototype` members at any depth, non-object
 * and non-UTF-8 payloads, hostile `alg`, `kid`, `crit`, `jku`, `jwk`, `b64` header members, a
 * wrong `at_hash`, and a working, bogus or no refresh token. The oracle computes the exact answer
 * from the documented verification rules (the README's status table and token rules); the app must give exactly that, never a 5xx, and leak nothing.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const tally = new Tally('fuzz: JOSE headers and claim sets', import.meta.url);
const SUB = 'fz-subject';

/** A value for a claim: remove it, a JSON value, a time relative to now, or raw JSON text. */
type ValuePlan = { drop: true } | { value: unknown } | { rel: number };

interface HeaderPlan {
  alg: ValuePlan;
  kid: 'right' | 'unknown' | ValuePlan;
  extra: Record<string, unknown>;
  raw: [string, string][];
  rawText?: string | number[];
}

interface TokenPlan {
  header: HeaderPlan;
  key: 'right' | 'rogue';
  mutations: [string, ValuePlan][];
  extra: Record<string, unknown>;
  raw: [string, string][];
  rawPayload?: string | number[];
}

interface ClaimCase {
  client: 'client-a' | 'client-b';
  sub: string;
  exp: number;
  iat: number;
  nbf?: number;
  access: TokenPlan;
  id: TokenPlan;
  atHash: 'right' | 'absent' | ValuePlan;
  refresh: 'none' | 'bogus' | 'real';
  route: 'me' | 'open';
}

const DROP = { drop: true } as const;
const ACCESS_CLAIMS = [
  'sub',
  'iss',
  'client_id',
  'token_use',
  'scope',
  'auth_time',
  'exp',
  'iat',
  'nbf',
  'jti',
  'username',
  'origin_jti',
  'event_id',
  'cognito:groups',
  'aud',
  'version',
];
const ID_CLAIMS = [
  'sub',
  'iss',
  'aud',
  'token_use',
  'cognito:username',
  'email',
  'email_verified',
  'auth_time',
  'exp',
  'iat',
  'nbf',
  'jti',
  'origin_jti',
  'event_id',
  'cognito:groups',
  'client_id',
  'custom:tier',
];
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time']);

describe('fuzz: arbitrary JOSE headers and claim sets signed with the right key', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let client: WireClient;
  let oracle: Oracle;
  let rightKey: KeyObject;
  let rogueKey: KeyObject;
  let rogueJwk: Record<string, unknown>;
  let realRefresh: string;
  const batchTokens: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }, { clientId: 'client-b' }] });
    t = await createTestApp(idp.moduleOptions());
    client = new WireClient(await listen(t.app));
    rightKey = privateKeyObject(idp.currentKey);
    const rogue = await idp.createKey();
    rogueKey = privateKeyObject(rogue);
    rogueJwk = { ...rogue.publicJwk, kid: idp.currentKey.kid };
    realRefresh = (await idp.issueTokens({ sub: SUB, clientId: 'client-a' })).refreshToken;
    const settings = t.app.get<CognitoAuthSettings>(COGNITO_AUTH_SETTINGS);
    oracle = new Oracle({
      issuers: settings.issuers,
      clients: settings.clientIds,
      toleranceSec: settings.clockToleranceSeconds,
      maxTokenLength: settings.maxTokenLength,
      keys: new Map([[idp.currentKey.kid, createPublicKey({ key: idp.currentKey.publicJwk as never, format: 'jwk' })]]),
      refreshOwners: new Map([[realRefresh, { sub: SUB, clientId: 'client-a', scopes: ['aws.cognito.signin.user.admin'] }]]),
    });
  });

  afterAll(async () => {
    tally.save();
    client?.close();
    await t?.close();
    await idp?.close();
  });

  function arbitraries(): fc.Arbitrary<ClaimCase> {
    const hostile = fc.oneof(
      fc.constantFrom<unknown>(
        null,
        true,
        false,
        0,
        -1,
        -0.5,
        1.5,
        1e20,
        1e308,
        Number.MAX_SAFE_INTEGER,
        Number.MIN_SAFE_INTEGER,
        2 ** 53,
        '',
        ' ',
        '0',
        'null',
        'true',
        '[]',
        '{}',
        [],
        {},
        [null],
        ['a'],
        { $date: 1 },
      ),
      fc.integer({ min: 0, max: 2_000_000_000 }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ unit: 'grapheme', maxLength: 24 }),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const plausible = (claim: string): fc.Arbitrary<unknown> => {
      switch (claim) {
        case 'iss':
          return fc.constantFrom(
            idp.issuer,
            `${idp.issuer}/`,
            idp.issuer.toUpperCase(),
            `${idp.endpoint}/local_OtherPool`,
            'https://cognito-idp.us-east-1.amazonaws.com/local_TestPool1',
            [idp.issuer],
          );
        case 'token_use':
          return fc.constantFrom('access', 'id', 'ID', 'Access', 'refresh', ' id', ['id']);
        case 'client_id':
        case 'aud':
          return fc.constantFrom('client-a', 'client-b', 'client-c', 'CLIENT-A', ['client-a'], ['client-a', 'client-b'], '');
        case 'sub':
          return fc.oneof(fc.constantFrom(SUB, `${SUB} `, 'other-user', ''), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }));
        case 'cognito:groups':
          return fc.constantFrom(['admin'], [], 'admin', [1], [null], ['admin', 2], [['admin']]);
        case 'scope':
          return fc.constantFrom('notes/write', '', 'a b c', ['notes/write']);
        default:
          return fc.oneof(fc.string({ maxLength: 16 }), fc.string({ unit: 'grapheme', maxLength: 8 }));
      }
    };
    const valuePlan = (claim: string): fc.Arbitrary<ValuePlan> =>
      fc.oneof(
        { weight: 3, arbitrary: hostile.map((value) => ({ value })) },
        { weight: 3, arbitrary: plausible(claim).map((value) => ({ value })) },
        { weight: 1, arbitrary: fc.constant(DROP) },
        ...(TIME_CLAIMS.has(claim)
          ? [
              { weight: 3, arbitrary: fc.constantFrom(-3600, -60, -8, -2, 0, 2, 8, 60, 3600).map((rel) => ({ rel })) },
              { weight: 1, arbitrary: fc.constantFrom(-3600, 2, 3600).map((rel) => ({ value: `__rel_string:${rel}` })) },
            ]
          : []),
      );
    const mutations = (claims: string[]) =>
      fc.oneof(
        { weight: 5, arbitrary: fc.constant([] as [string, ValuePlan][]) },
        {
          weight: 5,
          arbitrary: fc.array(
            fc.constantFrom(...claims).chain((c) => valuePlan(c).map((v): [string, ValuePlan] => [c, v])),
            { minLength: 1, maxLength: 3 },
          ),
        },
      );
    const forbiddenRaw = fc.constantFrom<[string, string][]>(
      [['__proto__', '{"admin":true}']],
      [['constructor', '{"prototype":{"admin":true}}']],
      [['prototype', '1']],
      [['nested', '{"__proto__":{"admin":true}}']],
      [['list', '[1,{"constructor":{}}]']],
      [['sub', '"duplicate-first"']],
    );
    const rawPayload = fc.constantFrom<string | number[]>(
      '[]',
      'null',
      '"x"',
      '123',
      '{',
      '',
      'true',
      '{"a":1}{"b":2}',
      '\ufeff{"sub":"x"}',
      [0x7b, 0x22, 0x73, 0x75, 0x62, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d],
      [0xc0, 0x80],
    );
    const headerPlan: fc.Arbitrary<HeaderPlan> = fc.record({
      alg: fc.oneof(
        { weight: 30, arbitrary: fc.constant<ValuePlan>({ value: 'RS256' }) },
        {
          weight: 2,
          arbitrary: fc
            .constantFrom<unknown>(
              'none',
              'HS256',
              'RS384',
              'RS512',
              'PS256',
              'ES256',
              'rs256',
              'RS256 ',
              ' RS256',
              '',
              null,
              256,
              ['RS256'],
              { alg: 'RS256' },
            )
            .map((value) => ({ value })),
        },
        { weight: 1, arbitrary: fc.constant<ValuePlan>(DROP) },
      ),
      kid: fc.oneof(
        { weight: 30, arbitrary: fc.constant<'right'>('right') },
        { weight: 1, arbitrary: fc.constant<'unknown'>('unknown') },
        { weight: 1, arbitrary: fc.oneof(fc.constantFrom<unknown>('', null, 0, {}), hostile).map((value): ValuePlan => ({ value })) },
        { weight: 1, arbitrary: fc.constant<ValuePlan>(DROP) },
      ),
      extra: fc.oneof(
        { weight: 8, arbitrary: fc.constant({}) },
        {
          weight: 2,
          arbitrary: fc.record(
            {
              typ: fc.constantFrom('JWT', 'at+jwt', 'JOSE', 1),
              cty: fc.constantFrom('JWT', 'json'),
              jku: fc.constant('http://127.0.0.1:9/evil-jwks.json'),
              x5u: fc.constant('http://127.0.0.1:9/evil.pem'),
              jwk: fc.constant('rogue-jwk'),
              crit: fc.constantFrom<unknown>(['exp'], [], ['b64'], 'b64', null),
              b64: fc.constantFrom(false, true),
              zip: fc.constant('DEF'),
              x: hostile,
            },
            { requiredKeys: [] },
          ),
        },
      ),
      raw: fc.oneof(
        { weight: 30, arbitrary: fc.constant([] as [string, string][]) },
        {
          weight: 1,
          arbitrary: fc.constantFrom<[string, string][]>(
            [['__proto__', '{"alg":"none"}']],
            [['constructor', '{}']],
            [['alg', '"none"']],
            [['kid', '"x"']],
          ),
        },
      ),
      rawText: rarely(
        fc.constantFrom<string | number[]>(
          '[]',
          'null',
          '"RS256"',
          '{',
          '{"alg":"RS256","kid":',
          [0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d],
        ),
        40,
      ),
    });
    const tokenPlan = (claims: string[]): fc.Arbitrary<TokenPlan> =>
      fc.record({
        header: headerPlan,
        key: fc.oneof({ weight: 30, arbitrary: fc.constant<'right'>('right') }, { weight: 1, arbitrary: fc.constant<'rogue'>('rogue') }),
        mutations: mutations(claims),
        extra: fc.oneof(
          { weight: 10, arbitrary: fc.constant({}) },
          { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
        ),
        raw: fc.oneof({ weight: 20, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: forbiddenRaw }),
        rawPayload: rarely(rawPayload, 60),
      });
    return fc.record({
      client: fc.constantFrom('client-a', 'client-a', 'client-b'),
      sub: fc.oneof(
        { weight: 4, arbitrary: fc.constant(SUB) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }) },
      ),
      exp: fc.constantFrom(3600, 3600, 600, 60, -2, -8, -3600),
      iat: fc.constantFrom(-60, -60, 0, -3600, 2, 8, 3600),
      nbf: rarely(fc.constantFrom(-60, 2, 8, 3600), 3),
      access: tokenPlan(ACCESS_CLAIMS),
      id: tokenPlan(ID_CLAIMS),
      atHash: fc.oneof(
        { weight: 10, arbitrary: fc.constant<'right'>('right') },
        { weight: 1, arbitrary: fc.constant<'absent'>('absent') },
        { weight: 1, arbitrary: fc.oneof(fc.constant<unknown>('AAAAAAAAAAAAAAAAAAAAAA'), hostile).map((value): ValuePlan => ({ value })) },
      ),
      refresh: fc.constantFrom('none', 'none', 'none', 'bogus', 'real', 'real'),
      route: fc.constantFrom('me', 'me', 'me', 'open'),
    });
  }

  function resolve(plan: ValuePlan, now: number): { drop: true } | { value: unknown } {
    if ('rel' in plan) return { value: now + plan.rel };
    if ('value' in plan && typeof plan.value === 'string' && plan.value.startsWith('__rel_string:')) {
      return { value: String(now + Number(plan.value.slice('__rel_string:'.length))) };
    }
    return plan as { drop: true } | { value: unknown };
  }

  function setMember(target: Record<string, unknown>, name: string, plan: { drop: true } | { value: unknown }): void {
    if ('drop' in plan) delete target[name];
    else Object.defineProperty(target, name, { value: plan.value, enumerable: true, writable: true, configurable: true });
  }

  function build(plan: TokenPlan, claims: Record<string, unknown>, now: number): string {
    for (const [name, v] of plan.mutations) setMember(claims, name, resolve(v, now));
    for (const [name, value] of Object.entries(plan.extra)) setMember(claims, name, { value });
    const header: Record<string, unknown> = {};
    setMember(header, 'alg', resolve(plan.header.alg, now));
    if (plan.header.kid === 'right') header.kid = idp.currentKey.kid;
    else if (plan.header.kid === 'unknown') header.kid = `unknown-${randomUUID()}`;
    else setMember(header, 'kid', resolve(plan.header.kid, now));
    for (const [name, value] of Object.entries(plan.header.extra))
      setMember(header, name, { value: value === 'rogue-jwk' ? rogueJwk : value });
    const bytes = (x: string | number[]) => (typeof x === 'string' ? x : Uint8Array.from(x));
    const headerText = plan.header.rawText !== undefined ? bytes(plan.header.rawText) : jsonWithRaw(header, plan.header.raw);
    const payloadText = plan.rawPayload !== undefined ? bytes(plan.rawPayload) : jsonWithRaw(claims, plan.raw);
    return signRaw(headerText, payloadText, plan.key === 'right' ? rightKey : rogueKey);
  }

  function mint(c: ClaimCase, now: number): { accessToken: string; idToken: string } {
    const times = (): Record<string, unknown> => ({
      auth_time: now - 60,
      exp: now + c.exp,
      iat: now + c.iat,
      ...(c.nbf !== undefined ? { nbf: now + c.nbf } : {}),
    });
    const originJti = randomUUID();
    const accessToken = build(
      c.access,
      {
        sub: c.sub,
        iss: idp.issuer,
        client_id: c.client,
        origin_jti: originJti,
        event_id: randomUUID(),
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        ...times(),
        jti: randomUUID(),
        username: c.sub,
      },
      now,
    );
    const idClaims: Record<string, unknown> = {
      sub: c.sub,
      email_verified: true,
      iss: idp.issuer,
      'cognito:username': c.sub,
      origin_jti: originJti,
      aud: c.client,
      event_id: randomUUID(),
      token_use: 'id',
      ...times(),
      jti: randomUUID(),
      email: 'fuzz@example.test',
    };
    if (c.atHash === 'right') idClaims.at_hash = atHashOf(accessToken);
    else if (c.atHash !== 'absent') setMember(idClaims, 'at_hash', resolve(c.atHash, now));
    return { accessToken, idToken: build(c.id, idClaims, now) };
  }

  it(`${CASES} generated claim sets: exactly the contract's answer, no 5xx, no token fragment anywhere`, async () => {
    const result = await assertBatched(
      arbitraries(),
      async (c) => {
        const now = Math.floor(Date.now() / 1000);
        const { accessToken, idToken } = mint(c, now);
        const refresh = c.refresh === 'real' ? realRefresh : c.refresh === 'bogus' ? `bogus-${randomUUID()}` : undefined;
        const headers: Record<string, string> = {
          ACCESSTOKEN: accessToken,
          IDTOKEN: idToken,
          ...(refresh ? { REFRESHTOKEN: refresh } : {}),
        };
        const sent = [accessToken, idToken, ...(refresh ? [refresh] : [])];
        batchTokens.push(...sent);
        const route =
          c.route === 'me'
            ? { path: '/t/me', kind: 'protected' as const, subOf: subOfMe }
            : { path: '/t/open', kind: 'public' as const, subOf: subOfOpen };
        const ex = { access: accessToken, id: idToken, refresh };
        // The app reads Date.now; the oracle judges at the send and the receive time (a case on a
        // time boundary may go either way), never with a threshold of its own.
        const sentAt = Date.now();
        await oracle.noteSent([ex], sentAt);
        const res = await client.send({ method: 'GET', path: route.path, headers });
        const expected: Expectation[] = await oracle.expect(ex, route.kind, [sentAt, Date.now()]);
        const verdict = judgeAnswer(res, expected, route.subOf);
        const leaks = tally.leaks(answerTexts(res.body, res.headers), sent);
        tally.record({
          status: res.status,
          code: codeOf(res.body),
          matched: verdict.ok,
          success: verdict.ok && verdict.match.status < 300 && verdict.match.sub !== null,
          expected503: verdict.ok && verdict.match.status === 503,
          failure: verdict.ok ? undefined : `${verdict.why} case ${JSON.stringify(c).slice(0, 800)}`,
        });
        if (!verdict.ok) {
          const [h, p] = [accessToken, idToken].map((tok) =>
            tok
              .split('.')
              .slice(0, 2)
              .map((s) => Buffer.from(s, 'base64url').toString('utf8'))
              .join(' . '),
          );
          throw new Error(`${verdict.why}\naccess: ${h}\nid: ${p}\ncase: ${JSON.stringify(c).slice(0, 1500)}`);
        }
        if (leaks > 0) throw new Error(`token fragment leaked: ${res.body}`);
      },
      {
        cases: CASES,
        concurrency: 16,
        afterBatch: () => {
          tally.logLeaks(t.logger, batchTokens.splice(0));
        },
      },
    );
    tally.note(`seed ${result.seed}, ${result.runs} batches of 16`);
    tally.note(
      `identity provider: ${idp.stats.jwksRequests} JWKS fetches, ${idp.stats.initiateAuth} refresh calls; ${tally.row.answers['503 auth_unavailable'] ?? 0} answers 503 by the per-user refresh limit`,
    );
    expect(tally.row.tried).toBeGreaterThanOrEqual(CASES);
    expect(tally.row.fiveXX).toBe(0);
    expect(tally.row.leaked).toBe(0);
    expect(tally.row.wrong).toBe(0);
  }, 300_000);
});
