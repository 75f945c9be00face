/**
 * CognitoHealthIndicator behind a real @nestjs/terminus `@HealthCheck()` route of a booted app:
 * the test identity provider's JWKS, a real database (SQLite, PostgreSQL, MariaDB when reachable)
 * for user sync, a shared store, and the injected clock for the key set's age.
 */
import net from 'node:net';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  CognitoUser,
  InMemoryStateStore,
  JwtValidationService,
  Public,
  type CognitoAuthForRootOptions,
  type CognitoStateStore,
} from '../../../src/index.js';
import { CognitoHealthIndicator } from '../../../src/health/cognito-health.indicator.js';
import { jwksHealth } from '../../../src/health/health-checks.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { clockModule, ManualClock, waitFor } from '../../support/clock.js';
import { databaseKinds, describeDb, serverAddress, startTcpProxy, throughProxy, type DbContext } from '../../support/databases.js';
import { type PrivateRedis, startPrivateRedis, TEST_STATE_KEY, until } from '../../support/redis.js';
import { createTestApp, ProbeController, seedHeaders, type TestApp, type TestAppExtras } from '../../support/test-app.js';

const HOUR_MS = 3_600_000;
const STATE_KEY = 'k'.repeat(32);

@Public()
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cognito: CognitoHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cognito.isHealthy()]);
  }

  @Get('named')
  @HealthCheck()
  named() {
    return this.health.check([() => this.cognito.isHealthy('auth')]);
  }
}

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A shared store (the in-memory one underneath) whose health the test sets: a `healthy` flag, optionally a `ping()`. */
class ProbedStore implements CognitoStateStore {
  healthy = true;
  ping?: () => Promise<void>;
  private readonly inner = new InMemoryStateStore();
  get = (key: string) => this.inner.get(key);
  set = (key: string, value: string, ttlMs: number) => this.inner.set(key, value, ttlMs);
  setIfAbsent = (key: string, value: string, ttlMs: number) => this.inner.setIfAbsent(key, value, ttlMs);
  delete = (key: string) => this.inner.delete(key);
  publish = (channel: string, message: string) => this.inner.publish(channel, message);
  subscribe = (channel: string, listener: (message: string) => void) => this.inner.subscribe(channel, listener);
}

