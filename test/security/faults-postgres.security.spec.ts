import { TypeOrmModule } from '@nestjs/typeorm';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { UserSyncService } from '../../src/index.js';
import { TestIdentityProvider, type IssuedTokens } from '../../src/testing/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { codeOf, answerTexts, Tally } from './support/tally.js';
import { privatePostgresSupport, type PrivatePostgres, startPrivatePostgres } from './support/private-postgres.js';
import { listen, pool, WireClient } from './support/wire.js';

/**
 * PostgreSQL stopped (`pg_ctl stop -m immediate`) in the middle of a burst of first logins, then
 * started again. A private server (test/security/support/private-postgres.ts): the shared one on
 * 5432 is never touched. Every request gets 200 or 503 auth_unavailable with Retry-After (an
 * answer at all: without the user-sync query bound a request on a dead connection would hang);
 * after the restart every user logs in, each within a bounded number of attempts; in the table:
 * exactly one row per user (no duplicate), every row complete (no half row), and every row a 200
 * of the burst named is still there with the same id. The server is stopped after the 150th
 * answer (an event, not a time), and no timing is asserted.
 */
@Entity('burst_users')
class BurstUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 255, unique: true }) sub!: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) email!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) first_name!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) last_name!: string | null;
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}
const pgModule = ((await import('pg' as string)) as { default: { Client: new (config: Record<string, unknown>) => PgClient } }).default;

const tally = new Tally('faults: PostgreSQL stopped mid-burst', import.meta.url);
const USERS = 300;
const support = privatePostgresSupport();
const describeIfPg = 'bin' in support || process.env.REQUIRE_DB === '1' ? describe : describe.skip;

