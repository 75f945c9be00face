/**
 * Redis down and back, mid-burst: three instances on a private redis-server (never the shared
 * one) that this spec kills and starts again. Each instance falls back to its own caches with one
 * warning, never answers 500, and recovers by itself; with COGNITO_REVOCATION_FAIL_CLOSED the
 * revocation check answers 503 while Redis is unreachable instead.
 */
import request from 'supertest';
import { COGNITO_STATE_STORE, type CognitoStateStore } from '../../../src/shared-state/state-store.interface.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { IdpFront, type Instance, type InstanceOptions, startInstance, startInstances } from '../../support/instances.js';
import { type PrivateRedis, startPrivateRedis, TEST_STATE_KEY, uniquePrefix, until } from '../../support/redis.js';
import { seedHeaders } from '../../support/test-app.js';

/** One wave of the burst: `perInstance` requests on each instance, all at once. */
async function wave(
  instances: readonly Instance[],
  perInstance: number,
  headers: Record<string, string>,
  path = '/t/me',
): Promise<number[]> {
  const all = instances.flatMap((i) => Array.from({ length: perInstance }, () => request(i.url).get(path).set(headers)));
  return (await Promise.all(all)).map((res) => res.status);
}

/** Requests fired without pause on every instance (4 at a time each) until stopped: the burst Redis dies in. */
function burst(instances: readonly Instance[], headers: Record<string, string>) {
  const statuses: number[] = [];
  let running = true;
  const loops = instances.flatMap((i) =>
    Array.from({ length: 4 }, async () => {
      while (running) statuses.push((await request(i.url).get('/t/me').set(headers)).status);
    }),
  );
  return {
    statuses,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

const healthy = (i: Instance): boolean => i.get<CognitoStateStore>(COGNITO_STATE_STORE).healthy === true;
/** What the instances logged (each line reaches one of their loggers: Nest's static logger is process-wide). */
const logLines = (instances: readonly Instance[]): string[] => instances.flatMap((i) => i.app.logger.lines);

describe('Redis down and back (a private redis-server)', () => {
  let idp: TestIdentityProvider;
  let front: IdpFront;
  let redis: PrivateRedis;
  const options = (): InstanceOptions => ({
    idp,
    front,
    redis: { url: redis.url, prefix: uniquePrefix('outage'), stateKey: TEST_STATE_KEY },
  });

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    front = await IdpFront.start(idp);
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    await front?.close();
    await idp?.close();
  });

  it('mid-burst: never a 500, one warning per instance, per-process fallback, and shared state again once Redis is back', async () => {
    const prefixOptions = options();
    const instances = await startInstances(['A', 'B', 'C'], prefixOptions);
    try {
      await until(() => instances.every(healthy), 'every instance connected');
      const tokens = await idp.issueTokens({ sub: 'steady' });
      expect(await wave(instances, 30, seedHeaders(tokens))).toEqual(Array(90).fill(200));

      const load = burst(instances, seedHeaders(tokens));
      await until(() => load.statuses.length >= 50, 'the burst to run');
      await redis.stop();
      await until(() => instances.every((i) => !healthy(i)), 'every instance to notice the outage');
      const beforeRestart = load.statuses.length;
      const during = wave(instances, 30, seedHeaders(tokens));
      // Refreshes fall back to each instance's own single-flight: at most one call per instance.
      idp.resetStats();
      const expired = await idp.issueTokens({ sub: 'refresher', expiresInSeconds: -60 });
      const refreshed = await wave(instances, 10, seedHeaders(expired), '/t/claims');
      // A logout during the outage holds on the instance that made it.
      const leaver = await idp.issueTokens({ sub: 'leaver-during-outage' });
      expect((await request(instances[0]!.url).post('/auth/logout').set(seedHeaders(leaver))).status).toBe(204);
      expect((await request(instances[0]!.url).get('/t/me').set(seedHeaders(leaver))).body.code).toBe('token_revoked');
      expect(await during).toEqual(Array(90).fill(200));
      expect(refreshed).toEqual(Array(30).fill(200));
      expect(idp.stats.initiateAuth).toBeGreaterThanOrEqual(1);
      expect(idp.stats.initiateAuth).toBeLessThanOrEqual(3);
      const warnings = logLines(instances).filter((l) => l.startsWith('warn') && l.includes('State store unreachable'));
      expect(warnings).toHaveLength(3);

      await redis.start();
      await until(() => instances.every(healthy), 'every instance to reconnect', 3000);
      await until(() => load.statuses.length >= beforeRestart + 50, 'the burst to go on after the restart');
      const burstStatuses = await load.stop();
      expect(burstStatuses.filter((status) => status !== 200)).toEqual([]);
      expect(await wave(instances, 30, seedHeaders(tokens))).toEqual(Array(90).fill(200));
      // The logout made during the outage reaches the others once Redis is back...
      for (const i of instances.slice(1)) {
        await until(
          async () => (await request(i.url).get('/t/me').set(seedHeaders(leaver))).status === 401,
          `${i.name} to learn the outage's logout`,
        );
      }
      // ...and a new one travels at once again.
      const later = await idp.issueTokens({ sub: 'leaver-after' });
      expect(await wave(instances, 1, seedHeaders(later))).toEqual([200, 200, 200]);
      expect((await request(instances[1]!.url).post('/auth/logout').set(seedHeaders(later))).status).toBe(204);
      for (const i of [instances[0]!, instances[2]!]) {
        await until(async () => (await request(i.url).get('/t/me').set(seedHeaders(later))).status === 401, `${i.name} to refuse`);
      }
      expect(logLines(instances).filter((l) => l.includes('reachable again'))).toHaveLength(3);
      expect(logLines(instances).filter((l) => l.startsWith('error') || / 500 /.test(l))).toEqual([]);
    } finally {
      await Promise.all(instances.map((i) => i.app.close()));
    }
  });

  it('COGNITO_REVOCATION_FAIL_CLOSED=true: 503 auth_unavailable while Redis is unreachable, 200 again once it is back', async () => {
    const instance = await startInstance('F', { ...options(), auth: { sharedState: { revocationFailClosed: true } } });
    try {
      await until(() => healthy(instance), 'connected');
      const tokens = await idp.issueTokens({ sub: 'strict' });
      expect((await request(instance.url).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      await redis.stop();
      await until(
        async () => (await request(instance.url).get('/t/me').set(seedHeaders(tokens))).status === 503,
        'the check to fail closed',
      );
      const refused = await request(instance.url).get('/t/me').set(seedHeaders(tokens));
      expect(refused.body.code).toBe('auth_unavailable');
      expect(refused.headers['retry-after']).toBe('5');
      await redis.start();
      await until(async () => (await request(instance.url).get('/t/me').set(seedHeaders(tokens))).status === 200, 'recovery', 3000);
    } finally {
      await instance.app.close();
    }
  });
});
