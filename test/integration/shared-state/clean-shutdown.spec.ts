/**
 * `app.close()` with Redis configured closes every timer, subscriber and client the library
 * opened: the process's active resources (`process.getActiveResourcesInfo()`) come back to what
 * they were before the app started, after requests that opened every kind of thing (both Redis
 * connections, the refresh and online-check subscriptions, the SDK clients' sockets).
 */
import request from 'supertest';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { IdpFront, startInstance } from '../../support/instances.js';
import { dropPrefix, SHARED_REDIS_URL, TEST_STATE_KEY, uniquePrefix, until } from '../../support/redis.js';
import { seedHeaders } from '../../support/test-app.js';

/** Loopback ports of the test's own servers (the identity provider and its front). */
const infraPorts = new Set<number>();

/**
 * Active resources by type, e.g. `{ TCPSocketWrap: 3, Timeout: 1 }`, leaving out the server side
 * of connections to the test's own servers: the JWKS fetch goes through Node's global fetch pool,
 * whose idle keep-alive sockets are unreferenced (they keep nothing alive) and closed by the
 * server's keep-alive timeout; a socket the library left referenced still counts (its client side).
 */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  const handles = (process as unknown as { _getActiveHandles(): Array<{ localPort?: unknown }> })._getActiveHandles();
  const infra = handles.filter((h) => typeof h.localPort === 'number' && infraPorts.has(h.localPort)).length;
  if (infra > 0) counts.set('TCPSocketWrap', (counts.get('TCPSocketWrap') ?? 0) - infra);
  return counts;
}

/** The types with more resources now than in `before` (what is left open). */
function leftOpen(before: Map<string, number>): string[] {
  return [...resources()].filter(([type, n]) => n > (before.get(type) ?? 0)).map(([type, n]) => `${type} +${n - (before.get(type) ?? 0)}`);
}

describe('clean shutdown with Redis configured', () => {
  let idp: TestIdentityProvider;
  let front: IdpFront;
  const prefix = uniquePrefix('shutdown');

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    front = await IdpFront.start(idp);
    for (const url of [idp.endpoint, front.endpoint]) infraPorts.add(Number(new URL(url).port));
  });
  afterAll(async () => {
    await front?.close();
    await idp?.close();
    await dropPrefix(prefix);
  });

  it('app.close() leaves no handle the library opened', async () => {
    // Whatever earlier setup left (Jest's own, the identity provider's server) is the baseline.
    await until(() => leftOpen(resources()).length === 0, 'a quiet start');
    const before = resources();

    const instance = await startInstance('S', {
      idp,
      front,
      redis: { url: SHARED_REDIS_URL, prefix, stateKey: TEST_STATE_KEY, libraryStore: true },
    });
    const tokens = await idp.issueTokens();
    const expired = await idp.issueTokens({ expiresInSeconds: -60 });
    expect((await request(instance.url).get('/t/claims').set(seedHeaders(expired))).status).toBe(200); // refresh: lock, result, subscription
    expect((await request(instance.url).get('/s/fresh').set(seedHeaders(tokens))).status).toBe(200); // GetUser: SDK client, subscription
    expect((await request(instance.url).post('/auth/logout').set(seedHeaders(tokens))).status).toBe(204); // revocation: set, publish
    expect(leftOpen(before).length).toBeGreaterThan(0); // Redis connections, the server, sockets

    await instance.app.close();
    await until(() => leftOpen(before).length === 0, 'every handle to close', 500).catch(() => {
      throw new Error(`Left open after app.close(): ${leftOpen(before).join(', ')}`);
    });
  });
});
