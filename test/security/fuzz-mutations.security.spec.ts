import { createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { COGNITO_AUTH_SETTINGS, type CognitoAuthSettings } from '../../src/index.js';
import { TestIdentityProvider, type IssuedTokens } from '../../src/testing/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { type Expectation, Oracle, judgeAnswer, readingsOf, subOfMe } from './support/oracle.js';
import { assertBatched, B64URL_CHARS, HEADER_CHAR } from './support/property.js';
import { answerTexts, codeOf, Tally } from './support/tally.js';
import { listen, WireClient } from './support/wire.js';

/**
 * Property: mutated valid tokens (bit flips in the decoded bytes, character flips, truncation,
 * appended and inserted characters, padding, standard-base64 re-encoding, JSON re-encoding,
 * segments swapped between tokens and pairs, non-canonical trailing bits) must be refused unless
 * the mutation left the token meaning exactly the same; that is decided by re-verifying the
 * mutated string with jose (the oracle), not assumed. Non-canonical base64url (a lone last
 * character, or unused low bits set in the last one) is refused in every segment, the signature
 * included, even though it decodes to the same bytes: 401 token_invalid. What may still pass is a
 * mutation the extraction undoes (white space around the token, a standard-base64 re-encoding of
 * a token with no `-` or `_`).
 */
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const tally = new Tally('fuzz: mutated valid tokens', import.meta.url);

type Mutation =
  | { op: 'char'; pos: number; ch: string }
  | { op: 'bit'; seg: number; byte: number; bit: number }
  | { op: 'truncate'; keep: number }
  | { op: 'append'; s: string }
  | { op: 'insert'; pos: number; s: string }
  | { op: 'delete'; pos: number; n: number }
  | { op: 'padbits'; seg: number; flip: number }
  | { op: 'std-base64' }
  | { op: 'pad'; seg: number }
  | { op: 'rejson'; seg: number; style: 'spaces' | 'reorder' | 'escape' }
  | { op: 'swap'; seg: number; from: 'sibling' | 'other-pair' }
  | { op: 'case'; pos: number }
  | { op: 'segments'; kind: 'drop' | 'dup' | 'rotate' | 'empty-sig' | 'extra-dot' | 'leading-dot' }
  | { op: 'percent'; pos: number };

interface MutationCase {
  pair: number;
  other: number;
  access: Mutation[];
  id: Mutation[];
  refresh: boolean;
}

function indexOf(ch: string): number {
  return B64URL_CHARS.indexOf(ch);
}

function mutateOne(token: string, m: Mutation, sibling: string, otherPair: string): string {
  const segs = token.split('.');
  const at = (pos: number) => (token.length === 0 ? 0 : pos % (token.length + 1));
  switch (m.op) {
    case 'char': {
      if (token.length === 0) return m.ch;
      const p = m.pos % token.length;
      return token.slice(0, p) + m.ch + token.slice(p + 1);
    }
    case 'bit': {
      const i = m.seg % segs.length;
      const bytes = Buffer.from(segs[i], 'base64url');
      if (bytes.length === 0) return token;
      bytes[m.byte % bytes.length] ^= 1 << m.bit;
      segs[i] = bytes.toString('base64url');
      return segs.join('.');
    }
    case 'truncate':
      return token.slice(0, at(m.keep));
    case 'append':
      return token + m.s;
    case 'insert':
      return token.slice(0, at(m.pos)) + m.s + token.slice(at(m.pos));
    case 'delete':
      return token.slice(0, at(m.pos)) + token.slice(at(m.pos) + m.n);
    case 'padbits': {
      const i = m.seg % segs.length;
      const s = segs[i];
      const padBits = (6 * s.length) % 8;
      const last = indexOf(s[s.length - 1] ?? '');
      if (padBits === 0 || last < 0) return token;
      const mask = (1 << padBits) - 1;
      segs[i] = s.slice(0, -1) + B64URL_CHARS[last ^ ((m.flip % mask) + 1)];
      return segs.join('.');
    }
    case 'std-base64':
      return segs.map((s) => Buffer.from(s, 'base64url').toString('base64')).join('.');
    case 'pad': {
      const i = m.seg % segs.length;
      segs[i] += '='.repeat((4 - (segs[i].length % 4)) % 4 || 1);
      return segs.join('.');
    }
    case 'rejson': {
      const i = m.seg % Math.min(2, segs.length);
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(segs[i], 'base64url').toString('utf8'));
      } catch {
        return token;
      }
      let text: string;
      if (m.style === 'spaces') text = JSON.stringify(value, null, 1);
      else if (m.style === 'reorder' && value && typeof value === 'object')
        text = JSON.stringify(Object.fromEntries(Object.entries(value).reverse()));
      else text = JSON.stringify(value).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
      segs[i] = Buffer.from(text, 'utf8').toString('base64url');
      return segs.join('.');
    }
    case 'swap': {
      const donor = (m.from === 'sibling' ? sibling : otherPair).split('.');
      const i = m.seg % segs.length;
      segs[i] = donor[i % donor.length];
      return segs.join('.');
    }
    case 'case': {
      if (token.length === 0) return token;
      const p = m.pos % token.length;
      const c = token[p];
      const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return token.slice(0, p) + flipped + token.slice(p + 1);
    }
    case 'segments':
      switch (m.kind) {
        case 'drop':
          return segs.slice(0, -1).join('.');
        case 'dup':
          return [...segs, segs[segs.length - 1]].join('.');
        case 'rotate':
          return [...segs.slice(1), segs[0]].join('.');
        case 'empty-sig':
          return `${segs.slice(0, 2).join('.')}.`;
        case 'extra-dot':
          return `${token}.`;
        case 'leading-dot':
          return `.${token}`;
      }
      return token;
    case 'percent': {
      if (token.length === 0) return token;
      const p = m.pos % token.length;
      return `${token.slice(0, p)}%${token.charCodeAt(p).toString(16).toUpperCase().padStart(2, '0')}${token.slice(p + 1)}`;
    }
  }
}

