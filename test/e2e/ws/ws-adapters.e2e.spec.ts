import { TestIdentityProvider } from '../../../src/testing/index.js';
import { findLeaks } from '../../support/capture-logger.js';
import {
  closedPort,
  connect,
  connected,
  createWsApp,
  pairCredentials,
  type Credentials,
  type WsPlatform,
  type WsTestApp,
  type WsTestClient,
} from '../../support/ws-app.js';

const PLATFORMS: WsPlatform[] = ['socket.io', 'ws'];

/** What a refusal at connect told the client: socket.io `connect_error` data, or ws's close code and reason. */
interface ConnectRefusal {
  readonly code: string;
  readonly status: number;
  /** Everything the client received, for leak checks. */
  readonly received: readonly string[];
}

/**
 * Connects and expects a refusal at connect: socket.io `connect_error` with `message` and
 * `data: { code, status }`; ws an upgrade that is accepted and then closed with 4000 + status and
 * our code as the reason, before any message.
 */
async function refusedAtConnect(platform: WsPlatform, url: string, credentials: Credentials = {}): Promise<ConnectRefusal> {
  const result = await connect(platform, url, credentials);
  if (platform === 'socket.io') {
    if (result.ok) throw new Error('socket.io connection accepted');
    expect(result.error.message).toEqual(expect.any(String));
    const data = result.error.data as { code: string; status: number };
    return { ...data, received: [JSON.stringify(result.error), ...result.client.received] };
  }
  const closed = await result.client.closed();
  expect(closed.reason).toEqual(expect.any(String));
  return { code: closed.reason, status: (closed.code ?? 0) - 4000, received: result.client.received };
}

describe.each(PLATFORMS)('the Cognito adapter over %s refuses at connect', (platform) => {
  let idp: TestIdentityProvider;
  let t: WsTestApp;
  const clients: WsTestClient[] = [];
  const texts: string[] = [];
  const sent: string[] = [];

  const issue = async (options: Parameters<TestIdentityProvider['issueTokens']>[0] = {}) => {
    const tokens = await idp.issueTokens(options);
    sent.push(tokens.accessToken, tokens.idToken, tokens.refreshToken);
    return tokens;
  };
  const refused = async (credentials: Credentials = {}): Promise<Omit<ConnectRefusal, 'received'>> => {
    const before = t.gateway.connections;
    const { received, ...refusal } = await refusedAtConnect(platform, t.url, credentials);
    texts.push(...received);
    expect(t.gateway.connections).toBe(before); // the gateway never saw the client
    return refusal;
  };

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createWsApp(platform, idp.moduleOptions(), { adapter: 'cognito' });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) {
      texts.push(...c.received);
      c.end();
    }
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('no token: token_missing (401)', async () => {
    expect(await refused()).toEqual({ code: 'token_missing', status: 401 });
  });

  it('a bad token: token_invalid (401)', async () => {
    const tokens = await issue();
    expect(await refused(pairCredentials(platform, { accessToken: 'x.y.z', idToken: tokens.idToken }))).toEqual({
      code: 'token_invalid',
      status: 401,
    });
  });

  it('a token of the wrong use (an ID token as the access token): token_invalid (401)', async () => {
    const tokens = await issue();
    expect(await refused(pairCredentials(platform, { accessToken: tokens.idToken, idToken: tokens.idToken }))).toEqual({
      code: 'token_invalid',
      status: 401,
    });
  });

  it('an expired pair, even with a refresh token: token_expired (401), no refresh attempted', async () => {
    const tokens = await issue({ expiresInSeconds: -600 });
    const credentials = pairCredentials(platform, tokens);
    expect(await refused({ ...credentials, headers: { ...credentials.headers, refreshtoken: tokens.refreshToken } })).toEqual({
      code: 'token_expired',
      status: 401,
    });
    expect(idp.stats.initiateAuth + idp.stats.getTokensFromRefreshToken).toBe(0);
  });

  it('a valid pair: connected, the gateway sees the client, and a message sent at once is answered', async () => {
    const before = t.gateway.connections;
    const tokens = await issue({ sub: 'at-connect' });
    const c = await connected(platform, t.url, pairCredentials(platform, tokens));
    clients.push(c);
    expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'at-connect', username: 'at-connect' } });
    expect(t.gateway.connections).toBe(before + 1);
  });

  it('@Groups still refuses a message with 403 without ending the connection', async () => {
    const c = await connected(platform, t.url, pairCredentials(platform, await issue({ sub: 'no-admin' })));
    clients.push(c);
    expect(await c.request('admin')).toEqual({
      event: 'exception',
      data: { status: 'error', code: 'forbidden_group', message: expect.any(String) },
    });
    expect(await c.request('me')).toMatchObject({ event: 'me', data: { sub: 'no-admin' } });
  });

  it('no token, part of one or message carrying one appears in any payload or log line', () => {
    expect(sent.length).toBeGreaterThan(10);
    expect(findLeaks([...texts, ...t.logger.lines], sent)).toEqual([]);
  });
});

describe.each(PLATFORMS)('the Cognito adapter over %s with a dead JWKS', (platform) => {
  it('refuses at connect with auth_unavailable (503)', async () => {
    const idp = await TestIdentityProvider.start();
    const t = await createWsApp(
      platform,
      { ...idp.moduleOptions(), jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` },
      { adapter: 'cognito' },
    );
    try {
      const tokens = await idp.issueTokens();
      const { received, ...refusal } = await refusedAtConnect(platform, t.url, pairCredentials(platform, tokens));
      expect(refusal).toEqual({ code: 'auth_unavailable', status: 503 });
      expect(t.gateway.connections).toBe(0);
      expect(findLeaks([...received, ...t.logger.lines], [tokens.accessToken, tokens.idToken])).toEqual([]);
    } finally {
      await t.close();
      await idp.close();
    }
  });
});

describe.each(PLATFORMS)("the Cognito adapter over %s with passThroughContexts: ['ws']", (platform) => {
  let idp: TestIdentityProvider;
  let t: WsTestApp;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createWsApp(platform, { ...idp.moduleOptions(), passThroughContexts: ['ws'] }, { adapter: 'cognito' });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('refuses nothing at connect: without a token or with a bad one the client is in, every message public', async () => {
    const tokens = await idp.issueTokens();
    for (const credentials of [{}, pairCredentials(platform, { accessToken: 'x.y.z', idToken: tokens.idToken })]) {
      const c = await connected(platform, t.url, credentials);
      try {
        expect(await c.request('me')).toEqual({ event: 'me', data: { sub: null, username: null } });
        expect(await c.request('admin')).toEqual({ event: 'admin', data: { ok: true } });
      } finally {
        c.end();
      }
    }
  });

  it('a valid pair still gives @CurrentUser()', async () => {
    const c = await connected(platform, t.url, pairCredentials(platform, await idp.issueTokens({ sub: 'through' })));
    try {
      expect(await c.request('me')).toEqual({ event: 'me', data: { sub: 'through', username: 'through' } });
    } finally {
      c.end();
    }
  });
});
