import { readFileSync } from 'node:fs';
import request from 'supertest';
import { TestIdentityProvider, headersOf, testPrincipalHeaders, tokensFor } from '../../../src/testing/index.js';
import { createTestApp, HTTP_PLATFORMS, type TestApp } from '../../support/test-app.js';
import { CallersController, ModesController, PoolsController } from './identity-app.js';

/**
 * `nest-cognito-auth/testing` for an app's own e2e tests: `testPrincipalHeaders` / `tokensFor`
 * give ready headers (or a Cookie header) for a user with any groups or a machine client, from one
 * provider or from one of several pools, and the app under test takes them as it would real ones.
 */
describe.each(HTTP_PLATFORMS)('testing as a principal (%s)', (platform) => {
  let shop: TestIdentityProvider;
  let office: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    shop = await TestIdentityProvider.start({
      userPoolId: 'local_Shop1',
      clients: [{ clientId: 'shop-web' }, { clientId: 'shop-robot', clientSecret: 's' }],
    });
    office = await TestIdentityProvider.start({ userPoolId: 'local_Office1', clients: [{ clientId: 'office-web' }] });
    t = await createTestApp(
      {
        pools: [
          { name: 'customers', ...shop.moduleOptions() },
          { name: 'staff', ...office.moduleOptions() },
        ],
        users: false,
      },
      { controllers: [ModesController, CallersController, PoolsController] },
      platform,
    );
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([shop?.close(), office?.close()]);
  });

  const pools = () => ({ customers: shop, staff: office });

  it('a user with groups and claims, as ACCESSTOKEN + IDTOKEN: accepted in every token mode', async () => {
    const headers = await testPrincipalHeaders(shop, { sub: 'ada', groups: ['admin'], idClaims: { email: 'ada@shop.test' } });
    expect(Object.keys(headers).sort()).toEqual(['ACCESSTOKEN', 'IDTOKEN']);
    for (const mode of ['pair', 'access', 'id', 'any']) {
      const res = await request(t.server).get(`/modes/${mode}`).set(headers);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sub: 'ada', pool: 'customers', groups: ['admin'] });
    }
  });

  it('as Bearer (with IDTOKEN), and as a lone Bearer ID token for an "any" route', async () => {
    const headers = await testPrincipalHeaders(shop, { sub: 'bea' }, { as: 'bearer' });
    expect(headers.Authorization).toMatch(/^Bearer /);
    expect((await request(t.server).get('/modes/access').set(headers)).body).toMatchObject({ sub: 'bea', id: true });
    const tokens = await tokensFor(shop, { sub: 'bea' });
    expect(
      (
        await request(t.server)
          .get('/modes/any')
          .set({ Authorization: `Bearer ${tokens.idToken}` })
      ).body,
    ).toMatchObject({ sub: 'bea', id: true, access: false });
  });

  it('a machine client, as Bearer, with scopes; users-only routes refuse it', async () => {
    const robot = await testPrincipalHeaders(shop, { kind: 'machine', clientId: 'shop-robot', scopes: ['reports/read'] });
    expect(Object.keys(robot)).toEqual(['Authorization']);
    expect((await request(t.server).get('/callers/reports').set(robot)).body).toMatchObject({
      kind: 'machine',
      sub: 'shop-robot',
      pool: 'customers',
    });
    expect((await request(t.server).get('/callers/users').set(robot)).body.code).toBe('forbidden_caller');
  });

  it('from one of several pools, by name', async () => {
    const staff = await tokensFor(pools(), { pool: 'staff', sub: 'otto' });
    expect(staff).toMatchObject({ pool: 'staff', kind: 'user', clientId: 'office-web' });
    expect((await request(t.server).get('/pools/any').set(headersOf(staff))).body).toMatchObject({ sub: 'otto', pool: 'staff' });
    const robot = await tokensFor(pools(), { pool: 'staff', kind: 'machine' });
    expect((await request(t.server).get('/pools/any').set(headersOf(robot))).body).toMatchObject({
      kind: 'machine',
      sub: 'office-web',
      pool: 'staff',
    });
  });

  it('expired tokens with the refresh token: the app refreshes them and hands new ones back', async () => {
    const headers = await testPrincipalHeaders(shop, { sub: 'eve', expiresInSeconds: -60 }, { withRefreshToken: true });
    const res = await request(t.server).get('/modes/pair').set(headers);
    expect(res.status).toBe(200);
    expect(res.headers['accesstoken']).toEqual(expect.any(String));
  });

  it('says what is wrong with a principal it cannot issue', async () => {
    await expect(tokensFor(pools(), { sub: 'x' })).rejects.toThrow(/say which pool \(pools: customers, staff\)/);
    await expect(tokensFor(pools(), { pool: 'warehouse' })).rejects.toThrow(/no provider for the pool "warehouse"/);
    await expect(tokensFor(shop, { kind: 'machine', sub: 'a', clientId: 'b' })).rejects.toThrow(/sub is its client id/);
  });
});

describe('testing as a principal with cookies', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web' }] });
    t = await createTestApp(
      { ...idp.moduleOptions(), users: false, cookies: { enabled: true, secure: false, names: { access: 'At', id: 'It' } } },
      { controllers: [ModesController] },
    );
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it("one Cookie header, with the app's cookie names", async () => {
    const headers = await testPrincipalHeaders(idp, { sub: 'cookie-user' }, { as: 'cookies', cookieNames: { access: 'At', id: 'It' } });
    expect(headers.Cookie).toMatch(/^At=.+; It=.+$/);
    expect((await request(t.server).get('/modes/pair').set(headers)).body).toMatchObject({ sub: 'cookie-user', access: true, id: true });
  });
});

describe('the testing helper loads in CommonJS and ESM tests alike', () => {
  it('imports nothing but node: built-ins, relative modules and types (no jose, no ESM-only package)', () => {
    const source = readFileSync(new URL('../../../src/testing/principal.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)].map((m) => ({
      type: m[1] !== undefined,
      from: m[2],
    }));
    for (const { type, from } of imports) expect(type || from.startsWith('node:') || from.startsWith('./')).toBe(true);
    expect(imports.length).toBeGreaterThan(0);
  });
});
