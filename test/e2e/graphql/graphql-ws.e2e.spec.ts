import { TypeOrmModule } from '@nestjs/typeorm';
import { CognitoUser } from '../../../src/index.js';
import { type IssuedTokens, TestIdentityProvider } from '../../../src/testing/index.js';
import { findLeaks } from '../../support/capture-logger.js';
import { clockModule, ManualClock } from '../../support/clock.js';
import {
  createGraphqlApp,
  deadUrl,
  type GraphqlTestApp,
  openWsClient,
  runSubscription,
  subscribeOnce,
  type SubscriptionOutcome,
} from '../../support/graphql-app.js';

const TICKS = 'subscription { ticks { n sub } }';
const ADMIN_TICKS = 'subscription { adminTicks { n sub } }';

function pairParams(tokens: IssuedTokens): Record<string, string> {
  return { accessToken: tokens.accessToken, idToken: tokens.idToken };
}

function ticksOf(sub: string): { data: { ticks: { n: number; sub: string } } }[] {
  return [1, 2, 3].map((n) => ({ data: { ticks: { n, sub } } }));
}

function expectClosed(outcome: SubscriptionOutcome, code: number, reason: string): void {
  expect(outcome.events).toEqual([]);
  expect(outcome.closed).toEqual({ code, reason });
}

/** What a subscription answers with no `onConnect` installed: the guard runs per subscription. */
describe.each([
  ['guard only', false],
  ['createGraphqlWsOnConnect', true],
] as const)('GraphQL subscriptions over graphql-ws, Apollo (%s)', (_name, onConnect) => {
  let idp: TestIdentityProvider;
  let t: GraphqlTestApp;
  const seen: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createGraphqlApp('apollo', { ...idp.moduleOptions(), cookies: { enabled: true } }, { onConnect });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('no token: the connection is closed with 4401 token_missing', async () => {
    const outcome = await subscribeOnce(t.wsUrl, TICKS);
    expectClosed(outcome, 4401, 'token_missing');
    // With the helper the connection is refused at connect, before any subscription.
    expect(outcome.acknowledged).toBe(!onConnect);
  });

  it('a valid pair in connectionParams: the events, with @CurrentUser() filled', async () => {
    const tokens = await idp.issueTokens({ sub: 'ws-1' });
    const outcome = await subscribeOnce(t.wsUrl, TICKS, { connectionParams: pairParams(tokens) });
    expect(outcome).toMatchObject({ completed: true, acknowledged: true, events: ticksOf('ws-1') });
  });

  it('Authorization: Bearer in connectionParams (also under `headers`), or the pair in the upgrade headers or cookies', async () => {
    const tokens = await idp.issueTokens({ sub: 'ws-2' });
    const bearer = await subscribeOnce(t.wsUrl, TICKS, {
      connectionParams: { Authorization: `Bearer ${tokens.accessToken}`, idToken: tokens.idToken },
    });
    expect(bearer.events).toEqual(ticksOf('ws-2'));
    // Some clients nest them under `headers`, in header case.
    const nested = await subscribeOnce(t.wsUrl, TICKS, {
      connectionParams: { headers: { authorization: `Bearer ${tokens.accessToken}`, IDTOKEN: tokens.idToken } },
    });
    expect(nested.events).toEqual(ticksOf('ws-2'));
    const headers = await subscribeOnce(t.wsUrl, TICKS, { headers: { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken } });
    expect(headers.events).toEqual(ticksOf('ws-2'));
    const cookies = await subscribeOnce(t.wsUrl, TICKS, {
      headers: { Cookie: `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}` },
    });
    expect(cookies.events).toEqual(ticksOf('ws-2'));
  });

  it('connectionParams win over the upgrade request', async () => {
    const alice = await idp.issueTokens({ sub: 'alice' });
    const bob = await idp.issueTokens({ sub: 'bob' });
    const outcome = await subscribeOnce(t.wsUrl, TICKS, {
      connectionParams: pairParams(bob),
      headers: { ACCESSTOKEN: alice.accessToken, IDTOKEN: alice.idToken },
    });
    expect(outcome.events).toEqual(ticksOf('bob'));
  });

  it('a bad token: closed with 4401 token_invalid; a token of the wrong use likewise', async () => {
    const tokens = await idp.issueTokens();
    const forged = `${tokens.accessToken.slice(0, -4)}AAAA`;
    expectClosed(
      await subscribeOnce(t.wsUrl, TICKS, { connectionParams: { accessToken: forged, idToken: tokens.idToken } }),
      4401,
      'token_invalid',
    );
    const wrongUse = await subscribeOnce(t.wsUrl, TICKS, { connectionParams: { accessToken: tokens.idToken, idToken: tokens.idToken } });
    expectClosed(wrongUse, 4401, 'token_invalid');
    seen.push(forged, ...[tokens.accessToken, tokens.idToken]);
  });

  it('an expired pair is closed with 4401 token_expired, refresh token or not: no refresh over a socket', async () => {
    const tokens = await idp.issueTokens({ expiresInSeconds: -120 });
    const before = idp.stats.initiateAuth;
    const outcome = await subscribeOnce(t.wsUrl, TICKS, { connectionParams: { ...pairParams(tokens), refreshToken: tokens.refreshToken } });
    expectClosed(outcome, 4401, 'token_expired');
    const cookies = await subscribeOnce(t.wsUrl, TICKS, {
      headers: { Cookie: `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}; RefreshToken=${tokens.refreshToken}` },
    });
    expectClosed(cookies, 4401, 'token_expired');
    expect(idp.stats.initiateAuth).toBe(before);
    seen.push(tokens.accessToken, tokens.idToken, tokens.refreshToken);
  });

  it('@Groups on a subscription: forbidden_group / 403 for that subscription; the connection stays usable', async () => {
    const staff = await idp.issueTokens({ sub: 'staff-1', groups: ['staff'] });
    const ws = openWsClient(t.wsUrl, { connectionParams: pairParams(staff), eager: true });
    try {
      const refused = await runSubscription(ws.client, ADMIN_TICKS);
      expect(refused.completed).toBe(true);
      expect(refused.events).toHaveLength(1);
      expect(refused.events[0].data ?? null).toBeNull();
      expect(refused.events[0].errors).toEqual([
        expect.objectContaining({ path: ['adminTicks'], extensions: { code: 'forbidden_group', status: 403 } }),
      ]);
      expect((await runSubscription(ws.client, TICKS)).events).toEqual(ticksOf('staff-1'));
    } finally {
      await ws.dispose();
    }
  });

  it('no token or part of one in a close reason, a message or a log', () => {
    expect(seen.length).toBeGreaterThan(0);
    expect(findLeaks(t.logger.lines, seen)).toEqual([]);
  });
});

