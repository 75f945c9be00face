import request from 'supertest';
import { TestIdentityProvider, testPrincipalHeaders, tokensFor } from '../../../src/testing/index.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';
import { CallersController, expectRefusal, rowsOf, sqliteUsers } from './identity-app.js';

/**
 * Machine callers (client-credentials access tokens: no `username`, `sub` = `client_id`) over real
 * HTTP, with user sync on SQLite: users only by default (403 `forbidden_caller`), `@AllowMachines`,
 * `@MachinesOnly`, `@Scopes` on machines, and never a user row for a machine.
 */
describe.each(HTTP_PLATFORMS)('machine callers (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web' }, { clientId: 'robot', clientSecret: 'robot-secret' }] });
    t = await createTestApp(
      { ...idp.moduleOptions(), users: {} },
      { imports: [sqliteUsers()], controllers: [CallersController] },
      platform,
    );
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  /** A machine token the way a client gets one: `POST /oauth2/token` with `grant_type=client_credentials`. */
  async function clientCredentials(scope: string): Promise<string> {
    const res = await fetch(`${idp.endpoint}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('robot:robot-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('a route for users (the default) refuses a machine with 403 forbidden_caller, and creates no row', async () => {
    const token = await clientCredentials('reports/read');
    const res = await request(t.server)
      .get('/callers/users')
      .set({ Authorization: `Bearer ${token}` });
    expectRefusal(res, 403, 'forbidden_caller', [token]);
    expect(await rowsOf(t, 'robot')).toBe(0);
    const user = await idp.issueTokens({ sub: 'u-users' });
    expect((await request(t.server).get('/callers/users').set(seedHeaders(user))).body).toMatchObject({
      sub: 'u-users',
      kind: null,
      row: expect.any(Number),
    });
  });

  it('@AllowMachines: a machine is a principal of kind machine with its client id; never a user row', async () => {
    const token = await clientCredentials('reports/read');
    const res = await request(t.server)
      .get('/callers/both')
      .set({ Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sub: 'robot',
      kind: 'machine',
      pool: 'default',
      email: null,
      groups: [],
      row: null,
      access: true,
      id: false,
    });
    expect(await rowsOf(t, 'robot')).toBe(0);
    const user = await idp.issueTokens({ sub: 'u-both' });
    expect((await request(t.server).get('/callers/both').set(seedHeaders(user))).body).toMatchObject({
      sub: 'u-both',
      row: expect.any(Number),
    });
  });

  it('@MachinesOnly: a machine passes, a user is 403 forbidden_caller (by Bearer, by the pair, by a lone ID token)', async () => {
    const machine = await testPrincipalHeaders(idp, { kind: 'machine', clientId: 'robot' });
    expect((await request(t.server).get('/callers/machines').set(machine)).body).toMatchObject({ sub: 'robot', kind: 'machine' });
    const user = await idp.issueTokens({ sub: 'u-machines' });
    for (const headers of [
      seedHeaders(user),
      { Authorization: `Bearer ${user.accessToken}` },
      { Authorization: `Bearer ${user.idToken}` },
    ]) {
      expectRefusal(await request(t.server).get('/callers/machines').set(headers), 403, 'forbidden_caller', [
        user.accessToken,
        user.idToken,
      ]);
    }
  });

  it('@Scopes applies to machines: 200 with the scope, 403 forbidden_scope without', async () => {
    const reader = await clientCredentials('reports/read');
    expect(
      (
        await request(t.server)
          .get('/callers/reports')
          .set({ Authorization: `Bearer ${reader}` })
      ).status,
    ).toBe(200);
    const other = await clientCredentials('reports/write');
    expectRefusal(
      await request(t.server)
        .get('/callers/reports')
        .set({ Authorization: `Bearer ${other}` }),
      403,
      'forbidden_scope',
      [other],
    );
  });

  it('a token with no username whose sub is not its client is a user, not a machine', async () => {
    const odd = await tokensFor(idp, { sub: 'not-robot', clientId: 'web', accessClaims: { username: undefined } });
    expectRefusal(
      await request(t.server)
        .get('/callers/machines')
        .set({ Authorization: `Bearer ${odd.accessToken}` }),
      403,
      'forbidden_caller',
    );
  });
});
