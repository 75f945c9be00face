import WebSocket from 'ws';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestApp } from '../../support/test-app.js';
import { findLeaks } from '../../support/capture-logger.js';
import {
  closedPort,
  connected,
  createWsApp,
  pairCredentials,
  type Closed,
  type Credentials,
  type WsPlatform,
  type WsTestApp,
  type WsTestClient,
  within,
} from '../../support/ws-app.js';

const PLATFORMS: WsPlatform[] = ['socket.io', 'ws'];

/** How a connection whose identity is refused (401, 403, 503) must end on each platform. */
function endedFor(platform: WsPlatform, status: 401 | 403 | 503, code: string): Closed {
  return platform === 'socket.io' ? { reason: 'io server disconnect' } : { code: 4000 + status, reason: code };
}

const exception = (code: string): unknown => ({ event: 'exception', data: { status: 'error', code, message: expect.any(String) } });

/** Gateways with no Cognito adapter installed: the guard checks each message against the handshake. */
describe.each(PLATFORMS)('WebSocket gateway over %s, guard per message', (platform) => {
  let idp: TestIdentityProvider;
  let t: WsTestApp;
  const clients: WsTestClient[] = [];
  const sent: string[] = [];

  const open = async (credentials: Credentials = {}): Promise<WsTestClient> => {
    const client = await connected(platform, t.url, credentials);
    clients.push(client);
    return client;
  };
  const issue = async (options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) => {
    const tokens = await idp.issueTokens(options);
    sent.push(tokens.accessToken, tokens.idToken, tokens.refreshToken);
    return tokens;
  };

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }] });
    t = await createWsApp(platform, idp.moduleOptions());
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.end();
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('refuses a message without a token with token_missing, then ends the connection', async () => {
    const c = await open();
    expect(await c.request('me')).toEqual(exception('token_missing'));
    expect(await c.closed()).toEqual(endedFor(platform, 401, 'token_missing'));
  });

  it('answers a message with @CurrentUser() and @CognitoClaims() filled from a valid handshake', async () => {
    const tokens = await issue({ sub: 'ws-user', username: 'alice' });
    const c = await open(pairCredentials(platform, tokens));
    expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-user', username: 'alice' } });
    expect(await c.request('claims')).toEqual({ event: 'claims', data: { access: 'ws-user', id: 'ws-user' } });
  });

  it('reads the seed headers (ACCESSTOKEN, IDTOKEN) of the handshake too', async () => {
    const tokens = await issue({ sub: 'ws-headers' });
    const c = await open({ headers: { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken } });
    expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-headers', username: 'ws-headers' } });
  });

  it('@Public(): anonymous without a token, the caller with a valid one, anonymous with a bad one', async () => {
    const tokens = await issue({ sub: 'ws-pub' });
    const anonymous = await open();
    expect(await anonymous.request('open')).toEqual({ event: 'open', data: { user: null } });
    const known = await open(pairCredentials(platform, tokens));
    expect(await known.request('open')).toEqual({ event: 'open', data: { user: 'ws-pub' } });
    const bad = await open(pairCredentials(platform, { accessToken: 'x.y.z', idToken: tokens.idToken }));
    expect(await bad.request('open')).toEqual({ event: 'open', data: { user: null } });
  });

  it('@Groups: 403 forbidden_group refuses that message only; the connection stays', async () => {
    const staff = await issue({ sub: 'ws-staff', groups: ['staff'] });
    const c = await open(pairCredentials(platform, staff));
    expect(await c.request('admin')).toEqual(exception('forbidden_group'));
    expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-staff', username: 'ws-staff' } });
    const admin = await open(pairCredentials(platform, await issue({ groups: ['admin'] })));
    expect(await admin.request('admin')).toEqual({ event: 'admin', data: { ok: true } });
  });

  it('a bad token: token_invalid, then the connection ends', async () => {
    const tokens = await issue();
    const forged = `${tokens.accessToken.slice(0, -4)}AAAA`;
    const c = await open(pairCredentials(platform, { accessToken: forged, idToken: tokens.idToken }));
    expect(await c.request('me')).toEqual(exception('token_invalid'));
    expect(await c.closed()).toEqual(endedFor(platform, 401, 'token_invalid'));
  });

  it('a token of the wrong use (an ID token as the access token): token_invalid', async () => {
    const tokens = await issue();
    const c = await open(pairCredentials(platform, { accessToken: tokens.idToken, idToken: tokens.idToken }));
    expect(await c.request('me')).toEqual(exception('token_invalid'));
    expect(await c.closed()).toEqual(endedFor(platform, 401, 'token_invalid'));
  });

  it('one token of the pair missing: token_missing', async () => {
    const tokens = await issue();
    const credentials =
      platform === 'socket.io' ? { auth: { accessToken: tokens.accessToken } } : { headers: { accesstoken: tokens.accessToken } };
    const c = await open(credentials);
    expect(await c.request('me')).toEqual(exception('token_missing'));
    expect(await c.closed()).toEqual(endedFor(platform, 401, 'token_missing'));
  });

  it.each([
    ['without', false],
    ['with', true],
  ])('an expired pair %s a refresh token: token_expired (no refresh over a socket)', async (_label, withRefresh) => {
    const tokens = await issue({ expiresInSeconds: -600 });
    const credentials = pairCredentials(platform, tokens);
    const headers = withRefresh ? { ...credentials.headers, refreshtoken: tokens.refreshToken } : credentials.headers;
    const c = await open({ ...credentials, headers });
    expect(await c.request('me')).toEqual(exception('token_expired'));
    expect(await c.closed()).toEqual(endedFor(platform, 401, 'token_expired'));
    expect(idp.stats.initiateAuth + idp.stats.getTokensFromRefreshToken).toBe(0);
  });

  it('no token, part of one or message carrying one appears in any payload or log line', () => {
    const texts = [...t.logger.lines, ...clients.flatMap((c) => c.received)];
    expect(sent.length).toBeGreaterThan(10);
    expect(findLeaks(texts, sent)).toEqual([]);
  });
});

