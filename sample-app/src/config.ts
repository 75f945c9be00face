import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { Note } from './notes/note.entity.js';
import { User } from './users/user.entity.js';

/** `sample-app/` itself, from both `sample-app/src/` (sources) and `dist-sample/src/` (compiled). */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SAMPLE_APP_DIR = path.join(PROJECT_ROOT, 'sample-app');
/** The login page's files. */
export const PUBLIC_DIR = path.join(SAMPLE_APP_DIR, 'public');
/** The SQLite file used when DATABASE_URL is not set. */
export const DEFAULT_SQLITE_FILE = path.join(SAMPLE_APP_DIR, 'data', 'app.db');

/** Raised for a bad setting; names the environment variable. */
export class SampleConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'SampleConfigError';
  }
}

/**
 * TypeORM options from `DATABASE_URL`:
 *
 * - `sqlite:<file>` (relative to the working directory), `sqlite:///abs/path.db`, `sqlite::memory:`;
 *   default `sqlite:sample-app/data/app.db` (better-sqlite3)
 * - `postgres://user:pass@host:5432/db` (or `postgresql://`)
 * - `mysql://user:pass@host:3306/db`, `mariadb://...`
 *
 * The schema is created by TypeORM's `synchronize` (a sample: use migrations in a real app;
 * `DB_SYNCHRONIZE=false` turns it off).
 */
export function databaseOptions(env: NodeJS.ProcessEnv = process.env): TypeOrmModuleOptions {
  const url = env.DATABASE_URL?.trim() || `sqlite:${DEFAULT_SQLITE_FILE}`;
  const common = {
    entities: [User, Note],
    synchronize: env.DB_SYNCHRONIZE !== 'false',
    logging: false,
    // Start-up fails fast (with the driver's message) instead of retrying for half a minute.
    retryAttempts: 2,
    retryDelay: 1000,
  };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite': {
      let file = url.slice('sqlite:'.length);
      if (file.startsWith('//')) file = file.slice(2); // sqlite:///abs/path, sqlite://./relative
      if (file === '') throw new SampleConfigError('DATABASE_URL', 'sqlite: needs a file name, e.g. sqlite:sample-app/data/app.db');
      if (file !== ':memory:') {
        file = path.resolve(file);
        mkdirSync(path.dirname(file), { recursive: true });
      }
      return { ...common, type: 'better-sqlite3', database: file, timeout: 5000 };
    }
    case 'postgres':
    case 'postgresql':
      return { ...common, type: 'postgres', url, connectTimeoutMS: 5000 };
    case 'mysql':
      return { ...common, type: 'mysql', url, connectTimeout: 5000 };
    case 'mariadb':
      return { ...common, type: 'mariadb', url: `mysql:${url.slice('mariadb:'.length)}`, connectTimeout: 5000 };
    default:
      throw new SampleConfigError('DATABASE_URL', 'expected a sqlite:, postgres://, mysql:// or mariadb:// URL');
  }
}

/** Where the HTTP server listens: `PORT` (default 3000) on `HOST` (default 127.0.0.1: loopback only). */
export function listenAddress(env: NodeJS.ProcessEnv = process.env): { port: number; host: string } {
  const raw = env.PORT?.trim() || '3000';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new SampleConfigError('PORT', `not a TCP port: "${raw}"`);
  return { port, host: env.HOST?.trim() || '127.0.0.1' };
}

/** A database URL with its password hidden, for logs. */
export function describeDatabase(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim() || `sqlite:${DEFAULT_SQLITE_FILE}`;
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
