import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Column, Entity, PrimaryGeneratedColumn, type DataSource, type ObjectLiteral } from 'typeorm';
import { AuthUnavailableError, CognitoConfigError, UserNotRegisteredError } from '../../../src/errors/cognito-auth.errors.js';
import type { ResolvedUserSyncSettings } from '../../../src/options/cognito-auth.options.js';
import { CognitoUser } from '../../../src/users/cognito-user.entity.js';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import {
  databaseKinds,
  describeDb,
  rawConnection,
  serverAddress,
  startTcpProxy,
  throughProxy,
  type DbContext,
} from '../../support/databases.js';
import { accessClaims, idClaims, testSettings } from '../../support/user-sync.js';

/** An app's own user model: looked up by email, with typed profile columns. */
@Entity('profile_users')
class ProfileUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 320, unique: true }) email!: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) sub!: string | null;
  @Column({ type: 'varchar', length: 10, nullable: true }) givenName!: string | null;
  @Column({ type: 'int', nullable: true }) age!: number | null;
  @Column({ type: 'boolean', nullable: true }) isAdmin!: boolean | null;
}

/** A user table whose lookup column is not unique: start-up must refuse it. */
@Entity('loose_users')
class LooseUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 255 }) sub!: string;
  @Column({ type: 'varchar', length: 320, nullable: true }) email!: string | null;
}

const PROFILE_MAPPING = {
  email: 'email',
  sub: 'sub',
  givenName: 'given_name',
  age: 'custom:age',
  isAdmin: 'custom:is_admin',
};

const DEFAULT_MAPPING = { sub: 'sub', email: 'email', username: 'cognito:username' };

let seq = 0;
function newSub(): string {
  seq += 1;
  return `sub-${process.pid}-${Date.now().toString(36)}-${seq}`;
}

type Logged = { warn: string[]; error: string[] };
function captureLogs(): Logged {
  const logged: Logged = { warn: [], error: [] };
  jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void logged.warn.push(String(message)));
  jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logged.error.push(String(message)));
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  return logged;
}

async function serviceFor(
  ds: DataSource,
  users: Partial<ResolvedUserSyncSettings> = {},
  extra: { retryAfterSeconds?: number; queryTimeoutMs?: number } = {},
): Promise<UserSyncService> {
  const settings = testSettings(
    { fieldMapping: DEFAULT_MAPPING, ...users },
    extra.retryAfterSeconds !== undefined ? { retryAfterSeconds: extra.retryAfterSeconds } : {},
  );
  return UserSyncService.forDataSource(settings, ds, { queryTimeoutMs: extra.queryTimeoutMs });
}

async function countRows(ds: DataSource, entity: typeof CognitoUser | typeof ProfileUser, where: ObjectLiteral): Promise<number> {
  return ds.getRepository(entity).countBy(where);
}

