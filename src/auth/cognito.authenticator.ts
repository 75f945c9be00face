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
import { buildPrincipal } from './principal.js';

type Settled<T> = { claims: T; error?: undefined } | { claims?: T; error: CognitoAuthError };

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
  async authenticate(tokens: TokenInput, options: AuthenticateOptions = {}): Promise<AuthResult> {
    try {
      const mode = options.tokenUse ?? this.settings.tokenUse;
      this.requireTokens(tokens, mode);
      const input = mode === 'any' ? this.routeLoneToken(tokens) : tokens;
      const verified = this.fromCache(input) ?? (await this.verifyFully(input, options.allowRefresh !== false));
      if (options.afterVerify) await options.afterVerify(verified.tokens, verified.identity);
      const user =
        verified.identity.kind === 'user' && this.users.enabled ? await this.users.resolveUser(verified.tokens) : verified.identity;
      return { ...verified, user };
    } catch (err) {
      throw this.asAuthError(err);
    }
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
    return { ...derived, accessToken: t.access };
  }

  /** Verifies each token, then the pair; refreshes when the only fault is expiry. */
  private async verifyFully(t: TokenInput, allowRefresh: boolean): Promise<Verified> {
    const [access, id] = await Promise.all([
      t.access ? settle(this.jwt.verifyAccessToken(t.access)) : undefined,
      t.id ? settle(this.jwt.verifyIdToken(t.id)) : undefined,
    ]);
    const errors = [access?.error, id?.error].filter((e): e is CognitoAuthError => e !== undefined);
    const fatal = errors.find((e) => e instanceof TokenInvalidError) ?? errors.find((e) => !(e instanceof TokenExpiredError));
    if (fatal) throw fatal;
    if (access?.claims && id?.claims) this.jwt.checkPair(id.claims, access.claims, t.access!);
    // Expired claims too: a signed-out session is not refreshed back to life.
    this.checkRevoked({ access: access?.claims, id: id?.claims });
    const expired = errors[0];
    if (!expired) {
      const tokens: VerifiedTokens = { access: access?.claims, id: id?.claims };
      return { tokens, identity: this.principalOf(tokens), expiresAtMs: this.expiryOf(tokens), accessToken: t.access };
    }
    if (!t.refresh || !allowRefresh || !this.settings.autoRefresh) throw expired;
    return this.refresh(t.refresh, access?.claims, id?.claims);
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
    const exps = [tokens.access?.exp, tokens.id?.exp].filter((e): e is number => e !== undefined);
    return Math.min(...exps) * 1000 + this.toleranceMs;
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

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { claims: await promise };
  } catch (err) {
    if (err instanceof TokenExpiredError) return { claims: err.claims as T | undefined, error: err };
    if (isCognitoAuthError(err)) return { error: err };
    return { error: new TokenInvalidError() };
  }
}