describe('CognitoHealthIndicator', () => {
  let idp: TestIdentityProvider;
  let clock: ManualClock;
  let startedAt: string;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterAll(() => idp?.close());
  beforeEach(() => {
    clock = new ManualClock(Date.now()); // the tokens' iat and exp are on the real clock
    startedAt = new Date(clock.now()).toISOString();
    idp.jwks.mode = 'ok';
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });

  async function boot(auth: Partial<CognitoAuthForRootOptions> = {}, extra: TestAppExtras = {}): Promise<TestApp> {
    const t = await createTestApp(
      { ...idp.moduleOptions(), users: false, ...auth },
      {
        imports: [TerminusModule.forRoot({ logger: false }), clockModule(clock), ...(extra.imports ?? [])],
        controllers: [HealthController, ProbeController],
        providers: [CognitoHealthIndicator],
      },
    );
    apps.push(t);
    return t;
  }

  it('healthy with the identity provider up: 200, the key count and the age of the key set', async () => {
    const t = await boot();
    clock.advance(90_000);
    const res = await request(t.server).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.cognito).toEqual({
      status: 'up',
      jwks: {
        status: 'up',
        keys: 1,
        fetchedAt: startedAt,
        ageSeconds: 90,
        maxAgeSeconds: 3600,
        stale: false,
        lastError: null,
        lastErrorAt: null,
      },
    });
  });

  it('reports under the key it is given', async () => {
    const t = await boot();
    const res = await request(t.server).get('/health/named');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.info)).toEqual(['auth']);
  });

  it('unhealthy (503) when the JWKS fetch failed and no key set was ever loaded; no URL or secret in the report', async () => {
    const port = await closedPort();
    // Credentials in the URL: fetch refuses it with an error quoting the whole URL, which must not reach the report.
    const jwksUri = `http://health:s3cr3t@127.0.0.1:${port}/pool/.well-known/jwks.json?token=s3cr3t-value`;
    const t = await boot({ jwksUri });
    const res = await request(t.server).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('error');
    expect(res.body.error.cognito).toMatchObject({
      status: 'down',
      jwks: { status: 'down', keys: 0, fetchedAt: null, ageSeconds: null, lastError: expect.any(String), lastErrorAt: startedAt },
    });
    expect(res.text).not.toContain('s3cr3t');
    expect(res.text).not.toContain(String(port));
    expect(res.text).not.toContain('127.0.0.1');
  });

  it("never reports a URL from a fetch error (Node's fetch quotes a URL with credentials in full)", () => {
    // Under Jest a fetch error comes from another realm and is recorded as "unknown error", so the
    // report is shaped here from the status a real Node process records.
    const jwksUri = 'https://health:s3cr3t@idp.example.test/pool/.well-known/jwks.json?key=s3cr3t';
    const status = { keys: 0, fetchedAt: undefined, ageMs: undefined, maxAgeMs: HOUR_MS, lastErrorAt: 0 };
    for (const lastError of [
      `Request cannot be constructed from a URL that includes credentials: ${jwksUri}`,
      'redirected to https://other.example.test/keys?sig=s3cr3t, refused',
    ]) {
      const report = jwksHealth({ ...status, lastError }, jwksUri);
      expect(report.lastError).toMatch(/^(Request cannot be constructed|redirected to)/);
      expect(JSON.stringify(report)).not.toMatch(/s3cr3t|example\.test/);
    }
  });

  it('stays healthy on a stale key set whose refetch fails (stale-if-error), and says so', async () => {
    const t = await boot();
    const jwt = t.app.get(JwtValidationService);
    idp.jwks.mode = 'fail';
    clock.advance(HOUR_MS + 1000); // past max-age: the next token lookup refetches in the background
    const tokens = await idp.issueTokens({ expiresInSeconds: 3 * 3600 });
    expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
    await waitFor(() => jwt.jwksStatus().lastErrorAt !== undefined, 'the failed refetch');
    const res = await request(t.server).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.info.cognito.jwks).toMatchObject({
      status: 'up',
      keys: 1,
      ageSeconds: 3601,
      stale: true,
      lastError: expect.any(String),
    });
    expect(res.text).not.toContain(idp.jwksUri);
  });

  it('reports no database while user sync is off', async () => {
    const t = await boot({ users: false });
    const res = await request(t.server).get('/health');
    expect(res.body.info.cognito).not.toHaveProperty('database');
  });

  describe('shared store', () => {
    it('reports a store that can tell its health; down only narrows sharing, so the check stays up', async () => {
      const store = new ProbedStore();
      const t = await boot({ sharedState: { store, stateKey: STATE_KEY } });
      expect((await request(t.server).get('/health')).body.info.cognito.store).toEqual({ status: 'up' });
      store.healthy = false;
      const res = await request(t.server).get('/health');
      expect(res.status).toBe(200);
      expect(res.body.info.cognito).toMatchObject({ status: 'up', store: { status: 'down', message: 'unreachable' } });
    });

    it('a store down is unhealthy (503) when revocation checks fail closed', async () => {
      const store = new ProbedStore();
      store.healthy = false;
      const t = await boot({ sharedState: { store, stateKey: STATE_KEY, revocationFailClosed: true } });
      const res = await request(t.server).get('/health');
      expect(res.status).toBe(503);
      expect(res.body.error.cognito).toMatchObject({ status: 'down', store: { status: 'down' } });
    });

    it('prefers a round trip (ping) over the flag; a ping that fails or hangs is down', async () => {
      const store = new ProbedStore();
      const t = await boot({ sharedState: { store, stateKey: STATE_KEY, revocationFailClosed: true } });
      const indicator = t.app.get(CognitoHealthIndicator);
      store.ping = () => Promise.reject(new TypeError('connection reset by 10.0.0.7'));
      expect((await indicator.isHealthy()).cognito.store).toEqual({ status: 'down', message: 'TypeError' });
      indicator.timeoutMs = 20;
      store.ping = () => new Promise<void>(() => undefined);
      expect((await indicator.isHealthy()).cognito.store).toEqual({ status: 'down', message: 'timed out' });
      store.ping = () => Promise.resolve();
      expect((await indicator.isHealthy()).cognito).toMatchObject({ status: 'up', store: { status: 'up' } });
    });

    it('does not report the per-process store or a store without a health method', async () => {
      const bare = new ProbedStore() as Partial<ProbedStore>;
      delete bare.healthy;
      const t = await boot({ sharedState: { store: bare as CognitoStateStore, stateKey: STATE_KEY } });
      expect((await request(t.server).get('/health')).body.info.cognito).not.toHaveProperty('store');
      const local = await boot({ sharedState: { store: new InMemoryStateStore() } });
      expect((await request(local.server).get('/health')).body.info.cognito).not.toHaveProperty('store');
    });
  });

  describe('Redis store', () => {
    let redis: PrivateRedis;
    beforeAll(async () => {
      redis = await startPrivateRedis();
    });
    afterAll(() => redis?.stop());

    it('reports it up, down while Redis is stopped (the check stays up: requests still pass), up again once it is back', async () => {
      const t = await boot({ sharedState: { redis: { url: redis.url }, stateKey: TEST_STATE_KEY } });
      const indicator = t.app.get(CognitoHealthIndicator);
      const storeStatus = async () => (await indicator.isHealthy()).cognito.store?.status;
      await until(async () => (await storeStatus()) === 'up', 'the store to be up');
      await redis.stop();
      await until(async () => (await storeStatus()) === 'down', 'the store to be down');
      const res = await request(t.server).get('/health');
      expect(res.status).toBe(200);
      expect(res.body.info.cognito).toMatchObject({ status: 'up', store: { status: 'down' } });
      expect(res.text).not.toContain(String(redis.port));
      await redis.start();
      await until(async () => (await storeStatus()) === 'up', 'the store to be up again');
    });
  });

  for (const kind of databaseKinds()) {
    describeDb(kind, 'user database', (db: DbContext) => {
      const withDatabase = (options = db.database().options) =>
        boot(
          { users: { entity: CognitoUser } },
          {
            imports: [
              TypeOrmModule.forRoot({ ...options, entities: [CognitoUser], synchronize: true, dropSchema: true } as Parameters<
                typeof TypeOrmModule.forRoot
              >[0]),
            ],
          },
        );

      it('healthy with the database up', async () => {
        const t = await withDatabase();
        const res = await request(t.server).get('/health');
        expect(res.status).toBe(200);
        expect(res.body.info.cognito).toMatchObject({ status: 'up', database: { status: 'up' } });
      });

      it('unhealthy (503) once the DataSource is destroyed', async () => {
        const t = await withDatabase();
        await t.app.get(DataSource).destroy();
        const res = await request(t.server).get('/health');
        expect(res.status).toBe(503);
        expect(res.body.error.cognito).toMatchObject({ status: 'down', jwks: { status: 'up' }, database: { status: 'down' } });
      });

      if (kind !== 'sqlite') {
        it('unhealthy (503) while the database server is unreachable, healthy again once it is back', async () => {
          const server = serverAddress(kind);
          let proxy = await startTcpProxy(server.host, server.port);
          try {
            const t = await withDatabase(throughProxy(db.database().options, proxy.port));
            expect((await request(t.server).get('/health')).status).toBe(200);
            await proxy.close(); // open connections reset, new ones refused
            const res = await request(t.server).get('/health');
            expect(res.status).toBe(503);
            expect(res.body.error.cognito.database).toEqual({ status: 'down', message: expect.any(String) });
            expect(res.text).not.toContain(String(proxy.port));
            proxy = await startTcpProxy(server.host, server.port, proxy.port);
            expect((await request(t.server).get('/health')).status).toBe(200);
          } finally {
            await proxy.close();
          }
        });
      }
    });
  }
});
