/**
 * Three app instances behave as one: separate Nest apps (nothing shared in memory, shown below),
 * each on its own port, on one PostgreSQL database, one TestIdentityProvider and the shared Redis
 * (a unique key prefix per run, deleted afterwards). No sleeps: Cognito calls are counted and
 * conditions polled; the revocation delay and the storms' times are measured and printed as
 * `[figure]` lines (read by `npm run bench`), never asserted.
 */
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { JwtValidationService, TokenRefreshService, UserSyncService } from '../../../src/index.js';
import { CognitoRevocationService } from '../../../src/shared-state/cognito-revocation.service.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from '../../../src/shared-state/state-store.interface.js';
import { type IssuedTokens, TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestDatabase, dbAvailable, type TestDatabase } from '../../support/databases.js';
import {
  expectNothingShared,
  IdpFront,
  type Instance,
  type InstanceOptions,
  startInstance,
  startInstances,
} from '../../support/instances.js';
import { dropPrefix, entriesUnder, SHARED_REDIS_URL, TEST_STATE_KEY, testClient, uniquePrefix, until } from '../../support/redis.js';
import { seedHeaders } from '../../support/test-app.js';

const STORM = 300;

/** Fires `count` requests of `path` round-robin over the instances, all at once. */
function storm(instances: readonly Instance[], count: number, path: string, headers: Record<string, string>) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const instance = instances[i % instances.length]!;
      return request(instance.url)
        .get(path)
        .set(headers)
        .then((res) => ({ instance: instance.name, res }));
    }),
  );
}

/**
 * The `[figure]` line of one storm: the time runs from sending the first request to the last
 * answer, and includes holding Cognito's answer until every instance has its refresh in flight.
 */
function printStormFigure(label: string, instances: number, calls: number, answers: readonly { res: { status: number } }[], sent: number) {
  const allAnsweredMs = performance.now() - sent;
  const statuses = new Map<number, number>();
  for (const { res } of answers) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const counted = [...statuses].map(([status, n]) => `${status}×${n}`).join(' ');
  process.stderr.write(
    `[figure] refresh storm (${label}): ${answers.length} requests over ${instances} instances, ${calls} Cognito call(s), ` +
      `statuses ${counted}, all answered in ${allAnsweredMs.toFixed(1)} ms\n`,
  );
}

const closeAll = (instances: readonly Instance[]) => Promise.all(instances.map((i) => i.app.close()));

