import type { CognitoPrincipal, RefreshedTokens, VerifiedTokens } from '../tokens/token.types.js';

/**
 * Which tokens a route needs: `'id+access'` (both, paired), `'access'` (the access token; an ID
 * token sent along is verified and paired), `'id'` (the ID token), `'any'` (a lone access or ID
 * token, or the pair).
 */
export type TokenUse = 'id+access' | 'access' | 'id' | 'any';

/** Where the tokens came from: a header (or another transport field) or a cookie. */
export type TokenSource = 'header' | 'cookie';

/** The token strings a caller presented, as read by a context adapter. */
export interface TokenInput {
  readonly access?: string;
  readonly id?: string;
  readonly refresh?: string;
  /** Where they came from; refreshed tokens go back the same way. */
  readonly source: TokenSource;
}

/** Per-call choices of `CognitoAuthenticator.authenticate`. */
export interface AuthenticateOptions {
  /** The route's token mode; default the module's `tokenUse`. */
  readonly tokenUse?: TokenUse;
  /**
   * Whether an expired pair may be refreshed (the transport can hand new tokens back and
   * `autoRefresh` is on). Default true; sockets and message transports pass false.
   */
  readonly allowRefresh?: boolean;
  /**
   * Runs after the tokens are verified and before the user is resolved (the app's `validate`
   * hook). Throwing a `CognitoAuthError` refuses the caller.
   */
  readonly afterVerify?: (tokens: VerifiedTokens, identity: CognitoPrincipal) => void | Promise<void>;
}

/** What authenticating a caller established. */
export interface AuthResult {
  /** The caller, built from the verified claims. */
  readonly identity: CognitoPrincipal;
  /** The synced user entity when user sync is on and the caller is a user, else the identity. */
  readonly user: unknown;
  /** The verified claims of the tokens (the new ones after a refresh). */
  readonly tokens: VerifiedTokens;
  /** The raw access token that was verified (after a refresh, the new one). */
  readonly accessToken: string | undefined;
  /** New tokens from a transparent refresh, to hand back to the client. */
  readonly refreshed?: RefreshedTokens;
  /** Earliest expiry of the verified tokens, in ms since the epoch. */
  readonly expiresAtMs: number;
}
