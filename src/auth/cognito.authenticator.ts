import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import {
  AuthUnavailableError,
  CognitoAuthError,
  isCognitoAuthError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMismatchError,
  TokenMissingError,
  TokenRevokedError,
  type TokenKind,
} from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { peekTokenUse } from '../tokens/compact-jws.decoder.js';
import { JwtValidationService } from '../tokens/jwt-validation.service.js';
import { TokenRefreshService } from '../tokens/token-refresh.service.js';
import type {
  CognitoAccessTokenClaims,
  CognitoBaseClaims,
  CognitoIdTokenClaims,
  CognitoPrincipal,
  RefreshedTokens,
  VerifiedTokens,
} from '../tokens/token.types.js';
import { CognitoRevocationService } from '../shared-state/cognito-revocation.service.js';
import { UserSyncService } from '../users/user-sync.service.js';
import type { AuthenticateOptions, AuthResult, TokenInput, TokenUse } from './authenticator.types.js';
import { andThen, isPromiseLike, type MaybePromise } from './maybe-async.js';
import { buildPrincipal } from './principal.js';
import { Rs256Placement } from './rs256-placement.js';

/** One token checked on its own: its claims, or the error kept until the pair's errors are ranked. */
type Settled = { claims: CognitoBaseClaims; error?: undefined } | { claims?: CognitoBaseClaims; error: CognitoAuthError };

/** What is derived from a cached token (or pair), kept beside its frozen claims. */
interface Derived {
  /** The claims object of the other token of the pair, or undefined for a lone token. */
  readonly other: CognitoBaseClaims | undefined;
  readonly tokens: VerifiedTokens;
  readonly identity: CognitoPrincipal;
  readonly expiresAtMs: number;
}

/** What verification established, before the user is resolved. */
interface Verified {
  readonly tokens: VerifiedTokens;
  readonly identity: CognitoPrincipal;
  readonly expiresAtMs: number;
  readonly accessToken: string | undefined;
  readonly refreshed?: RefreshedTokens;
}

/**
 * Authenticates a caller from plain token strings, whatever the transport: verifies each token
 * (offline, against the pool's JWKS), checks that an ID and an access token belong together,
 * refreshes an expired pair with the refresh token, and resolves the local user. It never sees a
 * request, a response or an execution context, so it can be injected anywhere (a service, a
 * script, a custom transport). Every failure is a typed `CognitoAuthError`; an unforeseen one
 * becomes 503 `auth_unavailable`, logged by class name only.
 *
 * A token verified before costs no signature check: its claims come from the verified-token
 * cache, and what is derived from them (the pair check, the identity) is kept beside them.
 */
