import type { DataSource } from 'typeorm';
import type { JwksStatus } from '../tokens/jwks.cache.js';
import type { CognitoStateStore } from '../shared-state/state-store.interface.js';

/** `up` or `down`, as `@nestjs/terminus` reads it. */
export type CognitoHealthStatus = 'up' | 'down';

/** The key set's part of the health details. Never a key, a kid, a token or the JWKS URL. */
export type JwksHealth = {
  readonly status: CognitoHealthStatus;
  /** Usable signing keys held now; 0 means no token can be verified. */
  readonly keys: number;
  /** When the key set held now was fetched (ISO 8601); null before the first success. */
  readonly fetchedAt: string | null;
  /** Age of the key set held now, in whole seconds; null before the first success. */
  readonly ageSeconds: number | null;
  /** How long a key set stays fresh (its `max-age`), in seconds. */
  readonly maxAgeSeconds: number;
  /** True when the key set is older than its `max-age` (a refetch is due or failing). */
  readonly stale: boolean;
  /** Why the latest fetch failed (URLs removed); null when it succeeded. */
  readonly lastError: string | null;
  /** When the latest fetch failed (ISO 8601); null when it succeeded. */
  readonly lastErrorAt: string | null;
};

/** A dependency checked by a round trip: the user database, the shared store. */
export type DependencyHealth = {
  readonly status: CognitoHealthStatus;
  /** Why it is down (the error's class name, or "timed out"); absent when up. */
  readonly message?: string;
};

const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi;

/** `text` without the JWKS URL or anything URL-shaped (a URL may carry a secret), capped at 200 characters. */
export function redactUrls(text: string, jwksUri: string): string {
  return text.split(jwksUri).join('<jwks-uri>').replace(URL_LIKE, '<url>').slice(0, 200);
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * The key set's health: up while at least one signing key is held, stale or not (stale-if-error:
 * tokens signed with held keys still verify while refetches fail); down when none is, because
 * then every token is refused with 503.
 */
export function jwksHealth(status: JwksStatus, jwksUri: string): JwksHealth {
  return {
    status: status.keys > 0 ? 'up' : 'down',
    keys: status.keys,
    fetchedAt: iso(status.fetchedAt),
    ageSeconds: status.ageMs === undefined ? null : Math.floor(status.ageMs / 1000),
    maxAgeSeconds: Math.floor(status.maxAgeMs / 1000),
    stale: status.ageMs !== undefined && status.ageMs > status.maxAgeMs,
    lastError: status.lastError === undefined ? null : redactUrls(status.lastError, jwksUri),
    lastErrorAt: iso(status.lastErrorAt),
  };
}

class CheckTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** `work()`, failing with a `TimeoutError` after `timeoutMs` (the work itself is not cancelled). */
async function withTimeout<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError()), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a round trip and reports it. A failure is reported by the error's class name only: driver
 * messages can hold host names, user names or connection strings.
 */
export async function roundTrip(work: () => Promise<unknown>, timeoutMs: number): Promise<DependencyHealth> {
  try {
    await withTimeout(work, timeoutMs);
    return { status: 'up' };
  } catch (error) {
    const message = error instanceof CheckTimeoutError ? 'timed out' : error instanceof Error ? error.name : 'failed';
    return { status: 'down', message };
  }
}

/** The user database's health: `SELECT 1` through the DataSource user sync works on. */
export function databaseHealth(dataSource: DataSource, timeoutMs: number): Promise<DependencyHealth> {
  if (!dataSource.isInitialized) return Promise.resolve({ status: 'down', message: 'not connected' });
  return roundTrip(() => dataSource.query('SELECT 1'), timeoutMs);
}

/**
 * What a store may offer a health check. Neither is part of every store: `healthy` (a synchronous
 * flag the store keeps, e.g. "the Redis connections are ready") and `ping()` (a round trip).
 */
export interface StoreHealthProbe {
  readonly healthy?: boolean;
  ping?(): Promise<unknown>;
}

/**
 * The shared store's health, when it can tell: by `ping()` when it has one, else by its `healthy`
 * flag; undefined for a store that offers neither (it is then not reported).
 */
export function storeHealth(store: CognitoStateStore & StoreHealthProbe, timeoutMs: number): Promise<DependencyHealth> | undefined {
  const ping = store.ping;
  if (typeof ping === 'function') return roundTrip(() => ping.call(store), timeoutMs);
  if (typeof store.healthy === 'boolean')
    return Promise.resolve(store.healthy ? { status: 'up' } : { status: 'down', message: 'unreachable' });
  return undefined;
}
