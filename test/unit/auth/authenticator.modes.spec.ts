import { Logger } from '@nestjs/common';
import { CognitoAuthenticator } from '../../../src/auth/cognito.authenticator.js';
import type { TokenInput, TokenUse } from '../../../src/auth/authenticator.types.js';
import { CognitoAuthError } from '../../../src/errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions } from '../../../src/options/cognito-auth.options.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { CognitoRevocationService } from '../../../src/shared-state/cognito-revocation.service.js';
import { TestIdentityProvider, tokensFor } from '../../../src/testing/index.js';
import { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import { TokenRefreshService } from '../../../src/tokens/token-refresh.service.js';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';

/**
 * Token modes and pools in the authenticator, rule by rule: `'any'` routes a lone token in the
 * access slot by its `token_use`; no other mode moves a token; the principal names its pool.
 */
describe('CognitoAuthenticator: token modes and pools', () => {
  let idp: TestIdentityProvider;
  let staff: TestIdentityProvider;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(new CaptureLogger());
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }] });
    staff = await TestIdentityProvider.start({ userPoolId: 'local_Staff1', clients: [{ clientId: 'staff-web' }] });
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await Promise.all([idp?.close(), staff?.close()]);
  });

  async function make(options: Partial<CognitoAuthModuleOptions> = {}) {
    const settings = resolveCognitoSettings({ ...idp.moduleOptions(), users: false, ...options }, () => undefined);
    const jwt = new JwtValidationService(settings);
    await jwt.onModuleInit();
    const refresher = new TokenRefreshService(settings);
    const revocation = new CognitoRevocationService(settings);
    closers.push(async () => {
      jwt.onModuleDestroy();
      await refresher.onModuleDestroy();
    });
    return new CognitoAuthenticator(settings, jwt, refresher, new UserSyncService(settings), revocation);
  }

  async function refusal(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(CognitoAuthError);
      return (err as CognitoAuthError).code;
    }
    throw new Error('expected a refusal');
  }

  const bearer = (token: string): TokenInput => ({ access: token, source: 'header' });

  describe("'any'", () => {
    it('a lone access token in the access slot is the access token', async () => {
      const auth = await make();
      const t = await idp.issueTokens({ sub: 'any-a' });
      const r = await auth.authenticate(bearer(t.accessToken), { tokenUse: 'any' });
      expect(r.tokens.access?.sub).toBe('any-a');
      expect(r.tokens.id).toBeUndefined();
      expect(r.accessToken).toBe(t.accessToken);
    });

    it('a lone ID token in the access slot (Bearer, ACCESSTOKEN) is verified as the ID token', async () => {
      const auth = await make();
      const t = await idp.issueTokens({ sub: 'any-i', email: 'i@example.test', groups: ['g'] });
      const r = await auth.authenticate(bearer(t.idToken), { tokenUse: 'any' });
      expect(r.tokens.id?.sub).toBe('any-i');
      expect(r.tokens.access).toBeUndefined();
      expect(r.accessToken).toBeUndefined();
      expect(r.identity).toMatchObject({
        kind: 'user',
        sub: 'any-i',
        email: 'i@example.test',
        groups: ['g'],
        clientId: 'client-a',
        pool: 'default',
      });
      // Seen again: answered from the verified-token cache, as the ID token again.
      expect((await auth.authenticate(bearer(t.idToken), { tokenUse: 'any' })).tokens.id?.sub).toBe('any-i');
    });

    it('the pair is verified and paired as in id+access', async () => {
      const auth = await make();
      const a = await idp.issueTokens({ sub: 'p1' });
      const b = await idp.issueTokens({ sub: 'p2' });
      const r = await auth.authenticate({ access: a.accessToken, id: a.idToken, source: 'header' }, { tokenUse: 'any' });
      expect([r.tokens.access?.sub, r.tokens.id?.sub]).toEqual(['p1', 'p1']);
      expect(await refusal(auth.authenticate({ access: a.accessToken, id: b.idToken, source: 'header' }, { tokenUse: 'any' }))).toBe(
        'token_mismatch',
      );
    });

    it('the routed ID token is still checked in full: token_use claims "id" but the rest is an access token\'s', async () => {
      const auth = await make();
      const t = await idp.issueTokens({ accessClaims: { token_use: 'id' } }); // no aud: not a valid ID token
      expect(await refusal(auth.authenticate(bearer(t.accessToken), { tokenUse: 'any' }))).toBe('token_invalid');
    });

    it('an access token in the ID slot is not moved: token_invalid', async () => {
      const auth = await make();
      const t = await idp.issueTokens();
      expect(await refusal(auth.authenticate({ id: t.accessToken, source: 'header' }, { tokenUse: 'any' }))).toBe('token_invalid');
    });

    it('works as the module default (tokenUse: any)', async () => {
      const auth = await make({ tokenUse: 'any' });
      const t = await idp.issueTokens({ sub: 'dflt' });
      expect((await auth.authenticate(bearer(t.idToken))).identity.sub).toBe('dflt');
    });
  });

  it.each<[TokenUse, string]>([
    ['access', 'token_invalid'],
    ['id+access', 'token_missing'],
    ['id', 'token_missing'],
  ])("'%s': an ID token in the access slot is never moved (%s)", async (mode, expected) => {
    const auth = await make();
    const t = await idp.issueTokens();
    expect(await refusal(auth.authenticate(bearer(t.idToken), { tokenUse: mode }))).toBe(expected);
  });

  it("'access' after 'any' saw the same ID token: still token_invalid (the cache does not carry the routing over)", async () => {
    const auth = await make();
    const t = await idp.issueTokens();
    await auth.authenticate(bearer(t.idToken), { tokenUse: 'any' });
    expect(await refusal(auth.authenticate(bearer(t.idToken), { tokenUse: 'access' }))).toBe('token_invalid');
  });

  it('the principal names the pool of its issuer; a machine of another pool is a machine of that pool', async () => {
    const auth = await make({ pools: [{ name: 'staff', ...staff.moduleOptions() }] });
    const user = await idp.issueTokens({ sub: 'c-1' });
    expect((await auth.authenticate({ access: user.accessToken, id: user.idToken, source: 'header' })).identity.pool).toBe('default');
    const robot = await tokensFor(staff, { kind: 'machine', scopes: ['reports/read'] });
    const r = await auth.authenticate(bearer(robot.accessToken), { tokenUse: 'access' });
    expect(r.identity).toMatchObject({
      kind: 'machine',
      pool: 'staff',
      sub: 'staff-web',
      clientId: 'staff-web',
      scopes: ['reports/read'],
      groups: [],
    });
    expect(r.user).toBe(r.identity);
  });
});
