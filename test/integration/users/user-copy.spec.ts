/**
 * Each request gets its own deep copy of a cached user: a caller that changes a nested value
 * (a Date, a JSON column, an array) changes nothing another request sees. On each real database.
 */
import { Logger } from '@nestjs/common';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, type ColumnType } from 'typeorm';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { databaseKinds, describeDb, type DbKind } from '../../support/databases.js';
import { idClaims, testSettings } from '../../support/user-sync.js';

function copyUserEntity(kind: DbKind) {
  const timestamp: ColumnType = kind === 'postgres' ? 'timestamptz' : 'datetime';

  @Entity('copy_users')
  class CopyUser {
    @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
    @Column({ type: 'varchar', length: 64, unique: true }) sub!: string;
    @Column({ type: 'simple-json', nullable: true }) prefs!: { theme: string; sizes: number[] } | null;
    @Column({ type: 'simple-array', nullable: true }) tags!: string[] | null;
    @Column({ type: timestamp, nullable: true }) seen!: Date | null;
    @CreateDateColumn({ name: 'created_at' }) createdAt!: Date;
  }
  return CopyUser;
}

const MAPPING = { sub: 'sub', prefs: 'c:prefs', tags: 'cognito:groups', seen: 'updated_at' };
const CLAIMS = { 'c:prefs': { theme: 'dark', sizes: [1, 2] }, 'cognito:groups': ['dev'], updated_at: 1_700_000_000 };

for (const kind of databaseKinds()) {
  describeDb(kind, 'cached users are deep-copied per request', (db) => {
    const CopyUser = copyUserEntity(kind);
    beforeEach(() => Logger.overrideLogger(new CaptureLogger()));
    afterEach(() => Logger.overrideLogger(false));

    async function service(updateOnLogin: boolean) {
      const ds = await db.openDataSource([CopyUser]);
      const settings = testSettings({ entity: CopyUser, fieldMapping: MAPPING, cacheTtlSeconds: 60, updateOnLogin });
      return UserSyncService.forDataSource(settings, ds);
    }

    function spoil(user: InstanceType<typeof CopyUser>): void {
      user.prefs?.sizes.push(99);
      if (user.prefs) user.prefs.theme = 'spoiled';
      user.tags?.push('root');
      user.seen?.setTime(0);
      user.createdAt.setTime(0);
    }

    function expectPristine(user: InstanceType<typeof CopyUser>, createdAt: number): void {
      expect(user).toBeInstanceOf(CopyUser);
      expect(user.prefs).toEqual({ theme: 'dark', sizes: [1, 2] });
      expect(user.tags).toEqual(['dev']);
      expect(user.seen).toBeInstanceOf(Date);
      expect(user.seen?.getTime()).toBe(1_700_000_000_000);
      expect(user.createdAt).toBeInstanceOf(Date);
      expect(user.createdAt.getTime()).toBe(createdAt);
    }

    it.each([
      ['off', false],
      ['on', true],
    ])('a Date and a JSON value changed by one caller are not seen by the next (updateOnLogin %s)', async (_, updateOnLogin) => {
      const sync = await service(updateOnLogin);
      const first = (await sync.resolveUser({ id: idClaims('copy-1', CLAIMS) })) as InstanceType<typeof CopyUser>;
      const createdAt = first.createdAt.getTime();
      expect(createdAt).toBeGreaterThan(0);
      spoil(first);

      const second = (await sync.resolveUser({ id: idClaims('copy-1', CLAIMS) })) as InstanceType<typeof CopyUser>;
      expectPristine(second, createdAt);
      spoil(second);
      expectPristine((await sync.resolveUser({ id: idClaims('copy-1', CLAIMS) })) as InstanceType<typeof CopyUser>, createdAt);
    });

    it('concurrent requests sharing one lookup each get their own nested values', async () => {
      const sync = await service(true);
      const [a, b] = (await Promise.all([
        sync.resolveUser({ id: idClaims('copy-2', CLAIMS) }),
        sync.resolveUser({ id: idClaims('copy-2', CLAIMS) }),
      ])) as InstanceType<typeof CopyUser>[];
      expect(a.id).toBe(b.id);
      spoil(a);
      expectPristine(b, b.createdAt.getTime());
      expect(b.createdAt.getTime()).toBeGreaterThan(0);
    });
  });
}
