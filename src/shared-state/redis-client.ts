import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import { optionalRequire } from '../internal/optional-require.cjs';

/**
 * The part of an ioredis 5/6 client the Redis store uses, typed here so that the library's
 * declarations never name the optional peer `ioredis` (an app without it still type-checks).
 */
export interface RedisClientLike {
  /** ioredis connection state: `wait`, `connecting`, `connect`, `ready`, `reconnecting`, `close`, `end`. */
  readonly status: string;
  ping(): Promise<string>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ttlMs: number): Promise<unknown>;
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<unknown>;
  del(key: string): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  mget(...keys: string[]): Promise<Array<string | null>>;
  duplicate(override?: Record<string, unknown>): RedisClientLike;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  removeAllListeners(): unknown;
}

/** `new Redis(url, options)` of ioredis. */
export type RedisClientConstructor = new (url: string, options: Record<string, unknown>) => RedisClientLike;

interface IoredisModule {
  Redis?: RedisClientConstructor;
  default?: RedisClientConstructor;
}

/**
 * The ioredis client class, loaded when a Redis store is configured and only then.
 * @throws CognitoConfigError when ioredis is not installed
 */
export function loadIoredis(setting = 'sharedState.redis'): RedisClientConstructor {
  const loaded = optionalRequire<IoredisModule | RedisClientConstructor>('ioredis');
  if (loaded === undefined) {
    throw new CognitoConfigError(
      setting,
      'a Redis store needs the optional peer dependency "ioredis" (npm install ioredis@5), which is not installed',
    );
  }
  const ctor = typeof loaded === 'function' ? loaded : (loaded.Redis ?? loaded.default);
  if (typeof ctor !== 'function') throw new CognitoConfigError(setting, 'the installed "ioredis" does not export a Redis client class');
  return ctor;
}

/** ioredis's `disconnectTimeout` the store uses, in ms. */
export const DISCONNECT_TIMEOUT_MS = 50;

/** How long to wait for a reconnection: 50 ms doubling up to 2 s, for ever (until closed). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 10), 2000);
}

/**
 * ioredis options that make a down or slow Redis fail fast instead of queueing: no offline
 * queue, no command retried over a reconnection, every command bounded by `commandTimeoutMs`,
 * every connection attempt by `connectTimeoutMs`; the client reconnects by itself.
 */
export function failFastOptions(commandTimeoutMs: number, connectTimeoutMs: number): Record<string, unknown> {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false, // the store subscribes again itself once ready, then reloads
    commandTimeout: commandTimeoutMs,
    connectTimeout: connectTimeoutMs,
    retryStrategy: reconnectDelayMs,
    lazyConnect: false,
    // ioredis arms a timer this long when it disconnects, cleared when the socket closes; a socket
    // that had already failed never closes again, so keep it short (see RedisStateStore.close).
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
}

/** Escapes Redis glob characters, so a prefix matches itself only (`SCAN MATCH`). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