@Injectable()
export class CognitoAuthenticator {
  private readonly logger = new Logger(CognitoAuthenticator.name);
  /** Keyed by the frozen claims object the verified-token cache hands out for a token. */
  private readonly derived = new WeakMap<CognitoBaseClaims, Derived>();
  /** Where new tokens' RS256 checks run: here, or on libuv's thread pool while this thread is saturated. */
  private readonly placement = new Rs256Placement();
  private readonly now: () => number;
  private readonly toleranceMs: number;

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    private readonly jwt: JwtValidationService,
    private readonly refresher: TokenRefreshService,
    private readonly users: UserSyncService,
    private readonly revocation: CognitoRevocationService,
    @Optional() @Inject(COGNITO_CLOCK) clock?: () => number,
  ) {
    this.now = clock ?? Date.now;
    this.toleranceMs = settings.clockToleranceSeconds * 1000;
  }

  /**
   * Authenticates the tokens: identity, user, verified claims and, after a refresh, new tokens.
   * In `'any'` mode a lone token in the access slot that is an ID token is verified as the ID
   * token. The identity's `pool` is the name of the pool whose issuer the tokens carry. Machine
   * callers never reach user sync.
   * @throws CognitoAuthError (401, 403 or 503 with its `code`)
   */
  authenticate(tokens: TokenInput, options: AuthenticateOptions = {}): Promise<AuthResult> {
    try {
      return Promise.resolve(this.authenticateNow(tokens, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * `authenticate`, answered synchronously when nothing has to wait: every token cached or
   * verified on this thread, no refresh, an `afterVerify` that returns no promise, and no user to
   * resolve. Otherwise a promise. The same checks in the same order, the same errors.
   * @throws CognitoAuthError (thrown, or as the promise's rejection)
   */
  authenticateNow(tokens: TokenInput, options: AuthenticateOptions = {}): MaybePromise<AuthResult> {
    try {
      const mode = options.tokenUse ?? this.settings.tokenUse;
      this.requireTokens(tokens, mode);
      const input = mode === 'any' ? this.routeLoneToken(tokens) : tokens;
      const verified = this.fromCache(input) ?? this.verifyFully(input, options.allowRefresh !== false);
      const result = andThen(verified, (v) => this.conclude(v, options));
      return isPromiseLike(result) ? result.catch((err: unknown) => Promise.reject(this.asAuthError(err))) : result;
    } catch (err) {
      throw this.asAuthError(err);
    }
  }

  /** The app's `afterVerify` hook, then the user (machine callers and sync off: the identity). */
  private conclude(v: Verified, options: AuthenticateOptions): MaybePromise<AuthResult> {
    const hook = options.afterVerify?.(v.tokens, v.identity);
    return isPromiseLike(hook) ? Promise.resolve(hook).then(() => this.withUser(v)) : this.withUser(v);
  }

  private withUser(v: Verified): MaybePromise<AuthResult> {
    if (v.identity.kind !== 'user' || !this.users.enabled) return resultOf(v, v.identity);
    return this.users.resolveUser(v.tokens).then((user) => resultOf(v, user));
  }

  /**
   * Throws 401 `token_missing` unless the tokens the mode needs are present: both for
   * `'id+access'`, the access token for `'access'`, the ID token for `'id'`, either for `'any'`.
   * A refresh token alone counts as missing tokens.
   */
  requireTokens(input: TokenInput, mode: TokenUse = this.settings.tokenUse): void {
    const missing: TokenKind[] = [];
    if (mode === 'any') {
      if (!input.access && !input.id) missing.push('access');
    } else {
      if (mode !== 'id' && !input.access) missing.push('access');
      if (mode !== 'access' && !input.id) missing.push('id');
    }
    if (missing.length === 0) return;
    const none = !input.access && !input.id && !input.refresh;
    throw new TokenMissingError(missing, none, none ? 'Authentication token missing' : undefined);
  }

  /**
   * In `'any'` mode a lone token in the access slot (`Authorization: Bearer`, `ACCESSTOKEN`) that
   * says it is an ID token is verified as one. Its unverified `token_use` only picks the verifier;
   * that verifier checks everything again. Other modes never move a token: an ID token sent as
   * Bearer on an `'access'` route stays an access token that fails (`token_invalid`).
   */
  private routeLoneToken(t: TokenInput): TokenInput {
    if (!t.access || t.id || peekTokenUse(t.access, this.settings.maxTokenLength) !== 'id') return t;
    return { ...t, access: undefined, id: t.access };
  }

  /**
   * Maps anything thrown while authenticating to a `CognitoAuthError`: a failure nobody foresaw (a
   * bug, a library throwing) is 503 `auth_unavailable`, logged by class name, never a 500.
   */
  asAuthError(err: unknown): CognitoAuthError {
    if (isCognitoAuthError(err)) return err;
    this.logger.error(`Unexpected ${err instanceof Error ? err.name : typeof err} while authenticating`);
    return new AuthUnavailableError(undefined, this.settings.retryAfterSeconds);
  }

  /** Every token sent was verified before and is still valid: no I/O, no signature check. */
  private fromCache(t: TokenInput): Verified | undefined {
    const access = t.access ? this.jwt.cachedClaims(t.access, 'access') : undefined;
    if (t.access && !access) return undefined;
    const id = t.id ? this.jwt.cachedClaims(t.id, 'id') : undefined;
    if (t.id && !id) return undefined;
    const primary = (id ?? access)!;
    const other = id ? access : undefined;
    let derived = this.derived.get(primary);
    if (!derived || derived.other !== other) {
      const tokens: VerifiedTokens = Object.freeze({
        access: access as CognitoAccessTokenClaims | undefined,
        id: id as CognitoIdTokenClaims | undefined,
      });
      if (tokens.access && tokens.id) this.jwt.checkPair(tokens.id, tokens.access, t.access!);
      derived = { other, tokens, identity: this.principalOf(tokens), expiresAtMs: this.expiryOf(tokens) };
      this.derived.set(primary, derived);
    }
    this.checkRevoked(derived.tokens);
    return { tokens: derived.tokens, identity: derived.identity, expiresAtMs: derived.expiresAtMs, accessToken: t.access };
  }

  /** Verifies each token on its own (both, whatever the first gives), then the pair; refreshes when the only fault is expiry. */
  private verifyFully(t: TokenInput, allowRefresh: boolean): MaybePromise<Verified> {
    const access = t.access ? this.settle(t.access, 'access') : undefined;
    const id = t.id ? this.settle(t.id, 'id') : undefined;
    if (isPromiseLike(access) || isPromiseLike(id)) return Promise.all([access, id]).then(([a, i]) => this.pairUp(t, a, i, allowRefresh));
    return this.pairUp(t, access, id, allowRefresh);
  }

  /** Checks one token; a failure is kept, not thrown, so that both tokens are always checked. */
  private settle(token: string, use: 'access' | 'id'): MaybePromise<Settled> {
    try {
      const claims = this.jwt.check(token, use, this.placement.onPool());
      return isPromiseLike(claims) ? claims.then((c): Settled => ({ claims: c }), settledError) : { claims };
    } catch (err) {
      return settledError(err);
    }
  }

  /** Ranks the errors of the two tokens (invalid, then anything but expiry, then expiry), then checks the pair. */
  private pairUp(t: TokenInput, access: Settled | undefined, id: Settled | undefined, allowRefresh: boolean): MaybePromise<Verified> {
    const expired = access?.error || id?.error ? expiryOnly(access?.error, id?.error) : undefined;
    const tokens: VerifiedTokens = {
      access: access?.claims as CognitoAccessTokenClaims | undefined,
      id: id?.claims as CognitoIdTokenClaims | undefined,
    };
    if (tokens.access && tokens.id) this.jwt.checkPair(tokens.id, tokens.access, t.access!);
    // Expired claims too: a signed-out session is not refreshed back to life.
    this.checkRevoked(tokens);
    if (!expired) return { tokens, identity: this.principalOf(tokens), expiresAtMs: this.expiryOf(tokens), accessToken: t.access };
    if (!t.refresh || !allowRefresh || !this.settings.autoRefresh) throw expired;
    return this.refresh(t.refresh, tokens.access, tokens.id);
  }

  private async refresh(
    refreshToken: string,
    access: CognitoAccessTokenClaims | undefined,
    id: CognitoIdTokenClaims | undefined,
  ): Promise<Verified> {
    const owner = (id ?? access)!;
    const request = {
      refreshToken,
      clientId: access?.client_id ?? id!.aud,
      username: id?.['cognito:username'] ?? access?.username,
      sub: owner.sub,
    };
    const fresh = await this.refresher.refresh(request);
    const pair = await this.jwt.verifyPair(fresh.idToken, fresh.accessToken);
    if (pair.access.sub !== owner.sub) throw new TokenMismatchError('Refreshed tokens belong to another user');
    this.checkRevoked(pair);
    const tokens: VerifiedTokens = pair;
    return {
      tokens,
      identity: this.principalOf(tokens),
      expiresAtMs: this.expiryOf(tokens),
      accessToken: fresh.accessToken,
      refreshed: fresh,
    };
  }

  /** The caller, with the name of the pool whose issuer the tokens carry. */
  private principalOf(tokens: VerifiedTokens): CognitoPrincipal {
    return buildPrincipal(tokens, this.jwt.poolOf((tokens.id ?? tokens.access)!));
  }

  /** The earliest `exp` of the tokens, with the clock tolerance, in ms. */
  private expiryOf(tokens: VerifiedTokens): number {
    return Math.min(tokens.access?.exp ?? Infinity, tokens.id?.exp ?? Infinity) * 1000 + this.toleranceMs;
  }

  /** True when the tokens of an earlier result have expired by now (sockets re-check per message). */
  hasExpired(result: Pick<AuthResult, 'expiresAtMs'>): boolean {
    return this.now() >= result.expiresAtMs;
  }

  /** True when an earlier result no longer holds: its tokens expired or were revoked since. */
  isStale(result: Pick<AuthResult, 'expiresAtMs' | 'tokens'>): boolean {
    if (this.hasExpired(result)) return true;
    try {
      return this.revoked(result.tokens);
    } catch {
      return true; // revocation fails closed (503): authenticating again answers it
    }
  }

  private revoked(tokens: VerifiedTokens): boolean {
    return (
      (tokens.access !== undefined && this.revocation.isRevoked(tokens.access)) ||
      (tokens.id !== undefined && this.revocation.isRevoked(tokens.id))
    );
  }

  /** Throws 401 `token_revoked` when the session or the user of a token was revoked. */
  private checkRevoked(tokens: VerifiedTokens): void {
    if (this.revoked(tokens)) throw new TokenRevokedError();
  }
}

/**
 * Ranks the failures of the two tokens: an invalid token first, then any failure but expiry; those
 * are thrown. What is left is expiry alone, returned (a refresh may cure it).
 */
function expiryOnly(...failures: (CognitoAuthError | undefined)[]): CognitoAuthError | undefined {
  const errors = failures.filter((e): e is CognitoAuthError => e !== undefined);
  const fatal = errors.find((e) => e instanceof TokenInvalidError) ?? errors.find((e) => !(e instanceof TokenExpiredError));
  if (fatal) throw fatal;
  return errors[0];
}

function resultOf(v: Verified, user: unknown): AuthResult {
  const { tokens, identity, expiresAtMs, accessToken, refreshed } = v;
  return refreshed ? { tokens, identity, expiresAtMs, accessToken, refreshed, user } : { tokens, identity, expiresAtMs, accessToken, user };
}

/** A token's failure, kept: expiry with its claims, our errors as they are; anything else is a bug and is thrown (503). */
function settledError(err: unknown): Settled {
  if (err instanceof TokenExpiredError) return { claims: err.claims as CognitoBaseClaims | undefined, error: err };
  if (isCognitoAuthError(err)) return { error: err };
  throw err;
}