describe('GraphQL subscriptions: an identity that expires while connected', () => {
  it('is refused on the next subscription: closed with 4401 token_expired', async () => {
    const idp = await TestIdentityProvider.start();
    const clock = new ManualClock(Date.now());
    const t = await createGraphqlApp('apollo', idp.moduleOptions(), { imports: [clockModule(clock)] });
    const tokens = await idp.issueTokens({ sub: 'long-lived', expiresInSeconds: 600 });
    const ws = openWsClient(t.wsUrl, { connectionParams: pairParams(tokens), eager: true });
    try {
      expect((await runSubscription(ws.client, TICKS)).events).toEqual(ticksOf('long-lived'));
      clock.advance(3_600_000);
      expectClosed(await runSubscription(ws.client, TICKS), 4401, 'token_expired');
    } finally {
      await ws.dispose();
      await t.close();
      await idp.close();
    }
  });
});

describe.each([false, true])('GraphQL subscriptions: 4503 and 4403 (onConnect helper: %s)', (onConnect) => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('a dead JWKS: closed with 4503 auth_unavailable', async () => {
    const t = await createGraphqlApp('apollo', { ...idp.moduleOptions(), jwksUri: await deadUrl(), jwksTimeoutMs: 1000 }, { onConnect });
    try {
      const tokens = await idp.issueTokens();
      expectClosed(await subscribeOnce(t.wsUrl, TICKS, { connectionParams: pairParams(tokens) }), 4503, 'auth_unavailable');
      expect(findLeaks(t.logger.lines, [tokens.accessToken, tokens.idToken])).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('a user the app does not know (auto-create off): closed with 4403 user_not_registered', async () => {
    const t = await createGraphqlApp(
      'apollo',
      { ...idp.moduleOptions(), users: { entity: CognitoUser, autoCreate: false } },
      {
        onConnect,
        imports: [TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [CognitoUser], synchronize: true })],
      },
    );
    try {
      const tokens = await idp.issueTokens({ sub: 'stranger' });
      expectClosed(await subscribeOnce(t.wsUrl, TICKS, { connectionParams: pairParams(tokens) }), 4403, 'user_not_registered');
    } finally {
      await t.close();
    }
  });
});

/**
 * Mercurius runs its own subscription server and gives resolvers no socket: a refusal answers the
 * subscription with the GraphQL error, and the connection stays open.
 */
describe('GraphQL subscriptions on Mercurius', () => {
  let idp: TestIdentityProvider;
  let t: GraphqlTestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createGraphqlApp('mercurius', idp.moduleOptions());
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('no token: the subscription is refused with token_missing / 401 in extensions', async () => {
    const outcome = await subscribeOnce(t.wsUrl, TICKS);
    expect(outcome.events).toEqual([]);
    expect(outcome.closed).toBeUndefined();
    expect(outcome.errors).toEqual([expect.objectContaining({ path: ['ticks'], extensions: { code: 'token_missing', status: 401 } })]);
  });

  it('a valid pair in connectionParams or the upgrade headers: the events, with @CurrentUser() filled', async () => {
    const tokens = await idp.issueTokens({ sub: 'merc-1' });
    expect((await subscribeOnce(t.wsUrl, TICKS, { connectionParams: pairParams(tokens) })).events).toEqual(ticksOf('merc-1'));
    const headers = await subscribeOnce(t.wsUrl, TICKS, { headers: { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken } });
    expect(headers.events).toEqual(ticksOf('merc-1'));
  });

  it('a bad token: token_invalid; an expired pair: token_expired, with no refresh even when a refresh token is sent', async () => {
    const tokens = await idp.issueTokens({ expiresInSeconds: -120 });
    const forged = `${tokens.accessToken.slice(0, -4)}AAAA`;
    const bad = await subscribeOnce(t.wsUrl, TICKS, { connectionParams: { accessToken: forged, idToken: tokens.idToken } });
    expect(bad.errors?.[0].extensions).toEqual({ code: 'token_invalid', status: 401 });
    const before = idp.stats.initiateAuth;
    const expired = await subscribeOnce(t.wsUrl, TICKS, {
      headers: { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken, REFRESHTOKEN: tokens.refreshToken },
    });
    expect(expired.errors?.[0].extensions).toEqual({ code: 'token_expired', status: 401 });
    expect(idp.stats.initiateAuth).toBe(before);
    expect(
      findLeaks([JSON.stringify([bad, expired]), ...t.logger.lines], [forged, tokens.accessToken, tokens.idToken, tokens.refreshToken]),
    ).toEqual([]);
  });
});