describeIfPg(`faults: PostgreSQL stopped during a burst of first logins ${'reason' in support ? `(${support.reason})` : ''}`, () => {
  let idp: TestIdentityProvider;
  let pg: PrivatePostgres;
  let t: TestApp;
  let client: WireClient;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    pg = await startPrivatePostgres();
    t = await createTestApp(
      {
        ...idp.moduleOptions(),
        users: {
          entity: BurstUser,
          fieldMapping: { sub: 'sub', email: 'email', first_name: 'custom:first_name', last_name: 'custom:last_name' },
        },
      },
      {
        imports: [
          TypeOrmModule.forRoot({
            type: 'postgres',
            host: '127.0.0.1',
            port: pg.port,
            username: 'postgres',
            database: 'postgres',
            entities: [BurstUser],
            synchronize: true,
            poolSize: 5,
            connectTimeoutMS: 2000,
            extra: { statement_timeout: 5000, query_timeout: 8000 },
          }),
        ],
      },
    );
    client = new WireClient(await listen(t.app));
  }, 60_000);

  afterAll(async () => {
    tally.save();
    client?.close();
    await t?.close().catch(() => undefined);
    await pg?.destroy();
    await idp?.close();
  });

  async function query(sql: string): Promise<Record<string, unknown>[]> {
    const c = new pgModule.Client({
      host: '127.0.0.1',
      port: pg.port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 3000,
    });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  }

  it(`${USERS} new users (2 concurrent first requests each), the server killed mid-burst: 200 or 503, then recovery, one complete row each`, async () => {
    const users: IssuedTokens[] = await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        idp.issueTokens({
          sub: `burst-${i}`,
          email: `burst-${i}@example.test`,
          idClaims: { 'custom:first_name': `First${i}`, 'custom:last_name': `Last${i}` },
        }),
      ),
    );
    const sent = users.flatMap((u) => [u.accessToken, u.idToken]);
    const requests = users.flatMap((u, i) => [i, i]).sort((a, b) => ((a * 7919) % USERS) - ((b * 7919) % USERS));
    let answered = 0;
    let stopped: Promise<number> | undefined;
    const burst200 = new Map<string, number>();
    const answers = await pool(requests, 24, async (i) => {
      const u = users[i];
      const res = await client.send({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: u.accessToken, IDTOKEN: u.idToken } });
      if (++answered === 150) stopped = pg.stop().then(() => answered);
      let body: { id?: number; sub?: string } = {};
      try {
        body = JSON.parse(res.body) as typeof body;
      } catch {
        // checked below
      }
      const ok200 = res.status === 200 && body.sub === u.sub && typeof body.id === 'number';
      const ok503 = res.status === 503 && codeOf(res.body) === 'auth_unavailable' && res.headers['retry-after'] === '5';
      if (ok200) burst200.set(u.sub, body.id!);
      tally.leaks(answerTexts(res.body, res.headers), [u.accessToken, u.idToken]);
      tally.record({
        status: res.status,
        code: codeOf(res.body),
        matched: ok200 || ok503,
        success: ok200,
        expected503: ok503,
        failure: `burst: ${res.status} ${res.body.slice(0, 200)}`,
      });
      return { status: res.status, ok: ok200 || ok503, ms: res.ms };
    });
    const stoppedAfter = await stopped;
    const n200 = answers.filter((a) => a.status === 200).length;
    const n503 = answers.filter((a) => a.status === 503).length;
    const slowest = Math.max(...answers.map((a) => a.ms));
    tally.note(
      `burst: ${answers.length} requests, server killed after ${stoppedAfter} answers; ${n200} × 200, ${n503} × 503 (slowest ${slowest.toFixed(0)} ms, noted only; query bound ${t.app.get(UserSyncService).queryTimeoutMs} ms)`,
    );
    expect(answers.filter((a) => !a.ok)).toEqual([]);
    expect(n200).toBeGreaterThan(0);
    expect(n503).toBeGreaterThan(0);

    // Restart (pg_ctl -w: it accepts connections now), then every user logs in. A pooled
    // connection to the stopped server fails once and is dropped, so a user needs at most a few
    // attempts, not time: they retry at once, up to MAX_ATTEMPTS.
    const MAX_ATTEMPTS = 60;
    await pg.start();
    let answersBeforeFirstOk: number | undefined;
    let recoveryAnswers = 0;
    const attemptsOf: number[] = [];
    const recovered = await pool(users, 16, async (u) => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const res = await client.send({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: u.accessToken, IDTOKEN: u.idToken } });
        tally.leaks(answerTexts(res.body, res.headers), [u.accessToken, u.idToken]);
        const ok503 = res.status === 503 && codeOf(res.body) === 'auth_unavailable';
        const body = res.status === 200 ? (JSON.parse(res.body) as { id: number; sub: string; email: string }) : undefined;
        const ok200 = body?.sub === u.sub;
        recoveryAnswers++;
        tally.record({
          status: res.status,
          code: codeOf(res.body),
          matched: ok200 || ok503,
          success: ok200,
          expected503: ok503,
          failure: `recovery: ${res.status} ${res.body.slice(0, 200)}`,
        });
        if (ok200) {
          answersBeforeFirstOk ??= recoveryAnswers - 1;
          attemptsOf.push(attempt);
          return body!;
        }
        if (!ok503) return undefined;
      }
      return undefined;
    });
    tally.note(
      `recovery: ${answersBeforeFirstOk} answers 503 before the first 200 after the restart; ${recovered.filter(Boolean).length}/${USERS} users logged in, ` +
        `the most attempts one needed ${Math.max(0, ...attemptsOf)} (of ${MAX_ATTEMPTS})`,
    );
    expect(recovered.every(Boolean)).toBe(true);

    // The table: one complete row per user, the rows answered before the stop kept.
    const duplicates = await query('SELECT sub, count(*)::int AS n FROM burst_users GROUP BY sub HAVING count(*) > 1');
    const rows = await query('SELECT id, sub, email, first_name, last_name FROM burst_users ORDER BY id');
    const half = rows.filter((r) => {
      const i = Number(String(r.sub).slice('burst-'.length));
      return r.email !== `burst-${i}@example.test` || r.first_name !== `First${i}` || r.last_name !== `Last${i}`;
    });
    const lost = [...burst200].filter(([sub, id]) => !rows.some((r) => r.sub === sub && r.id === id));
    const mismatchedIds = recovered.filter((b) => b && !rows.some((r) => r.sub === b.sub && r.id === b.id));
    tally.note(
      `table: ${rows.length} rows, ${duplicates.length} duplicated subs, ${half.length} incomplete rows, ${lost.length} of ${burst200.size} rows answered 200 in the burst lost`,
    );
    expect(duplicates).toEqual([]);
    expect(rows.length).toBe(USERS);
    expect(half).toEqual([]);
    expect(lost).toEqual([]);
    expect(mismatchedIds).toEqual([]);
    tally.leaks(t.logger.lines, sent);
    expect(tally.row.leaked).toBe(0);
    expect(tally.row.fiveXX).toBe(0);
  }, 180_000);
});
