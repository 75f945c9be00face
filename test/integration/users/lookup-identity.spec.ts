/**
 * Finding a user by a claim other than `sub` (email, phone number, username) must never hand one
 * Cognito account another account's row: an unverified email or phone number finds nothing, a
 * row already tied to another `sub` is refused and left as it is, and a row not yet tied to any
 * `sub` is tied to the caller's. Unverified emails and phone numbers are not written by the field
 * mapping either. On each real database through TypeORM.
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Column, Entity, PrimaryGeneratedColumn, type DataSource } from 'typeorm';
import { ForbiddenCallerError, UserNotRegisteredError } from '../../../src/errors/cognito-auth.errors.js';
import type { ResolvedUserSyncSettings } from '../../../src/options/cognito-auth.options.js';
import { CognitoUser } from '../../../src/users/cognito-user.entity.js';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { databaseKinds, describeDb, type DbContext } from '../../support/databases.js';
import { TEST_CLIENT_ID, accessClaims, idClaims, testSettings } from '../../support/user-sync.js';

/** An app's user model keyed by email, with the Cognito `sub` in a column of its own. */
@Entity('member_users')
class MemberUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 320, unique: true, nullable: true }) email!: string | null;
  @Column({ type: 'varchar', length: 64, unique: true, nullable: true }) sub!: string | null;
  @Column({ type: 'varchar', length: 32, unique: true, nullable: true }) phone!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) name!: string | null;
}

/** A user model keyed by the Cognito username. */
@Entity('handle_users')
class HandleUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 128, unique: true }) username!: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) sub!: string | null;
}

const MEMBER_MAPPING = { email: 'email', sub: 'sub', phone: 'phone_number', name: 'name' };
const CEO = { email: 'ceo@corp.example', sub: 'ceo-sub-0001', name: 'The CEO' };

function byEmail(users: Partial<ResolvedUserSyncSettings> = {}) {
  return testSettings({ entity: MemberUser, lookupField: 'email', tokenField: 'email', fieldMapping: MEMBER_MAPPING, ...users });
}

