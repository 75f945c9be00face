import { TestIdentityProvider } from '../../../src/testing/index.js';
import { ManualClock } from '../../unit/tokens/tokens.fixtures.js';
import { clockModule, closedPort, connected, createWsApp, ownPortGateway, pairCredentials, type WsTestApp } from '../../support/ws-app.js';

const exception = (code: string): unknown => ({ event: 'exception', data: { status: 'error', code, message: expect.any(String) } });

/** `ws` specifics: gateways on a port of their own, and messages sent while a connection is being authenticated. */
describe('ws gateways on a port of their own', () => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterAll(async () => {
    await idp?.close();
  });

  it("with Nest's WsAdapter the upgrade request cannot be seen: refused with token_missing (closed by default)", async () => {
    const port = await closedPort();
    const t = await createWsApp('ws', idp.moduleOptions(), { gateway: ownPortGateway(port) });
    try {
      const c = await connected('ws', `ws://127.0.0.1:${port}/`, pairCredentials('ws', await idp.issueTokens()));
      expect(await c.request('me')).toEqual(exception('token_missing'));
      expect(await c.closed()).toEqual({ code: 4401, reason: 'token_missing' });
    } finally {
      await t.close();
    }
  });

  it('with CognitoWsAdapter: authenticated at connect, and the first message after expiry is token_expired', async () => {
    const port = await closedPort();
    const clock = new ManualClock(Date.now());
    const t: WsTestApp = await createWsApp('ws', idp.moduleOptions(), {
      adapter: 'cognito',
      gateway: ownPortGateway(port),
      imports: [clockModule(clock.now)],
    });
    try {
      const tokens = await idp.issueTokens({ sub: 'own-port', now: clock.seconds, expiresInSeconds: 60 });
      const c = await connected('ws', `ws://127.0.0.1:${port}/`, pairCredentials('ws', tokens));
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'own-port', username: 'own-port' } });
      clock.advance(120_000);
      expect(await c.request('me')).toEqual(exception('token_expired'));
      expect(await c.closed()).toEqual({ code: 4401, reason: 'token_expired' });
    } finally {
      await t.close();
    }
  });
});

describe('CognitoWsAdapter while a connection is being authenticated', () => {
  it('holds a message sent at once until the gateway can answer it, instead of dropping it', async () => {
    const idp = await TestIdentityProvider.start();
    // A key the app has not seen yet, served slowly: authenticating the connection waits for the JWKS.
    const t = await createWsApp('ws', { ...idp.moduleOptions(), jwksRefetchCooldownMs: 0 }, { adapter: 'cognito' });
    try {
      const key = await idp.createKey();
      idp.publishKey(key);
      idp.jwks.delayMs = 500;
      const tokens = await idp.issueTokens({ sub: 'early', key });
      const c = await connected('ws', t.url, pairCredentials('ws', tokens));
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'early', username: 'early' } });
      expect(t.gateway.connections).toBe(1);
    } finally {
      await t.close();
      await idp.close();
    }
  });
});
