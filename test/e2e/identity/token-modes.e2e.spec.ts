import request from 'supertest';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';
import { expectRefusal, ModesController, rowsOf, sqliteUsers } from './identity-app.js';

/**
 * Token modes per route over real HTTP, with user sync on SQLite: `id+access` (the module
 * default), `access`, `id` and `any` (a lone Bearer access token, a lone Bearer ID token, or the
 * pair). `@CurrentUser()` is the synced row in every mode.
 */
describe.each(HTTP_PLATFORMS)('token modes per route (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web' }] });
    t = await createTestApp({ ...idp.moduleOptions(), users: {} }, { imports: [sqliteUsers()], controllers: [ModesController] }, platform);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  describe('id+access (the module default)', () => {
    it("the pair passes and syncs the user with the ID token's claims", async () => {
      const tk = await idp.issueTokens({ sub: 'pair-1', email: 'pair-1@example.test' });
      const res = await request(t.server).get('/modes/pair').set(seedHeaders(tk));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'pair-1', email: 'pair-1@example.test', access: true, id: true, row: expect.any(Number) });
    });

    it('a lone Bearer access token is 401 token_missing naming the ID token', async () => {
      const tk = await idp.issueTokens();
      const res = await request(t.server).get('/modes/pair').set(bearer(tk.accessToken));
      expectRefusal(res, 401, 'token_missing', [tk.accessToken]);
      expect(res.body.message).toMatch(/ID token/);
    });

    it('a lone Bearer ID token is 401 token_missing too (only "any" reads a Bearer ID token)', async () => {
      const tk = await idp.issueTokens();
      expectRefusal(await request(t.server).get('/modes/pair').set(bearer(tk.idToken)), 401, 'token_missing', [tk.idToken]);
    });
  });

  describe("@TokenUse('access')", () => {
    it('a lone Bearer access token passes; the user is synced from the access token (no e-mail in it)', async () => {
      const tk = await idp.issueTokens({ sub: 'acc-1' });
      const res = await request(t.server).get('/modes/access').set(bearer(tk.accessToken));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'acc-1', email: null, access: true, id: false, row: expect.any(Number) });
      expect(await rowsOf(t, 'acc-1')).toBe(1);
    });

    it('the ACCESSTOKEN header works as Bearer does', async () => {
      const tk = await idp.issueTokens({ sub: 'acc-2' });
      expect((await request(t.server).get('/modes/access').set({ ACCESSTOKEN: tk.accessToken })).body).toMatchObject({ sub: 'acc-2' });
    });

    it('an ID token sent as Bearer is 401 token_invalid, error="invalid_token", and syncs nobody', async () => {
      const tk = await idp.issueTokens({ sub: 'acc-id' });
      const res = await request(t.server).get('/modes/access').set(bearer(tk.idToken));
      expectRefusal(res, 401, 'token_invalid', [tk.idToken]);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="cognito", error="invalid_token"');
      expect(await rowsOf(t, 'acc-id')).toBe(0);
    });

    it("an ID token sent along is verified and paired: another user's is 401 token_mismatch", async () => {
      const a = await idp.issueTokens({ sub: 'acc-a', email: 'a@example.test' });
      const b = await idp.issueTokens({ sub: 'acc-b' });
      const ok = await request(t.server)
        .get('/modes/access')
        .set({ ...bearer(a.accessToken), IDTOKEN: a.idToken });
      expect(ok.body).toMatchObject({ sub: 'acc-a', email: 'a@example.test', access: true, id: true });
      const res = await request(t.server)
        .get('/modes/access')
        .set({ ...bearer(a.accessToken), IDTOKEN: b.idToken });
      expectRefusal(res, 401, 'token_mismatch', [a.accessToken, b.idToken]);
    });
  });

  describe("@TokenUse('id')", () => {
    it('the ID token alone (IDTOKEN) passes with its claims', async () => {
      const tk = await idp.issueTokens({ sub: 'id-1', email: 'id-1@example.test' });
      const res = await request(t.server).get('/modes/id').set({ IDTOKEN: tk.idToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'id-1', email: 'id-1@example.test', access: false, id: true, row: expect.any(Number) });
    });

    it('a lone Bearer access token is 401 token_missing naming the ID token', async () => {
      const tk = await idp.issueTokens();
      const res = await request(t.server).get('/modes/id').set(bearer(tk.accessToken));
      expectRefusal(res, 401, 'token_missing', [tk.accessToken]);
      expect(res.body.message).toMatch(/ID token/);
    });
  });

  describe("@TokenUse('any')", () => {
    it('a lone Bearer access token passes as the access token', async () => {
      const tk = await idp.issueTokens({ sub: 'any-a' });
      const res = await request(t.server).get('/modes/any').set(bearer(tk.accessToken));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'any-a', access: true, id: false, email: null });
    });

    it('a lone Bearer ID token passes as the ID token: identity and user row from its claims', async () => {
      const tk = await idp.issueTokens({ sub: 'any-i', email: 'any-i@example.test' });
      const res = await request(t.server).get('/modes/any').set(bearer(tk.idToken));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'any-i', access: false, id: true, email: 'any-i@example.test', row: expect.any(Number) });
      expect(await rowsOf(t, 'any-i')).toBe(1);
    });

    it('a lone ID token in the ACCESSTOKEN header passes as the ID token too', async () => {
      const tk = await idp.issueTokens({ sub: 'any-h' });
      expect((await request(t.server).get('/modes/any').set({ ACCESSTOKEN: tk.idToken })).body).toMatchObject({
        sub: 'any-h',
        id: true,
        access: false,
      });
    });

    it('the pair passes, paired', async () => {
      const a = await idp.issueTokens({ sub: 'any-p' });
      const b = await idp.issueTokens({ sub: 'any-q' });
      expect((await request(t.server).get('/modes/any').set(seedHeaders(a))).body).toMatchObject({ sub: 'any-p', access: true, id: true });
      expectRefusal(
        await request(t.server).get('/modes/any').set({ ACCESSTOKEN: a.accessToken, IDTOKEN: b.idToken }),
        401,
        'token_mismatch',
      );
    });

    it('no token is 401 token_missing; a forged or foreign token is 401 token_invalid', async () => {
      expectRefusal(await request(t.server).get('/modes/any'), 401, 'token_missing');
      const tk = await idp.issueTokens({ idClaims: { token_use: 'access' } }); // an ID token that says it is an access token
      expectRefusal(await request(t.server).get('/modes/any').set(bearer(tk.idToken)), 401, 'token_invalid', [tk.idToken]);
      const [h, , s] = tk.idToken.split('.');
      const tampered = `${h}.${Buffer.from(JSON.stringify({ token_use: 'id', sub: 'x' })).toString('base64url')}.${s}`;
      expectRefusal(await request(t.server).get('/modes/any').set(bearer(tampered)), 401, 'token_invalid', [tampered]);
    });
  });
});
