/** Claims every verified Cognito token carries. */
export interface CognitoBaseClaims {
  readonly sub: string;
  readonly iss: string;
  readonly exp: number;
  readonly iat: number;
  readonly nbf?: number;
  readonly token_use: 'access' | 'id';
  readonly auth_time?: number;
  readonly jti?: string;
  readonly origin_jti?: string;
  readonly 'cognito:groups'?: readonly string[];
  readonly [claim: string]: unknown;
}

/** Claims of a verified Cognito access token. */
export interface CognitoAccessTokenClaims extends CognitoBaseClaims {
  readonly token_use: 'access';
  readonly client_id: string;
  readonly username?: string;
  readonly scope?: string;
}

/** Claims of a verified Cognito ID token. */
export interface CognitoIdTokenClaims extends CognitoBaseClaims {
  readonly token_use: 'id';
  readonly aud: string;
  readonly 'cognito:username'?: string;
  readonly email?: string;
  readonly at_hash?: string;
}

/** What `@CognitoClaims()` gives: the verified claims of the tokens the request carried. */
export interface VerifiedTokens {
  readonly access?: CognitoAccessTokenClaims;
  readonly id?: CognitoIdTokenClaims;
}

/**
 * The caller when user sync is off (or before it exists): a principal built from the verified
 * claims. The ID token's claims win where both tokens carry one. A frozen plain object.
 *
 * Its own enumerable members are exactly `kind, pool, sub, username, groups, scopes, clientId`
 * (`username` only when the tokens carry one: never on a machine), so serialising it (`JSON`,
 * over HTTP, GraphQL or a socket), spreading it, `Object.keys` and deep equality see that shape
 * and nothing else. `email` and `claims` are its own members as well, read as `principal.claims`,
 * but not enumerable: they are never serialised or copied by a spread; read them explicitly.
 */
export interface CognitoPrincipal {
  /**
   * `'machine'` for a client-credentials access token (no `username`, `sub` equal to its
   * `client_id`), `'user'` otherwise.
   */
  readonly kind: 'user' | 'machine';
  /** The name of the pool that issued the tokens (`'default'` with a single pool). */
  readonly pool: string;
  readonly sub: string;
  /** `cognito:username` (ID token) or `username` (access token); absent, so `undefined`, for a machine. */
  readonly username: string | undefined;
  /** The ID token's `email`. Not enumerable: not in the principal's JSON, spread or `Object.keys`. */
  readonly email: string | undefined;
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
  readonly clientId: string;
  /**
   * The verified claims (both tokens' merged, the ID token's winning), deep-frozen. Not
   * enumerable: not in the principal's JSON, spread or `Object.keys`.
   */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Tokens issued by a refresh, handed back to the client. */
export interface RefreshedTokens {
  readonly accessToken: string;
  readonly idToken: string;
  /** Present only when Cognito rotated the refresh token. */
  readonly refreshToken?: string;
}
