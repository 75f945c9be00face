/**
 * Shared database setup for specs that need a real database.
 *
 * Each kind gets a fresh, randomly named database (a temp file for SQLite) that is dropped
 * afterwards. Servers and credentials come from the environment:
 *
 *   PostgreSQL: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD (none),
 *               PGDATABASE (test: the database connected to for CREATE / DROP DATABASE)
 *   MariaDB/MySQL: MYSQL_HOST (127.0.0.1), MYSQL_PORT (3306), MYSQL_USER (root),
 *               MYSQL_PASSWORD (none), MYSQL_TYPE (mariadb; or mysql: the TypeORM driver type)
 *   TEST_DATABASES: comma-separated subset of sqlite,postgres,mariadb (default all three)
 *   REQUIRE_DB=1: a database server that does not answer fails the spec instead of skipping it.
 *
 * Usage:
 *   for (const kind of databaseKinds()) {
 *     describeDb(kind, 'user sync', (db) => {
 *       it('...', async () => { const ds = await db.openDataSource([User]); ... });
 *     });
 *   }
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { DataSource, type DataSourceOptions } from 'typeorm';

// pg and better-sqlite3 ship no type declarations here (no @types packages): typed minimally.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rowCount: number | null }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}
interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient;
}
interface SqliteDatabase {
  exec(sql: string): unknown;
  close(): unknown;
}
type SqliteConstructor = new (file: string, options?: { timeout?: number }) => SqliteDatabase;

const pg: PgModule = ((await import('pg' as string)) as { default: PgModule }).default;
async function loadSqlite(): Promise<SqliteConstructor> {
  return ((await import('better-sqlite3' as string)) as { default: SqliteConstructor }).default;
}

export type DbKind = 'sqlite' | 'postgres' | 'mariadb';

export interface TestDatabase {
  readonly kind: DbKind;
  /** The database name (the file path for SQLite). */
  readonly name: string;
  /** TypeORM options for the fresh database, without `entities`. Small pools, driver timeouts set. */
  readonly options: DataSourceOptions;
  /** Drops the database (deletes the file). */
  drop(): Promise<void>;
}

const ALL_KINDS: readonly DbKind[] = ['sqlite', 'postgres', 'mariadb'];

/** The kinds to run DB specs on: all three unless TEST_DATABASES narrows them. */
export function databaseKinds(): DbKind[] {
  const wanted = process.env.TEST_DATABASES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return ALL_KINDS.filter((k) => !wanted || wanted.includes(k));
}

/** Pool size of every test DataSource: the machine has two cores. */
export const TEST_POOL_SIZE = 3;

function pgConfig() {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD ?? undefined,
    adminDatabase: process.env.PGDATABASE ?? 'test',
  };
}

function mysqlConfig() {
  return {
    host: process.env.MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_PORT ?? 3306),
    user: process.env.MYSQL_USER ?? 'root',
    password: process.env.MYSQL_PASSWORD ?? undefined,
    type: (process.env.MYSQL_TYPE ?? 'mariadb') as 'mariadb' | 'mysql',
  };
}

/** A short label of where a kind's server is expected, for messages. */
export function describeServer(kind: DbKind): string {
  if (kind === 'postgres') {
    const c = pgConfig();
    return `PostgreSQL at ${c.host}:${c.port} (user ${c.user}, database ${c.adminDatabase})`;
  }
  if (kind === 'mariadb') {
    const c = mysqlConfig();
    return `MariaDB/MySQL at ${c.host}:${c.port} (user ${c.user})`;
  }
  return 'SQLite (better-sqlite3)';
}

