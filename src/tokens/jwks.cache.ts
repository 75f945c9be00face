import { createPublicKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AuthUnavailableError, TokenInvalidError } from '../errors/cognito-auth.errors.js';

/** Settings of one JWKS cache. */
export interface JwksCacheOptions {
  readonly jwksUri: string;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly retryAfterSeconds: number;
  /** Largest JWKS body accepted, in bytes. */
  readonly maxBodyBytes?: number;
  /** Clock in ms; tests may replace it. */
  readonly now?: () => number;
}

const DEFAULT_MAX_BODY = 256 * 1024;
const MAX_KEYS = 64;

/**
 * The key set of one issuer. Known kids are answered synchronously from memory; fetches are
 * single-flight, time out, and keep the last good key set when they fail (stale-if-error). An
 * unknown kid triggers at most one refetch per cooldown, counted from the end of the last fetch of
 * any kind (the start-up fetch included).
 */
export class JwksCache {
  private readonly logger = new Logger(JwksCache.name);
  private keys = new Map<string, KeyObject>();
  private loaded = false;
  private inFlight: Promise<boolean> | undefined;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: JwksCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Number of keys currently held. */
  get size(): number {
    return this.keys.size;
  }

  /** The key for `kid` if it is already known; no I/O. */
  peek(kid: string): KeyObject | undefined {
    return this.keys.get(kid);
  }

  /**
   * The key for `kid`. Unknown kid: joins a fetch in flight, or starts one when the cooldown has
   * passed; inside the cooldown it is `TokenInvalidError`. A fetch that fails with no usable key
   * for the kid is `AuthUnavailableError`.
   */
  async getKey(kid: string): Promise<KeyObject> {
    const known = this.keys.get(kid);
    if (known) return known;
    let fetched: boolean;
    if (this.inFlight) {
      fetched = await this.inFlight;
    } else if (this.now() - this.lastFetchAt >= this.options.cooldownMs) {
      fetched = await this.refresh();
    } else if (!this.loaded) {
      // No key set at all and a recent fetch failed: nothing can be verified yet.
      throw this.unavailable();
    } else {
      throw new TokenInvalidError('Token signed by an unknown key');
    }
    const key = this.keys.get(kid);
    if (key) return key;
    if (!fetched) throw this.unavailable();
    throw new TokenInvalidError('Token signed by an unknown key');
  }

  /** Fetches the key set now (joins a fetch in flight). Resolves true on success; never rejects. */
  refresh(): Promise<boolean> {
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

  private unavailable(): AuthUnavailableError {
    return new AuthUnavailableError('Signing keys are unavailable', this.options.retryAfterSeconds);
  }

  private async fetchKeys(): Promise<boolean> {
    try {
      const response = await fetch(this.options.jwksUri, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
        headers: { accept: 'application/json' },
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
      }
      const body = await readLimited(response, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY);
      const keys = parseJwks(body);
      if (keys.size === 0) throw new Error('JWKS holds no usable RS256 signing key');
      this.keys = keys;
      this.loaded = true;
      return true;
    } catch (err) {
      const reason = err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message) : 'unknown error';
      this.logger.warn(`JWKS fetch from ${this.options.jwksUri} failed (${reason}); ${this.loaded ? 'keeping the last good key set' : 'no key set yet'}`);
      return false;
    }
  }
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`JWKS body larger than ${limit} bytes`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`JWKS body larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JWKS document into kid → RSA public key, keeping only keys usable for RS256 signatures. */
export function parseJwks(body: string): Map<string, KeyObject> {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new Error('JWKS is not JSON');
  }
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('JWKS has no "keys" array');
  const keys = new Map<string, KeyObject>();
  for (const jwk of list.slice(0, MAX_KEYS)) {
    if (!jwk || typeof jwk !== 'object') continue;
    const { kty, kid, alg, use, n, e } = jwk as Record<string, unknown>;
    if (kty !== 'RSA' || typeof kid !== 'string' || kid === '' || typeof n !== 'string' || typeof e !== 'string') continue;
    if (alg !== undefined && alg !== 'RS256') continue;
    if (use !== undefined && use !== 'sig') continue;
    try {
      const key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) continue;
      keys.set(kid, key);
    } catch {
      // A malformed key is skipped; the others still count.
    }
  }
  return keys;
}
