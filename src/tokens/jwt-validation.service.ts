import * as crypto from 'node:crypto';
import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import { CognitoAuthError, TokenInvalidError, TokenMismatchError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { DEFAULT_POOL_NAME } from '../options/pools.resolver.js';
import {
  accessTokenHash,
  decodeJsonSegment,
  type JsonObject,
  rs256Holds,
  rs256HoldsOnPool,
  type Rs256Jws,
  splitRs256Jws,
} from './compact-jws.decoder.js';
import { tokenLabel, type TokenUseClaim } from './claims.checker.js';
import { buildRoutes, type IssuerRoute, type KeySet } from './issuer-routes.js';
import type { JwksCache, JwksStatus } from './jwks.cache.js';
import { SecondSightFilter } from './second-sight.filter.js';
import type { CognitoAccessTokenClaims, CognitoBaseClaims, CognitoIdTokenClaims } from './token.types.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

/** A verified token in the cache, with the key set and key that verified it (dropped from the JWKS: no longer trusted). */
interface CacheEntry {
  readonly claims: CognitoBaseClaims;
  readonly kid: string;
  readonly key: crypto.KeyObject;
  readonly jwks: JwksCache;
}

/** One key set the service holds: a pool's, or one of its replicas'. */
export interface PoolKeySetStatus {
  /** The pool's name (`default` with a single pool). */
  readonly pool: string;
  readonly jwksUri: string;
  readonly status: JwksStatus;
}

/** A token split, its header checked, its payload decoded and its issuer's pool found: ready for the RS256 check. */
interface RoutedJws extends Pick<Rs256Jws, 'kid' | 'signingInput' | 'signature'> {
  readonly unverified: JsonObject;
  readonly route: IssuerRoute;
}

/** Three base64url segments: ASCII only, so hashing it as UTF-8 (the cache key) or as ASCII (`at_hash`) is one hash. */
const BASE64URL_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// One-shot hashing (Node 20.12+) is several times cheaper than createHash().update().digest().
const sha256 = (data: string): string => crypto.hash('sha256', data, 'base64');

/**
 * Verifies Cognito access and ID tokens offline against their pool's JWKS: RS256 only (RFC 7518
 * section 3.3), `kid` required, `crit` refused, length capped before decoding, every segment
 * canonical base64url, exact `iss`, `token_use`, client, `exp`/`iat`/`nbf` with clock tolerance,
 * and the ID/access pair bound by `sub`, client, issuer, `origin_jti` and `at_hash`. Tokens seen
 * again are answered from a bounded cache while their key is still published.
 *
 * With several pools each token is checked only against the pool its `iss` names: that pool's
 * key set and app clients, and no other pool's. An issuer no pool has is refused before any key
 * is looked up. Every failure is a typed `CognitoAuthError`; nothing else escapes.
 */
@Injectable()
export class JwtValidationService implements OnModuleInit, OnModuleDestroy {
  /** The first pool's key set (the `default` pool's when there is one). */
  private readonly jwks: JwksCache;
  private readonly keySets: readonly KeySet[];
  private readonly routes: ReadonlyMap<string, IssuerRoute>;
  private readonly cache: VerifiedTokenCache<CacheEntry>;
  /** Once the cache is full, a new token is cached on its second sight only. */
  private readonly admission: SecondSightFilter;
  private readonly now: () => number;
  private readonly lastKeys: Record<TokenUseClaim, { token: string; key: string }> = {
    access: { token: '', key: '' },
    id: { token: '', key: '' },
  };

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    @Optional() @Inject(COGNITO_CLOCK) clock?: () => number,
  ) {
    this.now = clock ?? Date.now;
    const { routes, keySets } = buildRoutes(settings, this.now);
    this.routes = routes;
    this.keySets = keySets;
    this.jwks = keySets[0].cache;
    this.cache = new VerifiedTokenCache(settings.tokenCacheSize);
    this.admission = new SecondSightFilter(settings.tokenCacheSize);
  }

  /** Loads every pool's key set at start-up; a failure is logged, not fatal (requests retry after the cooldown). */
  async onModuleInit(): Promise<void> {
    await Promise.all(this.keySets.map((k) => k.cache.refresh()));
  }

  /** Aborts key-set fetches in flight; no background refetch starts after this. */
  onModuleDestroy(): void {
    for (const k of this.keySets) k.cache.close();
  }

  /** Entries in the verified-token cache now. */
  get cachedTokenCount(): number {
    return this.cache.size;
  }

  /** Keys in the JWKS caches now, every pool's. */
  get cachedKeyCount(): number {
    return this.keySets.reduce((sum, k) => sum + k.cache.size, 0);
  }

  /** The first pool's key set: its size, age and latest fetch error, for a health indicator. */
  jwksStatus(): JwksStatus {
    return this.jwks.status();
  }

  /** Every key set (one per pool, and one per replica issuer), for a health indicator. */
  jwksStatuses(): readonly PoolKeySetStatus[] {
    return this.keySets.map((k) => ({ pool: k.pool, jwksUri: k.jwksUri, status: k.cache.status() }));
  }

  /** The name of the pool whose issuer verified claims carry (`default` with a single pool). */
  poolOf(claims: Pick<CognitoBaseClaims, 'iss'>): string {
    return this.routes.get(claims.iss)?.pool ?? DEFAULT_POOL_NAME;
  }

  /**
   * Verifies an access token.
   * @throws TokenInvalidError, TokenExpiredError (with the verified claims), AuthUnavailableError
   */
  verifyAccessToken(token: string): Promise<CognitoAccessTokenClaims> {
    return this.verify(token, 'access') as Promise<CognitoAccessTokenClaims>;
  }

  /**
   * Verifies an ID token.
   * @throws TokenInvalidError, TokenExpiredError (with the verified claims), AuthUnavailableError
   */
  verifyIdToken(token: string): Promise<CognitoIdTokenClaims> {
    return this.verify(token, 'id') as Promise<CognitoIdTokenClaims>;
  }

  /**
   * Verifies both tokens, each on its own first, then that they belong together.
   * @throws as the single verifications, then TokenMismatchError
   */
  async verifyPair(idToken: string, accessToken: string): Promise<{ id: CognitoIdTokenClaims; access: CognitoAccessTokenClaims }> {
    const [id, access] = await Promise.all([this.verifyIdToken(idToken), this.verifyAccessToken(accessToken)]);
    this.checkPair(id, access, accessToken);
    return { id, access };
  }

  /**
   * Checks that verified ID and access claims belong together: same `sub`, the ID token's `aud`
   * is the access token's `client_id`, same `iss`, the same `origin_jti` when both carry one (the
   * authentication event Cognito issued them for), and `at_hash` (when the ID token has one,
   * OIDC Core section 3.1.3.6) matches the access token. Works on the claims of expired tokens too.
   * @throws TokenMismatchError
   */
  checkPair(id: CognitoIdTokenClaims, access: CognitoAccessTokenClaims, accessToken: string): void {
    if (id.sub !== access.sub) throw new TokenMismatchError('ID token and access token belong to different users');
    if (id.aud !== access.client_id) throw new TokenMismatchError('ID token and access token were issued to different clients');
    if (id.iss !== access.iss) throw new TokenMismatchError('ID token and access token come from different issuers');
    if (id.origin_jti !== undefined && access.origin_jti !== undefined && id.origin_jti !== access.origin_jti) {
      throw new TokenMismatchError('ID token and access token come from different sign-ins');
    }
    if (id.at_hash !== undefined && id.at_hash !== this.atHash(accessToken)) {
      throw new TokenMismatchError('ID token at_hash does not match the access token');
    }
  }

  /**
   * The claims of a token verified before, from the cache, with no I/O and no signature check;
   * `undefined` when the token has to go through full verification (never seen, not admitted yet, evicted, past its
   * `exp`, or its key is no longer in the JWKS). Every hit of one cached token returns the same
   * deep-frozen claims object, so callers may key their own derived data on it (in a `WeakMap`).
   * @throws TokenInvalidError when the cached token is of the other use
   */
  cachedClaims(token: string, use: TokenUseClaim): CognitoBaseClaims | undefined {
    if (this.settings.tokenCacheSize === 0 || typeof token !== 'string' || token.length > this.settings.maxTokenLength) return undefined;
    const cacheKey = this.cacheKey(token, use);
    const hit = this.cache.get(cacheKey, this.now());
    if (!hit) return undefined;
    if (hit.jwks.peek(hit.kid) !== hit.key) {
      this.cache.delete(cacheKey);
      return undefined;
    }
    if (hit.claims.token_use !== use) throw new TokenInvalidError(`Token is not ${use === 'access' ? 'an access token' : 'an ID token'}`);
    return hit.claims;
  }

  /**
   * `at_hash` of an access token: the left half of its SHA-256, base64url (OIDC Core section
   * 3.1.3.6). A base64url token is ASCII, so its cache key is that same SHA-256: the hash the cache
   * probe made is reused.
   */
  private atHash(accessToken: string): string {
    if (!BASE64URL_JWS.test(accessToken)) return accessTokenHash(accessToken);
    return Buffer.from(this.cacheKey(accessToken, 'access'), 'base64').subarray(0, 16).toString('base64url');
  }

  /**
   * The cache key (a SHA-256 of the token). The last key of each use is remembered, so a cache
   * probe and the full verification after a miss hash the token once.
   */
  private cacheKey(token: string, use: TokenUseClaim): string {
    const last = this.lastKeys[use];
    if (last.token === token) return last.key;
    last.key = sha256(token);
    last.token = token;
    return last.key;
  }

  /**
   * Verifies a token, synchronously whenever nothing has to wait: a token in the cache, or a new
   * token whose key is held, its RS256 check made on this thread. A promise when a key has to be
   * fetched, or when `onPool` hands the RS256 check to libuv's thread pool (this thread goes on
   * with other work meanwhile). Every check of `verifyAccessToken` / `verifyIdToken` is made, in
   * the same order, wherever the signature is checked.
   * @throws (or rejects with) TokenInvalidError, TokenExpiredError (with the verified claims), AuthUnavailableError
   */
  check(token: string, use: TokenUseClaim, onPool = false): CognitoBaseClaims | Promise<CognitoBaseClaims> {
    try {
      const hit = this.cachedClaims(token, use);
      if (hit) return hit;
      const jws = this.decode(token, use);
      const key = jws.route.jwks.peek(jws.kid);
      if (key && !onPool)
        return this.accept(this.settings.tokenCacheSize > 0 ? this.cacheKey(token, use) : '', use, jws, key, rs256Holds(jws, key));
      return this.checkLater(token, use, jws, key, onPool);
    } catch (err) {
      throw asTokenError(err, use);
    }
  }

  private verify(token: string, use: TokenUseClaim): Promise<CognitoBaseClaims> {
    try {
      return Promise.resolve(this.check(token, use));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `check` once a key has to be fetched, or with the RS256 check on the thread pool. */
  private async checkLater(
    token: string,
    use: TokenUseClaim,
    jws: RoutedJws,
    held: crypto.KeyObject | undefined,
    onPool: boolean,
  ): Promise<CognitoBaseClaims> {
    try {
      // The probe's hash, taken before waiting: other tokens are checked meanwhile.
      const cacheKey = this.settings.tokenCacheSize > 0 ? this.cacheKey(token, use) : '';
      const key = held ?? (await jws.route.jwks.getKey(jws.kid));
      return this.accept(cacheKey, use, jws, key, onPool ? await rs256HoldsOnPool(jws, key) : rs256Holds(jws, key));
    } catch (err) {
      throw asTokenError(err, use);
    }
  }

  /**
   * Length, segments, header (RS256, no `crit`, a `kid`), then the payload, read before the
   * signature holds only for its `iss`, to pick the one pool that may have signed it: its keys, its
   * clients, no other pool's. An issuer no pool has costs no key-set fetch.
   */
  private decode(token: string, use: TokenUseClaim): RoutedJws {
    const label = tokenLabel(use);
    if (typeof token !== 'string' || token.length === 0) throw new TokenInvalidError(`${label} is empty`);
    if (token.length > this.settings.maxTokenLength) throw new TokenInvalidError(`${label} is too long`);
    const { kid, signingInput, signature, payload } = splitRs256Jws(token, label);
    const unverified = decodeJsonSegment(payload);
    return { kid, signingInput, signature, unverified, route: this.routeOf(unverified, label) };
  }

  /**
   * After the RS256 check: the claims are checked only once the signature holds, then cached under
   * the probe's hash. A full cache takes a token on its second sight only: a token sent once would
   * evict one in use and leave an entry for the garbage collector to move.
   */
  private accept(cacheKey: string, use: TokenUseClaim, jws: RoutedJws, key: crypto.KeyObject, signatureHolds: boolean): CognitoBaseClaims {
    if (!signatureHolds) throw new TokenInvalidError(`${tokenLabel(use)} signature is invalid`);
    const claims = jws.route.claims.check(jws.unverified, use, this.now());
    if (cacheKey !== '' && (!this.cache.full || this.admission.seenBefore(cacheKey))) {
      this.cache.set(cacheKey, { claims, kid: jws.kid, key, jwks: jws.route.jwks }, claims.exp * 1000);
    }
    return claims;
  }

  /** The pool the unverified `iss` names; none is `token_invalid`. */
  private routeOf(payload: JsonObject, label: string): IssuerRoute {
    const route = typeof payload.iss === 'string' ? this.routes.get(payload.iss) : undefined;
    if (!route) throw new TokenInvalidError(`${label} issuer is not accepted`);
    return route;
  }
}

/** A failure as a `CognitoAuthError`: anything else thrown while verifying is `token_invalid`. */
function asTokenError(err: unknown, use: TokenUseClaim): CognitoAuthError {
  return err instanceof CognitoAuthError ? err : new TokenInvalidError(`${tokenLabel(use)} is invalid`);
}
