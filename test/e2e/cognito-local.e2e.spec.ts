import request from 'supertest';
import { type CognitoLocal, type ProvisionedPool, provisionCognitoLocal, startCognitoLocal } from '../support/cognito-local.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../support/test-app.js';

/**
 * The valid-pair flow against cognito-local, a real Cognito emulator on its own port and working
 * directory, with tokens it issued through InitiateAuth USER_PASSWORD_AUTH; one emulator, an app
 * on each HTTP platform.
 */
describe('against cognito-local', () => {
  let local: CognitoLocal;
  let pool: ProvisionedPool;

  beforeAll(async () => {
    local = await startCognitoLocal();
    pool = await provisionCognitoLocal(local.endpoint, {
      groups: ['admin'],
      users: [
        { username: 'alice', password: 'Alice-Passw0rd!', email: 'alice@example.test', groups: ['admin'] },
        { username: 'bob', password: 'Bob-Passw0rd!', email: 'bob@example.test' },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
  });

  describe.each(HTTP_PLATFORMS)('on %s', (platform) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ userPoolId: pool.userPoolId, clientId: pool.clientId, endpoint: local.endpoint }, {}, platform);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('accepts the pair cognito-local issued through the ACCESSTOKEN / IDTOKEN headers', async () => {
      const tokens = await pool.login('alice', 'Alice-Passw0rd!');
      const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ username: 'alice', groups: ['admin'], clientId: pool.clientId });
      expect(Object.keys(res.body)).not.toContain('email');
      expect((await request(t.server).get('/t/email').set(seedHeaders(tokens))).body).toEqual({ email: 'alice@example.test' });
      expect((await request(t.server).get('/t/admin').set(seedHeaders(tokens))).status).toBe(200);
    });

    it('applies groups and pairing to its tokens too', async () => {
      const alice = await pool.login('alice', 'Alice-Passw0rd!');
      const bob = await pool.login('bob', 'Bob-Passw0rd!');
      expect((await request(t.server).get('/t/admin').set(seedHeaders(bob))).body.code).toBe('forbidden_group');
      const mixed = await request(t.server).get('/t/me').set({ ACCESSTOKEN: alice.accessToken, IDTOKEN: bob.idToken });
      expect(mixed.body.code).toBe('token_mismatch');
    });
  });
});