/**
 * The same signature bytes spelled non-canonically: the lowest unused bit of the last character
 * set (RFC 4648 section 3.5). An RS256 signature of a 2048-bit key is 256 bytes, 342 characters,
 * whose last one carries 4 unused bits.
 */
function withNonCanonicalSignature(token: string): string {
  const [h, p, sig] = token.split('.');
  const unused = (6 * sig.length) % 8;
  if (unused === 0) throw new Error('signature has no unused bits');
  const altered = sig.slice(0, -1) + B64URL_CHARS[indexOf(sig[sig.length - 1]) | 1];
  if (altered === sig || !Buffer.from(altered, 'base64url').equals(Buffer.from(sig, 'base64url'))) throw new Error('not the same bytes');
  return `${h}.${p}.${altered}`;
}

const nat = fc.nat({ max: 4000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('char' as const),
      pos: nat,
      ch: fc.oneof(fc.constantFrom(...B64URL_CHARS.split('')), fc.constantFrom('.', '=', '+', '/', '~', '%'), HEADER_CHAR),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('bit' as const), seg: fc.nat({ max: 2 }), byte: nat, bit: fc.nat({ max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), keep: nat }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      s: fc.oneof(fc.constantFrom('A', '=', '==', '.', '..', '.e30', 'AAAA'), fc.string({ unit: HEADER_CHAR, maxLength: 6 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      pos: nat,
      s: fc.oneof(fc.constantFrom(' ', '\t', '.', '=', '\u00a0', 'A'), fc.string({ unit: HEADER_CHAR, minLength: 1, maxLength: 4 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), pos: nat, n: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('padbits' as const), seg: fc.nat({ max: 2 }), flip: fc.nat({ max: 14 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'std-base64' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('pad' as const), seg: fc.nat({ max: 2 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('rejson' as const),
      seg: fc.nat({ max: 1 }),
      style: fc.constantFrom('spaces', 'reorder', 'escape'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('swap' as const), seg: fc.nat({ max: 2 }), from: fc.constantFrom('sibling', 'other-pair') }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('case' as const), pos: nat }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('segments' as const),
      kind: fc.constantFrom('drop', 'dup', 'rotate', 'empty-sig', 'extra-dot', 'leading-dot'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('percent' as const), pos: nat }) },
);

describe('fuzz: mutated valid tokens', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let client: WireClient;
  let oracle: Oracle;
  let pairs: IssuedTokens[];
  const EXPIRED = 4;
  const batchTokens: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp(idp.moduleOptions());
    client = new WireClient(await listen(t.app));
    pairs = [
      ...(await Promise.all(Array.from({ length: 28 }, (_, i) => idp.issueTokens({ sub: `mut-${i}` })))),
      ...(await Promise.all(Array.from({ length: EXPIRED }, (_, i) => idp.issueTokens({ sub: `mut-x${i}`, expiresInSeconds: -3600 })))),
    ];
    const settings = t.app.get<CognitoAuthSettings>(COGNITO_AUTH_SETTINGS);
    oracle = new Oracle({
      issuers: settings.issuers,
      clients: settings.clientIds,
      toleranceSec: settings.clockToleranceSeconds,
      maxTokenLength: settings.maxTokenLength,
      keys: new Map([[idp.currentKey.kid, createPublicKey({ key: idp.currentKey.publicJwk as never, format: 'jwk' })]]),
      refreshOwners: new Map(
        pairs.map((p) => [p.refreshToken, { sub: p.sub, clientId: p.clientId, scopes: ['aws.cognito.signin.user.admin'] }]),
      ),
    });
  });

  afterAll(async () => {
    tally.save();
    client?.close();
    await t?.close();
    await idp?.close();
  });

  const arb: fc.Arbitrary<MutationCase> = fc.record({
    pair: fc.nat({ max: 31 }),
    other: fc.nat({ max: 31 }),
    access: fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
    ),
    id: fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
    ),
    refresh: fc.boolean(),
  });

  it('rule: a non-canonical signature (same bytes, unused bits set) is 401 token_invalid, in the access and in the ID token', async () => {
    const valid = pairs.slice(0, pairs.length - EXPIRED);
    const invalid: Expectation = { status: 401, code: 'token_invalid', www: 'invalid_token' };
    const cases = valid.flatMap((p) => [
      { access: withNonCanonicalSignature(p.accessToken), id: p.idToken, expected: invalid },
      { access: p.accessToken, id: withNonCanonicalSignature(p.idToken), expected: invalid },
      { access: p.accessToken, id: p.idToken, expected: { status: 200, sub: p.sub } as Expectation },
    ]);
    for (const c of cases) {
      const res = await client.send({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: c.access, IDTOKEN: c.id } });
      // The oracle agrees (it refuses non-canonical segments itself, before asking jose).
      const oracleSays = await oracle.expect({ access: c.access, id: c.id }, 'protected', [Date.now()]);
      const verdict = judgeAnswer(res, [c.expected], subOfMe);
      tally.leaks(answerTexts(res.body, res.headers), [c.access, c.id]);
      tally.record({
        status: res.status,
        code: codeOf(res.body),
        matched: verdict.ok,
        success: c.expected.status < 300,
        failure: verdict.ok ? undefined : `non-canonical signature: ${verdict.why}`,
      });
      expect({ verdict: verdict.ok ? 'ok' : verdict.why, oracle: oracleSays }).toEqual({ verdict: 'ok', oracle: [c.expected] });
    }
    tally.note(
      `non-canonical signatures: ${valid.length * 2} tokens whose signature bytes were unchanged refused 401 token_invalid; their canonical pairs 200`,
    );
  });

  it(`${CASES} mutated pairs: refused unless jose still verifies the same meaning, never a 5xx, nothing leaked`, async () => {
    let unchangedMeaning = 0;
    const result = await assertBatched(
      arb,
      async (c) => {
        const p = pairs[c.pair];
        const o = pairs[c.other === c.pair ? (c.other + 1) % pairs.length : c.other];
        let access = p.accessToken;
        for (const m of c.access) access = mutateOne(access, m, p.idToken, o.accessToken);
        let id = p.idToken;
        for (const m of c.id) id = mutateOne(id, m, p.accessToken, o.idToken);
        const refresh = c.refresh && c.pair >= pairs.length - EXPIRED ? p.refreshToken : undefined;
        const headers: Record<string, string> = { ACCESSTOKEN: access, IDTOKEN: id, ...(refresh ? { REFRESHTOKEN: refresh } : {}) };
        const sent = [access, id, ...(refresh ? [refresh] : [])];
        batchTokens.push(...sent);
        const readings = readingsOf(access).flatMap((a) => readingsOf(id).map((i) => ({ access: a, id: i, refresh })));
        const sentAt = Date.now();
        await oracle.noteSent(readings, sentAt);
        const res = await client.send({ method: 'GET', path: '/t/me', headers });
        const instants = [sentAt, Date.now()];
        const expected: Expectation[] = [];
        for (const ex of readings) expected.push(...(await oracle.expect(ex, 'protected', instants)));
        const verdict = judgeAnswer(res, expected, subOfMe);
        if (verdict.ok && verdict.match.status === 200 && (access !== p.accessToken || id !== p.idToken)) unchangedMeaning++;
        const leaks = tally.leaks(answerTexts(res.body, res.headers), sent);
        tally.record({
          status: res.status,
          code: codeOf(res.body),
          matched: verdict.ok,
          success: verdict.ok && verdict.match.status < 300,
          expected503: verdict.ok && verdict.match.status === 503,
          failure: verdict.ok ? undefined : `${verdict.why} mutations ${JSON.stringify(c)}`,
        });
        if (!verdict.ok)
          throw new Error(`${verdict.why}\nmutations: ${JSON.stringify(c)}\naccess: ${access.slice(0, 200)}\nid: ${id.slice(0, 200)}`);
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
      `${unchangedMeaning} mutated pairs meant the same tokens after extraction (trimmed white space, an unchanged re-encoding) and got 200`,
    );
    expect(tally.row.tried).toBeGreaterThanOrEqual(CASES);
    expect(tally.row.fiveXX).toBe(0);
    expect(tally.row.leaked).toBe(0);
    expect(tally.row.wrong).toBe(0);
  }, 300_000);
});
