import { jest } from '@jest/globals';
import { CognitoAuthenticator } from '../../../src/auth/cognito.authenticator.js';
import type { TokenInput } from '../../../src/auth/authenticator.types.js';
import { CognitoAuthError } from '../../../src/errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions } from '../../../src/options/cognito-auth.options.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import { TokenRefreshService } from '../../../src/tokens/token-refresh.service.js';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { CognitoRevocationService } from '../../../src/shared-state/cognito-revocation.service.js';

/**
 * The authenticator on its own, as a script would use it: real verification against the test
 * identity provider's JWKS and real refresh calls through the SDK client; user sync off.
 */
describe('CognitoAuthenticator', () => {
  let idp: TestIdentityProvider;
  let nowMs: number;
  const clock = (): number => nowMs;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }] });
  });
  afterAll(async () => {
    await idp?.close();
  });
  beforeEach(() => {
    nowMs = Date.now();
    idp.refresh.mode = 'ok';
    idp.resetStats();
  });

  function make(options: Partial<CognitoAuthModuleOptions> = {}) {
    const settings = resolveCognitoSettings({ ...idp.moduleOptions(), users: false, ...options }, () => undefined);
    const jwt = new JwtValidationService(settings);
    const refresher = new TokenRefreshService(settings, undefined, clock);
    const users = new UserSyncService(settings);
    const revocation = new CognitoRevocationService(settings, undefined, clock);
    const auth = new CognitoAuthenticator(settings, jwt, refresher, users, revocation, clock);
    return { auth, jwt, refresher, revocation, close: () => refresher.onModuleDestroy() };
  }

  async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(CognitoAuthError);
      const e = err as CognitoAuthError;
      return { code: e.code, status: e.getStatus() };
    }
    throw new Error('expected a refusal');
  }

  const pair = (t: { accessToken: string; idToken: string; refreshToken?: string }): TokenInput => ({
    access: t.accessToken,
    id: t.idToken,
    refresh: t.refreshToken,
    source: 'header',
  });

  it('id+access: a valid pair gives the identity, the claims and the access token', async () => {
    const { auth, close } = make();
    const t = await idp.issueTokens({ sub: 'u-1', groups: ['staff'] });
    const result = await auth.authenticate(pair(t));
    expect(result.identity).toMatchObject({ kind: 'user', sub: 'u-1', clientId: 'client-a', groups: ['staff'], pool: 'default' });
    expect(result.user).toBe(result.identity);
    expect(result.tokens.id?.sub).toBe('u-1');
    expect(result.accessToken).toBe(t.accessToken);
    expect(result.refreshed).toBeUndefined();
    close();
  });

  it('id+access: one token alone is token_missing', async () => {
    const { auth, close } = make();
    const t = await idp.issueTokens();
    expect(await refusal(auth.authenticate({ access: t.accessToken, source: 'header' }))).toEqual({ code: 'token_missing', status: 401 });
    expect(await refusal(auth.authenticate({ id: t.idToken, source: 'header' }))).toEqual({ code: 'token_missing', status: 401 });
    close();
  });

  it('a refresh token alone is token_missing', async () => {
    const { auth, close } = make();
    const t = await idp.issueTokens();
    expect((await refusal(auth.authenticate({ refresh: t.refreshToken, source: 'header' }))).code).toBe('token_missing');
    close();
  });

  it('access mode: the access token alone; id mode: the ID token alone; any: either', async () => {
    const { auth, close } = make();
    const t = await idp.issueTokens({ sub: 'u-2' });
    expect((await auth.authenticate({ access: t.accessToken, source: 'header' }, { tokenUse: 'access' })).identity.sub).toBe('u-2');
    expect((await auth.authenticate({ id: t.idToken, source: 'header' }, { tokenUse: 'id' })).identity.sub).toBe('u-2');
    expect((await auth.authenticate({ id: t.idToken, source: 'header' }, { tokenUse: 'any' })).identity.sub).toBe('u-2');
    expect(await refusal(auth.authenticate({ source: 'header' }, { tokenUse: 'any' }))).toEqual({ code: 'token_missing', status: 401 });
    close();
  });

  it('the pair must belong together, on the full path and on the cached path', async () => {
    const { auth, close } = make();
    const a = await idp.issueTokens({ sub: 'alice' });
    const b = await idp.issueTokens({ sub: 'bob' });
    expect((await refusal(auth.authenticate({ access: a.accessToken, id: b.idToken, source: 'header' }))).code).toBe('token_mismatch');
    // Both tokens now sit in the verified-token cache on their own: the pair is still checked.
    await auth.authenticate(pair(a));
    await auth.authenticate(pair(b));
    expect((await refusal(auth.authenticate({ access: a.accessToken, id: b.idToken, source: 'header' }))).code).toBe('token_mismatch');
    close();
  });

  it('a token seen again costs no signature check (the cache answers)', async () => {
    const { auth, jwt, close } = make();
    const t = await idp.issueTokens();
    await auth.authenticate(pair(t));
    const verify = jest.spyOn(jwt, 'verifyAccessToken');
    const again = await auth.authenticate(pair(t));
    expect(verify).not.toHaveBeenCalled();
    expect(again.identity.sub).toBe(t.sub);
    close();
  });

  it('an expired pair with a refresh token is refreshed: new tokens, same identity', async () => {
    const { auth, close } = make();
    const t = await idp.issueTokens({ sub: 'u-3', expiresInSeconds: -60 });
    const result = await auth.authenticate(pair(t));
    expect(result.refreshed?.accessToken).toBeTruthy();
    expect(result.refreshed?.accessToken).not.toBe(t.accessToken);
    expect(result.accessToken).toBe(result.refreshed?.accessToken);
    expect(result.identity.sub).toBe('u-3');
    expect(idp.stats.initiateAuth).toBe(1);
    close();
  });

  it('no refresh where the transport cannot hand tokens back: token_expired, no Cognito call', async () => {
    const { auth, close } = make();
    const t = await idp.issueTokens({ expiresInSeconds: -60 });
    expect(await refusal(auth.authenticate(pair(t), { allowRefresh: false }))).toEqual({ code: 'token_expired', status: 401 });
    expect(idp.stats.initiateAuth).toBe(0);
    close();
  });

  it('a pair that fails anything but expiry is never refreshed', async () => {
    const { auth, close } = make();
    const a = await idp.issueTokens({ sub: 'a', expiresInSeconds: -60 });
    const b = await idp.issueTokens({ sub: 'b', expiresInSeconds: -60 });
    expect(
      (await refusal(auth.authenticate({ access: a.accessToken, id: b.idToken, refresh: a.refreshToken, source: 'header' }))).code,
    ).toBe('token_mismatch');
    expect(idp.stats.initiateAuth).toBe(0);
    close();
  });

  it('refreshed tokens of another user are token_mismatch', async () => {
    const { auth, close } = make();
    idp.refresh.issueAs = () => ({ sub: 'somebody-else' });
    try {
      const t = await idp.issueTokens({ sub: 'victim', expiresInSeconds: -60 });
      expect((await refusal(auth.authenticate(pair(t)))).code).toBe('token_mismatch');
    } finally {
      idp.refresh.issueAs = undefined;
      close();
    }
  });

  it('Cognito refusing the refresh token is refresh_failed', async () => {
    const { auth, close } = make();
    idp.refresh.mode = 'not-authorized';
    const t = await idp.issueTokens({ expiresInSeconds: -60 });
    expect(await refusal(auth.authenticate(pair(t)))).toEqual({ code: 'refresh_failed', status: 401 });
    close();
  });

  it('a machine token (no username, sub = client_id) is a machine identity and never resolves a user', async () => {
    const { auth, close } = make({ tokenUse: 'access' });
    const t = await idp.issueTokens({ sub: 'client-a', accessClaims: { username: undefined }, scopes: ['reports/read'] });
    const result = await auth.authenticate({ access: t.accessToken, source: 'header' });
    expect(result.identity).toMatchObject({ kind: 'machine', sub: 'client-a', clientId: 'client-a', scopes: ['reports/read'] });
    expect(result.user).toBe(result.identity);
    close();
  });

  it('afterVerify runs after verification and can refuse', async () => {
    const { auth, close } = make();
    const t = await idp.issueTokens({ sub: 'u-4' });
    const seen: string[] = [];
    await auth.authenticate(pair(t), { afterVerify: (tokens) => void seen.push(tokens.id!.sub) });
    expect(seen).toEqual(['u-4']);
    const { ForbiddenClaimsError } = await import('../../../src/errors/cognito-auth.errors.js');
    const refused = await refusal(
      auth.authenticate(pair(t), {
        afterVerify: () => {
          throw new ForbiddenClaimsError();
        },
      }),
    );
    expect(refused).toEqual({ code: 'forbidden_claims', status: 403 });
    close();
  });

  it('an unforeseen failure is 503 auth_unavailable, never thrown raw', async () => {
    const { auth, jwt, close } = make();
    jest.spyOn(jwt, 'check').mockImplementation(() => {
      throw new RangeError('a bug');
    });
    const t = await idp.issueTokens();
    expect(await refusal(auth.authenticate(pair(t)))).toEqual({ code: 'auth_unavailable', status: 503 });
    close();
  });

  it('a revoked session is token_revoked, on the cached path too; the revocation reaches a kept result', async () => {
    const { auth, revocation, close } = make();
    const t = await idp.issueTokens({ sub: 'u-5', idClaims: { origin_jti: 'sess-1' }, accessClaims: { origin_jti: 'sess-1' } });
    const first = await auth.authenticate(pair(t)); // now cached
    expect(auth.isStale(first)).toBe(false);
    await revocation.revokeSession(first.tokens.access!);
    expect(await refusal(auth.authenticate(pair(t)))).toEqual({ code: 'token_revoked', status: 401 });
    expect(auth.isStale(first)).toBe(true);
    close();
  });

  it('a user revoked at a time refuses tokens issued before it, and never refreshes them', async () => {
    const { auth, revocation, close } = make();
    const t = await idp.issueTokens({ sub: 'u-6', expiresInSeconds: -60 });
    await revocation.revokeUser('u-6', Math.floor(nowMs / 1000));
    expect(await refusal(auth.authenticate(pair(t)))).toEqual({ code: 'token_revoked', status: 401 });
    expect(idp.stats.initiateAuth).toBe(0);
    close();
  });

  it('hasExpired follows the injected clock and the earliest exp plus the tolerance', async () => {
    const { auth, close } = make({ clockToleranceSeconds: 5 });
    const t = await idp.issueTokens({ expiresInSeconds: 60 });
    const result = await auth.authenticate(pair(t));
    nowMs = result.expiresAtMs - 1;
    expect(auth.hasExpired(result)).toBe(false);
    nowMs = result.expiresAtMs;
    expect(auth.hasExpired(result)).toBe(true);
    close();
  });
});
