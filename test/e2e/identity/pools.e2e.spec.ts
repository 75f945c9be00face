import { Controller, Get } from '@nestjs/common';
import request from 'supertest';
import { CognitoConfigError, JwtValidationService, Public } from '../../../src/index.js';
import { Pools } from '../../../src/guard/pools.decorator.js';
import type { CognitoPoolOptions } from '../../../src/options/cognito-auth.options.js';
import { TestIdentityProvider, testPrincipalHeaders } from '../../../src/testing/index.js';
import { type CognitoLocal, type ProvisionedPool, provisionCognitoLocal, startCognitoLocal } from '../../support/cognito-local.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';
import { CustomersController, expectRefusal, LobbyController, PoolsController } from './identity-app.js';

/**
 * Two user pools side by side over real HTTP: `staff` on cognito-local (a Cognito emulator on its
 * own port, tokens from USER_PASSWORD_AUTH) and `customers` on the test identity provider. Each
 * token is checked against the pool its `iss` names and no other; `@Pools` restricts routes; a
 * token of an unconfigured pool is refused without any key-set fetch.
 */
describe('several user pools', () => {
  let local: CognitoLocal;
  let staffPool: ProvisionedPool;
  let customers: TestIdentityProvider;
  let stranger: TestIdentityProvider;
  const staffPassword = 'Sam-Passw0rd!';

  beforeAll(async () => {
    local = await startCognitoLocal();
    staffPool = await provisionCognitoLocal(local.endpoint, {
      users: [{ username: 'sam', password: staffPassword, email: 'sam@staff.test', groups: ['ops'] }],
    });
    customers = await TestIdentityProvider.start({
      userPoolId: 'local_Customers1',
      clients: [{ clientId: 'shop' }, { clientId: 'shop-robot', clientSecret: 'robot-secret' }],
    });
    stranger = await TestIdentityProvider.start({ userPoolId: 'local_Stranger1', clients: [{ clientId: 'shop' }] });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([local?.stop(), customers?.close(), stranger?.close()]);
  });

  const pools = (): CognitoPoolOptions[] => [
    { name: 'staff', userPoolId: staffPool.userPoolId, clientId: staffPool.clientId, endpoint: local.endpoint },
    { name: 'customers', ...customers.moduleOptions() },
  ];

  describe.each(HTTP_PLATFORMS)('on %s', (platform) => {
    let t: TestApp;

    beforeAll(async () => {
      customers.resetStats();
      stranger.resetStats();
      // No unknown-kid cooldown: a key lookup for a foreign token would fetch at once, so "no fetch" is seen.
      const options = { pools: pools(), users: false as const, jwksRefetchCooldownMs: 0 };
      t = await createTestApp(options, { controllers: [PoolsController, CustomersController, LobbyController] }, platform);
    });
    afterAll(() => t?.close());

    it("fetches each pool's key set at start-up, from its own JWKS", () => {
      expect(customers.stats.jwksRequests).toBe(1);
      const sets = t.app.get(JwtValidationService).jwksStatuses();
      expect(sets.map((s) => [s.pool, s.jwksUri])).toEqual([
        ['staff', staffPool.jwksUri],
        ['customers', customers.jwksUri],
      ]);
      expect(sets.every((s) => s.status.keys > 0)).toBe(true);
    });

    it("takes each pool's tokens, checked against that pool, and names the pool", async () => {
      const sam = await staffPool.login('sam', staffPassword);
      const res = await request(t.server).get('/pools/any').set(seedHeaders(sam));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ kind: 'user', pool: 'staff', email: 'sam@staff.test' });
      const carol = await customers.issueTokens({ sub: 'carol', email: 'carol@shop.test' });
      expect((await request(t.server).get('/pools/any').set(seedHeaders(carol))).body).toMatchObject({ sub: 'carol', pool: 'customers' });
      expect(
        (
          await request(t.server)
            .get('/pools/any')
            .set({ Authorization: `Bearer ${carol.idToken}` })
        ).body,
      ).toMatchObject({ pool: 'customers', id: true });
    });

    it('a token of a pool that is not configured is 401 token_invalid, with no key-set fetch anywhere', async () => {
      const before = customers.stats.jwksRequests;
      const fetchedAt = () =>
        t.app
          .get(JwtValidationService)
          .jwksStatuses()
          .map((k) => k.status.fetchedAt);
      const fetchedBefore = fetchedAt();
      const rogue = await stranger.createKey(); // an unknown kid: a verifier that looked it up would fetch
      const tk = await stranger.issueTokens({ key: rogue, clientId: 'shop' });
      expectRefusal(await request(t.server).get('/pools/any').set(seedHeaders(tk)), 401, 'token_invalid', [tk.accessToken, tk.idToken]);
      expectRefusal(
        await request(t.server)
          .get('/pools/any')
          .set({ Authorization: `Bearer ${tk.accessToken}` }),
        401,
        'token_invalid',
      );
      expect(stranger.stats.jwksRequests).toBe(0);
      expect(customers.stats.jwksRequests).toBe(before);
      expect(fetchedAt()).toEqual(fetchedBefore); // cognito-local's key set was not fetched again either
    });

    it("a customers token issued to the staff app client is 401 token_invalid (each pool's own clients)", async () => {
      const tk = await customers.issueTokens({ clientId: staffPool.clientId });
      expectRefusal(await request(t.server).get('/pools/any').set(seedHeaders(tk)), 401, 'token_invalid');
    });

    it('an ID token of one pool with an access token of the other is 401 token_mismatch', async () => {
      const sam = await staffPool.login('sam', staffPassword);
      const carol = await customers.issueTokens();
      const res = await request(t.server).get('/pools/any').set({ ACCESSTOKEN: carol.accessToken, IDTOKEN: sam.idToken });
      expectRefusal(res, 401, 'token_mismatch', [carol.accessToken, sam.idToken]);
    });

    it('on a @Public() class, a handler with its own @Pools needs a token; the others stay open', async () => {
      expect((await request(t.server).get('/lobby')).body).toMatchObject({ sub: null });
      expectRefusal(await request(t.server).get('/lobby/staff'), 401, 'token_missing');
      const sam = await staffPool.login('sam', staffPassword);
      expect((await request(t.server).get('/lobby/staff').set(seedHeaders(sam))).body).toMatchObject({ pool: 'staff' });
    });

    describe('@Pools', () => {
      it("@Pools('staff'): staff in, a customer (user or machine) 403 forbidden_caller", async () => {
        const sam = await staffPool.login('sam', staffPassword);
        expect((await request(t.server).get('/pools/staff').set(seedHeaders(sam))).body).toMatchObject({ pool: 'staff' });
        const carol = await customers.issueTokens();
        expectRefusal(await request(t.server).get('/pools/staff').set(seedHeaders(carol)), 403, 'forbidden_caller', [carol.accessToken]);
        const robot = await testPrincipalHeaders({ customers }, { kind: 'machine', pool: 'customers', clientId: 'shop-robot' });
        expectRefusal(await request(t.server).get('/pools/staff').set(robot), 403, 'forbidden_caller');
        expect((await request(t.server).get('/pools/any').set(robot)).body).toMatchObject({
          kind: 'machine',
          pool: 'customers',
          sub: 'shop-robot',
        });
      });

      it("a class's @Pools, and a handler's replacing it", async () => {
        const sam = await staffPool.login('sam', staffPassword);
        const carol = await customers.issueTokens();
        expectRefusal(await request(t.server).get('/customers').set(seedHeaders(sam)), 403, 'forbidden_caller');
        expect((await request(t.server).get('/customers').set(seedHeaders(carol))).status).toBe(200);
        expect((await request(t.server).get('/customers/shared').set(seedHeaders(sam))).body).toMatchObject({ pool: 'staff' });
        expect((await request(t.server).get('/customers/shared').set(seedHeaders(carol))).body).toMatchObject({ pool: 'customers' });
      });
    });

    it("refreshes an expired pair of the second pool with that pool's client and endpoint", async () => {
      const expired = await customers.issueTokens({ sub: 'late', expiresInSeconds: -60 });
      const res = await request(t.server).get('/pools/any').set(seedHeaders(expired));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'late', pool: 'customers' });
      expect(res.headers['accesstoken']).toEqual(expect.any(String));
    });
  });

  describe('stops start-up', () => {
    /** The error the app's creation ended with (an app that started anyway is closed, and the test fails). */
    async function startupError(...args: Parameters<typeof createTestApp>): Promise<Error> {
      const outcome = await createTestApp(...args).then(
        async (app) => {
          await app.close();
          return new Error('the app started');
        },
        (err: unknown) => err as Error,
      );
      expect(outcome).toBeInstanceOf(CognitoConfigError);
      return outcome;
    }

    it('with two pools of one issuer, naming both', async () => {
      const twice = [...pools(), { name: 'shoppers', ...customers.moduleOptions(), clientId: ['another-client'], clientSecret: undefined }];
      const err = await startupError({ pools: twice, users: false }, { controllers: [] });
      expect(err.message).toMatch(/pools "customers" and "shoppers" have one issuer/);
    });

    it('with @Pools naming a pool that is not configured, naming the route', async () => {
      @Controller('typo')
      class TypoController {
        @Pools('stafff')
        @Public()
        @Get()
        get(): string {
          return 'never';
        }
      }
      const err = await startupError({ pools: pools(), users: false }, { controllers: [TypoController] });
      expect(err.message).toMatch(
        /@Pools: TypoController\.get names the pool "stafff", which is not configured \(pools: staff, customers\)/,
      );
    });
  });
});
