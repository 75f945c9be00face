/**
 * `@RequireFreshSession()` over real HTTP on two instances sharing Redis: the access token is
 * checked with Cognito's `GetUser` (answered by the test identity provider's front, which checks
 * the token) at most once per `onlineCheckSeconds` per token across both; a token revoked at
 * Cognito is 401 `token_revoked` there and, once seen, everywhere; tokens without the
 * `aws.cognito.signin.user.admin` scope are 403 `forbidden_scope`.
 */
import request from 'supertest';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { IdpFront, type Instance, type InstanceOptions, startInstances } from '../../support/instances.js';
import { dropPrefix, SHARED_REDIS_URL, TEST_STATE_KEY, uniquePrefix, until } from '../../support/redis.js';
import { seedHeaders } from '../../support/test-app.js';

describe('@RequireFreshSession() across instances', () => {
  let idp: TestIdentityProvider;
  let front: IdpFront;
  const prefix = uniquePrefix('fresh');
  const options = (onlineCheckSeconds: number): InstanceOptions => ({
    idp,
    front,
    redis: { url: SHARED_REDIS_URL, prefix, stateKey: TEST_STATE_KEY },
    auth: { sharedState: { onlineCheckSeconds } },
  });

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    front = await IdpFront.start(idp);
  });
  afterAll(async () => {
    await front?.close();
    await idp?.close();
    await dropPrefix(prefix);
  });

  describe('onlineCheckSeconds 60', () => {
    let instances: Instance[];
    beforeAll(async () => {
      instances = await startInstances(['A', 'B'], options(60));
    });
    afterAll(() => Promise.all(instances.map((i) => i.app.close())));

    it('checks a token with GetUser once for 40 requests over two instances', async () => {
      const tokens = await idp.issueTokens();
      const calls = front.getUser.calls;
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(instances[i % 2]!.url)
            .get('/s/fresh')
            .set(seedHeaders(tokens)),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(front.getUser.calls - calls).toBe(1);
    });

    it('a route without the decorator makes no GetUser call', async () => {
      const tokens = await idp.issueTokens();
      const calls = front.getUser.calls;
      expect((await request(instances[0]!.url).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      expect(front.getUser.calls).toBe(calls);
    });

    it('a user token without the aws.cognito.signin.user.admin scope is 403 forbidden_scope, with no GetUser call', async () => {
      const tokens = await idp.issueTokens({ scopes: ['openid', 'email'] });
      const calls = front.getUser.calls;
      const res = await request(instances[0]!.url).get('/s/fresh').set(seedHeaders(tokens));
      expect([res.status, res.body.code]).toEqual([403, 'forbidden_scope']);
      expect(front.getUser.calls).toBe(calls);
    });

    it('a machine token (client credentials) cannot be checked online: 403 forbidden_scope', async () => {
      const machine = await idp.issueTokens({ sub: 'test-client', scopes: ['notes/read'], accessClaims: { username: undefined } });
      const res = await request(instances[1]!.url).get('/s/fresh-any').set('Authorization', `Bearer ${machine.accessToken}`);
      expect([res.status, res.body.code]).toEqual([403, 'forbidden_scope']);
    });
  });

  describe('onlineCheckSeconds 1', () => {
    let instances: Instance[];
    beforeAll(async () => {
      instances = await startInstances(['A', 'B'], options(1));
    });
    afterAll(() => Promise.all(instances.map((i) => i.app.close())));

    it('a token revoked at Cognito (outside the app) is token_revoked within the period, then on every route of every instance', async () => {
      const [a, b] = instances as [Instance, Instance];
      const tokens = await idp.issueTokens();
      expect((await request(a.url).get('/s/fresh').set(seedHeaders(tokens))).status).toBe(200);
      front.getUser.revokeAccessToken(tokens.accessToken);
      let refused: request.Response | undefined;
      await until(
        async () => {
          refused = await request(a.url).get('/s/fresh').set(seedHeaders(tokens));
          return refused.status !== 200;
        },
        'the next online check',
        3000,
      );
      expect([refused!.status, refused!.body.code]).toEqual([401, 'token_revoked']);
      // Its session is now recorded as revoked: offline routes refuse it too, on both instances.
      for (const i of [a, b]) {
        await until(
          async () => (await request(i.url).get('/t/me').set(seedHeaders(tokens))).body.code === 'token_revoked',
          `${i.name} to refuse it offline`,
        );
      }
    });
  });
});
