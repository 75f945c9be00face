import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type DataSourceOptions } from 'typeorm';
import type { CognitoAuthForRootOptions } from '../../src/index.js';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { databaseKinds, describeDb, serverAddress, startTcpProxy, throughProxy, type DbContext } from '../support/databases.js';
import { createTestApp, seedHeaders, type TestApp } from '../support/test-app.js';

/** The app's own user model, mapped like django-cognito-redux's example. */
@Entity('app_users')
class AppUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 255, unique: true }) sub!: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) email!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) first_name!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) last_name!: string | null;
}

/** A model keyed by e-mail instead of sub, with the account's sub in a column of its own. */
@Entity('email_users')
class EmailUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 255, unique: true }) email!: string;
  @Column({ type: 'varchar', length: 100, nullable: true }) name!: string | null;
  @Column({ type: 'varchar', length: 255, unique: true, nullable: true }) sub!: string | null;
}

/** A model keyed by the Cognito username (django-cognito-redux's COGNITO_TOKEN_REF_FIELD='username'). */
@Entity('name_users')
class NameUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 128, unique: true }) username!: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) sub!: string | null;
}

const mapping = { sub: 'sub', email: 'email', first_name: 'custom:first_name', last_name: 'custom:last_name' };

describe('user sync through the guard, over real HTTP', () => {
  let idp: TestIdentityProvider;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterAll(async () => {
    await idp?.close();
  });

  for (const kind of databaseKinds()) {
    describeDb(kind, 'user sync e2e', (db: DbContext) => {
      const apps: TestApp[] = [];
      let count: DataSource;

      async function app(
        users: NonNullable<CognitoAuthForRootOptions['users']>,
        extra: Partial<DataSourceOptions> = {},
        reset = false,
      ): Promise<TestApp> {
        const t = await createTestApp(
          { ...idp.moduleOptions(), users },
          {
            imports: [
              TypeOrmModule.forRoot({
                ...db.database().options,
                entities: [AppUser, EmailUser, NameUser],
                synchronize: reset,
                dropSchema: reset,
                ...extra,
              } as Parameters<typeof TypeOrmModule.forRoot>[0]),
            ],
          },
        );
        apps.push(t);
        return t;
      }

      beforeAll(async () => {
        await (await app({ entity: AppUser }, {}, true)).close();
        apps.length = 0;
        // Our own DataSource for counting rows (describeDb's are destroyed after each test).
        count = await new DataSource({
          ...db.database().options,
          entities: [AppUser, EmailUser, NameUser],
        } as DataSourceOptions).initialize();
      });
      afterEach(async () => {
        await Promise.all(apps.splice(0).map((t) => t.close()));
      });
      afterAll(async () => {
        if (count?.isInitialized) await count.destroy();
      });

      const rows = (sub: string) => count.getRepository(AppUser).countBy({ sub });

      it('creates the row with the mapped fields on the first request and finds it on the second', async () => {
        const t = await app({ entity: AppUser, fieldMapping: mapping });
        const tokens = await idp.issueTokens({
          idClaims: { 'custom:first_name': 'Ada', 'custom:last_name': 'Lovelace' },
          email: 'ada@example.test',
        });
        const first = await request(t.server).get('/t/me').set(seedHeaders(tokens));
        expect(first.status).toBe(200);
        expect(first.body).toEqual({
          id: expect.any(Number),
          sub: tokens.sub,
          email: 'ada@example.test',
          first_name: 'Ada',
          last_name: 'Lovelace',
        });
        const second = await request(t.server).get('/t/me').set(seedHeaders(tokens));
        expect(second.body.id).toBe(first.body.id);
        expect(await rows(tokens.sub)).toBe(1);
        expect((await request(t.server).get('/t/email').set(seedHeaders(tokens))).body).toEqual({ email: 'ada@example.test' });
      });

      it('writes changed claims back with updateOnLogin, leaves them alone without it, and keeps fields whose claim is absent', async () => {
        const sub = `upd-${kind}-${Date.now()}`;
        const on = await app({ entity: AppUser, fieldMapping: mapping });
        await request(on.server)
          .get('/t/me')
          .set(seedHeaders(await idp.issueTokens({ sub, email: 'old@example.test', idClaims: { 'custom:first_name': 'Old' } })));
        const changed = await request(on.server)
          .get('/t/me')
          .set(seedHeaders(await idp.issueTokens({ sub, email: 'new@example.test' })));
        expect(changed.body).toMatchObject({ email: 'new@example.test', first_name: 'Old' });
        const off = await app({ entity: AppUser, fieldMapping: mapping, updateOnLogin: false });
        const unchanged = await request(off.server)
          .get('/t/me')
          .set(seedHeaders(await idp.issueTokens({ sub, email: 'newer@example.test' })));
        expect(unchanged.body).toMatchObject({ id: changed.body.id, email: 'new@example.test' });
        expect((await count.getRepository(AppUser).findOneByOrFail({ sub })).email).toBe('new@example.test');
      });

      it("lookup by email: a verified email finds its own account's row; an unverified one or another account gets 403 and changes nothing", async () => {
        const t = await app({
          entity: EmailUser,
          lookupField: 'email',
          tokenField: 'email',
          fieldMapping: { email: 'email', name: 'name', sub: 'sub' },
        });
        const email = `mail-${kind}-${Date.now()}@example.test`;
        const owner = await idp.issueTokens({ email, idClaims: { name: 'Grace' } });
        const a = await request(t.server).get('/t/me').set(seedHeaders(owner));
        expect(a.body).toEqual({ id: expect.any(Number), email, name: 'Grace', sub: owner.sub });
        const again = await request(t.server)
          .get('/t/me')
          .set(seedHeaders(await idp.issueTokens({ sub: owner.sub, email })));
        expect(again.body.id).toBe(a.body.id);

        // Another account that has verified the same address: refused, never handed Grace's row.
        const other = await request(t.server)
          .get('/t/me')
          .set(seedHeaders(await idp.issueTokens({ email, idClaims: { name: 'Mallory' } })));
        expect(other.status).toBe(403);
        expect(other.body.code).toBe('user_not_registered');
        // An account that merely typed the address in (email_verified "false", as federated providers send it).
        const typed = await idp.issueTokens({ email, idClaims: { email_verified: 'false', name: 'Mallory' } });
        const unverified = await request(t.server).get('/t/me').set(seedHeaders(typed));
        expect(unverified.status).toBe(403);
        expect(unverified.body.code).toBe('user_not_registered');

        expect(await count.getRepository(EmailUser).findOneByOrFail({ email })).toMatchObject({
          id: a.body.id,
          name: 'Grace',
          sub: owner.sub,
        });
        expect(t.logger.lines.join('\n')).not.toContain(email);
      });

      it("lookup by username (COGNITO_TOKEN_REF_FIELD='username'): the ID token's cognito:username finds the row", async () => {
        const t = await app({ entity: NameUser, lookupField: 'username', tokenField: 'username', fieldMapping: { sub: 'sub' } });
        const username = `grace-${kind}-${Date.now()}`;
        const tokens = await idp.issueTokens({ username });
        const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ id: expect.any(Number), username, sub: tokens.sub });
        expect(await count.getRepository(NameUser).countBy({ username })).toBe(1);
      });

      it('autoCreate off: 403 user_not_registered, and nothing written', async () => {
        const t = await app({ entity: AppUser, autoCreate: false });
        const tokens = await idp.issueTokens();
        const res = await request(t.server).get('/t/me').set(seedHeaders(tokens));
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', code: 'user_not_registered', message: expect.any(String) });
        expect(await rows(tokens.sub)).toBe(0);
      });

      it('the race: 100 concurrent first requests of one new user give 100 × 200 and one row', async () => {
        const t = await app({ entity: AppUser });
        const tokens = await idp.issueTokens();
        const res = await Promise.all(Array.from({ length: 100 }, () => request(t.server).get('/t/me').set(seedHeaders(tokens))));
        expect(res.map((r) => r.status)).toEqual(Array(100).fill(200));
        expect(new Set(res.map((r) => r.body.id)).size).toBe(1);
        expect(await rows(tokens.sub)).toBe(1);
      });

      it('300 distinct new users at once: 300 rows, no error', async () => {
        const t = await app({ entity: AppUser });
        const users = await Promise.all(Array.from({ length: 300 }, (_, i) => idp.issueTokens({ sub: `many-${kind}-${i}-${Date.now()}` })));
        const res = await Promise.all(users.map((tk) => request(t.server).get('/t/me').set(seedHeaders(tk))));
        expect(res.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
        expect(new Set(res.map((r) => r.body.id)).size).toBe(300);
        const found = await count
          .getRepository(AppUser)
          .createQueryBuilder('u')
          .where('u.sub LIKE :p', { p: `many-${kind}-%` })
          .getCount();
        expect(found).toBe(300);
      });

      if (kind !== 'sqlite') {
        it('two app instances on one database: 50 concurrent first requests split between them make one row', async () => {
          const a = await app({ entity: AppUser });
          const b = await app({ entity: AppUser });
          const tokens = await idp.issueTokens();
          const res = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              request((i % 2 ? a : b).server)
                .get('/t/me')
                .set(seedHeaders(tokens)),
            ),
          );
          expect(res.map((r) => r.status)).toEqual(Array(50).fill(200));
          expect(new Set(res.map((r) => r.body.id)).size).toBe(1);
          expect(await rows(tokens.sub)).toBe(1);
        });

        it('database unreachable mid-run: 503 auth_unavailable with Retry-After, then recovery, nothing duplicated', async () => {
          const target = serverAddress(kind);
          let proxy = await startTcpProxy(target.host, target.port);
          const port = proxy.port;
          const t = await app({ entity: AppUser }, throughProxy(db.database().options, port) as Partial<DataSourceOptions>);
          const before = await idp.issueTokens();
          expect((await request(t.server).get('/t/me').set(seedHeaders(before))).status).toBe(200);
          await proxy.close();
          const during = await idp.issueTokens();
          const burst = await Promise.all(Array.from({ length: 10 }, () => request(t.server).get('/t/me').set(seedHeaders(during))));
          for (const r of burst) {
            expect(r.status).toBe(503);
            expect(r.body.code).toBe('auth_unavailable');
            expect(r.headers['retry-after']).toBe('5');
          }
          expect(await rows(during.sub)).toBe(0);
          proxy = await startTcpProxy(target.host, target.port, port);
          try {
            let status = 0;
            for (let i = 0; i < 40 && status !== 200; i++) {
              status = (await request(t.server).get('/t/me').set(seedHeaders(during))).status;
              if (status !== 200) await new Promise((r) => setTimeout(r, 250));
            }
            expect(status).toBe(200);
            expect(await rows(during.sub)).toBe(1);
            expect(await rows(before.sub)).toBe(1);
          } finally {
            await t.close();
            apps.splice(apps.indexOf(t), 1);
            await proxy.close();
          }
        });
      }
    });
  }
});
