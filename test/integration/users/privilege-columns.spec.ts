/**
 * A field mapping that writes a claim into a column named like a privilege (`isAdmin`, `role`,
 * `permissions`...) is worth a warning at start-up: whoever can change that claim grants
 * themselves the privilege. Informational: start-up goes on.
 */
import { Logger } from '@nestjs/common';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { databaseKinds, describeDb } from '../../support/databases.js';
import { idClaims, testSettings } from '../../support/user-sync.js';

@Entity('staff_users')
class StaffUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 64, unique: true }) sub!: string;
  @Column({ type: 'varchar', length: 320, nullable: true }) email!: string | null;
  @Column({ type: 'boolean', nullable: true }) isAdmin!: boolean | null;
  @Column({ type: 'varchar', length: 32, nullable: true, name: 'user_role' }) level!: string | null;
  @Column({ type: 'simple-array', nullable: true }) permissions!: string[] | null;
  @Column({ type: 'boolean', nullable: true }) is_superuser!: boolean | null;
}

const privilegeWarnings = (logs: CaptureLogger) => logs.lines.filter((l) => l.startsWith('warn') && /privilege/i.test(l));

for (const kind of databaseKinds()) {
  describeDb(kind, 'privilege columns in the field mapping', (db) => {
    let logs: CaptureLogger;
    beforeEach(() => {
      logs = new CaptureLogger();
      Logger.overrideLogger(logs);
    });
    afterEach(() => Logger.overrideLogger(false));

    it('one start-up warning names each mapped privilege column (by property or column name), and start-up goes on', async () => {
      const ds = await db.openDataSource([StaffUser]);
      const mapping = { sub: 'sub', email: 'email', isAdmin: 'custom:is_admin', level: 'custom:level' };
      const sync = await UserSyncService.forDataSource(testSettings({ entity: StaffUser, fieldMapping: mapping }), ds);
      const warnings = privilegeWarnings(logs);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('StaffUser.isAdmin');
      expect(warnings[0]).toContain('custom:is_admin');
      expect(warnings[0]).toContain('StaffUser.level');
      expect(warnings[0]).toContain('users.fieldMapping');
      // Unmapped privilege columns are not the mapping's doing: not named.
      expect(warnings[0]).not.toContain('permissions');
      expect(warnings[0]).not.toContain('is_superuser');
      // Not blocking: users are still synced, the claim written as mapped.
      const user = await sync.resolveUser({ id: idClaims('staff-1', { 'custom:is_admin': 'true' }) });
      expect(user).toMatchObject({ sub: 'staff-1', isAdmin: true });
    });

    it('names is_superuser and permissions when they are mapped', async () => {
      const ds = await db.openDataSource([StaffUser]);
      const mapping = { sub: 'sub', permissions: 'custom:permissions', is_superuser: 'custom:root' };
      await UserSyncService.forDataSource(testSettings({ entity: StaffUser, fieldMapping: mapping }), ds);
      const warnings = privilegeWarnings(logs);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/StaffUser\.permissions.*StaffUser\.is_superuser|StaffUser\.is_superuser.*StaffUser\.permissions/);
    });

    it("no warning for Cognito's own claims, which only an administrator changes (cognito:groups into permissions)", async () => {
      const ds = await db.openDataSource([StaffUser]);
      await UserSyncService.forDataSource(
        testSettings({ entity: StaffUser, fieldMapping: { sub: 'sub', permissions: 'cognito:groups' } }),
        ds,
      );
      expect(privilegeWarnings(logs)).toEqual([]);
    });

    it('no warning when no mapped column looks like a privilege', async () => {
      const ds = await db.openDataSource([StaffUser]);
      await UserSyncService.forDataSource(testSettings({ entity: StaffUser, fieldMapping: { sub: 'sub', email: 'email' } }), ds);
      expect(privilegeWarnings(logs)).toEqual([]);
    });
  });
}
