import type { KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AuthUnavailableError, TokenInvalidError } from '../errors/cognito-auth.errors.js';
import { DEFAULT_JWKS_MAX_AGE_MS, jwksMaxAgeMs, parseJwks } from './jwks.parser.js';

/** The HTTP client a `JwksCache` fetches with: the global `fetch` by default. */
export type JwksFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Settings and seams of one JWKS cache. */
export interface JwksCacheOptions {
  readonly jwksUri: string;
  /** Deadline of one fetch, body included, in ms. */
  readonly timeoutMs: number;
  /** Least time between two fetches caused by unknown kids or a stale key set, in ms. */
  readonly cooldownMs: number;
  /** `Retry-After` of the `AuthUnavailableError` raised when no key can be had. */
  readonly retryAfterSeconds: number;
  /** Largest JWKS body accepted, in bytes. Default 256 KiB. */
  readonly maxBodyBytes?: number;
  /** Clock in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** HTTP client. Default the global `fetch`. */
  readonly fetch?: JwksFetch;
}

/** What a health check may read about a key set. */
export interface JwksStatus {
  /** Usable keys held now. */
  readonly keys: number;
  /** When the key set held now was fetched (ms since the epoch); undefined before the first success. */
  readonly fetchedAt: number | undefined;
  /** Age of the key set held now, in ms; undefined before the first success. */
  readonly ageMs: number | undefined;
  /** How long the key set stays fresh (its response's `max-age`, default one hour), in ms. */
  readonly maxAgeMs: number;
  /** Why the latest fetch failed; undefined when it succeeded or none has ended yet. */
  readonly lastError: string | undefined;
  /** When the latest fetch failed (ms since the epoch); undefined when it succeeded. */
  readonly lastErrorAt: number | undefined;
}

const DEFAULT_MAX_BODY = 256 * 1024;

/**
 * The key set of one issuer. Known kids are answered synchronously from memory. Fetches are
 * single-flight, end within `timeoutMs`, and keep the last good key set when they fail
 * (stale-if-error). An unknown kid triggers at most one refetch per cooldown, counted from the
 * last fetch of any kind (the start-up fetch included). A key set older than its `max-age` is
 * refetched in the background by the first lookup after that; no lookup waits for it. A refetch
 * that no longer lists a kid drops that key; an unchanged key keeps its `KeyObject`, so callers
 * may compare keys by identity to learn whether a kid still maps to the key they used.
 */
export class JwksCache {
  private readonly logger = new Logger(JwksCache.name);
  private readonly now: () => number;
  private readonly fetch: JwksFetch;
  private keys = new Map<string, KeyObject>();
  private loaded = false;
  private inFlight: Promise<boolean> | undefined;
  private abort: AbortController | undefined;
  private closed = false;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private fetchedAt: number | undefined;
  private maxAgeMs = DEFAULT_JWKS_MAX_AGE_MS;
  private staleAt = Number.POSITIVE_INFINITY;
  private lastError: { reason: string; at: number } | undefined;

