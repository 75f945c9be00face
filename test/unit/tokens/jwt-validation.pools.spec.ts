import { Logger } from '@nestjs/common';
import type { CognitoAuthSettings } from '../../../src/options/cognito-auth.options.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { TestIdentityProvider } from '../../../src/testing/test-identity-provider.js';
import { peekTokenUse } from '../../../src/tokens/compact-jws.decoder.js';
import type { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { ManualClock, payloadOf, serviceFor, waitFor } from './tokens.fixtures.js';

// Several pools, rule by rule: each token is checked against the pool its `iss` names and no
// other. Two loopback providers stand for two pools (their own keys, issuers and clients).
const T0 = Date.UTC(2030, 0, 1);
const code = (expected: string) => expect.objectContaining({ code: expected });

describe('JwtValidationService with several pools', () => {
  let staff: TestIdentityProvider;
  let customers: TestIdentityProvider;
  let stranger: TestIdentityProvider;
  let clock: ManualClock;
  let service: JwtValidationService;

  beforeAll(async () => {
    Logger.overrideLogger(new CaptureLogger());
    staff = await TestIdentityProvider.start({ userPoolId: 'local_Staff1', clients: [{ clientId: 'staff-web' }] });
    customers = await TestIdentityProvider.start({ userPoolId: 'local_Cust1', clients: [{ clientId: 'cust-web' }] });
    stranger = await TestIdentityProvider.start({ userPoolId: 'local_Other1', clients: [{ clientId: 'cust-web' }] });
  });
  afterAll(async () => {
    await Promise.all([staff?.close(), customers?.close(), stranger?.close()]);
  });

  const pool = (name: string, idp: TestIdentityProvider) => ({ name, ...idp.moduleOptions() });
  const settings = (): CognitoAuthSettings =>
    resolveCognitoSettings({ pools: [pool('staff', staff), pool('customers', customers)] }, () => undefined);

  beforeEach(async () => {
    clock = new ManualClock(T0);
    for (const idp of [staff, customers, stranger]) idp.resetStats();
    service = await serviceFor(settings(), clock);
  });
  afterEach(() => service.onModuleDestroy());

  const issue = (idp: TestIdentityProvider, options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) =>
    idp.issueTokens({ now: clock.seconds, ...options });

  it("fetches every pool's key set at init, once", () => {
    expect([staff.stats.jwksRequests, customers.stats.jwksRequests]).toEqual([1, 1]);
    expect(service.jwksStatuses().map((k) => [k.pool, k.jwksUri, k.status.keys])).toEqual([
      ['staff', staff.jwksUri, 1],
      ['customers', customers.jwksUri, 1],
    ]);
    expect(service.cachedKeyCount).toBe(2);
  });

  it("verifies each pool's tokens with that pool's keys and clients, and names the pool", async () => {
    const a = await issue(staff);
    const b = await issue(customers);
    const access = await service.verifyAccessToken(a.accessToken);
    const id = await service.verifyIdToken(b.idToken);
    expect([access.iss, id.iss]).toEqual([staff.issuer, customers.issuer]);
    expect([service.poolOf(access), service.poolOf(id)]).toEqual(['staff', 'customers']);
    await expect(service.verifyPair(b.idToken, b.accessToken)).resolves.toBeDefined();
  });

  it('an issuer no pool has is token_invalid, with no key-set fetch at all', async () => {
    const rogueKey = await stranger.createKey(); // an unknown kid: a verifier that looked keys up would fetch
    const t = await issue(stranger, { key: rogueKey });
    clock.advance(60_000); // past the unknown-kid cooldown: a lookup in any key set would fetch now
    await expect(service.verifyAccessToken(t.accessToken)).rejects.toEqual(code('token_invalid'));
    await expect(service.verifyIdToken(t.idToken)).rejects.toEqual(code('token_invalid'));
    expect([staff.stats.jwksRequests, customers.stats.jwksRequests, stranger.stats.jwksRequests]).toEqual([1, 1, 0]);
  });

  it("a token claiming one pool's issuer but signed with another pool's key is token_invalid (its own pool's keys only)", async () => {
    const real = await issue(customers);
    const forged = await customers.signToken(
      { ...payloadOf(real.accessToken), iss: staff.issuer, client_id: 'staff-web' },
      { header: { kid: customers.currentKey.kid } },
    );
    clock.advance(60_000); // past the unknown-kid cooldown: the staff key set is asked again, and still lacks the kid
    await expect(service.verifyAccessToken(forged)).rejects.toEqual(code('token_invalid'));
    expect(staff.stats.jwksRequests).toBe(2);
    expect(customers.stats.jwksRequests).toBe(1);
  });

  it("a token of one pool issued to another pool's app client is token_invalid", async () => {
    const t = await issue(customers, { clientId: 'staff-web' });
    await expect(service.verifyAccessToken(t.accessToken)).rejects.toEqual(code('token_invalid'));
    await expect(service.verifyIdToken(t.idToken)).rejects.toEqual(code('token_invalid'));
  });

  it('an ID token and an access token of two pools are token_mismatch as a pair', async () => {
    const a = await issue(staff, { sub: 'same' });
    const b = await issue(customers, { sub: 'same', clientId: 'cust-web' });
    await expect(service.verifyPair(a.idToken, b.accessToken)).rejects.toEqual(code('token_mismatch'));
  });

  it('a cached token stops passing when its own pool drops its key', async () => {
    const t = await issue(staff, { expiresInSeconds: 4 * 3600 });
    await service.verifyAccessToken(t.accessToken);
    await staff.rotateKey({ dropOld: true });
    clock.advance(60 * 60_000 + 1); // past max-age: the next lookup refetches in the background
    expect(service.cachedClaims(t.accessToken, 'access')).toBeDefined(); // this lookup starts the refetch
    await waitFor(() => service.cachedClaims(t.accessToken, 'access') === undefined, 'the staff key set to drop the old key');
    expect(staff.stats.jwksRequests).toBe(2);
    expect(customers.stats.jwksRequests).toBe(1); // the other pool's key set is not touched
  });

  describe('Multi-Region Replication replica issuers', () => {
    let replica: TestIdentityProvider;
    let withReplica: JwtValidationService;
    const replicaIssuer = 'https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_Staff1';

    beforeAll(async () => {
      replica = await TestIdentityProvider.start({ userPoolId: 'local_Replica1', clients: [{ clientId: 'staff-web' }] });
    });
    afterAll(() => replica?.close());
    beforeEach(async () => {
      // The replica's key set is served by a loopback provider standing in for the replica Region.
      const base = settings();
      const [first, second] = base.pools!;
      const s: CognitoAuthSettings = {
        ...base,
        pools: [{ ...first, replicas: [{ region: 'us-west-2', issuer: replicaIssuer, jwksUri: replica.jwksUri }] }, second],
      };
      replica.resetStats();
      withReplica = await serviceFor(s, clock);
    });
    afterEach(() => withReplica.onModuleDestroy());

    it("accepts a replica's token, checked against the replica Region's key set, as the primary pool's", async () => {
      expect(replica.stats.jwksRequests).toBe(1);
      const t = await issue(replica, { idClaims: { iss: replicaIssuer }, accessClaims: { iss: replicaIssuer } });
      const claims = await withReplica.verifyAccessToken(t.accessToken);
      expect(withReplica.poolOf(claims)).toBe('staff');
      await expect(withReplica.verifyPair(t.idToken, t.accessToken)).resolves.toBeDefined();
    });

    it('refuses a token with the replica issuer signed by a key the replica does not publish', async () => {
      const t = await issue(staff, { accessClaims: { iss: replicaIssuer } });
      await expect(withReplica.verifyAccessToken(t.accessToken)).rejects.toEqual(code('token_invalid'));
    });
  });

  describe('peekTokenUse (routes a lone token to a verifier; never trusted beyond that)', () => {
    it('reads token_use without verifying', async () => {
      const t = await issue(staff);
      expect(peekTokenUse(t.accessToken, 8192)).toBe('access');
      expect(peekTokenUse(t.idToken, 8192)).toBe('id');
    });

    it.each([
      '',
      'a.b',
      'x.y.z',
      '..',
      'a.eyJ0b2tlbl91c2UiOiJpZCJ9',
      'a.eyJ0b2tlbl91c2UiOiJvdGhlciJ9.c',
      'a.eyJfX3Byb3RvX18iOnt9fQ.c',
      'a.bm90IGpzb24.c',
    ])('is undefined, never a throw, for %p', (token) => {
      expect(peekTokenUse(token, 8192)).toBeUndefined();
    });

    it('reads nothing of a token over the length cap', async () => {
      const t = await issue(staff);
      expect(peekTokenUse(t.idToken, t.idToken.length - 1)).toBeUndefined();
    });
  });
});
