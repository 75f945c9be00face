import * as crypto from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import {
  CognitoAuthError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMismatchError,
} from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { JwksCache } from './jwks.cache.js';
import type { CognitoAccessTokenClaims, CognitoBaseClaims, CognitoIdTokenClaims } from './token.types.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

type TokenUse = 'access' | 'id';

/**
 * A verified token held in the cache. `memo` is a slot for the caller (the guard keeps what it
 * derives from the claims there, so a token seen again costs no allocation and no extra map).
 * @internal
 */
export interface CachedToken {
  readonly claims: CognitoBaseClaims;
  memo?: unknown;
}
type Claims = Record<string, unknown>;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// One-shot hashing (Node 20.12+) is several times cheaper than createHash().update().digest().
const oneShotHash = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'base64') => string }).hash;
const sha256 = oneShotHash
  ? (data: string) => oneShotHash('sha256', data, 'base64')
  : (data: string) => crypto.createHash('sha256').update(data).digest('base64');
const FORBIDDEN_MEMBERS = new Set(['__proto__', 'constructor', 'prototype']);
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies Cognito access and ID tokens offline against the pool's JWKS (DESIGN.md section 5):
 * RS256 only, `kid` required, `crit` refused, length capped before decoding, exact `iss`,
 * `token_use`, client, `exp`/`iat`/`nbf` with clock tolerance, and the ID/access pair bound by
 * `sub`, client, issuer and `at_hash`. Tokens seen again are answered from a bounded cache.
 * Every failure is a typed `CognitoAuthError`; nothing else escapes.
 */
@Injectable()
export class JwtValidationService implements OnModuleInit {
  private readonly jwks: JwksCache;
  private readonly cache: VerifiedTokenCache<CachedToken>;
  private readonly issuers: ReadonlySet<string>;
  private readonly clients: ReadonlySet<string>;
  private readonly toleranceMs: number;
  private lastKeys: Record<TokenUse, { token: string; key: string }> = { access: { token: '', key: '' }, id: { token: '', key: '' } };

  constructor(@Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings) {
    this.jwks = new JwksCache({
      jwksUri: settings.jwksUri,
      timeoutMs: settings.jwksTimeoutMs,
      cooldownMs: settings.jwksRefetchCooldownMs,
      retryAfterSeconds: settings.retryAfterSeconds,
    });
    this.cache = new VerifiedTokenCache(settings.tokenCacheSize);
    this.issuers = new Set(settings.issuers);
    this.clients = new Set(settings.clientIds);
    this.toleranceMs = settings.clockToleranceSeconds * 1000;
  }

  /** Loads the key set at start-up; a failure is logged, not fatal (requests retry after the cooldown). */
  async onModuleInit(): Promise<void> {
    await this.jwks.refresh();
  }

  /** Entries in the verified-token cache now. */
  get cachedTokenCount(): number {
    return this.cache.size;
  }

  /** Keys in the JWKS cache now. */
  get cachedKeyCount(): number {
    return this.jwks.size;
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
   * Checks that verified ID and access claims belong together: same `sub`, the ID token's
   * `aud` is the access token's `client_id`, same `iss`, and `at_hash` (when the ID token has
   * one) matches the access token. Works on the claims of expired tokens too.
   * @throws TokenMismatchError
   */
  checkPair(id: CognitoIdTokenClaims, access: CognitoAccessTokenClaims, accessToken: string): void {
    if (id.sub !== access.sub) throw new TokenMismatchError('ID token and access token belong to different users');
    if (id.aud !== access.client_id) throw new TokenMismatchError('ID token and access token were issued to different clients');
    if (id.iss !== access.iss) throw new TokenMismatchError('ID token and access token come from different issuers');
    if (id.at_hash !== undefined && id.at_hash !== accessTokenHash(accessToken)) {
      throw new TokenMismatchError('ID token at_hash does not match the access token');
    }
  }

  /**
   * The claims of a token verified before and still valid, from the cache, with no I/O and no
   * signature check; `undefined` when the token has to go through full verification. Used by the
   * guard's fast path; a token of the wrong use throws `TokenInvalidError`.
   * @internal
   */
  cachedClaims(token: string, use: TokenUse): CognitoBaseClaims | undefined {
    return this.cachedToken(token, use)?.claims;
  }

  /**
   * The cache entry of a token verified before and still valid (see `cachedClaims`).
   * @internal
   */
  cachedToken(token: string, use: TokenUse): CachedToken | undefined {
    if (this.settings.tokenCacheSize === 0 || typeof token !== 'string' || token.length > this.settings.maxTokenLength) return undefined;
    const hit = this.cache.get(this.cacheKey(token, use), Date.now());
    if (hit && hit.claims.token_use !== use) throw new TokenInvalidError(`Token is not ${article(use)}`);
    return hit;
  }

  /**
   * The cache key (a SHA-256 of the token). The last key of each use is remembered, so the guard's
   * cache probe and the full verification after a miss hash the token once.
   */
  private cacheKey(token: string, use: TokenUse): string {
    const last = this.lastKeys[use];
    if (last.token === token) return last.key;
    const key = sha256(token);
    this.lastKeys[use] = { token, key };
    return key;
  }

  private async verify(token: string, use: TokenUse): Promise<CognitoBaseClaims> {
    try {
      return this.cachedClaims(token, use) ?? (await this.verifyUnsafe(token, use));
    } catch (err) {
      if (err instanceof CognitoAuthError) throw err;
      throw new TokenInvalidError(`${label(use)} is invalid`);
    }
  }

