import type { VerifiedTokens } from './token.types.js';

/** What `TokenRefreshService.refresh()` needs. */
export interface RefreshInput {
  /** The refresh token the client sent. */
  readonly refreshToken: string;
  /** The app client id of the expired token (`client_id` / `aud`). */
  readonly clientId: string;
  /** The `sub` of the expired token: refresh attempts are rate-limited per user. */
  readonly sub: string;
  /**
   * The internal user name of the expired token (`cognito:username` / `username`); needed for
   * `SECRET_HASH` when the client has a secret.
   */
  readonly username?: string;
}

/** What `TokenRefreshService.revoke()` needs besides the refresh token. */
export interface RevokeOptions {
  /** The app client the refresh token was issued to, when the caller knows it. */
  readonly clientId?: string;
  /**
   * The verified claims of the tokens sent with the refresh token. Their session is recorded as
   * revoked (they would verify offline until they expire otherwise), and their client is the one
   * the refresh token is revoked with.
   */
  readonly claims?: VerifiedTokens;
}
