import { TokenExpiredError, TokenInvalidError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { deepFreeze, type JsonObject } from './compact-jws.decoder.js';
import type { CognitoBaseClaims } from './token.types.js';

/** The two kinds of Cognito token, as their `token_use` claim names them. */
export type TokenUseClaim = CognitoBaseClaims['token_use'];

/** Claims that, when present, must be strings. */
const STRING_CLAIMS = ['scope', 'username', 'cognito:username', 'email', 'at_hash', 'jti', 'origin_jti'] as const;

/** "Access token" or "ID token", for messages. */
export function tokenLabel(use: TokenUseClaim): string {
  return use === 'access' ? 'Access token' : 'ID token';
}

/** A NumericDate (RFC 7519 section 2) in a sane range: seconds, finite, not negative, before year 5138. */
function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e11;
}

/**
 * Checks the payload of a token whose signature holds: exact `iss` among the accepted issuers,
 * exact `token_use`, a `sub`, the client (`client_id` of access tokens, `aud` of ID tokens) among
 * the configured ones, `exp` and `iat` present, `iat` and `nbf` not in the future, and the types
 * of the claims the library reads. Times allow `clockToleranceSeconds` either way (RFC 7519
 * sections 4.1.4 and 4.1.5).
 */
export class ClaimsChecker {
  private readonly issuers: ReadonlySet<string>;
  private readonly clients: ReadonlySet<string>;
  private readonly toleranceMs: number;

  constructor(settings: Pick<CognitoAuthSettings, 'issuers' | 'clientIds' | 'clockToleranceSeconds'>) {
    this.issuers = new Set(settings.issuers);
    this.clients = new Set(settings.clientIds);
    this.toleranceMs = settings.clockToleranceSeconds * 1000;
  }

  /**
   * The claims, deep-frozen (cached claims are shared by every request carrying the token).
   * @throws TokenInvalidError for any failed claim; TokenExpiredError (with the claims) when only `exp` fails
   */
  check(c: JsonObject, use: TokenUseClaim, nowMs: number): CognitoBaseClaims {
    const name = tokenLabel(use);
    if (typeof c.iss !== 'string' || !this.issuers.has(c.iss)) throw new TokenInvalidError(`${name} issuer is not accepted`);
    if (c.token_use !== use) throw new TokenInvalidError(`Token is not ${use === 'access' ? 'an access token' : 'an ID token'}`);
    if (typeof c.sub !== 'string' || c.sub === '') throw new TokenInvalidError(`${name} has no sub`);
    const client = use === 'access' ? c.client_id : c.aud;
    if (typeof client !== 'string' || !this.clients.has(client)) throw new TokenInvalidError(`${name} was issued to another client`);
    this.checkTimes(c, name, nowMs);
    this.checkTypes(c, name);
    // Decoded payloads come deep-frozen; a payload built elsewhere is frozen here.
    const claims = (Object.isFrozen(c) ? c : deepFreeze(c)) as unknown as CognitoBaseClaims;
    if (claims.exp * 1000 + this.toleranceMs < nowMs) throw new TokenExpiredError(`${name} has expired`, claims);
    return claims;
  }

  private checkTimes(c: JsonObject, name: string, nowMs: number): void {
    if (!isTime(c.exp)) throw new TokenInvalidError(`${name} has no valid exp`);
    if (!isTime(c.iat)) throw new TokenInvalidError(`${name} has no valid iat`);
    if (c.iat * 1000 > nowMs + this.toleranceMs) throw new TokenInvalidError(`${name} is issued in the future`);
    if (c.nbf !== undefined) {
      if (!isTime(c.nbf)) throw new TokenInvalidError(`${name} has an invalid nbf`);
      if (c.nbf * 1000 > nowMs + this.toleranceMs) throw new TokenInvalidError(`${name} is not valid yet`);
    }
    if (c.auth_time !== undefined && !isTime(c.auth_time)) throw new TokenInvalidError(`${name} has an invalid auth_time`);
  }

  private checkTypes(c: JsonObject, name: string): void {
    const groups = c['cognito:groups'];
    if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string'))) {
      throw new TokenInvalidError(`${name} has invalid cognito:groups`);
    }
    for (const claim of STRING_CLAIMS) {
      if (c[claim] !== undefined && typeof c[claim] !== 'string') throw new TokenInvalidError(`${name} has an invalid ${claim}`);
    }
  }
}