  private async verifyUnsafe(token: string, use: TokenUse): Promise<CognitoBaseClaims> {
    if (typeof token !== 'string' || token.length === 0) throw new TokenInvalidError(`${label(use)} is empty`);
    if (token.length > this.settings.maxTokenLength) throw new TokenInvalidError(`${label(use)} is too long`);

    const parts = token.split('.');
    if (parts.length !== 3 || !SEGMENT.test(parts[0]) || !SEGMENT.test(parts[1]) || !SEGMENT.test(parts[2])) {
      throw new TokenInvalidError(`${label(use)} is not a compact JWS`);
    }
    const header = decodeSegment(parts[0]);
    if (header.alg !== 'RS256') throw new TokenInvalidError(`${label(use)} is not signed with RS256`);
    if ('crit' in header) throw new TokenInvalidError(`${label(use)} has a crit header`);
    if (typeof header.kid !== 'string' || header.kid === '') throw new TokenInvalidError(`${label(use)} has no kid`);
    // Claims are decoded and checked only once the signature holds. RS256 is RSASSA-PKCS1-v1_5
    // with SHA-256: node:crypto checks it synchronously, where jose 6 goes through WebCrypto's
    // async API at well under half the rate (bench/ measures both).
    const key = this.jwks.peek(header.kid) ?? (await this.jwks.getKey(header.kid));
    const signingInput = Buffer.from(token.slice(0, parts[0].length + 1 + parts[1].length), 'ascii');
    if (!crypto.verify('sha256', signingInput, key, Buffer.from(parts[2], 'base64url'))) {
      throw new TokenInvalidError(`${label(use)} signature is invalid`);
    }
    const claims = decodeJson(Buffer.from(parts[1], 'base64url'));
    const verified = this.checkClaims(claims, use, Date.now());
    if (this.settings.tokenCacheSize > 0) this.cache.set(this.cacheKey(token, use), { claims: verified }, verified.exp * 1000);
    return verified;
  }

  private checkClaims(c: Claims, use: TokenUse, nowMs: number): CognitoBaseClaims {
    const name = label(use);
    if (typeof c.iss !== 'string' || !this.issuers.has(c.iss)) throw new TokenInvalidError(`${name} issuer is not accepted`);
    if (c.token_use !== use) throw new TokenInvalidError(`Token is not ${article(use)}`);
    if (typeof c.sub !== 'string' || c.sub === '') throw new TokenInvalidError(`${name} has no sub`);
    const client = use === 'access' ? c.client_id : c.aud;
    if (typeof client !== 'string' || !this.clients.has(client)) throw new TokenInvalidError(`${name} was issued to another client`);
    if (!isTime(c.exp)) throw new TokenInvalidError(`${name} has no valid exp`);
    if (!isTime(c.iat)) throw new TokenInvalidError(`${name} has no valid iat`);
    if (c.iat * 1000 > nowMs + this.toleranceMs) throw new TokenInvalidError(`${name} is issued in the future`);
    if (c.nbf !== undefined) {
      if (!isTime(c.nbf)) throw new TokenInvalidError(`${name} has an invalid nbf`);
      if (c.nbf * 1000 > nowMs + this.toleranceMs) throw new TokenInvalidError(`${name} is not valid yet`);
    }
    if (c.auth_time !== undefined && !isTime(c.auth_time)) throw new TokenInvalidError(`${name} has an invalid auth_time`);
    const groups = c['cognito:groups'];
    if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string'))) {
      throw new TokenInvalidError(`${name} has invalid cognito:groups`);
    }
    for (const claim of ['scope', 'username', 'cognito:username', 'email', 'at_hash', 'jti', 'origin_jti'] as const) {
      if (c[claim] !== undefined && typeof c[claim] !== 'string') throw new TokenInvalidError(`${name} has an invalid ${claim}`);
    }
    // Deep-frozen: cached claims are shared by every request carrying the token.
    const claims = deepFreeze(c) as unknown as CognitoBaseClaims;
    if (c.exp * 1000 + this.toleranceMs < nowMs) throw new TokenExpiredError(`${name} has expired`, claims);
    return claims;
  }
}

function label(use: TokenUse): string {
  return use === 'access' ? 'Access token' : 'ID token';
}

function article(use: TokenUse): string {
  return use === 'access' ? 'an access token' : 'an ID token';
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e11;
}

/** base64url of the left half of SHA-256 over the access token (OIDC `at_hash`). */
export function accessTokenHash(accessToken: string): string {
  return crypto
    .createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

function decodeSegment(segment: string): Claims {
  return decodeJson(Buffer.from(segment, 'base64url'));
}

/** Parses a JSON object, refusing `__proto__`, `constructor` and `prototype` members at any depth. */
function decodeJson(bytes: Uint8Array): Claims {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new TokenInvalidError('Token segment is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TokenInvalidError('Token segment is not a JSON object');
  // JSON.parse makes "__proto__" an own member (it does not set the prototype): find it by walking.
  if (hasForbiddenMember(value, 0)) throw new TokenInvalidError('Token has a forbidden member');
  return value as Claims;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child !== null && typeof child === 'object' && !Object.isFrozen(child)) deepFreeze(child as object);
  return Object.freeze(value);
}

function hasForbiddenMember(value: object, depth: number): boolean {
  if (depth > 32) return true;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_MEMBERS.has(key)) return true;
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && hasForbiddenMember(child, depth + 1)) return true;
  }
  return false;
}