describe.each(PLATFORMS)('WebSocket gateway over %s: handshake sources and a dead JWKS', (platform) => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('reads the token cookies of the handshake when cookies are on', async () => {
    const t = await createWsApp(platform, { ...idp.moduleOptions(), cookies: { enabled: true } });
    try {
      const tokens = await idp.issueTokens({ sub: 'ws-cookie' });
      const c = await connected(platform, t.url, { headers: { cookie: `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}` } });
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-cookie', username: 'ws-cookie' } });
      c.end();
    } finally {
      await t.close();
    }
  });

  it('ignores the token cookies when cookies are off', async () => {
    const t = await createWsApp(platform, idp.moduleOptions());
    try {
      const tokens = await idp.issueTokens();
      const c = await connected(platform, t.url, { headers: { cookie: `AccessToken=${tokens.accessToken}; IdToken=${tokens.idToken}` } });
      expect(await c.request('me')).toEqual(exception('token_missing'));
      c.end();
    } finally {
      await t.close();
    }
  });

  it('a dead JWKS: auth_unavailable, then the connection ends (ws: 4503)', async () => {
    const t = await createWsApp(platform, { ...idp.moduleOptions(), jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` });
    try {
      const tokens = await idp.issueTokens();
      const c = await connected(platform, t.url, pairCredentials(platform, tokens));
      expect(await c.request('me')).toEqual(exception('auth_unavailable'));
      expect(await c.closed()).toEqual(endedFor(platform, 503, 'auth_unavailable'));
      expect(findLeaks([...t.logger.lines, ...c.received], [tokens.accessToken, tokens.idToken])).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

const VALIDATE_CASES = PLATFORMS.flatMap((platform) => (['nest', 'cognito'] as const).map((adapter) => [platform, adapter] as const));

describe.each(VALIDATE_CASES)("WebSocket gateway over %s (%s adapter): the app's validate hook", (platform, adapter) => {
  let idp: TestIdentityProvider;
  let t: WsTestApp;
  const seen: { contextType: string; sub: unknown; handler: string | undefined }[] = [];
  const judged = (sub: string, handler: string): number => seen.filter((s) => s.sub === sub && s.handler === handler).length;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createWsApp(
      platform,
      {
        ...idp.moduleOptions(),
        validate: (tokens, info) => {
          const sub = tokens.access?.sub;
          seen.push({ contextType: info.contextType, sub, handler: info.handler?.name });
          return sub !== 'ws-refused' && !(sub === 'ws-no-claims' && info.handler?.name === 'claims');
        },
      },
      { adapter },
    );
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('answers false: 403 forbidden_claims for the message, then the connection ends (ws: 4403), as the identity is refused', async () => {
    const c = await connected(platform, t.url, pairCredentials(platform, await idp.issueTokens({ sub: 'ws-refused' })));
    try {
      expect(await c.request('me')).toEqual(exception('forbidden_claims'));
      expect(await c.closed()).toEqual(endedFor(platform, 403, 'forbidden_claims'));
      expect(seen).toContainEqual({ contextType: 'ws', sub: 'ws-refused', handler: 'me' });
    } finally {
      c.end();
    }
  });

  it('answers true: the message is answered and the connection stays', async () => {
    const c = await connected(platform, t.url, pairCredentials(platform, await idp.issueTokens({ sub: 'ws-accepted' })));
    try {
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-accepted', username: 'ws-accepted' } });
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-accepted', username: 'ws-accepted' } });
    } finally {
      c.end();
    }
  });

  it("runs for every message, with that message's handler: a verdict for one message is not reused for the next", async () => {
    const c = await connected(platform, t.url, pairCredentials(platform, await idp.issueTokens({ sub: 'ws-no-claims' })));
    try {
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-no-claims', username: 'ws-no-claims' } });
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'ws-no-claims', username: 'ws-no-claims' } });
      expect(judged('ws-no-claims', 'me')).toBe(2);
      expect(await c.request('claims')).toEqual(exception('forbidden_claims'));
      expect(judged('ws-no-claims', 'claims')).toBe(1);
      expect(await c.closed()).toEqual(endedFor(platform, 403, 'forbidden_claims'));
    } finally {
      c.end();
    }
  });
});

describe('an app without WebSockets', () => {
  it('still answers an upgrade request as a plain request (the library adds no upgrade handling of its own)', async () => {
    const idp = await TestIdentityProvider.start();
    const t = await createTestApp(idp.moduleOptions());
    try {
      await t.app.listen(0, '127.0.0.1');
      const { port } = t.server.address() as { port: number };
      const ws = new WebSocket(`ws://127.0.0.1:${port}/t/open`);
      ws.on('error', () => undefined); // terminating after an unexpected response reports one
      try {
        const status = await within(
          new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))),
          'the answer to the upgrade request',
        );
        expect(status).toBe(200);
      } finally {
        ws.terminate(); // a request left hanging would keep the server from closing
      }
    } finally {
      await t.close();
      await idp.close();
    }
  });
});
