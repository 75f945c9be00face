import { Logger } from '@nestjs/common';
import { CognitoAuthError, TokenExpiredError } from '../../../src/errors/cognito-auth.errors.js';
import type { TestSigningKey } from '../../../src/testing/signing-key.helpers.js';
import { TestIdentityProvider } from '../../../src/testing/test-identity-provider.js';
import type { TokenUseClaim } from '../../../src/tokens/claims.checker.js';
import type { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import type { CognitoBaseClaims } from '../../../src/tokens/token.types.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { ManualClock, nonCanonical, payloadOf, segment, serviceFor, settingsFor, signSegments } from './tokens.fixtures.js';

/**
 * `JwtValidationService.check(token, use, onPool)`: with `onPool` the RS256 check runs on libuv's
 * thread pool and the answer is a promise; without it a token whose key is held is answered on
 * this thread, synchronously. Both must refuse exactly the same tokens, with the same error, and
 * accept the same tokens with the same claims. Each mode gets a service of its own (same settings,
 * same clock), so that one mode's verified-token cache never answers for the other.
 */
const T0 = Date.UTC(2030, 0, 1);

/** How `check` answered: a value or an exception at once, or a promise that settled. */
type How = 'returned' | 'thrown' | 'resolved' | 'rejected';
interface Outcome {
  readonly how: How;
  readonly claims?: CognitoBaseClaims;
  readonly error?: unknown;
}

async function outcomeOf(run: () => CognitoBaseClaims | Promise<CognitoBaseClaims>): Promise<Outcome> {
  let answer: CognitoBaseClaims | Promise<CognitoBaseClaims>;
  try {
    answer = run();
  } catch (error) {
    return { how: 'thrown', error };
  }
  if (!(answer instanceof Promise)) return { how: 'returned', claims: answer };
  try {
    return { how: 'resolved', claims: await answer };
  } catch (error) {
    return { how: 'rejected', error };
  }
}

/** Everything a refusal tells its caller: class, code, status, message, body, and an expired token's claims. */
function refusalOf(outcome: Outcome) {
  expect(outcome.error).toBeInstanceOf(CognitoAuthError);
  const e = outcome.error as CognitoAuthError;
  return {
    class: e.constructor.name,
    code: e.code,
    status: e.getStatus(),
    message: e.message,
    response: e.getResponse(),
    claims: e instanceof TokenExpiredError ? e.claims : undefined,
  };
}

/**
 * Where a token is refused: before any key is looked up (length, shape, header, payload, issuer),
 * after the RS256 check with a held key (signature, claims), or while its key is looked up.
 */
type Stage = 'before the signature' | 'after the signature' | 'at the key';
/** How each mode answers a refusal at each stage. */
const ANSWERS: Record<Stage, { direct: How; pooled: How }> = {
  // Nothing to hand to the pool: refused at once in both modes.
  'before the signature': { direct: 'thrown', pooled: 'thrown' },
  'after the signature': { direct: 'thrown', pooled: 'rejected' },
  // A key not held means a wait (here: the unknown-kid answer inside the refetch cooldown).
  'at the key': { direct: 'rejected', pooled: 'rejected' },
};

describe('JwtValidationService.check: on the thread pool as on this thread', () => {
  let idp: TestIdentityProvider;
  let key: TestSigningKey;
  let rogue: TestSigningKey;
  let clock: ManualClock;
  let direct: JwtValidationService;
  let pooled: JwtValidationService;
  const services: JwtValidationService[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(new CaptureLogger());
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'test-client' }, { clientId: 'client-2' }] });
    key = idp.currentKey;
    rogue = await idp.createKey(); // never published
  });
  afterAll(() => idp.close());
  beforeEach(async () => {
    clock = new ManualClock(T0);
    direct = await serviceFor(settingsFor(idp), clock);
    pooled = await serviceFor(settingsFor(idp), clock);
    services.push(direct, pooled);
  });
  afterEach(() => {
    for (const s of services.splice(0)) s.onModuleDestroy();
  });

  const issue = (options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) => idp.issueTokens({ now: clock.seconds, ...options });
  const access = async (options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) => (await issue(options)).accessToken;
  const id = async (options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) => (await issue(options)).idToken;
  /** A valid access token with its payload JSON edited as text, signed again with the published key. */
  const resigned = async (edit: (json: string) => string) => {
    const [h, p] = (await access()).split('.');
    return signSegments(h, segment(edit(Buffer.from(p, 'base64url').toString())), key);
  };
  const adding = (member: string) => (json: string) => `${json.slice(0, -1)},${member}}`;

  /** Both modes on the same token: how each answered, and what. */
  async function both(token: string, use: TokenUseClaim): Promise<{ direct: Outcome; pooled: Outcome }> {
    return {
      direct: await outcomeOf(() => direct.check(token, use, false)),
      pooled: await outcomeOf(() => pooled.check(token, use, true)),
    };
  }

  const refused: [string, TokenUseClaim, () => Promise<string>, string, Stage][] = [
    [
      'a bad signature',
      'access',
      async () => {
        const [h, p, s] = (await access()).split('.');
        const sig = Buffer.from(s, 'base64url');
        sig[10] ^= 0x01;
        return `${h}.${p}.${sig.toString('base64url')}`;
      },
      'token_invalid',
      'after the signature',
    ],
    [
      "another key under the published key's kid",
      'access',
      () => access({ key: rogue, header: { kid: key.kid } }),
      'token_invalid',
      'after the signature',
    ],
    ['a kid the key set does not have', 'access', () => access({ key: rogue }), 'token_invalid', 'at the key'],
    [
      'an access token past exp and the tolerance',
      'access',
      () => access({ accessClaims: { exp: clock.seconds - 6 } }),
      'token_expired',
      'after the signature',
    ],
    [
      'an ID token past exp and the tolerance',
      'id',
      () => id({ idClaims: { exp: clock.seconds - 6 } }),
      'token_expired',
      'after the signature',
    ],
    ['an ID token as an access token (token_use)', 'access', () => id(), 'token_invalid', 'after the signature'],
    ['an access token as an ID token (token_use)', 'id', () => access(), 'token_invalid', 'after the signature'],
    [
      'an access token of another client (client_id)',
      'access',
      () => access({ clientId: 'someone-else' }),
      'token_invalid',
      'after the signature',
    ],
    ['an ID token of another client (aud)', 'id', () => id({ clientId: 'someone-else' }), 'token_invalid', 'after the signature'],
    ['another issuer', 'access', () => access({ accessClaims: { iss: `${idp.issuer}x` } }), 'token_invalid', 'before the signature'],
    ['an ID token of another issuer', 'id', () => id({ idClaims: { iss: `${idp.issuer}x` } }), 'token_invalid', 'before the signature'],
    [
      'a non-canonical signature',
      'access',
      async () => {
        const [h, p, s] = (await access()).split('.');
        return `${h}.${p}.${nonCanonical(s)}`;
      },
      'token_invalid',
      'before the signature',
    ],
    [
      'a non-canonical payload, signed as sent',
      'access',
      async () => {
        const [h, p] = (await access()).split('.');
        const json = Buffer.from(p, 'base64url').toString();
        const padded = ['', ' ', '  '].map((ws) => segment(json + ws)).find((v) => v.length % 4 >= 2)!;
        return signSegments(h, nonCanonical(padded), key);
      },
      'token_invalid',
      'before the signature',
    ],
    ['alg none', 'access', () => access({ header: { alg: 'none' } }), 'token_invalid', 'before the signature'],
    ['alg HS256', 'access', () => access({ header: { alg: 'HS256' } }), 'token_invalid', 'before the signature'],
    ['a crit header', 'access', () => access({ header: { crit: ['exp'] } }), 'token_invalid', 'before the signature'],
    [
      'a token over maxTokenLength',
      'access',
      () => access({ accessClaims: { pad: 'x'.repeat(8200) } }),
      'token_invalid',
      'before the signature',
    ],
    ['an empty token', 'access', async () => '', 'token_invalid', 'before the signature'],
    ['an empty ID token', 'id', async () => '', 'token_invalid', 'before the signature'],
    ['a payload that is not JSON, signed', 'access', () => resigned(() => 'not json'), 'token_invalid', 'before the signature'],
    [
      'a "__proto__" member in the payload, signed',
      'access',
      () => resigned(adding('"__proto__":{"admin":true}')),
      'token_invalid',
      'before the signature',
    ],
    ['iat 6 s in the future', 'access', () => access({ accessClaims: { iat: clock.seconds + 6 } }), 'token_invalid', 'after the signature'],
    ['nbf 6 s in the future', 'access', () => access({ accessClaims: { nbf: clock.seconds + 6 } }), 'token_invalid', 'after the signature'],
    ['no exp', 'access', () => access({ accessClaims: { exp: undefined } }), 'token_invalid', 'after the signature'],
    [
      'a claim of the wrong type',
      'access',
      () => access({ accessClaims: { 'cognito:groups': 'admin' } }),
      'token_invalid',
      'after the signature',
    ],
  ];

  it.each(refused)('refuses %s (%s) the same way in both modes', async (_, use, mint, code, stage) => {
    const token = await mint();
    const answers = await both(token, use);
    expect({ direct: answers.direct.how, pooled: answers.pooled.how }).toEqual(ANSWERS[stage]);
    const expected = refusalOf(answers.direct);
    expect(expected.code).toBe(code);
    expect(refusalOf(answers.pooled)).toEqual(expected);
    if (code === 'token_expired') expect(expected.claims).toMatchObject({ ...payloadOf(token), token_use: use });
  });

  it.each(['access', 'id'] as const)('accepts a valid %s token with the same claims in both modes', async (use) => {
    const tk = await issue({ groups: ['admin'] });
    const token = use === 'access' ? tk.accessToken : tk.idToken;
    const answers = await both(token, use);
    expect(answers.direct.how).toBe('returned'); // its key held: verified on this thread, at once
    expect(answers.pooled.how).toBe('resolved');
    expect(answers.pooled.claims).toEqual(answers.direct.claims);
    expect(answers.direct.claims).toEqual(payloadOf(token));
    expect(Object.isFrozen(answers.pooled.claims)).toBe(true);
    expect(Object.isFrozen(answers.pooled.claims!['cognito:groups'])).toBe(true);
  });

  it.each([true, false])(
    'a cached token is answered synchronously, with the cached claims, even with onPool (verified with onPool %p)',
    async (first) => {
      const token = await access();
      const claims = await pooled.check(token, 'access', first);
      const again = pooled.check(token, 'access', true);
      expect(again).not.toBeInstanceOf(Promise);
      expect(again).toBe(claims);
      expect(pooled.check(token, 'access', false)).toBe(claims);
    },
  );

  it('a cached token of the other use is refused the same way in both modes', async () => {
    const token = await access();
    await direct.check(token, 'access', false);
    await pooled.check(token, 'access', true);
    const answers = await both(token, 'id');
    expect([answers.direct.how, answers.pooled.how]).toEqual(['thrown', 'thrown']);
    expect(refusalOf(answers.pooled)).toEqual(refusalOf(answers.direct));
  });

  describe('a key not held yet', () => {
    let cold: { direct: JwtValidationService; pooled: JwtValidationService };
    beforeEach(async () => {
      // No start-up fetch: the first token's key has to be fetched, whichever the mode.
      cold = {
        direct: await serviceFor(settingsFor(idp), clock, { init: false }),
        pooled: await serviceFor(settingsFor(idp), clock, { init: false }),
      };
      services.push(cold.direct, cold.pooled);
    });
    afterEach(() => {
      idp.jwks.mode = 'ok';
    });

    it.each(['access', 'id'] as const)('a valid %s token is a promise in both modes, of the same claims', async (use) => {
      const tk = await issue();
      const token = use === 'access' ? tk.accessToken : tk.idToken;
      const answers = { direct: cold.direct.check(token, use, false), pooled: cold.pooled.check(token, use, true) };
      expect(answers.direct).toBeInstanceOf(Promise);
      expect(answers.pooled).toBeInstanceOf(Promise);
      const [d, p] = await Promise.all([answers.direct, answers.pooled]);
      expect(p).toEqual(d);
      expect(d).toEqual(payloadOf(token));
    });

    it('an expired token is a promise in both modes, rejected the same way', async () => {
      const token = await access({ accessClaims: { exp: clock.seconds - 6 } });
      const answers = {
        direct: await outcomeOf(() => cold.direct.check(token, 'access', false)),
        pooled: await outcomeOf(() => cold.pooled.check(token, 'access', true)),
      };
      expect([answers.direct.how, answers.pooled.how]).toEqual(['rejected', 'rejected']);
      expect(refusalOf(answers.direct).code).toBe('token_expired');
      expect(refusalOf(answers.pooled)).toEqual(refusalOf(answers.direct));
    });

    it('a key set that cannot be fetched is auth_unavailable in both modes, the same way', async () => {
      idp.jwks.mode = 'fail';
      const token = await access();
      const answers = {
        direct: await outcomeOf(() => cold.direct.check(token, 'access', false)),
        pooled: await outcomeOf(() => cold.pooled.check(token, 'access', true)),
      };
      expect([answers.direct.how, answers.pooled.how]).toEqual(['rejected', 'rejected']);
      expect(refusalOf(answers.direct).code).toBe('auth_unavailable');
      expect(refusalOf(answers.pooled)).toEqual(refusalOf(answers.direct));
    });
  });
});
