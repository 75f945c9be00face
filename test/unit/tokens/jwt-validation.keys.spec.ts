import { Logger } from '@nestjs/common';
import { TestIdentityProvider } from '../../../src/testing/test-identity-provider.js';
import type { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import { CaptureLogger, findLeaks } from '../../support/capture-logger.js';
import { ManualClock, serviceFor, settingsFor, waitFor } from './tokens.fixtures.js';

// How JwtValidationService uses the key set, fetched over real HTTP from the loopback
// TestIdentityProvider and counted there, with the clock injected (cooldowns, max-age).
const T0 = Date.UTC(2030, 0, 1);
const COOLDOWN = 10_000;
const HOUR = 3_600_000;
const code = (expected: string) => expect.objectContaining({ code: expected });

describe('JwtValidationService and the JWKS', () => {
  let idp: TestIdentityProvider;
  let clock: ManualClock;
  let service: JwtValidationService;
  let logger: CaptureLogger;

  beforeEach(async () => {
    logger = new CaptureLogger();
    Logger.overrideLogger(logger);
    idp = await TestIdentityProvider.start();
    clock = new ManualClock(T0);
    service = await serviceFor(settingsFor(idp, { jwksRefetchCooldownMs: COOLDOWN }), clock);
    idp.resetStats();
  });
  afterEach(async () => {
    service.onModuleDestroy();
    await idp.close();
  });

  const issue = (options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) => idp.issueTokens({ now: clock.seconds, ...options });

  it('an unknown kid after the cooldown makes one refetch, and a newly published key is accepted', async () => {
    const next = await idp.rotateKey();
    clock.advance(COOLDOWN);
    await expect(service.verifyAccessToken((await issue({ key: next })).accessToken)).resolves.toBeDefined();
    expect(idp.stats.jwksRequests).toBe(1);
  });

  it('an unknown kid inside the cooldown of the start-up fetch is token_invalid, with no fetch', async () => {
    const next = await idp.rotateKey();
    clock.advance(COOLDOWN - 1);
    await expect(service.verifyAccessToken((await issue({ key: next })).accessToken)).rejects.toEqual(code('token_invalid'));
    expect(idp.stats.jwksRequests).toBe(0);
  });

  it('a second unknown kid inside the cooldown of a refetch is token_invalid, with no fetch', async () => {
    const [rogue1, rogue2] = await Promise.all([idp.createKey(), idp.createKey()]);
    clock.advance(COOLDOWN);
    await expect(service.verifyAccessToken((await issue({ key: rogue1 })).accessToken)).rejects.toEqual(code('token_invalid'));
    expect(idp.stats.jwksRequests).toBe(1);
    clock.advance(COOLDOWN - 1);
    await expect(service.verifyAccessToken((await issue({ key: rogue2 })).accessToken)).rejects.toEqual(code('token_invalid'));
    expect(idp.stats.jwksRequests).toBe(1);
  });

  it('an unknown kid whose refetch failed is auth_unavailable with Retry-After', async () => {
    const next = await idp.rotateKey();
    idp.jwks.mode = 'fail';
    clock.advance(COOLDOWN);
    await expect(service.verifyAccessToken((await issue({ key: next })).accessToken)).rejects.toEqual(
      expect.objectContaining({ code: 'auth_unavailable', retryAfterSeconds: 5 }),
    );
    expect(service.jwksStatus().lastError).toBe('JWKS endpoint answered HTTP 500');
  });

  it('concurrent verifications of unknown kids share one fetch (single flight)', async () => {
    const next = await idp.rotateKey();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => issue({ key: next })));
    clock.advance(COOLDOWN);
    const claims = await Promise.all(tokens.map((tk) => service.verifyAccessToken(tk.accessToken)));
    expect(claims.map((c) => c.sub)).toEqual(tokens.map((tk) => tk.sub));
    expect(idp.stats.jwksRequests).toBe(1);
  });

  it('tokens of known keys keep verifying while the JWKS endpoint fails (stale-if-error)', async () => {
    idp.jwks.mode = 'fail';
    clock.advance(COOLDOWN);
    const rogue = await idp.createKey();
    await expect(service.verifyAccessToken((await issue({ key: rogue })).accessToken)).rejects.toEqual(code('auth_unavailable'));
    await expect(service.verifyAccessToken((await issue()).accessToken)).resolves.toBeDefined();
    expect(idp.stats.jwksRequests).toBe(1);
  });

  it('a refetch that drops a key drops the cached tokens signed with it', async () => {
    const old = await issue();
    await service.verifyAccessToken(old.accessToken);
    expect(service.cachedClaims(old.accessToken, 'access')).toBeDefined();
    const next = await idp.rotateKey({ dropOld: true });
    clock.advance(COOLDOWN);
    await service.verifyAccessToken((await issue({ key: next })).accessToken); // its unknown kid refetches
    expect(service.cachedClaims(old.accessToken, 'access')).toBeUndefined();
    await expect(service.verifyAccessToken(old.accessToken)).rejects.toEqual(code('token_invalid'));
  });

  it('refetches in the background once the key set is older than its max-age (1 hour), blocking no one', async () => {
    const old = await issue({ expiresInSeconds: 2 * 3600 });
    const cached = await service.verifyAccessToken(old.accessToken);
    await idp.rotateKey({ dropOld: true });
    clock.advance(HOUR);
    expect(service.cachedClaims(old.accessToken, 'access')).toBe(cached); // answered now; the refetch runs behind
    await waitFor(() => service.jwksStatus().fetchedAt === clock.now(), 'the background refetch');
    expect(idp.stats.jwksRequests).toBe(1);
    expect(service.cachedClaims(old.accessToken, 'access')).toBeUndefined();
  });

  it('a JWKS that does not answer within jwksTimeoutMs is auth_unavailable', async () => {
    idp.jwks.mode = 'hang';
    const cold = await serviceFor(settingsFor(idp, { jwksTimeoutMs: 50 }), clock, { init: false });
    await expect(cold.verifyAccessToken((await issue()).accessToken)).rejects.toEqual(code('auth_unavailable'));
    expect(cold.jwksStatus().lastError).toBe('timed out');
  });

  it('reports the key count, the age of the key set and the last fetch error', async () => {
    clock.advance(1234);
    expect(service.jwksStatus()).toMatchObject({ keys: 1, fetchedAt: T0, ageMs: 1234, lastError: undefined });
  });

  it('logs no part of any token, its kid included', async () => {
    const rogue = await idp.createKey();
    const tokens = [(await issue()).accessToken, (await issue({ key: rogue })).accessToken];
    clock.advance(COOLDOWN);
    idp.jwks.mode = 'fail';
    for (const token of tokens) await service.verifyAccessToken(token).catch(() => undefined);
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(findLeaks(logger.lines, tokens)).toEqual([]);
    expect(logger.lines.filter((line) => line.includes(rogue.kid) || line.includes(idp.currentKey.kid))).toEqual([]);
  });
});
