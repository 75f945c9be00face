import { Column, Entity, PrimaryColumn, QueryFailedError } from 'typeorm';
import { databaseErrorCode, isUniqueViolation } from '../../../src/users/unique-violation.js';
import { databaseKinds, describeDb } from '../../support/databases.js';

@Entity('uv_items')
class UvItem {
  @PrimaryColumn({ type: 'varchar', length: 64 }) key!: string;
  @Column({ type: 'varchar', length: 64, unique: true }) code!: string;
  @Column({ type: 'varchar', length: 64, nullable: false }) label!: string;
}

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

for (const kind of databaseKinds()) {
  describeDb(kind, 'isUniqueViolation on real driver errors', (db) => {
    it('recognises a duplicate unique column and a duplicate primary key, wrapped or raw', async () => {
      const ds = await db.openDataSource([UvItem]);
      const repo = ds.getRepository(UvItem);
      await repo.insert({ key: 'a', code: 'c1', label: 'x' });

      const dupUnique = await errorOf(() => repo.insert({ key: 'b', code: 'c1', label: 'x' }));
      expect(dupUnique).toBeInstanceOf(QueryFailedError);
      expect(isUniqueViolation(dupUnique)).toBe(true);
      expect(isUniqueViolation((dupUnique as QueryFailedError).driverError)).toBe(true);

      const dupPrimary = await errorOf(() => repo.insert({ key: 'a', code: 'c2', label: 'x' }));
      expect(isUniqueViolation(dupPrimary)).toBe(true);
      expect(databaseErrorCode(dupPrimary)).toBeDefined();
    });

    it('does not mistake other failures for unique violations', async () => {
      const ds = await db.openDataSource([UvItem]);
      const repo = ds.getRepository(UvItem);
      const notNull = await errorOf(() => ds.query(`INSERT INTO uv_items (${ds.driver.escape('key')}, code) VALUES ('k', 'c')`));
      expect(isUniqueViolation(notNull)).toBe(false);
      const noTable = await errorOf(() => ds.query('SELECT * FROM no_such_table'));
      expect(isUniqueViolation(noTable)).toBe(false);
      await repo.insert({ key: 'ok', code: 'ok', label: 'ok' });
      await ds.destroy();
      expect(isUniqueViolation(await errorOf(() => repo.findOneBy({ key: 'ok' })))).toBe(false);
    });
  });
}

describe('isUniqueViolation on driver error shapes', () => {
  it.each([
    ['better-sqlite3 unique', { code: 'SQLITE_CONSTRAINT_UNIQUE' }, true],
    ['better-sqlite3 primary key', { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, true],
    ['better-sqlite3 not null', { code: 'SQLITE_CONSTRAINT_NOTNULL' }, false],
    ['node-sqlite3', { code: 'SQLITE_CONSTRAINT', errno: 19, message: 'SQLITE_CONSTRAINT: UNIQUE constraint failed: t.c' }, true],
    ['node-sqlite3 check', { code: 'SQLITE_CONSTRAINT', errno: 19, message: 'SQLITE_CONSTRAINT: CHECK constraint failed' }, false],
    ['postgres', { code: '23505' }, true],
    ['postgres not null', { code: '23502' }, false],
    ['mysql code', { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' }, true],
    ['mysql errno only', { errno: 1062 }, true],
    ['mysql lock wait', { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }, false],
    ['mssql constraint', { number: 2627 }, true],
    ['mssql index', { number: 2601 }, true],
    ['mssql wrapped', { originalError: { info: { number: 2601 } } }, true],
    ['oracle', { errorNum: 1, message: 'ORA-00001: unique constraint (X.Y) violated' }, true],
    ['typeorm wrapper', { driverError: { code: '23505' } }, true],
    ['cause chain', { cause: { driverError: { errno: 1062 } } }, true],
    ['connection refused', { code: 'ECONNREFUSED', errno: -111 }, false],
    ['null', null, false],
    ['string', 'duplicate key', false],
  ])('%s', (_name, error, expected) => {
    expect(isUniqueViolation(error)).toBe(expected);
  });
});