  constructor(private readonly options: JwksCacheOptions) {
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /** Number of keys held now. */
  get size(): number {
    return this.keys.size;
  }

  /** Key set age, freshness and the latest fetch error, for health checks. */
  status(): JwksStatus {
    const now = this.now();
    return {
      keys: this.keys.size,
      fetchedAt: this.fetchedAt,
      ageMs: this.fetchedAt === undefined ? undefined : now - this.fetchedAt,
      maxAgeMs: this.maxAgeMs,
      lastError: this.lastError?.reason,
      lastErrorAt: this.lastError?.at,
    };
  }

  /**
   * The key for `kid` if it is held now; no waiting. Starts a background refetch when the key
   * set is older than its `max-age` (and the cooldown has passed).
   */
  peek(kid: string): KeyObject | undefined {
    if (this.now() >= this.staleAt) this.refreshWhenCooled();
    return this.keys.get(kid);
  }

  /**
   * The key for `kid`. Unknown kid: joins a fetch in flight, or starts one when the cooldown has
   * passed; inside the cooldown it is `TokenInvalidError`. When the fetch that was tried failed
   * and left no key for the kid, or no key set was ever loaded, it is `AuthUnavailableError`.
   */
  async getKey(kid: string): Promise<KeyObject> {
    const known = this.peek(kid);
    if (known) return known;
    let fetched: boolean;
    if (this.inFlight) {
      fetched = await this.inFlight;
    } else if (this.now() - this.lastFetchAt >= this.options.cooldownMs) {
      fetched = await this.refresh();
    } else if (!this.loaded) {
      throw this.unavailable();
    } else {
      throw new TokenInvalidError('Token signed by an unknown key');
    }
    const key = this.keys.get(kid);
    if (key) return key;
    if (!fetched) throw this.unavailable();
    throw new TokenInvalidError('Token signed by an unknown key');
  }

  /** Fetches the key set now, or joins the fetch in flight. Resolves true on success; never rejects. */
  refresh(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!this.inFlight) {
      this.lastFetchAt = this.now();
      this.inFlight = this.fetchKeys().finally(() => {
        // The cooldown runs from the end of a fetch too: a slow endpoint is not hit back to back.
        this.lastFetchAt = this.now();
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** Aborts a fetch in flight and starts no more. */
  close(): void {
    this.closed = true;
    this.abort?.abort(new Error('JWKS cache closed'));
  }

  private refreshWhenCooled(): void {
    if (!this.inFlight && this.now() - this.lastFetchAt >= this.options.cooldownMs) void this.refresh();
  }

  private unavailable(): AuthUnavailableError {
    return new AuthUnavailableError('Signing keys are unavailable', this.options.retryAfterSeconds);
  }

  private async fetchKeys(): Promise<boolean> {
    const controller = new AbortController();
    this.abort = controller;
    const timer = setTimeout(() => controller.abort(timeoutError()), this.options.timeoutMs);
    timer.unref();
    try {
      const { keys, maxAgeMs } = await untilAborted(this.download(controller.signal), controller.signal);
      this.install(keys, maxAgeMs);
      return true;
    } catch (err) {
      this.recordFailure(err);
      return false;
    } finally {
      clearTimeout(timer);
      this.abort = undefined;
    }
  }

  private async download(signal: AbortSignal): Promise<{ keys: Map<string, KeyObject>; maxAgeMs: number }> {
    const response = await this.fetch(this.options.jwksUri, { signal, redirect: 'error', headers: { accept: 'application/json' } });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
    }
    const body = await readLimited(response, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY, signal);
    const keys = parseJwks(body);
    if (keys.size === 0) throw new Error('JWKS holds no usable RS256 signing key');
    return { keys, maxAgeMs: jwksMaxAgeMs(response.headers.get('cache-control')) };
  }

  /** Replaces the key set, keeping the `KeyObject` of every key that did not change. */
  private install(fetched: Map<string, KeyObject>, maxAgeMs: number): void {
    const next = new Map<string, KeyObject>();
    for (const [kid, key] of fetched) {
      const held = this.keys.get(kid);
      next.set(kid, held?.equals(key) ? held : key);
    }
    const dropped = [...this.keys.keys()].filter((kid) => next.get(kid) !== this.keys.get(kid)).length;
    // Kids are logged by count only: a kid is part of every token signed with it.
    if (dropped > 0) this.logger.log(`JWKS refetch dropped or replaced ${dropped} key(s); tokens signed with them stop passing`);
    const now = this.now();
    this.keys = next;
    this.loaded = true;
    this.fetchedAt = now;
    this.maxAgeMs = maxAgeMs;
    this.staleAt = now + maxAgeMs;
    this.lastError = undefined;
  }

  private recordFailure(err: unknown): void {
    const reason = err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message.slice(0, 200)) : 'unknown error';
    this.lastError = { reason, at: this.now() };
    if (this.closed) return;
    this.logger.warn(
      `JWKS fetch from ${this.options.jwksUri} failed (${reason}); ${this.loaded ? 'keeping the last good key set' : 'no key set yet'}`,
    );
  }
}

function timeoutError(): Error {
  return Object.assign(new Error('JWKS fetch timed out'), { name: 'TimeoutError' });
}

/** `work`, or its signal's reason once aborted, whichever comes first (a fetch seam may ignore the signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function readLimited(response: Response, limit: number, signal: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`JWKS body larger than ${limit} bytes`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const cancel = (): void => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      signal.throwIfAborted();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        cancel();
        throw new Error(`JWKS body larger than ${limit} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
