/**
 * Claims fitted to typed columns on each real database: every value the service accepts is
 * accepted by the database, every value it refuses is skipped with a warning that does not
 * quote it, and the row is still written.
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Column, Entity, PrimaryGeneratedColumn, type ColumnType } from 'typeorm';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { databaseKinds, describeDb, type DbKind } from '../../support/databases.js';
import { idClaims, testSettings } from '../../support/user-sync.js';

function typedUserEntity(kind: DbKind) {
  const timestamp: ColumnType = kind === 'postgres' ? 'timestamptz' : 'datetime';
  const json: ColumnType = kind === 'postgres' ? 'jsonb' : kind === 'mariadb' ? 'json' : 'simple-json';

  @Entity('typed_users')
  class TypedUser {
    @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
    @Column({ type: 'varchar', length: 200, unique: true }) sub!: string;
    @Column({ type: 'varchar', length: 5, nullable: true }) short!: string | null;
    @Column({ type: 'text', nullable: true }) body!: string | null;
    @Column({ type: 'smallint', nullable: true }) small!: number | null;
    @Column({ type: 'int', nullable: true }) count!: number | null;
    @Column({ type: 'bigint', nullable: true }) big!: string | number | null;
    @Column({ type: 'float', nullable: true }) ratio!: number | null;
    @Column({ type: 'decimal', precision: 5, scale: 2, nullable: true }) price!: string | number | null;
    @Column({ type: 'boolean', nullable: true }) flag!: boolean | null;
    @Column({ type: 'date', nullable: true }) born!: string | null;
    @Column({ type: timestamp, nullable: true }) seen!: Date | null;
    @Column({ type: json, nullable: true }) prefs!: unknown;
    @Column({ type: 'simple-array', nullable: true }) groups!: string[] | null;
    @Column({ type: 'simple-enum', enum: ['free', 'pro'], nullable: true }) tier!: string | null;
    @Column({ type: 'uuid', nullable: true }) ref!: string | null;
  }
  return TypedUser;
}

const MAPPING = {
  sub: 'sub',
  short: 'c:short',
  body: 'c:body',
  small: 'c:small',
  count: 'c:count',
  big: 'c:big',
  ratio: 'c:ratio',
  price: 'c:price',
  flag: 'c:flag',
  born: 'birthdate',
  seen: 'updated_at',
  prefs: 'c:prefs',
  groups: 'cognito:groups',
  tier: 'c:tier',
  ref: 'c:ref',
};

const GOOD = {
  'c:short': 'äöüßé',
  'c:body': 'a'.repeat(1000),
  'c:small': 32767,
  'c:count': '2147483647',
  'c:big': '1234567890123',
  'c:ratio': '1.5',
  'c:price': '123.45',
  'c:flag': 'TRUE',
  birthdate: '1990-05-17',
  updated_at: 1_700_000_000,
  'c:prefs': { theme: 'dark', sizes: [1, 2] },
  'cognito:groups': ['admin', 'dev'],
  'c:tier': 'pro',
  'c:ref': '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
};

const BAD: Record<string, unknown> = {
  'c:short': 'abcdef',
  'c:small': 32768,
  'c:count': 2.5,
  'c:big': '99999999999999999999',
  'c:ratio': 'half-ratio',
  'c:price': 1234.5,
  'c:flag': 'yes',
  birthdate: '1990-02-30',
  updated_at: { when: 'now' },
  'cognito:groups': ['a,b'],
  'c:tier': 'gold',
  'c:ref': 'not-a-uuid',
};

for (const kind of databaseKinds()) {
  describeDb(kind, 'claims fitted to typed columns', (db) => {
    const TypedUser = typedUserEntity(kind);
    let warnings: string[];
    beforeEach(() => {
      warnings = [];
      jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m)));
      jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    });
    afterEach(() => jest.restoreAllMocks());

    it('writes every value that fits, in the column type the database expects', async () => {
      const ds = await db.openDataSource([TypedUser]);
      const service = await UserSyncService.forDataSource(testSettings({ entity: TypedUser, fieldMapping: MAPPING }), ds);
      await service.resolveUser({ id: idClaims('typed-good', GOOD) });
      expect(warnings).toEqual([]);
      const row = await ds.getRepository(TypedUser).findOneByOrFail({ sub: 'typed-good' });
      expect(row.short).toBe('äöüßé');
      expect(row.body).toHaveLength(1000);
      expect(row.small).toBe(32767);
      expect(row.count).toBe(2147483647);
      expect(String(row.big)).toBe('1234567890123');
      expect(row.ratio).toBe(1.5);
      expect(Number(row.price)).toBe(123.45);
      expect(row.flag).toBe(true);
      expect(row.born).toBe('1990-05-17');
      expect(row.seen?.getTime()).toBe(1_700_000_000_000);
      expect(row.prefs).toEqual({ theme: 'dark', sizes: [1, 2] });
      expect(row.groups).toEqual(['admin', 'dev']);
      expect(row.tier).toBe('pro');
      expect(row.ref).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301');

      // The same claims again: nothing differs, nothing is written.
      const update = jest.spyOn(ds.getRepository(TypedUser).constructor.prototype, 'update');
      await service.resolveUser({ id: idClaims('typed-good', GOOD) });
      expect(update).not.toHaveBeenCalled();
    });

    it('skips each value that does not fit, with one warning each, and still writes the row', async () => {
      const ds = await db.openDataSource([TypedUser]);
      const service = await UserSyncService.forDataSource(testSettings({ entity: TypedUser, fieldMapping: MAPPING }), ds);
      const claims: Record<string, unknown> = { ...BAD, 'c:body': kind === 'postgres' ? 'secret-\u0000-text' : 'fine' };
      await service.resolveUser({ id: idClaims('typed-bad', claims) });
      const row = await ds.getRepository(TypedUser).findOneByOrFail({ sub: 'typed-bad' });
      for (const field of ['short', 'small', 'count', 'big', 'ratio', 'price', 'flag', 'born', 'seen', 'groups', 'tier', 'ref']) {
        expect({ field, value: row[field as keyof typeof row] }).toEqual({ field, value: null });
      }
      expect(row.body).toBe(kind === 'postgres' ? null : 'fine');
      expect(warnings).toHaveLength(Object.keys(BAD).length + (kind === 'postgres' ? 1 : 0));
      const text = warnings.join('\n');
      for (const secret of [
        'abcdef',
        '99999999999999999999',
        'half-ratio',
        'yes',
        '1990-02-30',
        'now',
        'a,b',
        'gold',
        'not-a-uuid',
        'secret-',
      ]) {
        expect(text).not.toContain(secret);
      }
    });
  });
}
