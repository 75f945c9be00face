/**
 * Recognises a unique-constraint violation raised by any driver TypeORM supports, whether it
 * arrives raw or wrapped (TypeORM's `QueryFailedError` keeps the driver's error in `driverError`
 * and also copies its fields onto itself; some drivers nest the original under `cause` or
 * `originalError`).
 *
 * - better-sqlite3: `code` `SQLITE_CONSTRAINT_UNIQUE` / `SQLITE_CONSTRAINT_PRIMARYKEY`
 *   (node-sqlite3: `SQLITE_CONSTRAINT` with a "UNIQUE constraint failed" message)
 * - PostgreSQL and CockroachDB: SQLSTATE `23505`
 * - MySQL / MariaDB: errno `1062` (`ER_DUP_ENTRY`) or `1586` (`ER_DUP_ENTRY_WITH_KEY_NAME`)
 * - SQL Server: error number `2627` (unique constraint) or `2601` (unique index)
 * - Oracle: `ORA-00001` (errorNum 1)
 */
export function isUniqueViolation(error: unknown): boolean {
  return someInChain(error, isUniqueViolationItself);
}

const SQLITE_UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const MYSQL_UNIQUE_CODES = new Set(['ER_DUP_ENTRY', 'ER_DUP_ENTRY_WITH_KEY_NAME']);
const MYSQL_UNIQUE_ERRNOS = new Set([1062, 1586]);
const MSSQL_UNIQUE_NUMBERS = new Set([2627, 2601]);

function isUniqueViolationItself(e: Record<string, unknown>): boolean {
  const code = e['code'];
  if (typeof code === 'string') {
    if (SQLITE_UNIQUE_CODES.has(code)) return true;
    if (code === '23505') return true;
    if (MYSQL_UNIQUE_CODES.has(code)) return true;
    if (code === 'SQLITE_CONSTRAINT' && typeof e['message'] === 'string') {
      return /UNIQUE constraint failed|PRIMARY KEY must be unique|is not unique/i.test(e['message']);
    }
  }
  const errno = e['errno'];
  if (typeof errno === 'number' && MYSQL_UNIQUE_ERRNOS.has(errno)) return true;
  const num = e['number'];
  if (typeof num === 'number' && MSSQL_UNIQUE_NUMBERS.has(num)) return true;
  const info = e['info'];
  if (info && typeof info === 'object') {
    const infoNum = (info as Record<string, unknown>)['number'];
    if (typeof infoNum === 'number' && MSSQL_UNIQUE_NUMBERS.has(infoNum)) return true;
  }
  if (e['errorNum'] === 1 && typeof e['message'] === 'string' && e['message'].startsWith('ORA-00001')) return true;
  return false;
}

/** The driver-level code of a database error, for logs: never its message (which may quote values). */
export function databaseErrorCode(error: unknown): string | undefined {
  let found: string | undefined;
  someInChain(error, (e) => {
    for (const key of ['code', 'errno', 'number', 'sqlState']) {
      const v = e[key];
      if (typeof v === 'string' || typeof v === 'number') {
        found = String(v);
        return true;
      }
    }
    return false;
  });
  return found;
}

/** Applies `test` to the error and the errors it wraps (`driverError`, `cause`, `originalError`), a few levels deep. */
function someInChain(error: unknown, test: (e: Record<string, unknown>) => boolean): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 8) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const rec = e as Record<string, unknown>;
    if (test(rec)) return true;
    queue.push(rec['driverError'], rec['cause'], rec['originalError']);
  }
  return false;
}