async function pgAdmin<T>(run: (client: PgClient) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const c = pgConfig();
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.adminDatabase,
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function mysqlAdmin<T>(run: (conn: mysql.Connection) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const c = mysqlConfig();
  const conn = await mysql.createConnection({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    connectTimeout: timeoutMs,
  });
  conn.on('error', () => undefined);
  try {
    return await run(conn);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/**
 * How long the probe gives a server to answer: generous, since every spec file probes at load
 * time on a CI machine that may be busy (a slow answer is not a missing server).
 */
const PROBE_TIMEOUT_MS = 10_000;

/** Whether the kind's server answers (within `PROBE_TIMEOUT_MS`). SQLite: whether better-sqlite3 loads. */
export async function dbAvailable(kind: DbKind): Promise<boolean> {
  try {
    if (kind === 'sqlite') {
      await loadSqlite();
      return true;
    }
    if (kind === 'postgres') return await pgAdmin(async (c) => (await c.query('SELECT 1')).rowCount === 1, PROBE_TIMEOUT_MS);
    return await mysqlAdmin(async (c) => {
      await c.query('SELECT 1');
      return true;
    }, PROBE_TIMEOUT_MS);
  } catch {
    return false;
  }
}

/** Creates a fresh database of that kind. */
export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  const name = `nca_${randomBytes(6).toString('hex')}`;
  if (kind === 'sqlite') {
    const file = join(tmpdir(), `${name}.sqlite`);
    return {
      kind,
      name: file,
      // `timeout`: how long better-sqlite3 waits on a locked database before SQLITE_BUSY.
      options: { type: 'better-sqlite3', database: file, timeout: 2000 },
      drop: async () => {
        await Promise.all(['', '-wal', '-shm', '-journal'].map((s) => rm(file + s, { force: true })));
      },
    };
  }
  if (kind === 'postgres') {
    const c = pgConfig();
    await pgAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
    return {
      kind,
      name,
      options: {
        type: 'postgres',
        host: c.host,
        port: c.port,
        username: c.user,
        password: c.password,
        database: name,
        poolSize: TEST_POOL_SIZE,
        // pg-pool uses it for connecting and for the wait for a free connection too: with 3 connections,
        // specs with hundreds of concurrent users queue hundreds of queries, on a machine that may be busy.
        connectTimeoutMS: 10_000,
        extra: { statement_timeout: 10_000, lock_timeout: 5000, query_timeout: 15_000 },
      },
      drop: () => pgAdmin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
    };
  }
  const c = mysqlConfig();
  await mysqlAdmin((conn) => conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  return {
    kind,
    name,
    options: {
      type: c.type,
      host: c.host,
      port: c.port,
      username: c.user,
      password: c.password,
      database: name,
      poolSize: TEST_POOL_SIZE,
      connectTimeout: 3000,
      charset: 'utf8mb4_unicode_ci',
    },
    drop: () => mysqlAdmin(async (conn) => void (await conn.query(`DROP DATABASE IF EXISTS \`${name}\``))),
  };
}

type EntityList = NonNullable<DataSourceOptions['entities']>;

/** What `describeDb` hands its body. */
export interface DbContext {
  readonly kind: DbKind;
  /** The fresh database of this describe block (available from beforeAll on). */
  database(): TestDatabase;
  /**
   * An initialised DataSource on the block's database with these entities. `reset` (default true)
   * drops every table first and synchronises the schema. Destroyed after each test.
   */
  openDataSource(entities: EntityList, options?: { reset?: boolean; override?: Partial<DataSourceOptions> }): Promise<DataSource>;
}

const availability = new Map<DbKind, Promise<boolean>>();
function availableOnce(kind: DbKind): Promise<boolean> {
  let p = availability.get(kind);
  if (!p) availability.set(kind, (p = dbAvailable(kind)));
  return p;
}

/** Probed once per spec file (top-level await), so `describeDb` can skip synchronously. */
const reachable = new Map<DbKind, boolean>(await Promise.all(databaseKinds().map(async (k) => [k, await availableOnce(k)] as const)));

/**
 * `describe` on a fresh database of that kind, created before the block and dropped after it.
 * When the server does not answer the block is skipped, or fails when REQUIRE_DB=1.
 */
export function describeDb(kind: DbKind, name: string, body: (db: DbContext) => void): void {
  const title = `${name} [${kind}]`;
  const up = reachable.get(kind); // undefined: not selected by TEST_DATABASES
  if (up !== true) {
    if (up === false && process.env.REQUIRE_DB === '1') {
      describe(title, () => {
        beforeAll(() => {
          throw new Error(
            `REQUIRE_DB=1 but ${describeServer(kind)} did not answer; start it or set the env variables in test/support/databases.ts`,
          );
        });
        it(`needs ${describeServer(kind)}`, () => undefined);
      });
    } else {
      const why = up === false ? `${describeServer(kind)} not reachable` : 'not in TEST_DATABASES';
      describe.skip(`${title} (${why}: skipped)`, () => {
        it('skipped', () => undefined);
      });
    }
    return;
  }

  describe(title, () => {
    let database: TestDatabase | undefined;
    const open: DataSource[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(kind);
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((ds) => (ds.isInitialized ? ds.destroy().catch(() => undefined) : undefined)));
    });
    afterAll(async () => {
      await Promise.all(open.splice(0).map((ds) => (ds.isInitialized ? ds.destroy().catch(() => undefined) : undefined)));
      await database?.drop();
    });

    body({
      kind,
      database: () => {
        if (!database) throw new Error('the test database is created in beforeAll');
        return database;
      },
      openDataSource: async (entities, options = {}) => {
        if (!database) throw new Error('the test database is created in beforeAll');
        const reset = options.reset ?? true;
        const ds = new DataSource({
          ...database.options,
          entities,
          synchronize: reset,
          dropSchema: reset,
          ...options.override,
        } as DataSourceOptions);
        open.push(ds);
        await ds.initialize();
        return ds;
      },
    });
  });
}

/**
 * A TCP proxy on a loopback port in front of a database server, to simulate the server going
 * away: `close()` stops listening (new connections are refused) and resets every open one.
 * Start another on the same `listenPort` to bring the server back.
 */
export interface TcpProxy {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number, listenPort = 0): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.resetAndDestroy();
        server.close(() => resolve());
      }),
  };
}

/** The options of a database reached through a proxy port (server kinds only). */
export function throughProxy(options: DataSourceOptions, port: number): DataSourceOptions {
  return { ...options, host: '127.0.0.1', port } as DataSourceOptions;
}

/** Host and port of a server kind. */
export function serverAddress(kind: Exclude<DbKind, 'sqlite'>): { host: string; port: number } {
  const c = kind === 'postgres' ? pgConfig() : mysqlConfig();
  return { host: c.host, port: c.port };
}

/** Runs SQL on the kind's server in the given database through a separate raw connection (for locks). */
export async function rawConnection(db: TestDatabase): Promise<{ query(sql: string): Promise<unknown>; close(): Promise<void> }> {
  if (db.kind === 'postgres') {
    const c = pgConfig();
    const client = new pg.Client({ host: c.host, port: c.port, user: c.user, password: c.password, database: db.name });
    client.on('error', () => undefined);
    await client.connect();
    return { query: (sql) => client.query(sql), close: () => client.end() };
  }
  if (db.kind === 'mariadb') {
    const c = mysqlConfig();
    const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, database: db.name });
    conn.on('error', () => undefined);
    return { query: (sql) => conn.query(sql), close: () => conn.end() };
  }
  const Database = await loadSqlite();
  const sqlite = new Database(db.name, { timeout: 100 });
  return {
    query: async (sql) => sqlite.exec(sql),
    close: async () => void sqlite.close(),
  };
}
