/**
 * What the bench driver and the bench app (bench/server.ts, a child process) say to each other:
 * the config the driver hands the app in BENCH_SERVER_CONFIG, and the IPC messages the app sends.
 */
import type { IdpAddress } from './common.js';

/** What bench/run.ts hands the server (JSON in BENCH_SERVER_CONFIG). */
export interface ServerConfig {
  readonly mode: 'full' | 'cold' | 'fastify';
  readonly idp: IdpAddress;
  /** SQLite file for /sync-sqlite (full mode); /sync-sqlite-nocache uses `${sqliteFile}-nocache`. */
  readonly sqliteFile?: string;
  /** A fresh PostgreSQL database for /sync-postgres; absent: the route is not served. */
  readonly pg?: { host: string; port: number; user: string; password?: string; database: string; poolSize: number };
}

/** Messages the server sends its parent. */
export type ServerMessage =
  | { type: 'ready'; port: number; routes: string[]; startupMs: number }
  | {
      type: 'cpu';
      cpuUs: number;
      userUs: number;
      gcUs: number;
      queries: Record<string, number>;
      /** Per route path, since the previous 'cpu' message: synchronous canActivate calls and their median wall time. */
      guards: Record<string, { calls: number; medianNs: number }>;
    }
  | { type: 'mark'; monotonicUs: number }
  | {
      type: 'info';
      rss: number;
      heapUsed: number;
      tokenCache: Record<string, number>;
      userCache: Record<string, number>;
      rows: Record<string, number>;
    }
  | { type: 'error'; message: string };
