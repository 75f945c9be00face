/**
 * `TokenRefreshService.revoke()` against the TestIdentityProvider (the real SDK v3 client): the
 * refresh token is revoked with the client that issued it, and the session of the tokens sent
 * with it is recorded in `CognitoRevocationService`, so they stop verifying here at once.
 */
import { AuthUnavailableError, RefreshFailedError } from '../../../src/errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions } from '../../../src/options/cognito-auth.options.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { CognitoRevocationService } from '../../../src/shared-state/cognito-revocation.service.js';
import { type IssuedTokens, TestIdentityProvider } from '../../../src/testing/index.js';
import { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import { TokenRefreshService } from '../../../src/tokens/token-refresh.service.js';
import type { VerifiedTokens } from '../../../src/tokens/token.types.js';
import { findFreePort } from '../../support/cognito-local.js';

const FIRST = 'firstclient1';
const SECOND = 'secondclient1';
const SECRET = 'sEcond-cl13nt-s3cr3t-v4lue-abcdefghijklmnop';

describe('TokenRefreshService.revoke', () => {
  let idp: TestIdentityProvider;
  let jwt: JwtValidationService;
  const services: TokenRefreshService[] = [];

  const settings = (overrides: CognitoAuthModuleOptions = {}) =>
    resolveCognitoSettings({ ...idp.moduleOptions(), ...overrides }, () => undefined);
  const make = (overrides: CognitoAuthModuleOptions = {}) => {
    const s = settings(overrides);
    const revocation = new CognitoRevocationService(s);
    const service = new TokenRefreshService(s, revocation);
    services.push(service);
    return { service, revocation };
  };
  const claimsOf = (t: IssuedTokens): Promise<VerifiedTokens> => jwt.verifyPair(t.idToken, t.accessToken);

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: FIRST }, { clientId: SECOND, clientSecret: SECRET }] });
    jwt = new JwtValidationService(settings());
  });

  afterEach(() => {
    idp.resetStats();
    for (const s of services.splice(0)) s.onModuleDestroy();
  });

  afterAll(async () => {
    jwt.onModuleDestroy();
    await idp.close();
  });

  it("revokes a second client's refresh token by trying each configured client in turn", async () => {
    const issued = await idp.issueTokens({ username: 'gail', clientId: SECOND });
    const { service } = make();
    await service.revoke(issued.refreshToken);
    expect(idp.stats.revokeToken).toBe(2); // the first client was refused, the second accepted
    const input = { refreshToken: issued.refreshToken, clientId: SECOND, sub: issued.sub, username: 'gail' };
    await expect(make().service.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError);
  });

  it('revokes with the client of the claims sent with it, in one call', async () => {
    const issued = await idp.issueTokens({ username: 'hank', clientId: SECOND });
    const { service } = make();
    await service.revoke(issued.refreshToken, { claims: await claimsOf(issued) });
    expect(idp.stats.revokeToken).toBe(1);
    const input = { refreshToken: issued.refreshToken, clientId: SECOND, sub: issued.sub, username: 'hank' };
    await expect(make().service.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError);
  });

  it('fails with RefreshFailedError when every client refuses', async () => {
    const issued = await idp.issueTokens({ clientId: SECOND });
    const { service } = make({ clientSecret: { [SECOND]: 'not-the-secret-of-the-second-client' } });
    await expect(service.revoke(issued.refreshToken)).rejects.toBeInstanceOf(RefreshFailedError);
    expect(idp.stats.revokeToken).toBe(2);
  });

  it('records the session of the tokens sent with it: both tokens are revoked, other sessions are not', async () => {
    const issued = await idp.issueTokens({ clientId: FIRST });
    const other = await idp.issueTokens({ sub: issued.sub, clientId: FIRST });
    const claims = await claimsOf(issued);
    const otherClaims = await claimsOf(other);
    const { service, revocation } = make();
    expect(revocation.isRevoked(claims.access!)).toBe(false);

    await service.revoke(issued.refreshToken, { claims });
    expect(revocation.isRevoked(claims.access!)).toBe(true);
    expect(revocation.isRevoked(claims.id!)).toBe(true);
    expect(revocation.isRevoked(otherClaims.access!)).toBe(false);
    expect(revocation.isRevoked(otherClaims.id!)).toBe(false);
  });

  it('records an ID token without origin_jti (as cognito-local issues them) by its jti', async () => {
    const issued = await idp.issueTokens({ clientId: FIRST, idClaims: { origin_jti: undefined } });
    const claims = await claimsOf(issued);
    expect(claims.id!.origin_jti).toBeUndefined();
    const { service, revocation } = make();
    await service.revoke(issued.refreshToken, { claims });
    expect(revocation.isRevoked(claims.id!)).toBe(true);
    expect(revocation.isRevoked(claims.access!)).toBe(true);
  });

  it('records the session even when Cognito cannot be reached', async () => {
    const issued = await idp.issueTokens({ clientId: FIRST });
    const claims = await claimsOf(issued);
    const { service, revocation } = make({ endpoint: `http://127.0.0.1:${await findFreePort()}` });
    await expect(service.revoke(issued.refreshToken, { claims })).rejects.toBeInstanceOf(AuthUnavailableError);
    expect(revocation.isRevoked(claims.access!)).toBe(true);
  });

  it('refuses a client id that is not configured, without calling Cognito', async () => {
    const issued = await idp.issueTokens({ clientId: FIRST });
    await expect(make().service.revoke(issued.refreshToken, { clientId: 'strangerclient' })).rejects.toBeInstanceOf(RefreshFailedError);
    expect(idp.stats.revokeToken).toBe(0);
  });
});
