import { jest } from '@jest/globals';
import { CognitoAuthenticator } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { ManualClock } from '../../unit/tokens/tokens.fixtures.js';
import { findLeaks } from '../../support/capture-logger.js';
import {
  type AdapterKind,
  clockModule,
  connected,
  createWsApp,
  pairCredentials,
  type WsPlatform,
  type WsTestApp,
} from '../../support/ws-app.js';

const CASES: [WsPlatform, AdapterKind][] = [
  ['socket.io', 'nest'],
  ['ws', 'nest'],
  ['socket.io', 'cognito'],
  ['ws', 'cognito'],
];

/**
 * A connection keeps its identity until the tokens expire: each message is checked against it, and
 * the first message after `exp` (plus the clock tolerance) is refused and ends the connection.
 * Time moves on an injected clock, never by waiting.
 */
describe.each(CASES)('WebSocket identity expiry over %s with the %s adapter', (platform, adapter) => {
  let idp: TestIdentityProvider;
  let clock: ManualClock;
  let t: WsTestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    clock = new ManualClock(Date.now());
    t = await createWsApp(platform, idp.moduleOptions(), { adapter, imports: [clockModule(clock.now)] });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('authenticates once per connection, not once per message', async () => {
    const spy = jest.spyOn(t.app.get(CognitoAuthenticator), 'authenticateNow');
    try {
      const tokens = await idp.issueTokens({ sub: 'once', now: clock.seconds });
      const c = await connected(platform, t.url, pairCredentials(platform, tokens));
      for (let i = 0; i < 3; i++) expect(await c.request('me')).toMatchObject({ event: 'me', data: { sub: 'once' } });
      expect(spy).toHaveBeenCalledTimes(1);
      c.end();
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses the first message after expiry with token_expired and ends the connection', async () => {
    const tokens = await idp.issueTokens({ sub: 'expiring', now: clock.seconds, expiresInSeconds: 60 });
    const c = await connected(platform, t.url, pairCredentials(platform, tokens));
    expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'expiring', username: 'expiring' } });
    clock.advance(60_000);
    expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'expiring', username: 'expiring' } }); // within the 5 s tolerance
    clock.advance(6_000);
    expect(await c.request('me')).toEqual({
      event: 'exception',
      data: { status: 'error', code: 'token_expired', message: expect.any(String) },
    });
    expect(await c.closed()).toEqual(
      platform === 'socket.io' ? { reason: 'io server disconnect' } : { code: 4401, reason: 'token_expired' },
    );
    expect(findLeaks([...t.logger.lines, ...c.received], [tokens.accessToken, tokens.idToken])).toEqual([]);
  });
});
