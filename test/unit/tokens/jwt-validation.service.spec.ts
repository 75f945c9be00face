import { Logger } from '@nestjs/common';
import { TokenExpiredError } from '../../../src/errors/cognito-auth.errors.js';
import { TestIdentityProvider } from '../../../src/testing/test-identity-provider.js';
import type { TestSigningKey } from '../../../src/testing/signing-key.helpers.js';
import type { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { ManualClock, nonCanonical, payloadOf, segment, serviceFor, settingsFor, signSegments } from './tokens.fixtures.js';

// Rule by rule, against the loopback TestIdentityProvider, with a clock far from the real one
// (2030): a check that read Date.now instead of the injected clock would fail every test.
const T0 = Date.UTC(2030, 0, 1);
const code = (expected: string) => expect.objectContaining({ code: expected });

describe('JwtValidationService', () => {
  let idp: TestIdentityProvider;
  let clock: ManualClock;
  let service: JwtValidationService;
  let key: TestSigningKey;

  beforeAll(async () => {
    Logger.overrideLogger(new CaptureLogger());
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'test-client' }, { clientId: 'client-2' }] });
    key = idp.currentKey;
  });
  afterAll(() => idp.close());
  beforeEach(async () => {
    clock = new ManualClock(T0);
    service = await serviceFor(settingsFor(idp), clock);
  });
  afterEach(() => service.onModuleDestroy());

  const issue = (options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) => idp.issueTokens({ now: clock.seconds, ...options });
  /** An access token with `claims` merged over a valid payload (`undefined` removes a claim). */
  const accessWith = async (claims: Record<string, unknown>) => (await issue({ accessClaims: claims })).accessToken;

  it('verifies a valid access token and ID token', async () => {
    const tk = await issue({ groups: ['admin'] });
    await expect(service.verifyAccessToken(tk.accessToken)).resolves.toMatchObject({ sub: tk.sub, token_use: 'access' });
    await expect(service.verifyIdToken(tk.idToken)).resolves.toMatchObject({ sub: tk.sub, token_use: 'id' });
  });

  describe('header and shape', () => {
    it.each(['HS256', 'none', 'RS512', undefined])('refuses alg %p: only RS256', async (alg) => {
      const tk = await issue({ header: { alg } });
      await expect(service.verifyAccessToken(tk.accessToken)).rejects.toEqual(code('token_invalid'));
    });

    it.each([undefined, '', 42])('refuses a missing or empty kid (%p)', async (kid) => {
      const tk = await issue({ header: { kid } });
      await expect(service.verifyAccessToken(tk.accessToken)).rejects.toEqual(code('token_invalid'));
    });

    it('refuses a crit header', async () => {
      const tk = await issue({ header: { crit: ['exp'] } });
      await expect(service.verifyAccessToken(tk.accessToken)).rejects.toEqual(code('token_invalid'));
    });

    it('refuses a token over maxTokenLength before decoding it: no key fetch', async () => {
      const cold = await serviceFor(settingsFor(idp), clock, { init: false });
      const rogue = await idp.createKey(); // an unknown kid would make any decoding verifier fetch
      const long = (await issue({ key: rogue, accessClaims: { pad: 'x'.repeat(8200) } })).accessToken;
      idp.resetStats();
      await expect(cold.verifyAccessToken(long)).rejects.toEqual(code('token_invalid'));
      expect(idp.stats.jwksRequests).toBe(0);
    });

    it.each([
      ['two segments', (t: string) => t.split('.').slice(0, 2).join('.')],
      ['four segments', (t: string) => `${t}.AAAA`],
      ['an empty signature', (t: string) => t.replace(/[^.]+$/, '')],
    ])('refuses a token of %s', async (_, mangle) => {
      const tk = await issue();
      await expect(service.verifyAccessToken(mangle(tk.accessToken))).rejects.toEqual(code('token_invalid'));
    });

    it('refuses "+" and "/" (base64, not base64url), even when signed as sent', async () => {
      const [h, p] = (await issue()).accessToken.split('.');
      const json = Buffer.from(p, 'base64url').toString();
      // "~" is 0x7E: six 1-bits, which base64url spells "_" (and base64 "/").
      const spaced = segment(`${json.slice(0, -1)},"z":"~~~~~~"}`);
      const token = await signSegments(h, spaced.replace(/-/g, '+').replace(/_/g, '/'), key);
      await expect(service.verifyAccessToken(token)).rejects.toEqual(code('token_invalid'));
    });

    it('refuses "=" padding', async () => {
      const tk = await issue();
      await expect(service.verifyAccessToken(`${tk.accessToken}==`)).rejects.toEqual(code('token_invalid'));
    });

    it('refuses a segment with a lone last character, even when signed as sent', async () => {
      const [h, p] = (await issue()).accessToken.split('.');
      const json = Buffer.from(p, 'base64url').toString();
      const whole = [0, 1, 2].map((n) => segment(json + ' '.repeat(n))).find((v) => v.length % 4 === 0)!;
      await expect(service.verifyAccessToken(await signSegments(h, `${whole}A`, key))).rejects.toEqual(code('token_invalid'));
    });

    it('refuses a non-canonical signature (unused bits set in its last character)', async () => {
      const [h, p, s] = (await issue()).accessToken.split('.');
      await expect(service.verifyAccessToken(`${h}.${p}.${nonCanonical(s)}`)).rejects.toEqual(code('token_invalid'));
    });

    it.each(['header', 'payload'] as const)('refuses a non-canonical %s segment, even when signed as sent', async (part) => {
      const [h, p] = (await issue()).accessToken.split('.');
      // Pad the JSON until its encoding has unused bits to set.
      const variants = ['', ' ', '  '].map((ws) => segment(Buffer.from(part === 'header' ? h : p, 'base64url').toString() + ws));
      const padded = variants.find((v) => v.length % 4 >= 2)!;
      const token = part === 'header' ? await signSegments(nonCanonical(padded), p, key) : await signSegments(h, nonCanonical(padded), key);
      await expect(service.verifyAccessToken(token)).rejects.toEqual(code('token_invalid'));
    });

    it('refuses a bad signature', async () => {
      const [h, p, s] = (await issue()).accessToken.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[10] ^= 0x01;
      await expect(service.verifyAccessToken(`${h}.${p}.${sig.toString('base64url')}`)).rejects.toEqual(code('token_invalid'));
    });

    it("refuses a token signed by another key under a published key's kid", async () => {
      const rogue = await idp.createKey();
      const tk = await issue({ key: rogue, header: { kid: key.kid } });
      await expect(service.verifyAccessToken(tk.accessToken)).rejects.toEqual(code('token_invalid'));
    });

    describe.each(['__proto__', 'constructor', 'prototype'])('a "%s" member', (member) => {
      it('in the header is refused', async () => {
        const [, p] = (await issue()).accessToken.split('.');
        const header = segment(`{"alg":"RS256","kid":${JSON.stringify(key.kid)},"${member}":{"alg":"none"}}`);
        await expect(service.verifyAccessToken(await signSegments(header, p, key))).rejects.toEqual(code('token_invalid'));
      });

      it.each([false, true])('in the payload is refused (nested: %p)', async (nested) => {
        const [h, p] = (await issue()).accessToken.split('.');
        const json = Buffer.from(p, 'base64url').toString();
        const hostile = nested ? `{"x":{"${member}":{"admin":true}}}` : `{"admin":true}`;
        const payload = segment(nested ? `${json.slice(0, -1)},"y":${hostile}}` : `${json.slice(0, -1)},"${member}":${hostile}}`);
        await expect(service.verifyAccessToken(await signSegments(h, payload, key))).rejects.toEqual(code('token_invalid'));
      });
    });
  });

  describe('claims', () => {
    it('refuses an issuer other than the configured one', async () => {
      await expect(service.verifyAccessToken(await accessWith({ iss: `${idp.issuer}x` }))).rejects.toEqual(code('token_invalid'));
    });

    it('accepts both issuer forms of an AWS pool (cognito-idp and issuer-cognito-idp) and no other', async () => {
      const aws = await serviceFor(settingsFor(idp, { userPoolId: 'us-east-1_Abc123', endpoint: undefined, issuer: undefined }), clock);
      for (const host of ['cognito-idp', 'issuer-cognito-idp']) {
        const token = await accessWith({ iss: `https://${host}.us-east-1.amazonaws.com/us-east-1_Abc123` });
        await expect(aws.verifyAccessToken(token)).resolves.toMatchObject({ token_use: 'access' });
      }
      const other = await accessWith({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_Abc123' });
      await expect(aws.verifyAccessToken(other)).rejects.toEqual(code('token_invalid'));
    });

    it('refuses an access token as an ID token and an ID token as an access token (token_use)', async () => {
      const tk = await issue();
      await expect(service.verifyIdToken(tk.accessToken)).rejects.toEqual(code('token_invalid'));
      await expect(service.verifyAccessToken(tk.idToken)).rejects.toEqual(code('token_invalid'));
    });

    it('refuses a client not configured (ID token aud, access token client_id)', async () => {
      const tk = await issue({ clientId: 'someone-else' });
      await expect(service.verifyIdToken(tk.idToken)).rejects.toEqual(code('token_invalid'));
      await expect(service.verifyAccessToken(tk.accessToken)).rejects.toEqual(code('token_invalid'));
    });

    it.each(['exp', 'iat', 'sub'])('refuses a token with no %s', async (claim) => {
      await expect(service.verifyAccessToken(await accessWith({ [claim]: undefined }))).rejects.toEqual(code('token_invalid'));
    });

    it('refuses iat in the future beyond the 5 s tolerance, and accepts it at the tolerance', async () => {
      await expect(service.verifyAccessToken(await accessWith({ iat: clock.seconds + 6 }))).rejects.toEqual(code('token_invalid'));
      await expect(service.verifyAccessToken(await accessWith({ iat: clock.seconds + 5 }))).resolves.toBeDefined();
    });

    it('refuses nbf in the future beyond the tolerance, and accepts it at the tolerance', async () => {
      await expect(service.verifyAccessToken(await accessWith({ nbf: clock.seconds + 6 }))).rejects.toEqual(code('token_invalid'));
      await expect(service.verifyAccessToken(await accessWith({ nbf: clock.seconds + 5 }))).resolves.toBeDefined();
    });

    it('exp one second past the tolerance is token_expired, with the verified claims', async () => {
      const tk = await issue({ accessClaims: { exp: clock.seconds - 6 } });
      const err = await service.verifyAccessToken(tk.accessToken).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenExpiredError);
      expect((err as TokenExpiredError).claims).toMatchObject({ sub: tk.sub, token_use: 'access' });
      await expect(service.verifyAccessToken(await accessWith({ exp: clock.seconds - 5 }))).resolves.toBeDefined();
    });

    it.each([
      ['cognito:groups', 'admin'],
      ['cognito:groups', ['admin', 1]],
      ['scope', ['notes/write']],
      ['username', 42],
      ['origin_jti', 7],
      ['exp', '1900000000'],
      ['auth_time', -1],
    ])('refuses a claim of the wrong type: %s = %p', async (claim, value) => {
      await expect(service.verifyAccessToken(await accessWith({ [claim]: value }))).rejects.toEqual(code('token_invalid'));
    });

    it('reads time from the injected clock, not the wall clock', async () => {
      const realTime = await idp.issueTokens({ now: Math.floor(Date.now() / 1000) }); // valid now, expired in 2030
      await expect(service.verifyAccessToken(realTime.accessToken)).rejects.toEqual(code('token_expired'));
    });
  });

  describe('pair', () => {
    it('accepts an ID and access token issued together', async () => {
      const tk = await issue();
      await expect(service.verifyPair(tk.idToken, tk.accessToken)).resolves.toMatchObject({ id: { sub: tk.sub }, access: { sub: tk.sub } });
    });

    it.each([
      ['users (sub)', { sub: 'someone-else' }],
      ['clients (aud)', { aud: 'client-2' }],
      ['sign-ins (origin_jti)', { origin_jti: 'another-sign-in' }],
    ])('refuses tokens of different %s: token_mismatch', async (_, idClaims) => {
      const tk = await issue({ idClaims });
      await expect(service.verifyPair(tk.idToken, tk.accessToken)).rejects.toEqual(code('token_mismatch'));
    });

    it("refuses an ID token whose at_hash is not the access token's: token_mismatch", async () => {
      const tk = await issue({ idClaims: { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' } });
      await expect(service.verifyPair(tk.idToken, tk.accessToken)).rejects.toEqual(code('token_mismatch'));
    });

    it('refuses tokens of different issuers: token_mismatch', async () => {
      const aws = await serviceFor(settingsFor(idp, { userPoolId: 'us-east-1_Abc123', endpoint: undefined, issuer: undefined }), clock);
      const tk = await issue({
        idClaims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123' },
        accessClaims: { iss: 'https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123' },
      });
      await expect(aws.verifyPair(tk.idToken, tk.accessToken)).rejects.toEqual(code('token_mismatch'));
    });

    it('pairs tokens when only one carries origin_jti', async () => {
      const tk = await issue({ idClaims: { origin_jti: undefined } });
      await expect(service.verifyPair(tk.idToken, tk.accessToken)).resolves.toBeDefined();
    });
  });

  describe('verified-token cache', () => {
    it('every hit of one cached token gives the same deep-frozen claims object', async () => {
      const tk = await issue({ groups: ['admin'] });
      const first = await service.verifyAccessToken(tk.accessToken);
      expect(service.cachedClaims(tk.accessToken, 'access')).toBe(first);
      expect(service.cachedClaims(tk.accessToken, 'access')).toBe(first);
      await expect(service.verifyAccessToken(tk.accessToken)).resolves.toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      expect(Object.isFrozen(first['cognito:groups'])).toBe(true);
    });

    it('drops a cached token at its exp, by the injected clock', async () => {
      const tk = await issue({ expiresInSeconds: 60 });
      await service.verifyAccessToken(tk.accessToken);
      clock.advance(60_000 - 1);
      expect(service.cachedClaims(tk.accessToken, 'access')).toBeDefined();
      clock.advance(1);
      expect(service.cachedClaims(tk.accessToken, 'access')).toBeUndefined();
    });

    it('holds at most tokenCacheSize tokens; once full, a token seen twice evicts the least recently used', async () => {
      const small = await serviceFor(settingsFor(idp, { tokenCacheSize: 2 }), clock);
      const [a, b, c] = await Promise.all([issue(), issue(), issue()]);
      for (const tk of [a, b, c, c]) await small.verifyAccessToken(tk.accessToken);
      expect(small.cachedTokenCount).toBe(2);
      expect(small.cachedClaims(a.accessToken, 'access')).toBeUndefined();
      expect(small.cachedClaims(b.accessToken, 'access')).toBeDefined();
      expect(small.cachedClaims(c.accessToken, 'access')).toBeDefined();
    });

    it('once full, a token sent once is verified in full but not cached, and evicts nothing', async () => {
      const small = await serviceFor(settingsFor(idp, { tokenCacheSize: 2 }), clock);
      const [a, b] = await Promise.all([issue(), issue()]);
      for (const tk of [a, b]) await small.verifyAccessToken(tk.accessToken);
      const once = await Promise.all(Array.from({ length: 50 }, () => issue()));
      for (const tk of once)
        await expect(small.verifyAccessToken(tk.accessToken)).resolves.toMatchObject({ sub: payloadOf(tk.accessToken).sub });
      expect(small.cachedTokenCount).toBe(2);
      expect(small.cachedClaims(a.accessToken, 'access')).toBeDefined();
      expect(small.cachedClaims(b.accessToken, 'access')).toBeDefined();
      for (const tk of once) expect(small.cachedClaims(tk.accessToken, 'access')).toBeUndefined();
      // Not cached is not trusted: a token sent once is checked again in full on its second sight.
      const forged = `${once[0].accessToken.slice(0, once[0].accessToken.lastIndexOf('.'))}.${b.accessToken.split('.')[2]}`;
      await expect(small.verifyAccessToken(forged)).rejects.toEqual(code('token_invalid'));
    });

    it('caches nothing with tokenCacheSize 0', async () => {
      const off = await serviceFor(settingsFor(idp, { tokenCacheSize: 0 }), clock);
      const tk = await issue();
      await off.verifyAccessToken(tk.accessToken);
      expect(off.cachedTokenCount).toBe(0);
      expect(off.cachedClaims(tk.accessToken, 'access')).toBeUndefined();
    });

    it('a cached token presented as the other use is token_invalid', async () => {
      const tk = await issue();
      await service.verifyAccessToken(tk.accessToken);
      expect(() => service.cachedClaims(tk.accessToken, 'id')).toThrow(expect.objectContaining({ code: 'token_invalid' }));
      await expect(service.verifyIdToken(tk.accessToken)).rejects.toEqual(code('token_invalid'));
    });

    it('a decoded payload is the claims object, unchanged but frozen', async () => {
      const tk = await issue();
      expect(await service.verifyAccessToken(tk.accessToken)).toEqual(payloadOf(tk.accessToken));
    });
  });
});