for (const kind of databaseKinds()) {
  describeDb(kind, 'user lookup by a claim other than sub', (db: DbContext) => {
    let logs: CaptureLogger;
    beforeEach(() => {
      logs = new CaptureLogger();
      Logger.overrideLogger(logs);
    });
    afterEach(() => {
      Logger.overrideLogger(false);
      jest.restoreAllMocks();
    });

    async function members(users: Partial<ResolvedUserSyncSettings> = {}): Promise<{ ds: DataSource; sync: UserSyncService }> {
      const ds = await db.openDataSource([MemberUser]);
      return { ds, sync: await UserSyncService.forDataSource(byEmail(users), ds) };
    }
    const row = (ds: DataSource, where: { email: string }) => ds.getRepository(MemberUser).findOneByOrFail(where);

    it.each([
      ['false', { email_verified: false }],
      ['the string "false"', { email_verified: 'false' }],
      ['absent', { email_verified: undefined }],
    ])('an unverified email (email_verified %s) finds no row: 403 user_not_registered, the CEO row untouched', async (_, flag) => {
      const { ds, sync } = await members();
      await ds.getRepository(MemberUser).insert(CEO);
      const claims = idClaims('intruder-sub', { email: CEO.email, name: 'Mallory', ...flag });
      const error = await sync.resolveUser({ id: claims }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserNotRegisteredError);
      expect(await row(ds, { email: CEO.email })).toMatchObject({ sub: CEO.sub, name: CEO.name });
      expect(await ds.getRepository(MemberUser).count()).toBe(1);
      expect(logs.lines.join('\n')).toMatch(/email_verified/);
      expect(logs.lines.join('\n')).not.toContain(CEO.email);
    });

    it('email_verified as the string "true" counts (federated identity providers send strings)', async () => {
      const { ds, sync } = await members();
      const email = 'federated@corp.example';
      const user = await sync.resolveUser({ id: idClaims('fed-sub', { email, email_verified: 'true' }) });
      expect(user).toMatchObject({ email, sub: 'fed-sub' });
      expect(await row(ds, { email })).toMatchObject({ sub: 'fed-sub' });
    });

    it('a row that holds another sub is refused (403) and never rewritten', async () => {
      const { ds, sync } = await members();
      await ds.getRepository(MemberUser).insert(CEO);
      const claims = idClaims('intruder-sub', { email: CEO.email, email_verified: true, name: 'Mallory' });
      await expect(sync.resolveUser({ id: claims })).rejects.toBeInstanceOf(UserNotRegisteredError);
      expect(await row(ds, { email: CEO.email })).toMatchObject({ sub: CEO.sub, name: CEO.name });
      expect(logs.lines.join('\n')).not.toContain(CEO.email);
      expect(logs.lines.join('\n')).not.toContain('intruder-sub');

      const off = await UserSyncService.forDataSource(byEmail({ updateOnLogin: false }), ds);
      await expect(off.resolveUser({ id: claims })).rejects.toBeInstanceOf(UserNotRegisteredError);
      expect(await row(ds, { email: CEO.email })).toMatchObject({ sub: CEO.sub, name: CEO.name });
    });

    it.each([
      ['on', true],
      ['off', false],
    ])('a row that holds another sub is refused from the user cache too (updateOnLogin %s)', async (_, updateOnLogin) => {
      const { ds, sync } = await members({ cacheTtlSeconds: 60, updateOnLogin });
      await ds.getRepository(MemberUser).insert(CEO);
      const ceo = await sync.resolveUser({ id: idClaims(CEO.sub, { email: CEO.email, email_verified: true }) });
      expect(ceo.sub).toBe(CEO.sub);
      const intruder = idClaims('intruder-sub', { email: CEO.email, email_verified: true });
      await expect(sync.resolveUser({ id: intruder })).rejects.toBeInstanceOf(UserNotRegisteredError);
      // Concurrent requests share one lookup: the intruder's must not ride on the CEO's.
      const [a, b] = await Promise.allSettled([
        sync.resolveUser({ id: idClaims(CEO.sub, { email: CEO.email, email_verified: true, name: 'Renamed' }) }),
        sync.resolveUser({ id: intruder }),
      ]);
      expect(a.status).toBe('fulfilled');
      expect(b.status === 'rejected' && b.reason instanceof UserNotRegisteredError).toBe(true);
    });

    it.each([
      ['NULL', null],
      ['empty', ''],
    ])('a row whose sub column is %s is bound to the token sub, then refused to any other sub', async (_, empty) => {
      const { ds } = await members();
      await ds.getRepository(MemberUser).insert({ email: 'imported@corp.example', sub: empty, name: 'Imported' });
      // Binding does not depend on updateOnLogin: without it the row is still tied to its account.
      const sync = await UserSyncService.forDataSource(byEmail({ updateOnLogin: false }), ds);
      const user = await sync.resolveUser({ id: idClaims('owner-sub', { email: 'imported@corp.example', email_verified: true }) });
      expect(user).toMatchObject({ sub: 'owner-sub', name: 'Imported' });
      expect(await row(ds, { email: 'imported@corp.example' })).toMatchObject({ sub: 'owner-sub', name: 'Imported' });

      const other = idClaims('second-sub', { email: 'imported@corp.example', email_verified: true });
      await expect(sync.resolveUser({ id: other })).rejects.toBeInstanceOf(UserNotRegisteredError);
      expect((await row(ds, { email: 'imported@corp.example' })).sub).toBe('owner-sub');
    });

    it('two accounts racing to bind one unbound row: one wins, the other gets 403', async () => {
      const { ds, sync } = await members();
      await ds.getRepository(MemberUser).insert({ email: 'race@corp.example', sub: null });
      const second = await UserSyncService.forDataSource(byEmail(), await db.openDataSource([MemberUser], { reset: false }));
      const results = await Promise.allSettled([
        sync.resolveUser({ id: idClaims('racer-a', { email: 'race@corp.example', email_verified: true }) }),
        second.resolveUser({ id: idClaims('racer-b', { email: 'race@corp.example', email_verified: true }) }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.status === 'rejected' && refused.reason instanceof UserNotRegisteredError).toBe(true);
      const winner = (won[0] as PromiseFulfilledResult<MemberUser>).value.sub;
      expect((await row(ds, { email: 'race@corp.example' })).sub).toBe(winner);
    });

    it('binding only fills an empty sub: a stale read of the row cannot take it from the account that bound it', async () => {
      const { ds, sync } = await members();
      await ds.getRepository(MemberUser).insert({ email: 'stale@corp.example', sub: null, name: 'Imported' });
      const stale = { ...(await row(ds, { email: 'stale@corp.example' })) };
      await sync.resolveUser({ id: idClaims('first-sub', { email: 'stale@corp.example', email_verified: true }) });

      // Another process read the row before the first bound it.
      const other = await UserSyncService.forDataSource(byEmail(), ds);
      const seam = other as unknown as { findByLookup: () => Promise<unknown> };
      jest.spyOn(seam, 'findByLookup').mockResolvedValueOnce(stale);
      const late = idClaims('late-sub', { email: 'stale@corp.example', email_verified: true });
      await expect(other.resolveUser({ id: late })).rejects.toBeInstanceOf(UserNotRegisteredError);
      expect(await row(ds, { email: 'stale@corp.example' })).toMatchObject({ sub: 'first-sub', name: 'Imported' });
    });

    it('an unverified phone number finds no row (phone_number_verified must be true)', async () => {
      const { ds } = await members();
      await ds.getRepository(MemberUser).insert({ ...CEO, phone: '+15550100' });
      const sync = await UserSyncService.forDataSource(byEmail({ lookupField: 'phone', tokenField: 'phone_number' }), ds);
      const unverified = idClaims('intruder-sub', { phone_number: '+15550100', phone_number_verified: 'false' });
      await expect(sync.resolveUser({ id: unverified })).rejects.toBeInstanceOf(UserNotRegisteredError);
      expect(logs.lines.join('\n')).not.toContain('+15550100');
      const verified = idClaims(CEO.sub, { phone_number: '+15550100', phone_number_verified: true });
      await expect(sync.resolveUser({ id: verified })).resolves.toMatchObject({ email: CEO.email, sub: CEO.sub });
    });

    it('username as the token field means cognito:username in the ID token', async () => {
      const ds = await db.openDataSource([HandleUser]);
      const settings = testSettings({ entity: HandleUser, lookupField: 'username', tokenField: 'username', fieldMapping: { sub: 'sub' } });
      const sync = await UserSyncService.forDataSource(settings, ds);
      const user = await sync.resolveUser({
        id: idClaims('alice-sub', { 'cognito:username': 'alice' }),
        access: accessClaims('alice-sub', { username: 'alice' }),
      });
      expect(user).toMatchObject({ username: 'alice', sub: 'alice-sub' });
      expect(await ds.getRepository(HandleUser).countBy({ username: 'alice' })).toBe(1);
    });

    it('username as the token field means username in the access token', async () => {
      const ds = await db.openDataSource([HandleUser]);
      await ds.getRepository(HandleUser).insert({ username: 'bob', sub: null });
      const settings = testSettings({ entity: HandleUser, lookupField: 'username', tokenField: 'username', fieldMapping: { sub: 'sub' } });
      const sync = await UserSyncService.forDataSource(settings, ds);
      const user = await sync.resolveUser({ access: accessClaims('bob-sub', { username: 'bob' }) });
      expect(user).toMatchObject({ username: 'bob', sub: 'bob-sub' });
      expect(await ds.getRepository(HandleUser).findOneByOrFail({ username: 'bob' })).toMatchObject({ sub: 'bob-sub' });
    });
  });

  describeDb(kind, 'user field mapping of unverified claims', (db: DbContext) => {
    beforeEach(() => Logger.overrideLogger(new CaptureLogger()));
    afterEach(() => Logger.overrideLogger(false));

    it('an unverified email is not written when the row is created', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const sync = await UserSyncService.forDataSource(testSettings(), ds);
      const user = await sync.resolveUser({ id: idClaims('new-sub', { email: 'claimed@corp.example', email_verified: false }) });
      expect(user.email).toBeNull();
      expect((await ds.getRepository(CognitoUser).findOneByOrFail({ sub: 'new-sub' })).email).toBeNull();
    });

    it('an unverified email does not replace the stored one on login', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const sync = await UserSyncService.forDataSource(testSettings(), ds);
      await sync.resolveUser({ id: idClaims('known-sub', { email: 'real@corp.example', email_verified: true }) });
      const user = await sync.resolveUser({ id: idClaims('known-sub', { email: 'ceo@corp.example', email_verified: 'false' }) });
      expect(user.email).toBe('real@corp.example');
      expect((await ds.getRepository(CognitoUser).findOneByOrFail({ sub: 'known-sub' })).email).toBe('real@corp.example');
    });

    it('an unverified phone number is not written by the mapping', async () => {
      const ds = await db.openDataSource([MemberUser]);
      const settings = testSettings({ entity: MemberUser, fieldMapping: MEMBER_MAPPING });
      const sync = await UserSyncService.forDataSource(settings, ds);
      const user = await sync.resolveUser({ id: idClaims('phone-sub', { phone_number: '+15550199', phone_number_verified: false }) });
      expect(user.phone).toBeNull();
      const verified = await sync.resolveUser({ id: idClaims('phone-sub', { phone_number: '+15550199', phone_number_verified: true }) });
      expect(verified.phone).toBe('+15550199');
    });

    it('a machine token neither looks up nor creates a row (403 forbidden_caller)', async () => {
      const ds = await db.openDataSource([CognitoUser]);
      const sync = await UserSyncService.forDataSource(testSettings({ fieldMapping: { sub: 'sub' } }), ds);
      const machine = accessClaims(TEST_CLIENT_ID, { username: undefined, scope: 'notes/read' });
      await expect(sync.resolveUser({ access: machine })).rejects.toBeInstanceOf(ForbiddenCallerError);
      expect(await ds.getRepository(CognitoUser).count()).toBe(0);
    });
  });
}
