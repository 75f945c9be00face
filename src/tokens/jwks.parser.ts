import { createPublicKey, type KeyObject } from 'node:crypto';

/** Smallest RSA modulus accepted, in bits (NIST SP 800-131A: 2048 bits at least). */
export const MIN_RSA_BITS = 2048;
/**
 * Largest RSA modulus accepted, in bits. A huge modulus makes every signature check slow, so a
 * key set that publishes one could be used to spend the server's CPU.
 */
export const MAX_RSA_BITS = 8192;
/** How many entries of a key set are looked at; the rest are ignored. */
export const MAX_JWKS_KEYS = 64;

/** How long a key set is fresh when its response names no `max-age`: one hour. */
export const DEFAULT_JWKS_MAX_AGE_MS = 60 * 60 * 1000;
/** A `max-age` below this is raised to it: a key set is not refetched more often than once a minute. */
export const MIN_JWKS_MAX_AGE_MS = 60 * 1000;
/** A `max-age` above this is lowered to it: removed keys are noticed within a day. */
export const MAX_JWKS_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const MAX_AGE = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?=,|$)/i;

/**
 * Parses a JWKS document (RFC 7517 section 5) into kid → RSA public key, keeping only keys
 * usable for RS256 signatures: `kty` RSA, a non-empty `kid`, `alg` absent or RS256, `use` absent
 * or `sig`, a modulus of 2048 to 8192 bits. Malformed entries are skipped; when a kid appears
 * twice, the first usable entry wins.
 * @throws Error when the body is not JSON or has no `keys` array
 */
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
  for (const jwk of list.slice(0, MAX_JWKS_KEYS)) {
    if (!jwk || typeof jwk !== 'object') continue;
    const { kty, kid, alg, use, n, e } = jwk as Record<string, unknown>;
    if (kty !== 'RSA' || typeof kid !== 'string' || kid === '' || typeof n !== 'string' || typeof e !== 'string') continue;
    if (alg !== undefined && alg !== 'RS256') continue;
    if (use !== undefined && use !== 'sig') continue;
    if (keys.has(kid)) continue;
    const key = rsaPublicKey(n, e);
    if (key) keys.set(kid, key);
  }
  return keys;
}

/** The RSA public key of a JWK's `n` and `e`, or undefined when malformed or of a refused size. */
function rsaPublicKey(n: string, e: string): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
  } catch {
    return undefined;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return bits >= MIN_RSA_BITS && bits <= MAX_RSA_BITS ? key : undefined;
}

/**
 * How long a fetched key set stays fresh: the response's `Cache-Control: max-age` (RFC 9111
 * section 5.2.2.1) kept within one minute and one day, else one hour. `no-store` and `no-cache`
 * do not shorten it: they speak to HTTP caches, and the verifier must hold some key set.
 */
export function jwksMaxAgeMs(cacheControl: string | null): number {
  const match = cacheControl ? MAX_AGE.exec(cacheControl) : null;
  if (!match) return DEFAULT_JWKS_MAX_AGE_MS;
  const ms = Number(match[1]) * 1000;
  return Math.min(MAX_JWKS_MAX_AGE_MS, Math.max(MIN_JWKS_MAX_AGE_MS, ms));
}
