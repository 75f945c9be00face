/**
 * The refresh service's abuse limits against the TestIdentityProvider (the real SDK v3 client):
 * refused refresh tokens are remembered, and refresh attempts are rate-limited per user. The
 * clock is injected, so windows are crossed without waiting; calls are counted at the provider.
 */
import { randomBytes } from 'node:crypto';
import { AuthUnavailableError, RefreshFailedError, TokenExpiredError } from '../../../src/errors/cognito-auth.errors.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import type { RefreshInput } from '../../../src/tokens/token-refresh.service.js';
import { TokenRefreshService } from '../../../src/tokens/token-refresh.service.js';
import type { CognitoAccessTokenClaims } from '../../../src/tokens/token.types.js';

const CLIENT = 'limitsclient1';

describe('TokenRefreshService limits', () => {
  let idp: TestIdentityProvider;
  let now: number;
  const clock = (): number => now;
  const services: TokenRefreshService[] = [];

  const makeService = (): TokenRefreshService => {
    const service = new TokenRefreshService(
      resolveCognitoSettings(idp.moduleOptions(), () => undefined),
      undefined,
      clock,
    );
    services.push(service);
    return service;
  };
  const randomToken = (): string => randomBytes(48).toString('base64url');
  const settle = (p: Promise<unknown>): Promise<unknown> =>
    p.then(
      () => 'ok',
      (e: unknown) => e,
    );

  /** The claims of a validly signed, expired access token, as the verifier hands them over. */
  async function expiredAccessClaims(): Promise<CognitoAccessTokenClaims> {
    const issued = await idp.issueTokens({ clientId: CLIENT, expiresInSeconds: -600 });
    const jwt = new JwtValidationService(resolveCognitoSettings(idp.moduleOptions(), () => undefined));
    try {
      const err = await settle(jwt.verifyAccessToken(issued.accessToken));
      expect(err).toBeInstanceOf(TokenExpiredError);
      return (err as TokenExpiredError).claims as CognitoAccessTokenClaims;
    } finally {
      jwt.onModuleDestroy();
    }
  }

  const inputFor = (claims: CognitoAccessTokenClaims, refreshToken: string): RefreshInput => ({
    refreshToken,
    clientId: claims.client_id,
    sub: claims.sub,
    username: claims.username,
  });

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: CLIENT }] });
  });

  beforeEach(() => {
    now = Date.UTC(2026, 11, 1, 12, 0, 0);
    idp.refresh.mode = 'ok';
    idp.resetStats();
  });

  afterEach(() => {
    for (const s of services.splice(0)) s.onModuleDestroy();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('lets one expired pair with 40 random refresh tokens make at most 10 Cognito calls a minute', async () => {
    const claims = await expiredAccessClaims();
    const service = makeService();
    const outcomes: unknown[] = [];
    for (let i = 0; i < 40; i++) outcomes.push(await settle(service.refresh(inputFor(claims, randomToken()))));

    expect(idp.stats.initiateAuth).toBe(10);
    expect(outcomes.slice(0, 10).every((o) => o instanceof RefreshFailedError)).toBe(true);
    const limited = outcomes.slice(10);
    expect(limited.every((o) => o instanceof AuthUnavailableError)).toBe(true);
    const first = limited[0] as AuthUnavailableError;
    expect(first.getStatus()).toBe(503);
    expect(first.code).toBe('auth_unavailable');
    expect(first.retryAfterSeconds).toBe(60);
  });

  it('counts Retry-After down to the end of the minute, then opens a new window (injected clock)', async () => {
    const claims = await expiredAccessClaims();
    const service = makeService();
    for (let i = 0; i < 10; i++) await settle(service.refresh(inputFor(claims, randomToken())));
    now += 45_500;
    const err = (await settle(service.refresh(inputFor(claims, randomToken())))) as AuthUnavailableError;
    expect(err).toBeInstanceOf(AuthUnavailableError);
    expect(err.retryAfterSeconds).toBe(15); // 14.5 s left, rounded up
    expect(idp.stats.initiateAuth).toBe(10);

    now += 14_499;
    await expect(service.refresh(inputFor(claims, randomToken()))).rejects.toBeInstanceOf(AuthUnavailableError);
    now += 1; // the minute is over
    await expect(service.refresh(inputFor(claims, randomToken()))).rejects.toBeInstanceOf(RefreshFailedError);
    expect(idp.stats.initiateAuth).toBe(11);
  });

  it('holds back only the user over the limit', async () => {
    const greedy = await expiredAccessClaims();
    const other = await expiredAccessClaims();
    const service = makeService();
    for (let i = 0; i < 11; i++) await settle(service.refresh(inputFor(greedy, randomToken())));
    await expect(service.refresh(inputFor(greedy, randomToken()))).rejects.toBeInstanceOf(AuthUnavailableError);

    const issued = await idp.issueTokens({ sub: other.sub, clientId: CLIENT });
    await expect(service.refresh(inputFor(other, issued.refreshToken))).resolves.toHaveProperty('accessToken');
    expect(idp.stats.initiateAuth).toBe(11);
  });

  it('remembers a refused refresh token: repeating it makes 1 call, and counts once', async () => {
    const claims = await expiredAccessClaims();
    const service = makeService();
    const refused = randomToken();
    for (let i = 0; i < 25; i++) {
      await expect(service.refresh(inputFor(claims, refused))).rejects.toBeInstanceOf(RefreshFailedError);
    }
    expect(idp.stats.initiateAuth).toBe(1);

    // The repeats were answered from memory, not counted: 9 attempts are left this minute.
    for (let i = 0; i < 9; i++) await settle(service.refresh(inputFor(claims, randomToken())));
    expect(idp.stats.initiateAuth).toBe(10);
    await expect(service.refresh(inputFor(claims, randomToken()))).rejects.toBeInstanceOf(AuthUnavailableError);
  });

  it('forgets a refused refresh token after 60 s', async () => {
    const claims = await expiredAccessClaims();
    const service = makeService();
    const token = randomToken();
    await expect(service.refresh(inputFor(claims, token))).rejects.toBeInstanceOf(RefreshFailedError);
    now += 59_999;
    await expect(service.refresh(inputFor(claims, token))).rejects.toBeInstanceOf(RefreshFailedError);
    expect(idp.stats.initiateAuth).toBe(1);
    now += 1;
    await expect(service.refresh(inputFor(claims, token))).rejects.toBeInstanceOf(RefreshFailedError);
    expect(idp.stats.initiateAuth).toBe(2);
  });

  it('does not remember an outage as a refusal', async () => {
    const claims = await expiredAccessClaims();
    const issued = await idp.issueTokens({ sub: claims.sub, clientId: CLIENT });
    const service = makeService();
    idp.refresh.mode = 'error';
    await expect(service.refresh(inputFor(claims, issued.refreshToken))).rejects.toBeInstanceOf(AuthUnavailableError);
    idp.refresh.mode = 'ok';
    await expect(service.refresh(inputFor(claims, issued.refreshToken))).resolves.toHaveProperty('idToken');
  });

  it('counts a storm of one refresh as one attempt', async () => {
    const claims = await expiredAccessClaims();
    const issued = await idp.issueTokens({ sub: claims.sub, clientId: CLIENT });
    const service = makeService();
    idp.refresh.delayMs = 50;
    try {
      const results = await Promise.all(Array.from({ length: 30 }, () => service.refresh(inputFor(claims, issued.refreshToken))));
      expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    } finally {
      idp.refresh.delayMs = 0;
    }
    for (let i = 0; i < 9; i++) await settle(service.refresh(inputFor(claims, randomToken())));
    expect(idp.stats.initiateAuth).toBe(10);
    await expect(service.refresh(inputFor(claims, randomToken()))).rejects.toBeInstanceOf(AuthUnavailableError);
  });

  it('answers 503, without calling Cognito, when the caller gives no sub', async () => {
    const service = makeService();
    const input = { refreshToken: randomToken(), clientId: CLIENT } as RefreshInput;
    await expect(service.refresh(input)).rejects.toBeInstanceOf(AuthUnavailableError);
    expect(idp.stats.initiateAuth).toBe(0);
  });
});