for (const kind of databaseKinds()) {
  describeDb(kind, 'UserSyncService', (db: DbContext) => {
    let logged: Logged;
    beforeEach(() => {
      logged = captureLogs();
    });
    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('creates the user on first sight with the mapped fields, and finds the same row after', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds);
      expect(service.enabled).toBe(true);
      const sub = newSub();

      const first = await service.resolveUser({ id: idClaims(sub, { email: 'ann@example.com' }), access: accessClaims(sub) });
      expect(first).toBeInstanceOf(CognitoUser);
      expect(first).toMatchObject({ sub, email: 'ann@example.com', username: sub });
      expect(typeof first.id).toBe('number');
      expect(first.createdAt).toBeInstanceOf(Date);

      const second = await service.resolveUser({ id: idClaims(sub, { email: 'ann@example.com' }) });
      expect(second.id).toBe(first.id);
      expect(await countRows(ds, CognitoUser, { sub })).toBe(1);
    });

    it('uses the access token claims when there is no ID token', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds, { fieldMapping: { sub: 'sub', username: 'username' } });
      const sub = newSub();
      const user = await service.resolveUser({ access: accessClaims(sub) });
      expect(user).toMatchObject({ sub, username: sub, email: null });
    });

    it('writes changed claims back with updateOnLogin, and leaves a field whose claim is absent', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds);
      const sub = newSub();
      const created = await service.resolveUser({ id: idClaims(sub, { email: 'old@example.com' }) });

      const updated = await service.resolveUser({ id: idClaims(sub, { email: 'new@example.com', 'cognito:username': 'renamed' }) });
      expect(updated.id).toBe(created.id);
      expect(updated).toMatchObject({ email: 'new@example.com', username: 'renamed' });
      expect(await ds.getRepository(CognitoUser).findOneByOrFail({ sub })).toMatchObject({ email: 'new@example.com', username: 'renamed' });

      // No email claim at all: the stored email stays.
      const claims: Record<string, unknown> = { ...idClaims(sub) };
      delete claims.email;
      const again = await service.resolveUser({ id: claims as ReturnType<typeof idClaims> });
      expect(again.email).toBe('new@example.com');
      expect(await ds.getRepository(CognitoUser).findOneByOrFail({ sub })).toMatchObject({ email: 'new@example.com' });
    });

    it('leaves the row alone when updateOnLogin is off', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds, { updateOnLogin: false });
      const sub = newSub();
      await service.resolveUser({ id: idClaims(sub, { email: 'first@example.com' }) });
      const user = await service.resolveUser({ id: idClaims(sub, { email: 'second@example.com' }) });
      expect(user.email).toBe('first@example.com');
      expect(await ds.getRepository(CognitoUser).findOneByOrFail({ sub })).toMatchObject({ email: 'first@example.com' });
    });

    it('supports a custom entity looked up by email, converting Cognito string booleans and numbers', async () => {
      const ds = await db.openDataSource([ProfileUser]);
      const service = await serviceFor(ds, {
        entity: ProfileUser,
        lookupField: 'email',
        tokenField: 'email',
        fieldMapping: PROFILE_MAPPING,
      });
      const sub = newSub();
      const email = `${sub}@example.com`;
      const user = await service.resolveUser({
        id: idClaims(sub, { email, given_name: 'Ann', 'custom:age': '42', 'custom:is_admin': 'true' }),
      });
      expect(user).toBeInstanceOf(ProfileUser);
      expect(user).toMatchObject({ email, sub, givenName: 'Ann', age: 42, isAdmin: true });

      const again = await service.resolveUser({ id: idClaims(sub, { email, 'custom:is_admin': 'false' }) });
      expect(again.id).toBe(user.id);
      expect(await ds.getRepository(ProfileUser).findOneByOrFail({ email })).toMatchObject({ givenName: 'Ann', age: 42, isAdmin: false });
    });

    it('answers 403 user_not_registered when autoCreate is off and the user is unknown', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds, { autoCreate: false });
      const sub = newSub();
      await expect(service.resolveUser({ id: idClaims(sub) })).rejects.toBeInstanceOf(UserNotRegisteredError);
      expect(await countRows(ds, CognitoUser, { sub })).toBe(0);

      // A user created elsewhere is found.
      await ds.getRepository(CognitoUser).insert({ sub, email: 'pre@example.com' });
      await expect(service.resolveUser({ id: idClaims(sub) })).resolves.toMatchObject({ sub, email: 'pre@example.com' });
    });

    it('answers 403 naming the claim (not its value) when the lookup claim is missing or unusable', async () => {
      const ds = await db.openDataSource([ProfileUser]);
      const service = await serviceFor(ds, {
        entity: ProfileUser,
        lookupField: 'email',
        tokenField: 'email',
        fieldMapping: PROFILE_MAPPING,
      });
      const error = await service.resolveUser({ id: idClaims(newSub()) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserNotRegisteredError);
      expect((error as Error).message).toContain('"email"');

      const tooLong = `${'x'.repeat(400)}@example.com`;
      const error2 = await service.resolveUser({ id: idClaims(newSub(), { email: tooLong }) }).catch((e: unknown) => e);
      expect(error2).toBeInstanceOf(UserNotRegisteredError);
      expect(JSON.stringify([logged, (error2 as Error).message])).not.toContain(tooLong);
      expect(await ds.getRepository(ProfileUser).count()).toBe(0);
    });

    it('yields one row for 100 concurrent first requests of one user in one process', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds);
      const sub = newSub();
      const users = await Promise.all(
        Array.from({ length: 100 }, () => service.resolveUser({ id: idClaims(sub, { email: 'same@example.com' }) })),
      );
      expect(new Set(users.map((u) => u.id)).size).toBe(1);
      expect(await countRows(ds, CognitoUser, { sub })).toBe(1);
      // The in-flight map is emptied once settled.
      expect((service as unknown as { inFlight: Map<string, unknown> }).inFlight.size).toBe(0);
    });

    it('yields one row when two processes (two DataSources) race for one new user', async () => {
      const dsA = await db.openDataSource([CognitoUser]);
      const dsB = await db.openDataSource([CognitoUser], { reset: false });
      const serviceA = await serviceFor(dsA);
      const serviceB = await serviceFor(dsB);
      const sub = newSub();
      const users = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? serviceA : serviceB).resolveUser({ id: idClaims(sub) })),
      );
      expect(new Set(users.map((u) => u.id)).size).toBe(1);
      expect(await countRows(dsA, CognitoUser, { sub })).toBe(1);
      expect(logged.error).toEqual([]);
    });

    it('takes the unique-violation path: a stale read, a rejected insert, the winner re-read', async () => {
      const dsA = await db.openDataSource([CognitoUser]);
      const dsB = await db.openDataSource([CognitoUser], { reset: false });
      const serviceA = await serviceFor(dsA);
      const serviceB = await serviceFor(dsB);
      const sub = newSub();
      const winner = await serviceA.resolveUser({ id: idClaims(sub) });

      // Process B read before A's insert committed: its find saw nothing.
      const find = jest.spyOn(serviceB as unknown as { findByLookup: () => Promise<unknown> }, 'findByLookup');
      find.mockResolvedValueOnce(null);
      const loser = await serviceB.resolveUser({ id: idClaims(sub) });

      expect(loser.id).toBe(winner.id);
      expect(find).toHaveBeenCalledTimes(2); // the stale find, then the re-read after the unique violation
      expect(await countRows(dsA, CognitoUser, { sub })).toBe(1);
      expect(logged.error).toEqual([]);
    });

    it('creates 300 distinct users concurrently', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds);
      const subs = Array.from({ length: 300 }, () => newSub());
      const users = await Promise.all(subs.map((sub) => service.resolveUser({ id: idClaims(sub, { email: `${sub}@example.com` }) })));
      expect(new Set(users.map((u) => u.id)).size).toBe(300);
      expect(await ds.getRepository(CognitoUser).count()).toBe(300);
    }, 60_000);

    it('refuses at start-up a lookup column that is not unique, and unknown mapped fields', async () => {
      const ds = await db.openDataSource([LooseUser, CognitoUser]);
      const error = await serviceFor(ds, { entity: LooseUser, fieldMapping: { sub: 'sub' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CognitoConfigError);
      expect((error as CognitoConfigError).setting).toBe('users.lookupField');
      expect((error as Error).message).toMatch(/LooseUser/);
      expect((error as Error).message).toMatch(/unique/);

      const error2 = await serviceFor(ds, { fieldMapping: { sub: 'sub', nickname: 'nickname' } }).catch((e: unknown) => e);
      expect(error2).toBeInstanceOf(CognitoConfigError);
      expect((error2 as CognitoConfigError).setting).toBe('users.fieldMapping');
      expect((error2 as Error).message).toMatch(/nickname/);

      const error3 = await serviceFor(ds, { lookupField: 'nope' }).catch((e: unknown) => e);
      expect((error3 as CognitoConfigError).setting).toBe('users.lookupField');

      const error4 = await serviceFor(ds, { entity: ProfileUser }).catch((e: unknown) => e);
      expect((error4 as CognitoConfigError).setting).toBe('users.entity');
    });

    it('skips a claim that does not fit its column, writes the rest, and logs without the value', async () => {
      const ds = await db.openDataSource([ProfileUser]);
      const service = await serviceFor(ds, {
        entity: ProfileUser,
        lookupField: 'email',
        tokenField: 'email',
        fieldMapping: PROFILE_MAPPING,
      });
      expect(logged.warn).toEqual([expect.stringMatching(/look like privileges: ProfileUser\.isAdmin/)]); // start-up's
      logged.warn.length = 0;
      const sub = newSub();
      const email = `${sub}@example.com`;
      const secretName = 'Bartholomew-the-very-long-given-name';
      const user = await service.resolveUser({
        id: idClaims(sub, { email, given_name: secretName, 'custom:age': { nested: 'secret-object' }, 'custom:is_admin': 'maybe' }),
      });
      expect(user).toMatchObject({ email, sub, givenName: null, age: null, isAdmin: null });
      expect(await ds.getRepository(ProfileUser).findOneByOrFail({ email })).toMatchObject({ sub, givenName: null, age: null });

      expect(logged.warn).toHaveLength(3);
      expect(logged.warn.join('\n')).toMatch(/givenName.*longer than the column's 10 characters/);
      expect(logged.warn.join('\n')).toMatch(/age.*an object/);
      expect(logged.warn.join('\n')).toMatch(/isAdmin.*not a boolean/);
      const everything = JSON.stringify(logged);
      for (const secret of [secretName, 'secret-object', 'maybe', email, sub]) expect(everything).not.toContain(secret);

      // On update too: a bad claim leaves the field, a good one is written.
      logged.warn.length = 0;
      const updated = await service.resolveUser({ id: idClaims(sub, { email, given_name: 'Bea', 'custom:age': 'forty' }) });
      expect(updated).toMatchObject({ givenName: 'Bea', age: null });
      expect(logged.warn).toHaveLength(1);
      expect(logged.warn[0]).toMatch(/age.*not an integer/);
      expect(JSON.stringify(logged)).not.toContain('forty');
      const out = await service.resolveUser({ id: idClaims(sub, { email, 'custom:age': 2 ** 40 }) });
      expect(out.age).toBeNull();
      expect(logged.warn[1]).toMatch(/age.*outside the column's integer range/);
    });

    it('answers 503 with Retry-After seconds when the DataSource was destroyed', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const service = await serviceFor(ds, {}, { retryAfterSeconds: 7 });
      await service.resolveUser({ id: idClaims(newSub()) });
      await ds.destroy();
      const error = await service.resolveUser({ id: idClaims(newSub()) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthUnavailableError);
      expect((error as AuthUnavailableError).retryAfterSeconds).toBe(7);
      expect((error as AuthUnavailableError).getStatus()).toBe(503);
    });

    it('answers 503 when the database server goes away (refused and reset connections)', async () => {
      const sub = newSub();
      if (kind === 'sqlite') {
        const ds = await db.openDataSource([CognitoUser]);
        const service = await serviceFor(ds);
        await service.resolveUser({ id: idClaims(newSub()) });
        // The native handle goes away under TypeORM.
        (ds.driver as unknown as { databaseConnection: { close(): void } }).databaseConnection.close();
        await expect(service.resolveUser({ id: idClaims(sub) })).rejects.toBeInstanceOf(AuthUnavailableError);
        expect(logged.error.join('\n')).not.toContain(sub);
        Object.defineProperty(ds, 'isInitialized', { value: false }); // nothing left to destroy
        return;
      }
      await db.openDataSource([CognitoUser]); // schema
      const { host, port } = serverAddress(kind);
      const proxy = await startTcpProxy(host, port);
      const ds = await db.openDataSource([CognitoUser], {
        reset: false,
        override: throughProxy(db.database().options, proxy.port),
      });
      const service = await serviceFor(ds, {}, { queryTimeoutMs: 5000 });
      await service.resolveUser({ id: idClaims(newSub()) });
      await proxy.close();
      const error = await service.resolveUser({ id: idClaims(sub, { email: 'gone@example.com' }) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthUnavailableError);
      expect(logged.error.join('\n')).not.toMatch(new RegExp(`${sub}|gone@example.com`));
    });

    it('answers 503 instead of hanging when the table is locked', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      if (kind === 'sqlite') await ds.destroy(); // reopened below with a short busy timeout
      const live = kind === 'sqlite' ? await db.openDataSource([CognitoUser], { reset: false, override: { timeout: 200 } as never }) : ds;
      const service = await serviceFor(live, {}, { queryTimeoutMs: 500 });
      const locker = await rawConnection(db.database());
      try {
        if (kind === 'postgres') {
          await locker.query('BEGIN');
          await locker.query('LOCK TABLE cognito_users IN ACCESS EXCLUSIVE MODE');
        } else if (kind === 'mariadb') {
          await locker.query('LOCK TABLES cognito_users WRITE');
        } else {
          await locker.query('BEGIN EXCLUSIVE');
        }
        // The lock is held until `finally`: only the query bound can end this call (a hang fails the test).
        await expect(service.resolveUser({ id: idClaims(newSub()) })).rejects.toBeInstanceOf(AuthUnavailableError);
      } finally {
        await locker.query(kind === 'mariadb' ? 'UNLOCK TABLES' : 'ROLLBACK').catch(() => undefined);
        await locker.close();
      }
      // Once the lock is gone, everything works again and nothing was half-written. Checked on the
      // same data source (a connection the timed-out call kept would show here) by a service with
      // the default query timeout: the 500 ms one was only for the lock, and a loaded machine may
      // take longer than that for a query that does get through.
      const sub = newSub();
      const after = await serviceFor(live);
      await expect(after.resolveUser({ id: idClaims(sub) })).resolves.toMatchObject({ sub });
    });
  });
}