describe('three instances on shared Redis', () => {
  let idp: TestIdentityProvider;
  let front: IdpFront;
  const prefix = uniquePrefix('three');
  const base = (): InstanceOptions => ({ idp, front, redis: { url: SHARED_REDIS_URL, prefix, stateKey: TEST_STATE_KEY } });

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    front = await IdpFront.start(idp);
  });
  afterAll(async () => {
    await front?.close();
    await idp?.close();
    await dropPrefix(prefix);
  });
  beforeEach(() => idp.resetStats());

  describe.each([
    ['REFRESH_TOKEN_AUTH', false],
    ['refresh-token rotation', true],
  ])('a refresh storm (%s)', (label, rotation) => {
    let instances: Instance[];
    beforeAll(async () => {
      instances = await startInstances(['A', 'B', 'C'], { ...base(), auth: { refreshTokenRotation: rotation } });
    });
    afterAll(() => closeAll(instances));

    it(`${STORM} requests over 3 instances: one Cognito call, all 200, every instance hands out the same pair`, async () => {
      const expired = await idp.issueTokens({ expiresInSeconds: -60 });
      const release = front.hold();
      const sent = performance.now();
      const pending = storm(instances, STORM, '/t/claims', seedHeaders(expired));
      try {
        // Every instance has its refresh in flight (one holds the lock and waits at Cognito, the
        // others wait for its result) before Cognito answers.
        await until(
          () => front.held >= 1 && instances.every((i) => i.get(TokenRefreshService).inFlightRefreshCount === 1),
          'the storm to reach every instance',
        );
      } finally {
        release();
      }
      const answers = await pending;
      // Printed before the assertions, so a miss shows its figures too (`npm run bench` reads this line).
      printStormFigure(label, instances.length, idp.stats.initiateAuth + idp.stats.getTokensFromRefreshToken, answers, sent);

      expect(answers.map((a) => a.res.status)).toEqual(Array(STORM).fill(200));
      expect(idp.stats.initiateAuth + idp.stats.getTokensFromRefreshToken).toBe(1);
      for (const header of rotation ? ['accesstoken', 'idtoken', 'refreshtoken'] : ['accesstoken', 'idtoken']) {
        expect(new Set(answers.map((a) => a.res.headers[header])).size).toBe(1);
      }
      if (!rotation) expect(answers.every((a) => a.res.headers.refreshtoken === undefined)).toBe(true);
      for (const name of ['A', 'B', 'C']) expect(answers.filter((a) => a.instance === name)).toHaveLength(STORM / 3);
    });

    it('the result is kept encrypted, under a hash: nothing of a token in any key or value', async () => {
      const expired = await idp.issueTokens({ expiresInSeconds: -60 });
      const res = await request(instances[0]!.url).get('/t/claims').set(seedHeaders(expired));
      expect(res.status).toBe(200);
      const client = testClient();
      try {
        const entries = await entriesUnder(client, prefix);
        expect(entries.some(([key]) => key.startsWith(`${prefix}refresh:result:`))).toBe(true);
        const secrets = [expired.refreshToken, res.headers.accesstoken as string, res.headers.idtoken as string, expired.sub];
        for (const [key, value] of entries)
          for (const secret of secrets) for (const text of [key, value]) expect(text.includes(secret.slice(0, 24))).toBe(false);
      } finally {
        await client.quit();
      }
    });
  });

  describe('logout, user cache (PostgreSQL)', () => {
    let database: TestDatabase | undefined;
    let instances: Instance[] = [];
    const up = dbAvailable('postgres');

    beforeAll(async () => {
      if (!(await up)) return;
      database = await createTestDatabase('postgres');
      instances = await startInstances(['A', 'B', 'C'], { ...base(), database: { options: database.options, synchronize: true } });
    });
    afterAll(async () => {
      await closeAll(instances);
      await database?.drop();
    });

    it('the instances share nothing in memory: their own services, store and connections', async () => {
      if (!(await up)) return expect(process.env.REQUIRE_DB).not.toBe('1');
      expectNothingShared(instances, [
        TokenRefreshService,
        CognitoRevocationService,
        UserSyncService,
        JwtValidationService,
        COGNITO_STATE_STORE,
      ]);
    });

    it('logout on A: B and C refuse the same tokens, cached ones included; an instance started later refuses them at once', async () => {
      if (!(await up)) return expect(process.env.REQUIRE_DB).not.toBe('1');
      const [a, b, c] = instances as [Instance, Instance, Instance];
      const tokens = await idp.issueTokens({ sub: 'leaver-1' });
      for (const i of instances) expect((await request(i.url).get('/t/me').set(seedHeaders(tokens))).status).toBe(200); // cached everywhere

      const started = performance.now();
      const refusedAt = new Map<string, number>();
      const watch = (i: Instance) =>
        until(async () => {
          const res = await request(i.url).get('/t/me').set(seedHeaders(tokens));
          if (res.status === 200) return false;
          expect(res.status).toBe(401);
          expect(res.body.code).toBe('token_revoked');
          refusedAt.set(i.name, performance.now() - started);
          return true;
        }, `${i.name} to refuse the signed-out tokens`);
      const logout = request(a.url).post('/auth/logout').set(seedHeaders(tokens));
      const [out] = await Promise.all([logout, watch(b), watch(c)]);
      expect(out.status).toBe(204);
      process.stderr.write(
        `[figure] logout on A refused on B after ${refusedAt.get('B')!.toFixed(1)} ms, on C after ${refusedAt.get('C')!.toFixed(1)} ms\n`,
      );

      const d = await startInstance('D', { ...base(), database: { options: database!.options, synchronize: false } });
      try {
        const first = await request(d.url).get('/t/me').set(seedHeaders(tokens));
        expect([first.status, first.body.code]).toEqual([401, 'token_revoked']);
      } finally {
        await d.app.close();
      }
    });

    it('a user row changed through UserSyncService on A is dropped from the caches of B and C', async () => {
      if (!(await up)) return expect(process.env.REQUIRE_DB).not.toBe('1');
      const [a, b, c] = instances as [Instance, Instance, Instance];
      const sub = `mover-${Date.now()}`;
      const before = await idp.issueTokens({ sub, email: 'old@example.test' });
      // Access token alone: no email claim, so B and C answer from their caches and write nothing back.
      const accessOnly = { Authorization: `Bearer ${before.accessToken}` };
      for (const i of instances)
        expect((await request(i.url).get('/s/email').set(seedHeaders(before))).body.email).toBe('old@example.test');
      for (const i of [b, c]) expect((await request(i.url).get('/s/email').set(accessOnly)).body.email).toBe('old@example.test');

      const after: IssuedTokens = await idp.issueTokens({ sub, email: 'new@example.test' });
      expect((await request(a.url).get('/s/email').set(seedHeaders(after))).body.email).toBe('new@example.test');
      for (const i of [b, c]) {
        await until(
          async () => (await request(i.url).get('/s/email').set(accessOnly)).body.email === 'new@example.test',
          `${i.name} to drop its cached row`,
        );
      }
    });

    it('the hot path never touches Redis: 600 requests of cached tokens make no store call', async () => {
      if (!(await up)) return expect(process.env.REQUIRE_DB).not.toBe('1');
      const tokens = await idp.issueTokens({ sub: 'hot-path' });
      for (const i of instances) expect((await request(i.url).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      const calls = { n: 0 };
      const restore = instances.map((i) => countCalls(i.get<CognitoStateStore>(COGNITO_STATE_STORE), calls));
      try {
        const answers = await storm(instances, 600, '/t/me', seedHeaders(tokens));
        expect(answers.every((x) => x.res.status === 200)).toBe(true);
        expect(calls.n).toBe(0);
      } finally {
        restore.forEach((r) => r());
      }
    });
  });
});

/** Counts every call of the store's methods (into `calls.n`); returns a function that restores them. */
function countCalls(store: CognitoStateStore, calls: { n: number }): () => void {
  const target = store as unknown as Record<string, unknown>;
  const methods = ['get', 'set', 'setIfAbsent', 'delete', 'publish', 'subscribe', 'list'] as const;
  const originals = methods.map((m) => [m, target[m]] as const);
  for (const [m, original] of originals) {
    if (typeof original !== 'function') continue;
    target[m] = (...args: unknown[]) => {
      calls.n++;
      return (original as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return () => {
    for (const [m, original] of originals) if (typeof original === 'function') target[m] = original;
  };
}
