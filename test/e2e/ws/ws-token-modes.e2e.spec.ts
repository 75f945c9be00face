import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CurrentUser, TokenUse } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { connected, createWsApp, ProbeGateway, type WsPlatform, type WsTestApp } from '../../support/ws-app.js';

/** The probe gateway plus one message that takes a lone access token (`@TokenUse('access')`). */
@WebSocketGateway()
class ModesGateway extends ProbeGateway {
  @TokenUse('access')
  @SubscribeMessage('access-only')
  accessOnly(@CurrentUser() user: { sub?: string } | undefined): { event: string; data: unknown } {
    return { event: 'access-only', data: { sub: user?.sub ?? null } };
  }
}

/**
 * A connection keeps its outcome per token mode: an identity established for a route that takes
 * a lone access token does not open a route that needs the ID + access pair.
 */
describe.each<[WsPlatform]>([['socket.io'], ['ws']])('WebSocket token modes per message over %s', (platform) => {
  let idp: TestIdentityProvider;
  let t: WsTestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createWsApp(platform, idp.moduleOptions(), { gateway: ModesGateway });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('a lone access token passes an access route, then is refused on a pair route of the same connection', async () => {
    const tokens = await idp.issueTokens({ sub: 'lone' });
    const credentials =
      platform === 'socket.io'
        ? { auth: { accessToken: tokens.accessToken } }
        : { headers: { authorization: `Bearer ${tokens.accessToken}` } };
    const c = await connected(platform, t.url, credentials);
    expect(await c.request('access-only')).toEqual({ event: 'access-only', data: { sub: 'lone' } });
    const refused = await c.request('me');
    expect(JSON.stringify(refused)).toContain('token_missing');
    c.end();
  });
});
